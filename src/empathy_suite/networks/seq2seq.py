"""The paper-sized encoder-decoder Transformer config (BART architecture)."""

from __future__ import annotations

from transformers import BartConfig, PreTrainedTokenizerBase


def bart_config(dim: int, layers: int, heads: int, ffn_dim: int, tokenizer: PreTrainedTokenizerBase,
                overrides: dict | None = None) -> BartConfig:
    """A from-scratch encoder-decoder; the trained tokenizer's [CLS]/[SEP] are bos/eos and
    decoding starts from bos. Dropout 0 as in the paper (App. D.1)."""
    fields = {
        "d_model": dim, "encoder_layers": layers, "decoder_layers": layers, "encoder_attention_heads": heads,
        "decoder_attention_heads": heads, "encoder_ffn_dim": ffn_dim, "decoder_ffn_dim": ffn_dim,
        "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0, "max_position_embeddings": 512,
        "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id, "decoder_start_token_id": tokenizer.bos_token_id,
        "forced_eos_token_id": None, "forced_bos_token_id": None,
    }
    return BartConfig(**{**fields, **(overrides or {})})
