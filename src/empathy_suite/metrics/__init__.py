"""torchmetrics metrics for empathetic dialogue: BLEU, Distinct-n, Emp-F1, perplexity, P@k,N,
ROUGE-1/2/L, the most frequent generated words."""

from empathy_suite.metrics.bleu import BLEUScores
from empathy_suite.metrics.distinct import Distinct
from empathy_suite.metrics.emp_f1 import EmpF1
from empathy_suite.metrics.perplexity import TokenPerplexity
from empathy_suite.metrics.precision_at_k import PrecisionAtKOfN
from empathy_suite.metrics.rouge import ROUGEScores
from empathy_suite.metrics.top_words import TopWords

__all__ = ["BLEUScores", "Distinct", "EmpF1", "PrecisionAtKOfN", "ROUGEScores", "TokenPerplexity", "TopWords"]
