"""Top-k / top-p (nucleus) sampling filters, as pure functions on logits."""

from __future__ import annotations

import torch


def filter_logits(logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0, temperature: float = 1.0) -> torch.Tensor:
    """Temperature-scaled logits with tokens outside the top-k and the top-p nucleus at -inf.

    logits (B, V) -> (B, V). ``top_k`` 0 and ``top_p`` 1.0 keep everything. The nucleus is the
    smallest set of most probable tokens whose probability reaches ``top_p``; the most probable
    token is always kept.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    logits = logits / temperature
    if top_k > 0 and top_k < logits.size(-1):
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        # drop a token when the tokens before it already reach top_p
        drop_sorted = (cumulative - sorted_logits.softmax(-1)) >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def sample_next(logits: torch.Tensor, generator: torch.Generator | None = None, **filters) -> torch.Tensor:
    """One token id per row from the filtered distribution. logits (B, V) -> (B,)."""
    probs = filter_logits(logits, **filters).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
