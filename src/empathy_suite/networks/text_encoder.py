"""A Hugging Face encoder with CLS or mean pooling, and the paper-sized BERT config."""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, PreTrainedModel

from empathy_suite.errors import ConfigError

POOLINGS = ("cls", "mean")


def bert_config(dim: int, layers: int, heads: int, ffn_dim: int, vocab_size: int, pad_token_id: int,
                overrides: dict | None = None) -> BertConfig:
    """A from-scratch BERT-architecture encoder; dropout 0 as in the paper (App. D.1)."""
    fields = {
        "hidden_size": dim, "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": ffn_dim,
        "vocab_size": vocab_size, "pad_token_id": pad_token_id, "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0, "max_position_embeddings": 512,
    }
    return BertConfig(**{**fields, **(overrides or {})})


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of the unpadded positions. hidden (B, T, D), mask (B, T) -> (B, D)."""
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class TextEncoder(nn.Module):
    """Encodes token ids into one vector per sequence with a Hugging Face encoder."""

    def __init__(self, pooling: str, model: PreTrainedModel):
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.pooling = pooling
        if getattr(model, "pooler", None) is not None:
            # BERT-style poolers are unused here; left in, DDP would fail on their missing grads
            model.pooler = None
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """input_ids, attention_mask (B, T) -> (B, D)."""
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return hidden[:, 0] if self.pooling == "cls" else mean_pool(hidden, attention_mask)
