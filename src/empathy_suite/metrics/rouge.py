"""ROUGE-1, ROUGE-2 and ROUGE-L (Lin 2004) F/P/R on a 0-100 scale, as in EmpGAN's Table 1.

Each prediction is scored against its reference(s) by torchmetrics' ROUGE (the functional
``rouge_score`` behind ``torchmetrics.text.rouge.ROUGEScore``): P = matches / predicted
n-grams (or LCS / predicted length), R = matches / reference n-grams, F their harmonic
mean, 0 when either side has no n-gram. With several references the one with the best F
counts (``accumulate="best"``, rouge-score's convention). The reported value is the mean
of the per-sentence scores.

Tokens: the suite's ``tokenize_words`` (lower-cased Penn Treebank), as BLEU and Distinct
use, so punctuation tokens count and "can't" is "ca n't". torchmetrics' own default would
first replace every non-alphanumeric character by a space; an identity normaliser is
passed so the tokenizer sees the raw text. rougeLsum is not offered: it splits sentences
with nltk's punkt model, which is not available offline.

States are per-score sums and a sentence count (DDP sums them), not ROUGEScore's lists of
per-sentence tensors, so memory stays constant over a test set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.text.rouge import rouge_score

from empathy_suite.text.normalize import tokenize_words

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")
# torchmetrics' names -> ours
_PARTS = {"fmeasure": "f", "precision": "p", "recall": "r"}
SCORE_NAMES = tuple(f"{key}_{short}" for key in ROUGE_KEYS for short in _PARTS.values())
ACCUMULATE = ("best", "avg")


def keep_text(text: str) -> str:
    """Identity normaliser: leaves lower-casing and splitting to the tokenizer."""
    return text


class ROUGEScores(Metric):
    """``{"rouge1_f", "rouge1_p", "rouge1_r", "rouge2_*", "rougeL_*"}`` on 0-100; see the module docstring.

    ``update(preds, targets)``: a sequence of predicted strings and, per prediction, one
    reference string or a sequence of reference strings.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self, tokenizer: Callable[[str], Sequence[str]] | None = None, accumulate: str = "best", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if accumulate not in ACCUMULATE:
            raise ValueError(f"ROUGEScores: unknown accumulate {accumulate!r}, expected one of {ACCUMULATE}")
        self.tokenizer = tokenizer or tokenize_words
        self.accumulate = accumulate
        # float64 sums of per-sentence scores in [0, 1], in SCORE_NAMES order
        self.add_state("score_sums", default=torch.zeros(len(SCORE_NAMES), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_pairs", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, preds: Sequence[str], targets: Sequence[str] | Sequence[Sequence[str]]) -> None:
        if isinstance(preds, str) or isinstance(targets, str):
            raise ValueError("ROUGEScores.update expects sequences of strings, not a single string")
        if len(preds) != len(targets):
            raise ValueError(f"ROUGEScores.update: {len(preds)} predictions but {len(targets)} targets")
        sums = [0.0] * len(SCORE_NAMES)
        for i, (pred, target) in enumerate(zip(preds, targets)):
            refs = [target] if isinstance(target, str) else list(target)
            if not refs:
                raise ValueError(f"ROUGEScores.update: prediction {i} has no reference")
            # one sentence per call: the functional returns batch means in float32; summing
            # per-sentence values in float64 keeps the sums exact to the last digit shown
            scores = rouge_score(
                [pred], [refs], accumulate=self.accumulate, normalizer=keep_text,
                tokenizer=self.tokenizer, rouge_keys=ROUGE_KEYS,
            )
            for j, (key, part) in enumerate((key, part) for key in ROUGE_KEYS for part in _PARTS):
                sums[j] += float(scores[f"{key}_{part}"])
        self.score_sums += torch.tensor(sums, dtype=torch.float64, device=self.device)
        self.n_pairs += len(preds)

    def compute(self) -> dict[str, Tensor]:
        # nothing scored gives 0, as BLEUScores does, rather than 0/0
        means = self.score_sums / self.n_pairs.clamp_min(1) * 100
        return {name: means[i].float() for i, name in enumerate(SCORE_NAMES)}
