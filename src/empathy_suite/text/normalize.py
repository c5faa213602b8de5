"""The one word tokenization every text metric uses by default.

Lower-casing first makes BLEU and Distinct case-insensitive, as in the ParlAI evaluations
the suite reproduces. ``TreebankWordTokenizer`` is rule-based: unlike ``word_tokenize`` it
needs no downloaded nltk data (punkt), so it works offline.
"""

from __future__ import annotations

from nltk.tokenize import TreebankWordTokenizer

_TREEBANK = TreebankWordTokenizer()


def tokenize_words(text: str) -> list[str]:
    """``text`` lower-cased and split into Penn Treebank tokens ("can't" -> "ca", "n't")."""
    return _TREEBANK.tokenize(text.lower())
