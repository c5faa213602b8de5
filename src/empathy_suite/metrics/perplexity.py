"""Token-level perplexity: exp of the mean negative log-likelihood over non-ignored tokens.

The mean is taken over all tokens of all batches (token-weighted), not over batch means,
so batches with more target tokens weigh more, as in ParlAI's ppl.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import Metric


def summed_nll(logits: Tensor, target: Tensor, ignore_index: int = -100) -> tuple[Tensor, Tensor]:
    """Summed NLL and count of the tokens whose target is not ``ignore_index``.

    logits (B, T, V) of any float dtype; target (B, T) int. Returns two scalars: float32
    NLL sum and int64 token count. The logits are cast to float32 first: a log-softmax in
    fp16/bf16 keeps only 3-4 significant digits, which a perplexity cannot afford.
    """
    if logits.ndim != 3 or target.shape != logits.shape[:2]:
        shapes = f"{tuple(logits.shape)} and {tuple(target.shape)}"
        raise ValueError(f"perplexity: expected logits (B, T, V) and target (B, T), got {shapes}")
    flat_logits = logits.float().reshape(-1, logits.shape[-1])
    nll = F.cross_entropy(flat_logits, target.reshape(-1).long(), ignore_index=ignore_index, reduction="sum")
    return nll, (target != ignore_index).sum()


class TokenPerplexity(Metric):
    """``exp(nll_sum / n_tokens)`` over everything passed to ``update``/``update_from_nll``.

    NaN when no token was counted (0/0): there is no perplexity of nothing.
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # float64 sum: a float32 running sum over a whole test set drifts in the last digits
        self.add_state("nll_sum", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("n_tokens", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(
        self,
        logits: Tensor | None = None,
        target: Tensor | None = None,
        ignore_index: int = -100,
        *,
        nll_sum: Tensor | None = None,
        n_tokens: Tensor | None = None,
    ) -> None:
        """Either ``logits`` (B, T, V) and ``target`` (B, T), or the keywords of ``update_from_nll``."""
        if nll_sum is None:
            if logits is None or target is None:
                raise ValueError("TokenPerplexity.update needs logits and target (or nll_sum and n_tokens)")
            nll_sum, n_tokens = summed_nll(logits.detach(), target, ignore_index)
        elif n_tokens is None or logits is not None:
            raise ValueError("TokenPerplexity.update: pass nll_sum with n_tokens, and without logits")
        self.nll_sum += torch.as_tensor(nll_sum).detach().to(self.nll_sum)
        self.n_tokens += torch.as_tensor(n_tokens).detach().to(self.n_tokens)

    def update_from_nll(self, nll_sum: Tensor, n_tokens: Tensor) -> None:
        """Add an already-computed summed NLL (a sum, not a mean) over ``n_tokens`` tokens."""
        # through update(): torchmetrics only counts updates and drops its cached compute()
        # result inside the wrapped update
        self.update(nll_sum=nll_sum, n_tokens=n_tokens)

    def compute(self) -> Tensor:
        return torch.exp(self.nll_sum / self.n_tokens).float()
