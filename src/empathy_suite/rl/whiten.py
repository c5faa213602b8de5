"""Statistics over the real tokens only, and whitening (used on advantages)."""

from __future__ import annotations

import torch
from torch import Tensor

from empathy_suite.rl._checks import check_same_shape


def masked_mean(x: Tensor, mask: Tensor, dim: int | None = None) -> Tensor:
    """Mean of ``x`` over positions where ``mask`` is 1.

    x: (B, T); mask: (B, T) float/bool. ``dim=None`` gives a scalar over all real tokens of
    the batch (token-weighted: longer responses weigh more); ``dim=1`` gives (B,) per-row
    means. NaN where there is no real token (0/0), which is deliberately not hidden.
    """
    check_same_shape("masked_mean", x=x, mask=mask)
    weights = mask.to(x.dtype)
    if dim is None:
        return (x * weights).sum() / weights.sum()
    return (x * weights).sum(dim=dim) / weights.sum(dim=dim)


def masked_var(x: Tensor, mask: Tensor, unbiased: bool = True) -> Tensor:
    """Scalar variance of ``x`` (B, T) over all positions where ``mask`` (B, T) is 1.

    ``unbiased=True`` applies Bessel's correction n / (n - 1), n = number of real tokens
    (as the legacy TRL does), and raises ValueError when n < 2.
    """
    mean = masked_mean(x, mask)
    variance = masked_mean((x - mean) ** 2, mask)
    if unbiased:
        n = mask.to(x.dtype).sum()
        if float(n) < 2:
            raise ValueError(f"masked_var: the unbiased variance needs at least 2 real tokens, got {float(n):g}")
        variance = variance * n / (n - 1)
    return variance


def masked_whiten(x: Tensor, mask: Tensor, shift_mean: bool = True, eps: float = 1e-8) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` with batch statistics over the real tokens, (B, T).

    x: (B, T); mask: (B, T) float/bool. The variance is the unbiased one. With
    ``shift_mean=False`` the mean is added back, so only the scale changes. Padded
    positions are set to 0 so that they stay neutral in any later sum.
    """
    mean = masked_mean(x, mask)
    variance = masked_var(x, mask, unbiased=True)
    whitened = (x - mean) * torch.rsqrt(variance + eps)
    if not shift_mean:
        whitened = whitened + mean
    return torch.where(mask.bool(), whitened, torch.zeros_like(whitened))
