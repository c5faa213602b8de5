"""Word-level vocabulary for the GRU models (HRED, Emo-S2S, EmpGAN, ...).

Built from the training split only. Ids are stable: the four specials come first
(<pad>=0, <unk>=1, <sos>=2, <eos>=3), then words by descending training frequency, ties
broken alphabetically, so the same data always gives the same vocabulary.
Utterances given as strings are split with :func:`tokenize_words`, the suite's one
tokenization, so vocabulary and metrics see the same tokens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.text.normalize import tokenize_words

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS: tuple[str, ...] = (PAD, UNK, SOS, EOS)
PAD_ID, UNK_ID, SOS_ID, EOS_ID = 0, 1, 2, 3

_KIND = "word_vocab"
_FORMAT_VERSION = 1


def as_tokens(utterance: str | Sequence[str], lowercase: bool = True) -> list[str]:
    """A string is tokenized with :func:`tokenize_words`; a token list is kept (lower-cased)."""
    if isinstance(utterance, str):
        return tokenize_words(utterance)
    return [token.lower() for token in utterance] if lowercase else list(utterance)


class WordVocab:
    """Token <-> id mapping with the specials <pad>=0, <unk>=1, <sos>=2, <eos>=3."""

    pad_id, unk_id, sos_id, eos_id = PAD_ID, UNK_ID, SOS_ID, EOS_ID

    def __init__(self, itos: Sequence[str], lowercase: bool = True) -> None:
        """``itos`` is the full id -> token list, starting with the four specials."""
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {list(SPECIALS)}, got {list(itos[:4])}")
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {}
        for index, token in enumerate(self.itos):
            if token in self.stoi:
                raise ValueError(f"token {token!r} appears twice in the vocabulary")
            self.stoi[token] = index
        self.lowercase = lowercase

    @classmethod
    def build(
        cls,
        utterances: Iterable[str | Sequence[str]],
        max_size: int | None = None,
        min_freq: int = 1,
        lowercase: bool = True,
    ) -> WordVocab:
        """Vocabulary of the training ``utterances`` (strings or token lists).

        ``max_size`` caps the total size *including* the 4 specials (``len(vocab) <=
        max_size``), so it can be set to a paper's reported vocabulary size; the most
        frequent words are kept. Words seen fewer than ``min_freq`` times are left out.
        """
        if max_size is not None and max_size < len(SPECIALS):
            raise ConfigError(f"max_size={max_size} leaves no room for the {len(SPECIALS)} special tokens")
        if min_freq < 1:
            raise ConfigError(f"min_freq must be >= 1, got {min_freq}")
        counts: Counter[str] = Counter()
        for utterance in utterances:
            counts.update(as_tokens(utterance, lowercase))
        for special in SPECIALS:
            counts.pop(special, None)
        words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max_size - len(SPECIALS)]
        return cls([*SPECIALS, *words], lowercase=lowercase)

    @classmethod
    def from_words(cls, words: Iterable[str], lowercase: bool = True) -> WordVocab:
        """Vocabulary of exactly ``words`` (sorted, deduplicated, specials excluded)."""
        normalized = {w.lower() if lowercase else w for w in words}
        return cls([*SPECIALS, *sorted(normalized - set(SPECIALS))], lowercase=lowercase)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self._norm(token) in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordVocab) and (self.itos, self.lowercase) == (other.itos, other.lowercase)

    def __repr__(self) -> str:
        return f"WordVocab(size={len(self)}, lowercase={self.lowercase})"

    def _norm(self, token: str) -> str:
        return token if not self.lowercase or token in SPECIALS else token.lower()

    def token_to_id(self, token: str) -> int:
        """The token's id, or ``unk_id`` for an unknown token."""
        return self.stoi.get(self._norm(token), UNK_ID)

    def id_to_token(self, index: int) -> str:
        index = int(index)
        if not 0 <= index < len(self.itos):
            raise IndexError(f"id {index} is outside the vocabulary (size {len(self.itos)})")
        return self.itos[index]

    def encode(
        self,
        tokens: str | Sequence[str],
        max_len: int | None = None,
        add_eos: bool = False,
        add_sos: bool = False,
        pad: bool = False,
    ) -> list[int]:
        """Ids of ``tokens`` (a string is tokenized first).

        With ``max_len`` the words are truncated so that the result, <sos>/<eos> included,
        has at most ``max_len`` ids; <eos> is always kept as the last id. ``pad`` right-pads
        with <pad> up to ``max_len``.
        """
        ids = [self.token_to_id(t) for t in as_tokens(tokens, self.lowercase)]
        if max_len is not None:
            room = max_len - int(add_sos) - int(add_eos)
            if room < 0:
                raise ValueError(f"max_len={max_len} is too short for the requested <sos>/<eos>")
            ids = ids[:room]
        ids = [SOS_ID] * int(add_sos) + ids + [EOS_ID] * int(add_eos)
        if pad:
            if max_len is None:
                raise ValueError("pad=True needs max_len")
            ids += [PAD_ID] * (max_len - len(ids))
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` up to the first <eos>; <pad> and <sos> are skipped.

        Accepts any iterable of ints, including a 1-D tensor.
        """
        tokens = []
        for index in ids:
            index = int(index)
            if index == EOS_ID:
                break
            if index in (PAD_ID, SOS_ID):
                continue
            tokens.append(self.id_to_token(index))
        return tokens

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for checkpoints (``on_save_checkpoint``) and JSON."""
        return {"kind": _KIND, "version": _FORMAT_VERSION, "lowercase": self.lowercase, "itos": list(self.itos)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordVocab:
        """Inverse of :meth:`to_dict`; a malformed dict raises :class:`DataFormatError`."""
        if not isinstance(data, Mapping) or data.get("kind") != _KIND:
            raise DataFormatError(f"not a saved WordVocab (expected kind={_KIND!r}): {_preview(data)}")
        if data.get("version") != _FORMAT_VERSION:
            raise DataFormatError(f"saved WordVocab has version {data.get('version')!r}, expected {_FORMAT_VERSION}")
        itos = data.get("itos")
        if not isinstance(itos, list) or not all(isinstance(t, str) for t in itos):
            raise DataFormatError("saved WordVocab has no 'itos' list of strings")
        try:
            return cls(itos, lowercase=bool(data.get("lowercase", True)))
        except ValueError as error:
            raise DataFormatError(f"saved WordVocab is invalid: {error}") from error


def _preview(data: object) -> str:
    text = repr(data)
    return text if len(text) <= 80 else text[:77] + "..."
