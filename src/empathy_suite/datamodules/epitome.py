"""EPITOME Mental Health Subreddits empathy data (Sharma et al. 2020) for empathy identifiers.

The release has one quoted CSV per communication mechanism, each with the header
``sp_id,rp_id,seeker_post,response_post,level,rationales``:

* ``emotional-reactions-reddit.csv`` (ER), ``interpretations-reddit.csv`` (IP),
  ``explorations-reddit.csv`` (EX); ``level`` is 0/1/2 = no/weak/strong communication.

The three files annotate the same (seeker post, response post) pairs, so we join them per
(sp_id, rp_id) into one :class:`DialogueExample` with ``extra["levels"]`` = {"ER", "IP", "EX"}
and ``extra["rationales"]`` (the ``|``-separated evidence spans, per mechanism).

Irregularities of the release, handled and counted in :class:`EpitomeReport`:

* a key annotated twice in a file: the first row is kept; when the copies disagree on the
  level, the first row's level is kept and the key is counted as a level conflict;
* a key absent from one of the files: dropped;
* texts that differ across files for the same key: when only whitespace differs (the ER file
  collapses repeated spaces) the example is kept with the most common variant; otherwise it is
  dropped (the ER file has the words "reddit"/"subreddit" removed from some posts).

The paper publishes no split, so the joined examples are split here: the keys are sorted,
shuffled with ``random.Random(split_seed)`` and cut into test / valid / train. With the default
``test_fraction=0.0`` there is no held-out test set and the "test" split is the valid split.
"""

from __future__ import annotations

import csv
import logging
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from empathy_suite.datamodules.dialogue_datamodule import DialogueDataModule, missing_data_error, missing_files
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError, DataFormatError

log = logging.getLogger(__name__)

EPITOME_URL = "https://github.com/behavioral-data/Empathy-Mental-Health"
MECHANISMS = ("ER", "IP", "EX")
EPITOME_FILES = {
    "ER": "emotional-reactions-reddit.csv",
    "IP": "interpretations-reddit.csv",
    "EX": "explorations-reddit.csv",
}
EPITOME_COLUMNS = ("sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales")
REQUIRED_COLUMNS = EPITOME_COLUMNS[:5]  # ``rationales`` is optional
LEVELS = (0, 1, 2)
SAMPLE_DIR = Path(str(resources.files("empathy_suite.datamodules") / "samples" / "epitome_reddit"))
MAX_EXAMPLE_IDS = 5  # ids listed per issue in the report

Key = tuple[str, str]


@dataclass(frozen=True)
class EpitomeRow:
    sp_id: str
    rp_id: str
    seeker_post: str
    response_post: str
    level: int
    rationales: str
    line: int  # 1-based line where the record starts, for messages

    @property
    def key(self) -> Key:
        return (self.sp_id, self.rp_id)


@dataclass
class EpitomeReport:
    """What the join read, dropped and resolved. Per-mechanism counts are keyed "ER"/"IP"/"EX"."""

    rows: dict[str, int] = field(default_factory=dict)  # data rows read per file
    unique_keys: dict[str, int] = field(default_factory=dict)  # distinct (sp_id, rp_id) per file
    duplicate_rows: dict[str, int] = field(default_factory=dict)  # repeated rows skipped (first kept)
    duplicate_level_conflicts: dict[str, int] = field(default_factory=dict)  # keys whose copies disagree
    missing_keys: dict[str, int] = field(default_factory=dict)  # keys absent from this file, found elsewhere
    dropped_missing: int = 0  # keys dropped because at least one file lacks them
    whitespace_only_text_differences: int = 0  # keys kept: texts differ only in whitespace
    dropped_text_mismatch: int = 0  # keys dropped: seeker/response texts differ across files
    joined: int = 0  # examples after the join
    split_sizes: dict[str, int] = field(default_factory=dict)
    level_counts: dict[str, dict[int, int]] = field(default_factory=dict)  # over the joined examples
    example_ids: dict[str, list[str]] = field(default_factory=dict)  # a few "sp_id/rp_id" per issue

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        def per(counts: dict[str, int]) -> str:
            return ", ".join(f"{m} {counts.get(m, 0)}" for m in MECHANISMS)

        levels = "; ".join(
            f"{m} " + "/".join(str(self.level_counts.get(m, {}).get(v, 0)) for v in LEVELS) for m in MECHANISMS
        )
        return (
            f"EPITOME: {self.joined} joined examples (rows per file: {per(self.rows)}); "
            f"split {', '.join(f'{k} {v}' for k, v in self.split_sizes.items())}; "
            f"levels 0/1/2: {levels}"
        )

    def issues(self) -> list[str]:
        """One line per kind of irregularity found, with a few example ids."""

        def ids(name: str) -> str:
            return f" (e.g. {', '.join(self.example_ids[name])})" if self.example_ids.get(name) else ""

        lines = []
        if any(self.duplicate_rows.values()):
            lines.append(
                f"skipped {sum(self.duplicate_rows.values())} repeated rows (kept the first of each key; "
                f"per file: {', '.join(f'{m} {n}' for m, n in self.duplicate_rows.items())}){ids('duplicate')}"
            )
        if any(self.duplicate_level_conflicts.values()):
            lines.append(
                "keys annotated twice with different levels, first row's level kept: "
                f"{', '.join(f'{m} {n}' for m, n in self.duplicate_level_conflicts.items())}"
                f"{ids('duplicate_level_conflict')}"
            )
        if self.dropped_missing:
            lines.append(
                f"dropped {self.dropped_missing} keys missing from a file (per file: "
                f"{', '.join(f'{m} {n}' for m, n in self.missing_keys.items())}){ids('missing')}"
            )
        if self.dropped_text_mismatch:
            lines.append(
                f"dropped {self.dropped_text_mismatch} keys whose seeker/response texts differ across files"
                f"{ids('text_mismatch')}"
            )
        if self.whitespace_only_text_differences:
            lines.append(
                f"kept {self.whitespace_only_text_differences} keys whose texts differ across files only in "
                f"whitespace (used the most common variant){ids('whitespace_only')}"
            )
        return lines


def _normalize(text: str) -> str:
    return " ".join(text.split())


def read_epitome_csv(path: str | Path) -> list[EpitomeRow]:
    """Parse one mechanism file; every problem names the file and its 1-based line."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    expected = ",".join(EPITOME_COLUMNS)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(name.strip() for name in header):
                raise DataFormatError(f"{path}: file is empty; expected the header line '{expected}'")
            header = [name.strip() for name in header]
            missing = [name for name in REQUIRED_COLUMNS if name not in header]
            if missing:
                raise DataFormatError(
                    f"{path} line 1: missing column(s) {', '.join(missing)}; expected header '{expected}'"
                )
            col = {name: header.index(name) for name in EPITOME_COLUMNS if name in header}
            rows = []
            start = reader.line_num + 1
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not fields or not any(f.strip() for f in fields):
                    continue
                rows.append(_parse_row(path, line, fields, header, col))
    except csv.Error as error:
        raise DataFormatError(f"{path} line {reader.line_num}: not valid CSV ({error})") from None
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: not UTF-8 text ({error})") from None
    if not rows:
        raise DataFormatError(f"{path}: no data rows after the header")
    return rows


def _parse_row(path: Path, line: int, fields: list[str], header: list[str], col: dict[str, int]) -> EpitomeRow:
    where = f"{path} line {line}"
    if len(fields) != len(header):
        raise DataFormatError(
            f"{where}: expected {len(header)} comma-separated fields, found {len(fields)} "
            "(text containing commas or quotes must be quoted)"
        )
    values = {name: fields[index] for name, index in col.items()}
    for name in ("sp_id", "rp_id"):
        if not values[name].strip():
            raise DataFormatError(f"{where}: empty {name}; every row needs a seeker post id and a response id")
    for name in ("seeker_post", "response_post"):
        if not values[name].strip():
            raise DataFormatError(f"{where}: empty {name}")
    level = values["level"].strip()
    if level not in {str(v) for v in LEVELS}:
        raise DataFormatError(f"{where}: level must be an integer 0, 1 or 2 (no/weak/strong), got {level!r}")
    return EpitomeRow(
        sp_id=values["sp_id"].strip(),
        rp_id=values["rp_id"].strip(),
        seeker_post=values["seeker_post"].strip(),
        response_post=values["response_post"].strip(),
        level=int(level),
        rationales=values.get("rationales", "").strip(),
        line=line,
    )


def _note(report: EpitomeReport, issue: str, key: Key) -> None:
    ids = report.example_ids.setdefault(issue, [])
    if len(ids) < MAX_EXAMPLE_IDS and "/".join(key) not in ids:
        ids.append("/".join(key))


def _first_rows(mechanism: str, rows: list[EpitomeRow], report: EpitomeReport) -> dict[Key, EpitomeRow]:
    """Index one file by key, keeping the first row of each key."""
    first: dict[Key, EpitomeRow] = {}
    conflicts: set[Key] = set()
    for row in rows:
        kept = first.setdefault(row.key, row)
        if kept is row:
            continue
        report.duplicate_rows[mechanism] += 1
        _note(report, "duplicate", row.key)
        if row.level != kept.level and row.key not in conflicts:
            conflicts.add(row.key)
            _note(report, "duplicate_level_conflict", row.key)
    report.duplicate_level_conflicts[mechanism] = len(conflicts)
    return first


def _agreed_text(variants: list[str]) -> str | None:
    """The common text of the files, or None when they differ beyond whitespace."""
    if len({_normalize(v) for v in variants}) > 1:
        return None
    counts = Counter(variants)
    return max(variants, key=lambda v: counts[v])  # most common; ties go to the earliest file


def join_epitome(
    rows_by_mechanism: dict[str, list[EpitomeRow]], report: EpitomeReport
) -> dict[Key, DialogueExample]:
    """Join the per-mechanism rows into one example per key, filling ``report``."""
    indexed = {}
    for m in MECHANISMS:
        report.rows[m] = len(rows_by_mechanism[m])
        report.duplicate_rows[m] = 0
        indexed[m] = _first_rows(m, rows_by_mechanism[m], report)
        report.unique_keys[m] = len(indexed[m])
    all_keys = set().union(*(set(index) for index in indexed.values()))
    report.level_counts = {m: {v: 0 for v in LEVELS} for m in MECHANISMS}
    joined: dict[Key, DialogueExample] = {}
    for key in sorted(all_keys):
        absent = [m for m in MECHANISMS if key not in indexed[m]]
        if absent:
            for m in absent:
                report.missing_keys[m] = report.missing_keys.get(m, 0) + 1
            report.dropped_missing += 1
            _note(report, "missing", key)
            continue
        rows = [indexed[m][key] for m in MECHANISMS]
        seeker = _agreed_text([r.seeker_post for r in rows])
        response = _agreed_text([r.response_post for r in rows])
        if seeker is None or response is None:
            report.dropped_text_mismatch += 1
            _note(report, "text_mismatch", key)
            continue
        if len({r.seeker_post for r in rows}) > 1 or len({r.response_post for r in rows}) > 1:
            report.whitespace_only_text_differences += 1
            _note(report, "whitespace_only", key)
        levels = {m: r.level for m, r in zip(MECHANISMS, rows)}
        for m, level in levels.items():
            report.level_counts[m][level] += 1
        joined[key] = DialogueExample(
            context=(seeker,),
            response=response,
            dialogue_id="/".join(key),
            context_speakers=("seeker",),
            response_speaker="responder",
            extra={"levels": levels, "rationales": {m: r.rationales for m, r in zip(MECHANISMS, rows)}},
        )
    report.missing_keys = {m: report.missing_keys.get(m, 0) for m in MECHANISMS}
    report.joined = len(joined)
    return joined


def split_keys(
    keys, valid_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[Key]]:
    """Seeded split independent of the files' row order: sort, shuffle, cut test | valid | train."""
    order = sorted(keys)
    random.Random(seed).shuffle(order)
    n = len(order)
    n_test = round(n * test_fraction) if test_fraction > 0 else 0
    n_valid = max(1, round(n * valid_fraction))
    if n - n_test - n_valid < 1 or (test_fraction > 0 and n_test < 1):
        raise DataFormatError(
            f"EPITOME: {n} joined examples are too few for valid_fraction={valid_fraction}, "
            f"test_fraction={test_fraction}"
        )
    test, valid, train = order[:n_test], order[n_test:n_test + n_valid], order[n_test + n_valid:]
    return {"train": train, "valid": valid, "test": test if n_test else valid}


class EpitomeDataModule(DialogueDataModule):
    """(seeker post -> response post) examples labelled with ER / IP / EX empathy levels.

    Each example has ``context=(seeker_post,)``, ``response=response_post``,
    ``dialogue_id="sp_id/rp_id"`` and ``extra={"levels": {"ER": 0|1|2, "IP": ..., "EX": ...},
    "rationales": {"ER": "span|span|", ...}}``; mechanisms are ordered as :data:`MECHANISMS`.

    Args:
        data_dir: folder holding the three official CSVs; ``None`` uses the bundled sample
            (invented texts in the official format).
        valid_fraction: share of the joined examples held out for validation (default 0.2: a
            seeded 80/20 train/validation split).
        test_fraction: share held out as a separate test set, cut before the validation set.
            With the default 0.0 the "test" split *is* the validation split.
        split_seed: seed of the split; the split depends only on the set of keys and the seed,
            never on the files' row order.

    After loading, :attr:`report` (an :class:`EpitomeReport`) holds the counts of repeated,
    conflicting, missing and dropped rows; they are also logged once.
    """

    def __init__(
        self,
        data_dir: str | None = None,
        valid_fraction: float = 0.2,
        test_fraction: float = 0.0,
        split_seed: int = 42,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        collate_fn=None,
    ):
        super().__init__(batch_size, eval_batch_size, num_workers, collate_fn)
        if not 0.0 < valid_fraction < 1.0:
            raise ConfigError(f"data.valid_fraction must be in (0, 1), got {valid_fraction}")
        if not 0.0 <= test_fraction < 1.0:
            raise ConfigError(f"data.test_fraction must be in [0, 1), got {test_fraction}")
        if valid_fraction + test_fraction >= 1.0:
            raise ConfigError(
                f"data.valid_fraction + data.test_fraction must be < 1, got {valid_fraction} + {test_fraction}"
            )
        self.data_dir = Path(data_dir).expanduser() if data_dir else SAMPLE_DIR
        self.valid_fraction = valid_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self._report: EpitomeReport | None = None
        self._splits: dict[str, list[DialogueExample]] | None = None

    def _missing_files(self) -> list[str]:
        return missing_files(self.data_dir, EPITOME_FILES.values())

    def _missing_error(self) -> DataFormatError:
        return missing_data_error("EPITOME", self.data_dir, list(EPITOME_FILES.values()),
                                  f"the official release {EPITOME_URL}")

    def prepare_data(self) -> None:
        if self._missing_files():
            raise self._missing_error()

    @property
    def report(self) -> EpitomeReport:
        """Counts of the join (reads the files on first access)."""
        self._load()
        return self._report

    def _load(self) -> dict[str, list[DialogueExample]]:
        if self._splits is not None:
            return self._splits
        if self._missing_files():
            raise self._missing_error()
        rows = {m: read_epitome_csv(self.data_dir / name) for m, name in EPITOME_FILES.items()}
        report = EpitomeReport()
        joined = join_epitome(rows, report)
        if not joined:
            raise DataFormatError(
                f"{self.data_dir}: no (sp_id, rp_id) pair is present with the same texts in all of "
                f"{', '.join(EPITOME_FILES.values())}"
            )
        keys = split_keys(joined, self.valid_fraction, self.test_fraction, self.split_seed)
        splits = {split: [joined[k] for k in split_key_list] for split, split_key_list in keys.items()}
        report.split_sizes = {split: len(examples) for split, examples in splits.items()}
        self._report, self._splits = report, splits
        _log_report(report)
        return splits

    def load_split(self, split: str) -> list[DialogueExample]:
        return self._load()[split]


@rank_zero_only
def _log_report(report: EpitomeReport) -> None:
    rank_zero_info(report.summary())
    for line in report.issues():
        log.warning("EPITOME: %s", line)
