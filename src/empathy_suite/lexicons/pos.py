"""Offline English part-of-speech tagging, for EmpGAN's "adjectives of the training data".

nltk's ``pos_tag`` needs the ``averaged_perceptron_tagger_eng`` data, which cannot be
downloaded here, and spaCy's English models are not on PyPI. TextBlob (a dependency of
``nrclex``) ships the Brill-style tagger of the Pattern library with its lexicon and rules
inside the wheel (``textblob/en/en-*.txt``, about 2.6 MB), so it tags fully offline.
It emits Penn Treebank tags; adjectives are JJ, JJR and JJS.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from functools import lru_cache

from empathy_suite.errors import ConfigError

ADJECTIVE_TAGS = frozenset({"JJ", "JJR", "JJS"})
NO_TAGGER_MESSAGE = (
    "adding training-data adjectives needs a part-of-speech tagger, and no offline POS tagger "
    "is installed; install textblob (`pip install textblob`, also pulled in by nrclex) "
    "or set add_adjectives: false"
)


def pos_tagger_available() -> bool:
    return importlib.util.find_spec("textblob") is not None


@lru_cache(maxsize=1)
def _parser():
    if not pos_tagger_available():
        raise ConfigError(NO_TAGGER_MESSAGE)
    from textblob.en import parser  # loads no nltk data; its lexicon loads on first use

    return parser


def pos_tag(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """Penn Treebank tags of one sentence's ``tokens``, e.g. ``[("happy", "JJ"), ...]``.

    Tokens are tagged as given; context rules look at neighbours, so pass whole sentences
    (utterances), not bags of words.
    """
    tokens = [token for token in tokens if token]
    if not tokens:
        return []
    return [(word, tag) for word, tag in _parser().find_tags(tokens)]


def adjectives(
    tokens_per_sentence: Iterable[Sequence[str]], tags: Iterable[str] = ADJECTIVE_TAGS
) -> set[str]:
    """Tokens tagged as adjectives anywhere in the given sentences.

    Sentences are lower-cased before tagging, as the suite's tokens are (the tagger would
    call a capitalised unknown word a proper noun). Only tokens containing a letter count
    (the tagger calls some numbers and symbols JJ). Identical sentences are tagged once.
    """
    wanted = frozenset(tags)
    found: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    for tokens in tokens_per_sentence:
        key = tuple(token.lower() for token in tokens)
        if key in seen:
            continue
        seen.add(key)
        for word, tag in pos_tag(key):
            if tag in wanted and any(ch.isalpha() for ch in word):
                found.add(word)
    return found
