"""Reader for the official EmpatheticDialogues CSV release (train.csv / valid.csv / test.csv).

The official loader splits every line on ',' (the files are not quoted CSV: commas inside
text are written ``_comma_``), so we do the same and check each line's field count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from empathy_suite.errors import DataFormatError

ED_COLUMNS = ("conv_id", "utterance_idx", "context", "prompt", "speaker_idx", "utterance", "selfeval", "tags")
REQUIRED_COLUMNS = ("conv_id", "utterance_idx", "context", "prompt", "utterance")


@dataclass(frozen=True)
class EDRow:
    conv_id: str
    utterance_idx: int
    emotion: str  # the ``context`` column: one of the 32 emotion labels
    situation: str  # the ``prompt`` column
    speaker_idx: str
    utterance: str
    line: int  # 1-based line number in the file, for error messages


def unescape(text: str) -> str:
    return text.replace("_comma_", ",").strip()


def read_ed_csv(path: str | Path) -> list[EDRow]:
    """Parse one ED split file; every problem names the file and its 1-based line."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].strip():
        raise DataFormatError(f"{path}: file is empty; expected the header line '{','.join(ED_COLUMNS)}'")
    header = [name.strip() for name in lines[0].split(",")]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise DataFormatError(
            f"{path} line 1: missing column(s) {', '.join(missing)}; expected header '{','.join(ED_COLUMNS)}'"
        )
    col = {name: header.index(name) for name in header}
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != len(header):
            raise DataFormatError(
                f"{path} line {number}: expected {len(header)} comma-separated fields, found {len(fields)} "
                "(commas inside text must be written _comma_)"
            )
        try:
            utterance_idx = int(fields[col["utterance_idx"]])
        except ValueError:
            raise DataFormatError(
                f"{path} line {number}: field utterance_idx must be an integer, got {fields[col['utterance_idx']]!r}"
            ) from None
        rows.append(
            EDRow(
                conv_id=fields[col["conv_id"]],
                utterance_idx=utterance_idx,
                emotion=fields[col["context"]].strip(),
                situation=unescape(fields[col["prompt"]]),
                speaker_idx=fields[col["speaker_idx"]] if "speaker_idx" in col else "",
                utterance=unescape(fields[col["utterance"]]),
                line=number,
            )
        )
    if not rows:
        raise DataFormatError(f"{path}: no data rows after the header")
    return rows


def group_conversations(rows: list[EDRow]) -> list[list[EDRow]]:
    """Consecutive rows sharing a conv_id form one conversation, as in the official loader."""
    conversations: list[list[EDRow]] = []
    for row in rows:
        if conversations and conversations[-1][0].conv_id == row.conv_id:
            conversations[-1].append(row)
        else:
            conversations.append([row])
    return conversations
