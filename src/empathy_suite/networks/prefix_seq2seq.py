"""A seq2seq LM (T5 in EmpRL) with trainable prefixes on the encoder and the decoder side.

EmpRL prefix-tunes T5 with 40 prefix vectors on the input (encoder) side and 10 on the output
(decoder) side. The prefixes here are continuous vectors prepended to the token embeddings of
each side; every layer then attends to them. They are reparameterised as in Li & Liang
(2021): prefix = P + MLP(P), with the MLP's last layer zero-initialised so training starts
from P, itself initialised from the embeddings of random vocabulary tokens. With both
lengths 0 and ``freeze_model=False`` this is plain full fine-tuning (the paper's ablation).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import BaseModelOutput


class Prefix(nn.Module):
    """``length`` trainable vectors of width ``dim``."""

    def __init__(self, length: int, init: torch.Tensor, hidden: int) -> None:
        super().__init__()
        self.length = length
        self.base = nn.Parameter(init.detach().clone())
        self.mlp = nn.Sequential(nn.Linear(init.size(-1), hidden), nn.Tanh(), nn.Linear(hidden, init.size(-1)))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, batch_size: int) -> torch.Tensor:
        """-> (batch_size, length, dim)"""
        prefix = self.base + self.mlp(self.base)
        return prefix.unsqueeze(0).expand(batch_size, -1, -1)


class PrefixSeq2SeqLM(nn.Module):
    def __init__(
        self,
        model: nn.Module,
        encoder_prefix_length: int = 40,
        decoder_prefix_length: int = 10,
        reparam_hidden: int = 512,
        freeze_model: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if encoder_prefix_length < 0 or decoder_prefix_length < 0:
            raise ValueError("prefix lengths must be >= 0")
        self.model = model
        if freeze_model:
            self.model.requires_grad_(False)
        embeddings = model.get_input_embeddings().weight
        generator = torch.Generator().manual_seed(seed)

        def prefix(length: int) -> Prefix | None:
            if length == 0:
                return None
            ids = torch.randint(embeddings.size(0), (length,), generator=generator)
            return Prefix(length, embeddings[ids], reparam_hidden)

        self.encoder_prefix = prefix(encoder_prefix_length)
        self.decoder_prefix = prefix(decoder_prefix_length)
        self.start_token_id = model.config.decoder_start_token_id

    @property
    def decoder_prefix_length(self) -> int:
        return self.decoder_prefix.length if self.decoder_prefix is not None else 0

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model.get_input_embeddings()(ids)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[BaseModelOutput, torch.Tensor]:
        """input_ids, attention_mask (B, S) -> encoder output over (B, P_enc + S) and its mask."""
        embeds = self.embed(input_ids)
        if self.encoder_prefix is not None:
            prefix = self.encoder_prefix(input_ids.size(0)).to(embeds.dtype)
            embeds = torch.cat([prefix, embeds], dim=1)
            attention_mask = torch.cat([attention_mask.new_ones(prefix.shape[:2]), attention_mask], dim=1)
        encoded = self.model.get_encoder()(inputs_embeds=embeds, attention_mask=attention_mask)
        return encoded, attention_mask

    def decode(
        self,
        encoded: BaseModelOutput,
        encoder_mask: torch.Tensor,
        decoder_input_ids: torch.Tensor,
        cache=None,
        use_cache: bool = False,
    ):
        """Decoder step(s). decoder_input_ids (B, T) -> logits (B, T, V), last hidden (B, T, H),
        cache. Without a cache the decoder prefix goes in front; with one it is already in it."""
        kwargs = {}
        if cache is None and self.decoder_prefix is not None:
            embeds = self.embed(decoder_input_ids)
            prefix = self.decoder_prefix(decoder_input_ids.size(0)).to(embeds.dtype)
            kwargs["decoder_inputs_embeds"] = torch.cat([prefix, embeds], dim=1)
        else:
            kwargs["decoder_input_ids"] = decoder_input_ids
        out = self.model(
            encoder_outputs=encoded, attention_mask=encoder_mask, cache=cache,
            use_cache=use_cache, output_hidden_states=True, return_dict=True, **kwargs,
        )
        skip = self.decoder_prefix_length if cache is None else 0
        return out.logits[:, skip:], out.decoder_hidden_states[-1][:, skip:], out.cache

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor):
        """Teacher forcing on ``labels`` (B, T) (pad = any id; positions are the caller's to mask).
        -> logits (B, T, V) predicting labels[:, t], decoder hidden states (B, T, H)."""
        encoded, encoder_mask = self.encode(input_ids, attention_mask)
        logits, hidden, _ = self.decode(encoded, encoder_mask, self.shift_right(labels))
        return logits, hidden

    def shift_right(self, labels: torch.Tensor) -> torch.Tensor:
        start = labels.new_full((labels.size(0), 1), self.start_token_id)
        return torch.cat([start, labels[:, :-1]], dim=1)
