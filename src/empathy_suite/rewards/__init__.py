"""Reward functions for RL fine-tuning of response generators (EmpRL's empathy reward)."""

from empathy_suite.rewards.empathy_reward import empathy_level_loss, empathy_reward, gold_levels_from_logits

__all__ = ["empathy_level_loss", "empathy_reward", "gold_levels_from_logits"]
