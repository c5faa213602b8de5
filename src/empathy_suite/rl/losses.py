"""PPO surrogate losses (Schulman et al. 2017) and the entropy bonus, all masked means.

Every loss is a token-weighted mean over the real tokens of the minibatch, like the legacy
TRL PPOTrainer: a long response counts more than a short one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from empathy_suite.rl._checks import check_2d, check_same_shape
from empathy_suite.rl.whiten import masked_mean


def clipped_policy_loss(
    logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor, mask: Tensor, clip_eps: float
) -> tuple[Tensor, dict[str, Tensor]]:
    """Clipped PPO policy loss (to minimise) and detached scalar stats.

    logprobs: (B, T) current log-probs of the sampled tokens (with gradient).
    old_logprobs, advantages: (B, T) from the rollout; treated as constants.
    mask: (B, T) float/bool, 1 = real response token. clip_eps: epsilon.

    ``loss = masked_mean(max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps)))`` with
    ``ratio = exp(logprobs - old_logprobs)``. Stats: ``clip_frac`` = share of real tokens
    where the clipped term is strictly larger (so its gradient is 0), ``approx_kl`` =
    ``0.5 * masked_mean((logprobs - old_logprobs)^2)``, ``ratio_mean`` = masked mean ratio.
    """
    check_2d("clipped_policy_loss", "logprobs", logprobs)
    check_same_shape(
        "clipped_policy_loss", logprobs=logprobs, old_logprobs=old_logprobs, advantages=advantages, mask=mask
    )
    log_ratio = logprobs - old_logprobs.detach()
    ratio = torch.exp(log_ratio)
    advantages = advantages.detach()
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps)
    # padding may hold any value, even inf; masked_mean multiplies by 0, which would turn
    # inf into nan, so padding is zeroed by selection instead
    real = mask.bool()
    per_token = torch.where(real, torch.maximum(unclipped, clipped), torch.zeros_like(unclipped))
    loss = masked_mean(per_token, mask)
    with torch.no_grad():
        stats = {
            "clip_frac": masked_mean((clipped > unclipped).to(per_token.dtype), mask),
            "approx_kl": 0.5 * masked_mean(torch.where(real, log_ratio, 0.0) ** 2, mask),
            "ratio_mean": masked_mean(torch.where(real, ratio, 0.0), mask),
        }
    return loss, stats


def clipped_value_loss(
    values: Tensor, old_values: Tensor, returns: Tensor, mask: Tensor, clip_range: float
) -> tuple[Tensor, Tensor]:
    """Clipped value loss (to minimise) and the detached clip fraction.

    values: (B, T) current value predictions (with gradient).
    old_values, returns: (B, T) rollout values and GAE returns; treated as constants.
    mask: (B, T) float/bool, 1 = real response token. clip_range: c.

    ``loss = 0.5 * masked_mean(max((v - R)^2, (clip(v, old - c, old + c) - R)^2))``;
    the clip fraction is the share of real tokens where the clipped error is strictly larger.
    """
    check_2d("clipped_value_loss", "values", values)
    check_same_shape("clipped_value_loss", values=values, old_values=old_values, returns=returns, mask=mask)
    old_values = old_values.detach()
    returns = returns.detach()
    values_clipped = torch.clamp(values, old_values - clip_range, old_values + clip_range)
    error = (values - returns) ** 2
    error_clipped = (values_clipped - returns) ** 2
    real = mask.bool()
    per_token = torch.where(real, torch.maximum(error, error_clipped), torch.zeros_like(error))
    loss = 0.5 * masked_mean(per_token, mask)
    with torch.no_grad():
        clip_frac = masked_mean((error_clipped > error).to(per_token.dtype), mask)
    return loss, clip_frac


def token_entropy(logits: Tensor) -> Tensor:
    """Entropy in nats of each position's next-token distribution: logits (B, T, V) -> (B, T)."""
    logp = torch.log_softmax(logits, dim=-1)
    # a -inf logit (e.g. a banned token) has p = 0 and contributes 0; replacing its log-prob
    # by 0 avoids 0 * -inf = nan in both the value and the gradient
    logp_finite = torch.where(torch.isfinite(logp), logp, torch.zeros_like(logp))
    return -(logp.exp() * logp_finite).sum(dim=-1)


def entropy_from_logits(logits: Tensor, mask: Tensor) -> Tensor:
    """Scalar masked mean entropy (nats) over real tokens: logits (B, T, V), mask (B, T)."""
    if logits.ndim != 3 or mask.shape != logits.shape[:2]:
        raise ValueError(
            f"entropy_from_logits: expected logits (B, T, V) and mask (B, T), "
            f"got {tuple(logits.shape)} and {tuple(mask.shape)}"
        )
    entropy = token_entropy(logits)
    return masked_mean(torch.where(mask.bool(), entropy, torch.zeros_like(entropy)), mask)
