"""Log-probs of given tokens under a model's logits (policy, old policy and reference)."""

from __future__ import annotations

import torch
from torch import Tensor


def logprobs_from_logits(logits: Tensor, tokens: Tensor, temperature: float = 1.0) -> Tensor:
    """``log softmax(logits / temperature)[tokens]``: logits (B, T, V), tokens (B, T) -> (B, T).

    ``logits[:, t]`` must already be the distribution that produced ``tokens[:, t]``: for a
    decoder-only model (GPT-2) the caller shifts by one position, for T5 the decoder logits
    align with the labels as they are. ``temperature`` must equal the sampling temperature,
    or the PPO ratio compares two different distributions. Padded positions get the
    log-prob of whatever id fills them; mask them downstream. Computed in float32 at least,
    because a log-softmax in fp16/bf16 keeps only 3-4 significant digits.
    """
    if logits.ndim != 3 or tokens.shape != logits.shape[:2]:
        raise ValueError(
            f"logprobs_from_logits: expected logits (B, T, V) and tokens (B, T), "
            f"got {tuple(logits.shape)} and {tuple(tokens.shape)}"
        )
    if temperature <= 0:
        raise ValueError(f"logprobs_from_logits: temperature must be > 0, got {temperature}")
    dtype = torch.promote_types(logits.dtype, torch.float32)
    logp = torch.log_softmax(logits.to(dtype) / temperature, dim=-1)
    return logp.gather(-1, tokens.long().unsqueeze(-1)).squeeze(-1)
