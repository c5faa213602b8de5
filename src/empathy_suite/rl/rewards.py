"""Per-token PPO rewards: a KL penalty on every token plus the sequence score on the last.

EmpRL eq. 8 (and Ziegler et al. 2019): ``r_t = -beta * KL_t`` for t < T and
``r_T = R - beta * KL_T`` where T is the last real response token.
"""

from __future__ import annotations

import torch
from torch import Tensor

from empathy_suite.rl._checks import check_2d, check_same_shape
from empathy_suite.rl.kl import per_token_kl


def last_token_index(mask: Tensor) -> Tensor:
    """Index of the last position where ``mask`` (B, T) is 1, shape (B,) int64.

    Works with left padding, right padding or both. Raises ValueError if a row has no real
    token, because such a row has nowhere to receive its score.
    """
    check_2d("last_token_index", "mask", mask)
    real = mask.bool()
    empty = ~real.any(dim=1)
    if bool(empty.any()):
        rows = empty.nonzero().flatten().tolist()
        raise ValueError(f"last_token_index: rows {rows} of the mask have no real token")
    positions = torch.arange(mask.shape[1], device=mask.device).expand_as(real)
    # padding gets -1 so that the max over the row is the last real position
    return torch.where(real, positions, torch.full_like(positions, -1)).max(dim=1).values


@torch.no_grad()
def shape_rewards(
    scores: Tensor,
    logprobs: Tensor,
    ref_logprobs: Tensor,
    mask: Tensor,
    kl_coef: float,
    estimator: str = "log_ratio",
) -> tuple[Tensor, Tensor]:
    """Per-token rewards and per-token KL, both (B, T) in the dtype of ``logprobs``.

    scores: (B,) sequence-level reward (e.g. the empathy classifier's R_emp).
    logprobs, ref_logprobs: (B, T) log-probs of the sampled response tokens.
    mask: (B, T) float/bool, 1 = real response token (left and/or right padding allowed).
    kl_coef: beta, the current value of the KL controller.

    ``rewards[b, t] = -kl_coef * kl[b, t]`` on real tokens, plus ``scores[b]`` at the last
    real token of row b; 0 at padding. ``kl`` is 0 at padding. Outputs carry no gradient:
    they are rollout targets.
    """
    check_2d("shape_rewards", "logprobs", logprobs)
    check_same_shape("shape_rewards", logprobs=logprobs, ref_logprobs=ref_logprobs, mask=mask)
    if scores.shape != (logprobs.shape[0],):
        raise ValueError(
            f"shape_rewards: scores must be (B,) = ({logprobs.shape[0]},), got shape {tuple(scores.shape)}"
        )
    kl = per_token_kl(logprobs, ref_logprobs, estimator=estimator, mask=mask)
    rewards = -kl_coef * kl
    last = last_token_index(mask)
    rows = torch.arange(rewards.shape[0], device=rewards.device)
    rewards[rows, last] += scores.to(rewards.dtype)
    return rewards, kl
