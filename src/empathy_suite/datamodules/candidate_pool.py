"""Reply pools for retrieval inference: ED training responses plus utterance files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import DataFormatError

DAILYDIALOG_TURN_SEPARATOR = "__eou__"


def read_utterance_file(path: str | Path) -> list[str]:
    """One utterance per line, or DailyDialog's one dialogue per line split on ``__eou__``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"candidate pool file '{path}' not found (expected one utterance per line)")
    utterances = [
        turn.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        for turn in line.split(DAILYDIALOG_TURN_SEPARATOR)
        if turn.strip()
    ]
    if not utterances:
        raise DataFormatError(f"candidate pool file '{path}' is empty (expected one utterance per line)")
    return utterances


def build_pool(
    train_examples: Sequence[DialogueExample] | None, files: Iterable[str], max_size: int | None = None
) -> list[str]:
    """Unique candidates in first-seen order: training responses first, then each file's."""
    texts = [example.response for example in train_examples or ()]
    for path in files:
        texts.extend(read_utterance_file(path))
    pool = list(dict.fromkeys(texts))
    if not pool:
        raise DataFormatError("the retrieval candidate pool is empty: enable the training responses or add files")
    return pool[:max_size] if max_size else pool
