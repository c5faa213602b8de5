"""Per-token KL estimators between the policy and the frozen reference policy.

Both take the log-probs of the tokens the policy actually sampled, so they are Monte-Carlo
estimates of KL(policy || reference) (Schulman, "Approximating KL divergence", 2020):

- ``"log_ratio"`` (k1): ``logp - ref_logp``. Unbiased, can be negative per token. This is
  the estimator of Ziegler et al. 2019, the legacy TRL PPOTrainer and the EmpRL paper.
- ``"k3"``: ``(ratio - 1) - log(ratio)`` with ``ratio = exp(ref_logp - logp)``. Unbiased
  and never negative, with lower variance than k1 when the policies are close.
"""

from __future__ import annotations

import torch
from torch import Tensor

from empathy_suite.rl._checks import check_same_shape

KL_ESTIMATORS = ("log_ratio", "k3")


def per_token_kl(
    logprobs: Tensor, ref_logprobs: Tensor, estimator: str = "log_ratio", mask: Tensor | None = None
) -> Tensor:
    """Per-token KL estimate, shape (B, T).

    logprobs, ref_logprobs: (B, T) log-probs of the sampled tokens under the policy and the
    reference. mask: optional (B, T) float/bool, 1 = real response token; when given, padded
    positions are set to 0 (otherwise they hold whatever the padding log-probs produce).
    """
    check_same_shape("per_token_kl", logprobs=logprobs, ref_logprobs=ref_logprobs)
    log_ratio = logprobs - ref_logprobs
    if estimator == "log_ratio":
        kl = log_ratio
    elif estimator == "k3":
        # written with -log_ratio = log(ref/policy) rather than exp() then log() of it,
        # which would lose precision when the ratio is far from 1
        kl = torch.expm1(-log_ratio) + log_ratio
    else:
        raise ValueError(f"per_token_kl: unknown estimator {estimator!r}, expected one of {KL_ESTIMATORS}")
    if mask is not None:
        check_same_shape("per_token_kl", logprobs=logprobs, mask=mask)
        kl = torch.where(mask.bool(), kl, torch.zeros_like(kl))
    return kl
