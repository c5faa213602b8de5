"""Distinct-n (Li et al. 2016): the share of n-grams in generated responses that are unique.

inter: corpus level, #unique n-grams over all responses / #n-grams over all responses.
intra: mean over responses of #unique n-grams / #n-grams in that response; a response
       with no n-gram scores 0 but still counts in the mean.

Returned as a fraction in [0, 1], or times ``scale`` (``scale=100`` for the papers' percentages).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities.data import dim_zero_cat

from empathy_suite.text.normalize import tokenize_words

VARIANTS = ("inter", "intra")
# joins an n-gram's tokens before hashing; a control character no tokenizer emits inside a
# token, so ("a b", "c") and ("a", "b c") hash differently
_SEPARATOR = "\x1f"


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Every n-gram of ``tokens`` in order, repeats included; [] when len(tokens) < n."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def ngram_hash(ngram: tuple[str, ...]) -> int:
    """A signed 64-bit hash of ``ngram`` that is the same in every process.

    Python's ``hash()`` of a str is salted per process, so ranks would disagree about
    which n-grams are equal once their hashes are gathered.
    """
    digest = hashlib.blake2b(_SEPARATOR.join(ngram).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def distinct_ratio(items: Sequence) -> float:
    """#unique / #items, 0 for no items."""
    return len(set(items)) / len(items) if items else 0.0


class Distinct(Metric):
    """Distinct-``n`` of the responses passed to ``update``; see the module docstring."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self, n: int = 1, variant: str = "inter", tokenizer: Callable[[str], list[str]] | None = None,
        scale: float = 1.0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"Distinct: unknown variant {variant!r}, expected one of {VARIANTS}")
        if n < 1:
            raise ValueError(f"Distinct: n must be >= 1, got {n}")
        self.n = n
        self.variant = variant
        self.scale = scale
        self.tokenizer = tokenizer or tokenize_words
        if variant == "inter":
            # all hashes are kept, not a per-rank unique set: uniqueness is global, so it
            # can only be decided after the ranks' hashes are concatenated
            self.add_state("hashes", default=[], dist_reduce_fx="cat")
        else:
            self.add_state("ratio_sum", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state("n_responses", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, responses: Sequence[str]) -> None:
        if isinstance(responses, str):
            raise ValueError("Distinct.update expects a sequence of strings, not a single string")
        grams = [ngrams(self.tokenizer(text), self.n) for text in responses]
        if self.variant == "inter":
            hashes = [ngram_hash(gram) for response in grams for gram in response]
            self.hashes.append(torch.tensor(hashes, dtype=torch.int64, device=self.device))
        else:
            self.ratio_sum += sum(distinct_ratio(response) for response in grams)
            self.n_responses += len(grams)

    def compute(self) -> Tensor:
        return self._fraction() * self.scale

    def _fraction(self) -> Tensor:
        if self.variant == "intra":
            return (self.ratio_sum / self.n_responses.clamp_min(1)).float()
        # after a DDP sync the list state is already one concatenated tensor
        if isinstance(self.hashes, list) and not self.hashes:
            return torch.tensor(0.0, device=self.device)
        hashes = dim_zero_cat(self.hashes)
        if hashes.numel() == 0:
            return torch.tensor(0.0, device=self.device)
        return torch.tensor(hashes.unique().numel() / hashes.numel(), device=self.device)
