"""torchmetrics metrics for empathetic dialogue: BLEU, Distinct-n, perplexity, P@k,N."""

from empathy_suite.metrics.bleu import BLEUScores
from empathy_suite.metrics.distinct import Distinct
from empathy_suite.metrics.perplexity import TokenPerplexity
from empathy_suite.metrics.precision_at_k import PrecisionAtKOfN

__all__ = ["BLEUScores", "Distinct", "PrecisionAtKOfN", "TokenPerplexity"]
