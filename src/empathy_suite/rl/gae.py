"""Generalised Advantage Estimation (Schulman et al. 2016) over the real response tokens.

``delta_t = r_t + gamma * V(s_{t+1}) - V(s_t)`` and ``A_t = sum_l (gamma*lam)^l delta_{t+l}``,
where t+1 means the next *real* token; the value after the last real token is 0 (the
episode ends with the response).
"""

from __future__ import annotations

import torch
from torch import Tensor

from empathy_suite.rl._checks import check_2d, check_same_shape


@torch.no_grad()
def gae(rewards: Tensor, values: Tensor, mask: Tensor, gamma: float, lam: float) -> tuple[Tensor, Tensor]:
    """Advantages and returns, both (B, T), 0 at padding.

    rewards, values: (B, T) per-token rewards (see ``shape_rewards``) and value estimates
    V(s_t) from the rollout. mask: (B, T) float/bool, 1 = real response token; padding may
    be on the left, right, or even between real tokens: padded positions are skipped, so
    their rewards and values are never read. ``returns = advantages + values`` on real
    tokens (the value-loss target). Advantages are not whitened; see ``masked_whiten``.
    Outputs carry no gradient: they are targets.
    """
    check_2d("gae", "rewards", rewards)
    check_same_shape("gae", rewards=rewards, values=values, mask=mask)
    real = mask.bool()
    batch, steps = rewards.shape
    advantages = torch.zeros_like(rewards)
    running_advantage = rewards.new_zeros(batch)
    next_value = rewards.new_zeros(batch)
    for t in reversed(range(steps)):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        advantage_t = delta + gamma * lam * running_advantage
        # at padding both carries pass through unchanged, so the recursion links each real
        # token to the next real one
        is_real = real[:, t]
        running_advantage = torch.where(is_real, advantage_t, running_advantage)
        next_value = torch.where(is_real, values[:, t], next_value)
        advantages[:, t] = torch.where(is_real, advantage_t, torch.zeros_like(advantage_t))
    returns = torch.where(real, advantages + values, torch.zeros_like(values))
    return advantages, returns
