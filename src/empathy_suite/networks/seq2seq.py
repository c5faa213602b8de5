"""From-scratch encoder-decoder configs: the ED baseline (BART architecture) and T5."""

from __future__ import annotations

from transformers import BartConfig, PreTrainedTokenizerBase, T5Config


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


def t5_config(dim: int, layers: int, heads: int, ffn_dim: int, tokenizer: PreTrainedTokenizerBase,
              overrides: dict | None = None) -> T5Config:
    """A from-scratch T5 (EmpRL's generator architecture) sized by the suite's four numbers;
    decoding starts from the trained tokenizer's bos ([CLS]), as in ``bart_config``."""
    fields = {
        "d_model": dim, "d_kv": dim // heads, "num_heads": heads, "num_layers": layers, "d_ff": ffn_dim,
        "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id,
        "decoder_start_token_id": tokenizer.bos_token_id,
    }
    return T5Config(**{**fields, **(overrides or {})})
