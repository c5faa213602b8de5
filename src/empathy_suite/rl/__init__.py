"""Shared PPO core for the RL modules: KL, reward shaping, GAE, whitening, losses, rollouts.

Per-token tensors are (B, T) over the response tokens, with a float/bool mask (B, T) in
which 1 marks a real response token; padding may be on either side.
"""

from empathy_suite.rl.gae import gae
from empathy_suite.rl.kl import KL_ESTIMATORS, per_token_kl
from empathy_suite.rl.kl_controller import AdaptiveKLController, FixedKLController
from empathy_suite.rl.logprobs import logprobs_from_logits
from empathy_suite.rl.losses import clipped_policy_loss, clipped_value_loss, entropy_from_logits, token_entropy
from empathy_suite.rl.rewards import last_token_index, shape_rewards
from empathy_suite.rl.rollout import Rollout
from empathy_suite.rl.whiten import masked_mean, masked_var, masked_whiten

__all__ = [
    "KL_ESTIMATORS",
    "AdaptiveKLController",
    "FixedKLController",
    "Rollout",
    "clipped_policy_loss",
    "clipped_value_loss",
    "entropy_from_logits",
    "gae",
    "last_token_index",
    "logprobs_from_logits",
    "masked_mean",
    "masked_var",
    "masked_whiten",
    "per_token_kl",
    "shape_rewards",
    "token_entropy",
]
