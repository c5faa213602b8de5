"""BLEU-1..N (cumulative, uniform weights) as corpus BLEU or as mean smoothed sentence BLEU.

corpus:   Papineni et al. (2002): clipped n-gram matches and n-gram totals are summed over
          the corpus before dividing, so the states are plain summed tensors (DDP-safe).
          Equals sacrebleu (``tokenize="none", smooth_method="none"``) and nltk
          ``corpus_bleu`` -- except that nltk counts at least one n-gram per hypothesis
          (``max(1, total)``), so it differs when some hypothesis has fewer than n tokens;
          we follow Papineni/sacrebleu there.
sentence: the mean over predictions of nltk ``sentence_bleu`` with
          ``SmoothingFunction(epsilon=1e-12).method1``, the way ParlAI reports BLEU.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torchmetrics import Metric

from empathy_suite.text.normalize import tokenize_words

VARIANTS = ("corpus", "sentence")
# ParlAI's epsilon: a zero precision becomes 1e-12 / total instead of zeroing the sentence
SENTENCE_EPSILON = 1e-12


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """How often each n-gram (a tuple of n tokens) occurs in ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def closest_reference_length(pred_len: int, ref_lens: Sequence[int]) -> int:
    """The reference length nearest ``pred_len``; ties go to the shorter one (nltk, sacrebleu)."""
    return min(ref_lens, key=lambda ref_len: (abs(ref_len - pred_len), ref_len))


def match_statistics(pred: Sequence[str], refs: Sequence[Sequence[str]], max_n: int) -> tuple[list[int], list[int]]:
    """Clipped n-gram matches and n-gram totals of one prediction, each a list over n = 1..max_n.

    A predicted n-gram is credited at most as often as it occurs in any single reference.
    """
    matches, totals = [], []
    for n in range(1, max_n + 1):
        pred_counts = ngram_counts(pred, n)
        max_ref_counts: Counter = Counter()
        for ref in refs:
            max_ref_counts |= ngram_counts(ref, n)  # | keeps the per-n-gram maximum
        matches.append(sum(min(count, max_ref_counts[gram]) for gram, count in pred_counts.items()))
        totals.append(sum(pred_counts.values()))
    return matches, totals


def brevity_penalty(pred_len: Tensor, ref_len: Tensor) -> Tensor:
    """exp(1 - r/c) when c < r, else 1; 0 for an empty prediction. Shapes (...) -> (...)."""
    pred_len, ref_len = pred_len.double(), ref_len.double()
    short = torch.exp(1 - ref_len / pred_len.clamp_min(1))
    short = torch.where(pred_len > 0, short, torch.zeros_like(short))
    return torch.where(pred_len >= ref_len, torch.ones_like(short), short)


def cumulative_bleu(precisions: Tensor, bp: Tensor) -> Tensor:
    """BLEU-n = bp * geometric mean of precisions 1..n, for every n at once.

    precisions (..., max_n) in [0, 1]; bp (...). Returns (..., max_n). A zero precision
    of order m zeroes BLEU-n for every n >= m: log 0 = -inf stays -inf through the cumsum
    and exp(-inf) = 0, with no NaN.
    """
    log_p = precisions.double().log()
    orders = torch.arange(1, precisions.shape[-1] + 1, dtype=torch.float64, device=precisions.device)
    return bp.double().unsqueeze(-1) * torch.exp(log_p.cumsum(-1) / orders)


def sentence_bleu(
    pred: Sequence[str], refs: Sequence[Sequence[str]], max_n: int, epsilon: float = SENTENCE_EPSILON
) -> Tensor:
    """Smoothed sentence BLEU-1..max_n of one prediction, (max_n,) in [0, 1], as nltk computes it.

    nltk's quirks are kept on purpose so the result matches ParlAI: the precision
    denominator is max(1, total), zero matches become epsilon, and no unigram match at all
    gives 0 outright.
    """
    matches, totals = match_statistics(pred, refs, max_n)
    if matches[0] == 0:
        return torch.zeros(max_n, dtype=torch.float64)
    precisions = torch.tensor(
        [(m if m > 0 else epsilon) / max(1, t) for m, t in zip(matches, totals)], dtype=torch.float64
    )
    ref_len = closest_reference_length(len(pred), [len(ref) for ref in refs])
    return cumulative_bleu(precisions, brevity_penalty(torch.tensor(len(pred)), torch.tensor(ref_len)))


def as_reference_lists(preds: Sequence[str], targets: Sequence[str] | Sequence[Sequence[str]]) -> list[list[str]]:
    """``targets`` as one list of reference strings per prediction, after checking the lengths."""
    if isinstance(preds, str) or isinstance(targets, str):
        raise ValueError("BLEUScores.update expects sequences of strings, not a single string")
    if len(preds) != len(targets):
        raise ValueError(f"BLEUScores.update: {len(preds)} predictions but {len(targets)} targets")
    refs = [[target] if isinstance(target, str) else list(target) for target in targets]
    for i, group in enumerate(refs):
        if not group:
            raise ValueError(f"BLEUScores.update: prediction {i} has no reference")
    return refs


class BLEUScores(Metric):
    """``{"bleu1", ..., "bleu{max_n}", "avg_bleu"}`` on a 0-100 scale; see the module docstring."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self,
        max_n: int = 4,
        variant: str = "corpus",
        tokenizer: Callable[[str], list[str]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"BLEUScores: unknown variant {variant!r}, expected one of {VARIANTS}")
        if max_n < 1:
            raise ValueError(f"BLEUScores: max_n must be >= 1, got {max_n}")
        self.max_n = max_n
        self.variant = variant
        self.tokenizer = tokenizer or tokenize_words
        zeros = torch.zeros(max_n, dtype=torch.float64)
        if variant == "corpus":
            # int64 counts: exact sums, and summing is all DDP has to do
            self.add_state("matches", default=zeros.long(), dist_reduce_fx="sum")
            self.add_state("totals", default=zeros.long(), dist_reduce_fx="sum")
            self.add_state("pred_len", default=torch.tensor(0), dist_reduce_fx="sum")
            self.add_state("ref_len", default=torch.tensor(0), dist_reduce_fx="sum")
        else:
            self.add_state("bleu_sum", default=zeros, dist_reduce_fx="sum")
            self.add_state("n_sentences", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, preds: Sequence[str], targets: Sequence[str] | Sequence[Sequence[str]]) -> None:
        refs = as_reference_lists(preds, targets)
        pairs = [(self.tokenizer(pred), [self.tokenizer(ref) for ref in group]) for pred, group in zip(preds, refs)]
        if self.variant == "sentence":
            scores = [sentence_bleu(pred, group, self.max_n) for pred, group in pairs]
            self.bleu_sum += torch.stack(scores).sum(dim=0).to(self.device) if scores else 0.0
            self.n_sentences += len(pairs)
            return
        # summed in Python first: one small tensor op per batch instead of per sentence
        matches, totals, pred_len, ref_len = [0] * self.max_n, [0] * self.max_n, 0, 0
        for pred, group in pairs:
            sentence_matches, sentence_totals = match_statistics(pred, group, self.max_n)
            matches = [a + b for a, b in zip(matches, sentence_matches)]
            totals = [a + b for a, b in zip(totals, sentence_totals)]
            pred_len += len(pred)
            ref_len += closest_reference_length(len(pred), [len(ref) for ref in group])
        self.matches += torch.tensor(matches, device=self.device)
        self.totals += torch.tensor(totals, device=self.device)
        self.pred_len += pred_len
        self.ref_len += ref_len

    def compute(self) -> dict[str, Tensor]:
        if self.variant == "corpus":
            # an order with no predicted n-gram has precision 0 (sacrebleu), not 0/0
            precisions = self.matches.double() / self.totals.clamp_min(1).double()
            scores = cumulative_bleu(precisions, brevity_penalty(self.pred_len, self.ref_len))
        else:
            scores = self.bleu_sum / self.n_sentences.clamp_min(1)
        scores = scores * 100
        result = {f"bleu{n}": scores[n - 1] for n in range(1, self.max_n + 1)}
        result["avg_bleu"] = scores.mean()
        return result
