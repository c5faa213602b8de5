"""Tokenizer construction: a pretrained one by name/path, or a WordPiece trained on the data.

Random-init models get a tokenizer trained on the training split; its JSON travels inside
each checkpoint so ``test --ckpt_path`` and ``load_from_checkpoint`` rebuild the same one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

SPECIAL_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}


def train_wordpiece(texts: Iterable[str], vocab_size: int, extra_tokens: Iterable[str] = ()) -> Tokenizer:
    """A lower-cased BERT-style WordPiece tokenizer; ``[PAD]`` gets id 0."""
    tokenizer = Tokenizer(models.WordPiece(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=[*SPECIAL_TOKENS.values(), *extra_tokens], show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls, sep = SPECIAL_TOKENS["cls_token"], SPECIAL_TOKENS["sep_token"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", special_tokens=[(cls, tokenizer.token_to_id(cls)), (sep, tokenizer.token_to_id(sep))]
    )
    return tokenizer


def wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    # [CLS]/[SEP] double as bos/eos so seq2seq models built from this tokenizer have both.
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=SPECIAL_TOKENS["cls_token"], eos_token=SPECIAL_TOKENS["sep_token"], **SPECIAL_TOKENS
    )


def from_json(text: str) -> PreTrainedTokenizerFast:
    return wrap(Tokenizer.from_str(text))


def load_pretrained(name_or_path: str) -> PreTrainedTokenizerBase:
    """``AutoTokenizer.from_pretrained``; offline runs need a local path or a cached name."""
    return AutoTokenizer.from_pretrained(name_or_path)


def save(tokenizer: PreTrainedTokenizerBase, directory: str | Path) -> None:
    tokenizer.save_pretrained(str(directory))
