"""EmpGAN's emotion vocabulary and each turn's sequence of emotion words.

EmpGAN (Dataset section) takes the NRC Emotion Lexicon words and adds "all adjectives
[of the training data] not included in NRC"; each dialogue turn then has its sequence of
emotion words: the turn's tokens that are in this vocabulary, in order. With
``only_seen=True`` (the default) lexicon words that never occur in the training data are
left out, which is what gives the paper's vocabulary size (6,385 words, 6,389 ids with
the specials) rather than all 6,468 NRC words plus adjectives.

The ids (<pad>=0, <unk>=1, <sos>=2, <eos>=3, then the words alphabetically) index the
emotion-word embedding and the next-utterance emotion-word decoder's output layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.lexicons.pos import ADJECTIVE_TAGS, NO_TAGGER_MESSAGE, adjectives, pos_tagger_available
from empathy_suite.text.vocab import SPECIALS, WordVocab, as_tokens

_KIND = "emotion_vocabulary"
_FORMAT_VERSION = 1


class EmotionVocabulary:
    """The emotion words (lower-cased) and their ids, specials first.

    ``len(vocab)`` is the number of ids (words + 4 specials), the embedding size;
    ``vocab.words`` is the word set and ``vocab.adjective_words`` the part of it that
    came from training-data adjectives rather than from the lexicon.
    """

    def __init__(self, words: Iterable[str], adjective_words: Iterable[str] = ()) -> None:
        self.ids = WordVocab.from_words(words)
        self.words: frozenset[str] = frozenset(self.ids.itos[len(SPECIALS) :])
        self.adjective_words: frozenset[str] = frozenset(w.lower() for w in adjective_words) & self.words

    @classmethod
    def build(
        cls,
        lexicon_words: Iterable[str],
        training_texts: Iterable[str | Sequence[str]] | None,
        add_adjectives: bool = True,
        only_seen: bool = True,
        adjective_tags: Iterable[str] = ADJECTIVE_TAGS,
    ) -> EmotionVocabulary:
        """Lexicon words (e.g. the keys of :func:`load_emotion_lexicon`) plus adjectives.

        ``training_texts`` are the training split's utterances, as strings (split with
        ``tokenize_words``) or token lists. ``add_adjectives`` adds every token the offline
        POS tagger tags as an adjective (JJ/JJR/JJS); it raises :class:`ConfigError` when no
        tagger is installed. ``only_seen`` keeps only lexicon words that occur in the
        training texts.
        """
        if add_adjectives and not pos_tagger_available():
            raise ConfigError(NO_TAGGER_MESSAGE)
        lexicon = {word.strip().lower() for word in lexicon_words if word.strip()}
        if training_texts is None:
            if add_adjectives or only_seen:
                raise ValueError("training_texts is needed with add_adjectives=True or only_seen=True")
            token_lists: list[list[str]] = []
        else:
            token_lists = [as_tokens(text) for text in training_texts]
        if only_seen:
            seen = {token for tokens in token_lists for token in tokens}
            lexicon &= seen
        added = adjectives(token_lists, adjective_tags) - lexicon if add_adjectives else set()
        if not lexicon and not added:
            raise ConfigError(
                "the emotion vocabulary is empty: no lexicon word occurs in the training texts"
                + (" and no adjective was found" if add_adjectives else "")
                + "; check the lexicon path and the training split"
            )
        return cls(lexicon | added, adjective_words=added)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self.words

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, EmotionVocabulary)
            and self.ids == other.ids
            and self.adjective_words == other.adjective_words
        )

    def __repr__(self) -> str:
        return f"EmotionVocabulary(words={len(self.words)}, from_adjectives={len(self.adjective_words)})"

    def emotion_words(self, tokens: str | Sequence[str]) -> list[str]:
        """The utterance's tokens that are emotion words, lower-cased, in order, repeats kept.

        A string is tokenized with ``tokenize_words`` first.
        """
        return [token for token in as_tokens(tokens) if token in self.words]

    def encode(
        self,
        tokens: str | Sequence[str],
        max_len: int | None = None,
        add_eos: bool = False,
        add_sos: bool = False,
        pad: bool = False,
    ) -> list[int]:
        """Ids of the utterance's emotion words (see :meth:`WordVocab.encode` for the options)."""
        return self.ids.encode(self.emotion_words(tokens), max_len=max_len, add_eos=add_eos, add_sos=add_sos, pad=pad)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Emotion words of ``ids``, up to the first <eos>, skipping <pad>/<sos>."""
        return self.ids.decode(ids)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for checkpoints and JSON."""
        return {
            "kind": _KIND,
            "version": _FORMAT_VERSION,
            "itos": list(self.ids.itos),
            "adjective_words": sorted(self.adjective_words),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmotionVocabulary:
        """Inverse of :meth:`to_dict`; a malformed dict raises :class:`DataFormatError`."""
        if not isinstance(data, Mapping) or data.get("kind") != _KIND:
            raise DataFormatError(f"not a saved EmotionVocabulary (expected kind={_KIND!r})")
        if data.get("version") != _FORMAT_VERSION:
            raise DataFormatError(
                f"saved EmotionVocabulary has version {data.get('version')!r}, expected {_FORMAT_VERSION}"
            )
        itos, adjective_words = data.get("itos"), data.get("adjective_words", [])
        if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos):
            raise DataFormatError("saved EmotionVocabulary has no 'itos' list of strings")
        if not isinstance(adjective_words, list) or not all(isinstance(w, str) for w in adjective_words):
            raise DataFormatError("saved EmotionVocabulary's 'adjective_words' is not a list of strings")
        try:
            ids = WordVocab(itos)
        except ValueError as error:
            raise DataFormatError(f"saved EmotionVocabulary is invalid: {error}") from error
        words = itos[len(SPECIALS) :]
        if any(word != word.lower() for word in words):
            raise DataFormatError("saved EmotionVocabulary has words that are not lower-cased")
        vocab = cls((), ())
        # the saved order defines the ids: keep it as it is
        vocab.ids, vocab.words = ids, frozenset(words)
        vocab.adjective_words = frozenset(adjective_words) & vocab.words
        return vocab
