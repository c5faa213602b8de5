"""EmpRL's empathy reward (Ma et al., Sec. III-E, eqs. 2-5).

    l_i     = argmax EmpathyIdentifier_i(c, y)        gold level of the target response     (5)
    l̂_i     = EmpathyIdentifier_i(c, ŷ)               logits on the generated response      (4)
    L_emp   = sum_i CrossEntropy(l̂_i, l_i)            summed over the M mechanisms          (3)
    R_emp   = exp(-L_emp)                                                                   (2)

The paper calls both l_i and l̂_i "levels" but takes a cross-entropy between them, so l̂_i
must be the identifier's logits on the generated response (the prediction) and l_i the hard
level on the target (the gold label). Since each CE >= 0, R_emp lies in (0, 1] and is 1 only
when every identifier puts probability 1 on its gold level; it is exp(-CE_1) * ... * exp(-CE_M),
the product of the probabilities the identifiers give the gold levels.

All tensors follow ``EmpathyIdentifiers.forward``: mechanisms first, (M, B, C) logits and
(M, B) levels. The functions are differentiable in the generated logits; a PPO reward is
normally computed under ``torch.no_grad()``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def gold_levels_from_logits(gold_logits: Tensor) -> Tensor:
    """Eq. 5: identifier logits on (context, target) (M, B, C) -> gold levels (M, B) long."""
    if gold_logits.ndim != 3 or not gold_logits.is_floating_point():
        raise ValueError(f"gold_levels_from_logits: expected float logits (M, B, C), got {tuple(gold_logits.shape)}")
    return gold_logits.argmax(dim=-1)


def empathy_level_loss(generated_logits: Tensor, gold: Tensor) -> Tensor:
    """Eq. 3: sum over mechanisms of CE(generated logits, gold level), per example.

    generated_logits (M, B, C): identifier logits on (context, generated response).
    gold: levels (M, B) int, or identifier logits on (context, target response) (M, B, C)
    float, turned into levels by argmax (eq. 5) -- never used as soft targets.
    Returns (B,) float32, >= 0. The CE is taken in float32: under fp16/bf16 autocast small
    losses, hence rewards near 1, would lose most of their digits.
    """
    if generated_logits.ndim != 3 or not generated_logits.is_floating_point():
        raise ValueError(f"empathy_level_loss: expected float logits (M, B, C), got {tuple(generated_logits.shape)}")
    if gold.ndim == 3 and gold.is_floating_point():
        gold = gold_levels_from_logits(gold)
    if gold.is_floating_point() or gold.shape != generated_logits.shape[:2]:
        raise ValueError(
            f"empathy_level_loss: expected gold levels {tuple(generated_logits.shape[:2])} int or gold logits "
            f"{tuple(generated_logits.shape)} float, got {tuple(gold.shape)} {gold.dtype}"
        )
    num_mechanisms, batch, levels = generated_logits.shape
    per_mechanism = F.cross_entropy(generated_logits.float().reshape(-1, levels), gold.reshape(-1).long(),
                                    reduction="none")
    return per_mechanism.reshape(num_mechanisms, batch).sum(dim=0)


def empathy_reward(generated_logits: Tensor, gold: Tensor) -> Tensor:
    """Eq. 2: exp(-empathy_level_loss) -> (B,) float32 in (0, 1]; arguments as in ``empathy_level_loss``.

    Mathematically never 0; in float32 it underflows to 0 once the summed CE exceeds ~103.
    """
    return torch.exp(-empathy_level_loss(generated_logits, gold))
