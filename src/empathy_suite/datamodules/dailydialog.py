"""DailyDialog (Li et al. 2017) in its official release layout, for EmpGAN and its baselines.

Release layout (``ijcnlp_dailydialog/``, unzipped or not)::

    train/dialogues_train.txt            one dialogue per line, utterances ended by ``__eou__``
    train/dialogues_emotion_train.txt    one emotion id per utterance (space-separated)
    train/dialogues_act_train.txt        one dialogue-act id per utterance
    validation/...  test/...             the same, named ``_validation`` / ``_test``
    dialogues_text.txt, dialogues_topic.txt, ...   optional full corpus (13,118 lines)

``data_dir`` may be that folder, a folder holding only the inner ``train.zip`` /
``validation.zip`` / ``test.zip``, a folder holding ``ijcnlp_dailydialog/`` or
``ijcnlp_dailydialog.zip``, or the path of ``ijcnlp_dailydialog.zip`` itself. Zip archives
(also zips inside the archive) are read in memory with :mod:`zipfile`, never extracted.
Messages name a file inside an archive as ``archive.zip!member``.

Emotion ids index :data:`EMOTIONS` (0 = no emotion, named ``"neutral"`` as in the paper);
acts are :data:`ACTS`, topics :data:`TOPICS`.

Topics. The split files are shuffled relative to the full corpus, so a split dialogue's
topic is found (1) in a per-split ``<folder>/dialogues_topic_<folder>.txt`` (one id per
line; *not* part of the official release -- the suite's own naming, used by the bundled
sample), else (2) by looking the dialogue's text up in the root ``dialogues_text.txt``
(first occurrence) and reading the same line of ``dialogues_topic.txt``; else it is None.

Text is kept as released (pre-tokenised, glitches such as ``far.Can`` included): each
utterance is only stripped and its whitespace collapsed.

Examples (:func:`dialogue_examples`): the utterances alternate speakers "A" (index 0, 2,
...) and "B"; every utterance k >= 1 is a response to the utterances before it, with the
next utterance as ``feedback`` (EmpGAN's user feedback, U_{M+2}). ``turn`` is 1-based
(k + 1), so "agent" turns (speaker B) are the even turns.

The paper (EmpGAN, Sec. "Dataset") uses "the subset with dynamic emotional label changes"
(``emotion_change_subset``) and its own 10:1:1 partition (``resplit``).
"""

from __future__ import annotations

import io
import logging
import random
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from empathy_suite.datamodules.dialogue_datamodule import SPLITS, DialogueDataModule, missing_data_error
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError, DataFormatError

log = logging.getLogger(__name__)

DAILYDIALOG_URL = "http://yanran.li/dailydialog"
EOU = "__eou__"
EMOTIONS = ("neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise")  # ids 0..6
ACTS = {1: "inform", 2: "question", 3: "directive", 4: "commissive"}
TOPICS = {
    1: "Ordinary Life", 2: "School Life", 3: "Culture & Education", 4: "Attitude & Emotion", 5: "Relationship",
    6: "Tourism", 7: "Health", 8: "Work", 9: "Politics", 10: "Finance",
}
SPLIT_FOLDERS = {"train": "train", "valid": "validation", "test": "test"}
RELEASE_FOLDER = "ijcnlp_dailydialog"
RELEASE_ARCHIVE = "ijcnlp_dailydialog.zip"
FULL_TEXT, FULL_TOPIC = "dialogues_text.txt", "dialogues_topic.txt"
SAMPLE_DIR = Path(str(resources.files("empathy_suite.datamodules") / "samples" / "dailydialog"))

_INTEGER = re.compile(r"-?[0-9]+")


def split_files(split: str) -> dict[str, str]:
    """Release-relative paths of one split's files ("text", "emotion", "act" and the optional "topic")."""
    folder = SPLIT_FOLDERS[split]
    return {
        "text": f"{folder}/dialogues_{folder}.txt",
        "emotion": f"{folder}/dialogues_emotion_{folder}.txt",
        "act": f"{folder}/dialogues_act_{folder}.txt",
        "topic": f"{folder}/dialogues_topic_{folder}.txt",  # the suite's naming, not in the release
    }


REQUIRED_KINDS = ("text", "emotion", "act")


@dataclass(frozen=True)
class Dialogue:
    """One line of a split: utterances with their emotion and act ids (aligned), and its topic id."""

    split: str  # the suite split ("train"/"valid"/"test") of the file it was read from
    index: int  # 0-based line of that file
    utterances: tuple[str, ...]
    emotions: tuple[int, ...]
    acts: tuple[int, ...]
    topic: int | None = None

    @property
    def dialogue_id(self) -> str:
        return f"{self.split}-{self.index}"

    @property
    def emotion_changes(self) -> bool:
        """Whether the emotion labels are not all the same (the paper's subset)."""
        return len(set(self.emotions)) > 1


def dialogue_examples(
    dialogue: Dialogue,
    context_window: int | None = None,
    every_turn: bool = True,
    agent_turns_only: bool = False,
    require_feedback: bool = True,
) -> list[DialogueExample]:
    """Examples of one dialogue: utterance k (k >= 1) as the response to the utterances before it.

    ``context_window`` keeps the last n previous utterances (None: all); ``agent_turns_only``
    keeps speaker B's responses (even 1-based turns); ``require_feedback`` drops a response
    without a next utterance; ``every_turn=False`` keeps only the last remaining response.
    ``turn_emotions`` and ``extra["acts"]`` cover context + response.
    """
    utterances, n = dialogue.utterances, len(dialogue.utterances)
    speakers = tuple("A" if i % 2 == 0 else "B" for i in range(n))
    targets = [
        k for k in range(1, n)
        if (not agent_turns_only or k % 2 == 1) and (not require_feedback or k + 1 < n)
    ]
    if not every_turn:
        targets = targets[-1:]
    topic = TOPICS[dialogue.topic] if dialogue.topic is not None else None
    examples = []
    for k in targets:
        start = 0 if context_window is None else max(0, k - context_window)
        has_feedback = k + 1 < n
        examples.append(
            DialogueExample(
                context=utterances[start:k],
                response=utterances[k],
                dialogue_id=dialogue.dialogue_id,
                turn=k + 1,
                context_speakers=speakers[start:k],
                response_speaker=speakers[k],
                turn_emotions=tuple(EMOTIONS[e] for e in dialogue.emotions[start:k + 1]),
                feedback=utterances[k + 1] if has_feedback else None,
                extra={
                    "acts": tuple(ACTS[a] for a in dialogue.acts[start:k + 1]),
                    "topic": topic,
                    "feedback_emotion": EMOTIONS[dialogue.emotions[k + 1]] if has_feedback else None,
                    "feedback_act": ACTS[dialogue.acts[k + 1]] if has_feedback else None,
                },
            )
        )
    return examples


# --- reading the release: folder, inner split zips or the official archive --------------------

class DailyDialogRelease:
    """The release's files by release-relative path (``"validation/dialogues_validation.txt"``)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir).expanduser()
        self.archive: Path | None = None  # set when reading ijcnlp_dailydialog.zip
        self.root = self.data_dir  # folder for messages about a folder layout
        self.inner_zips: list[str] = []  # split zips read (train.zip, ...)
        self._files: dict[str, tuple[str, Callable[[], bytes]]] = {}
        path = self.data_dir
        if path.is_dir() and not self._looks_like_release(path):
            if (path / RELEASE_FOLDER).is_dir():
                path = self.root = path / RELEASE_FOLDER
            elif (path / RELEASE_ARCHIVE).is_file():
                path = path / RELEASE_ARCHIVE
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise DataFormatError(f"DailyDialog: {path} is neither a folder nor a zip archive ({RELEASE_ARCHIVE})")
            self.archive = path
            self._index_archive(path)
        elif path.is_dir():
            self._index_folder(path)

    @staticmethod
    def _looks_like_release(folder: Path) -> bool:
        return any((folder / name).is_dir() or (folder / f"{name}.zip").is_file() for name in SPLIT_FOLDERS.values()) \
            or (folder / FULL_TEXT).is_file()

    def _index_folder(self, root: Path) -> None:
        for path in sorted(root.iterdir()):
            if path.is_file():
                self._files[path.name] = (str(path), path.read_bytes)
        for folder in SPLIT_FOLDERS.values():
            if (root / folder).is_dir():
                for path in sorted((root / folder).iterdir()):
                    if path.is_file():
                        self._files[f"{folder}/{path.name}"] = (str(path), path.read_bytes)
            if (root / f"{folder}.zip").is_file():  # extracted files win over the zip's
                inner = root / f"{folder}.zip"
                self._index_inner_zip(folder, str(inner), inner.read_bytes)

    def _index_archive(self, archive: Path) -> None:
        try:
            with zipfile.ZipFile(archive) as outer:
                names = _member_files(outer)
        except zipfile.BadZipFile as error:
            raise DataFormatError(f"{archive}: not a readable zip archive ({error})") from None
        prefix = _common_folder(names)

        def reader(member: str) -> Callable[[], bytes]:
            def read() -> bytes:
                with zipfile.ZipFile(archive) as outer:
                    return outer.read(member)
            return read

        split_zips = {f"{folder}.zip" for folder in SPLIT_FOLDERS.values()}
        for member in names:
            if member[len(prefix):] not in split_zips:
                self._files[member[len(prefix):]] = (f"{archive}!{member}", reader(member))
        for member in names:  # after the plain files: an extracted split folder wins over its zip
            if member[len(prefix):] in split_zips:
                self._index_inner_zip(member[len(prefix):-4], f"{archive}!{member}", reader(member))

    def _index_inner_zip(self, folder: str, where: str, read: Callable[[], bytes]) -> None:
        """A split zip: members ``<folder>/<file>`` (or bare ``<file>``); extracted files win."""
        try:
            data = read()
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                members = _member_files(inner)
        except zipfile.BadZipFile as error:
            raise DataFormatError(f"{where}: not a readable zip archive ({error})") from None
        self.inner_zips.append(where)
        for member in members:
            base = member.rsplit("/", 1)[-1]
            name = f"{folder}/{base}"

            def read_member(member: str = member) -> bytes:
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    return inner.read(member)

            self._files.setdefault(name, (f"{where}!{member}", read_member))

    def has(self, name: str) -> bool:
        return name in self._files

    def where(self, name: str) -> str:
        """How messages name the file: its path, or ``archive.zip!member``."""
        if name in self._files:
            return self._files[name][0]
        return f"{self.archive}!{name}" if self.archive else str(self.root / name)

    def lines(self, name: str) -> list[str]:
        """The file's lines without line ends; blank lines at the very end are dropped."""
        where, read = self._files[name]
        try:
            text = read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DataFormatError(f"{where}: not UTF-8 text ({error})") from None
        lines = [line.rstrip("\r") for line in text.split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def missing_error(self, names: Sequence[str], expected: Sequence[str]) -> DataFormatError:
        """The error for absent files: the shared folder message, or one naming the archive."""
        source = f"the official release {DAILYDIALOG_URL} ({RELEASE_ARCHIVE}, unzipped or not)"
        if self.archive is None and not self.inner_zips:
            return missing_data_error("DailyDialog", self.root, list(expected), source)
        container = f"archive '{self.archive}'" if self.archive else f"folder '{self.root}' (with its split zips)"
        return DataFormatError(
            f"DailyDialog data not found: {container} lacks {', '.join(names)} "
            f"(expected {', '.join(expected)} of {source}; pass --data.data_dir <folder>)"
        )


def _member_files(archive: zipfile.ZipFile) -> list[str]:
    return [i.filename for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]


def _common_folder(names: list[str]) -> str:
    """The single top folder of an archive (``ijcnlp_dailydialog/``), unless it is a split folder."""
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(tops) == 1 and all("/" in name for name in names):
        top = tops.pop()
        if top not in SPLIT_FOLDERS.values():
            return top + "/"
    return ""


# --- parsing ----------------------------------------------------------------------------------

def _where(file: str, index: int) -> str:
    return f"{file} line {index + 1} (dialogue {index})"


def parse_utterances(line: str, file: str, index: int) -> tuple[str, ...]:
    """Split one text line on ``__eou__``; strip and collapse whitespace, keep everything else."""
    parts = [" ".join(part.split()) for part in line.split(EOU)]
    if parts and not parts[-1]:
        parts.pop()  # the trailing __eou__
    if not parts or not any(parts):
        raise DataFormatError(f"{_where(file, index)}: empty dialogue (no utterance)")
    for j, part in enumerate(parts):
        if not part:
            raise DataFormatError(f"{_where(file, index)}: utterance {j} is empty ('{EOU}' twice in a row)")
    return tuple(parts)


def parse_labels(line: str, file: str, index: int, kind: str, valid: Sequence[int]) -> tuple[int, ...]:
    """Space-separated integer ids of one line, each in ``valid``."""
    labels = []
    for token in line.split():
        if not _INTEGER.fullmatch(token):
            raise DataFormatError(f"{_where(file, index)}: {kind} label {token!r} is not an integer")
        value = int(token)
        if value not in valid:
            raise DataFormatError(
                f"{_where(file, index)}: unknown {kind} id {value} (expected {min(valid)}..{max(valid)})"
            )
        labels.append(value)
    return tuple(labels)


def _nonempty_lines(release: DailyDialogRelease, name: str) -> list[str]:
    lines = release.lines(name)
    if not lines:
        raise DataFormatError(f"{release.where(name)}: file is empty")
    return lines


def _same_line_count(release: DailyDialogRelease, first: str, first_lines: list, other: str, other_lines: list) -> None:
    if len(first_lines) != len(other_lines):
        raise DataFormatError(
            f"{release.where(other)} has {len(other_lines)} lines but {release.where(first)} has "
            f"{len(first_lines)}; the files must have one line per dialogue"
        )


def _topic_ids(release: DailyDialogRelease, name: str, n_lines: int, text_name: str) -> list[int]:
    lines = _nonempty_lines(release, name)
    _same_line_count(release, text_name, [None] * n_lines, name, lines)
    topics = []
    for i, line in enumerate(lines):
        ids = parse_labels(line, release.where(name), i, "topic", tuple(TOPICS))
        if len(ids) != 1:
            raise DataFormatError(f"{_where(release.where(name), i)}: expected one topic id, found {len(ids)}")
        topics.append(ids[0])
    return topics


def full_corpus_topics(release: DailyDialogRelease) -> dict[tuple[str, ...], int] | None:
    """Topic id by utterances, from the root dialogues_text.txt + dialogues_topic.txt (first occurrence)."""
    if not (release.has(FULL_TEXT) and release.has(FULL_TOPIC)):
        return None
    text = _nonempty_lines(release, FULL_TEXT)
    topics = _topic_ids(release, FULL_TOPIC, len(text), FULL_TEXT)
    lookup: dict[tuple[str, ...], int] = {}
    for i, (line, topic) in enumerate(zip(text, topics)):
        lookup.setdefault(parse_utterances(line, release.where(FULL_TEXT), i), topic)
    return lookup


def read_split(
    release: DailyDialogRelease, split: str, topic_lookup: dict[tuple[str, ...], int] | None = None
) -> list[Dialogue]:
    """Parse one split's text, emotion and act files (and topics); every problem names file and line."""
    files = split_files(split)
    missing = [files[kind] for kind in REQUIRED_KINDS if not release.has(files[kind])]
    if missing:
        raise release.missing_error(missing, [files[kind] for kind in REQUIRED_KINDS])
    text = _nonempty_lines(release, files["text"])
    labels = {}
    for kind in ("emotion", "act"):
        labels[kind] = _nonempty_lines(release, files[kind])
        _same_line_count(release, files["text"], text, files[kind], labels[kind])
    topics: list[int | None] = [None] * len(text)
    if release.has(files["topic"]):
        topics = _topic_ids(release, files["topic"], len(text), files["text"])
    text_file = release.where(files["text"])
    dialogues = []
    for i, line in enumerate(text):
        utterances = parse_utterances(line, text_file, i)
        ids = {}
        for kind, valid in (("emotion", range(len(EMOTIONS))), ("act", tuple(ACTS))):
            file = release.where(files[kind])
            ids[kind] = parse_labels(labels[kind][i], file, i, kind, valid)
            if len(ids[kind]) != len(utterances):
                raise DataFormatError(
                    f"{_where(file, i)}: {len(ids[kind])} {kind} labels for {len(utterances)} utterances "
                    f"in {text_file}"
                )
        topic = topics[i]
        if topic is None and topic_lookup is not None:
            topic = topic_lookup.get(utterances)
        dialogues.append(Dialogue(split, i, utterances, ids["emotion"], ids["act"], topic))
    return dialogues


def resplit_dialogues(dialogues: Sequence[Dialogue], ratio: Sequence[float], seed: int) -> dict[str, list[Dialogue]]:
    """Seeded train/valid/test cut by ``ratio``; depends only on the set of dialogue ids and the seed."""
    order = sorted(dialogues, key=lambda d: (SPLITS.index(d.split), d.index))
    random.Random(seed).shuffle(order)
    n, total = len(order), sum(ratio)
    n_valid, n_test = round(n * ratio[1] / total), round(n * ratio[2] / total)
    n_train = n - n_valid - n_test
    if min(n_train, n_valid, n_test) < 1:
        raise DataFormatError(
            f"DailyDialog: {n} dialogues are too few for a {':'.join(f'{r:g}' for r in ratio)} split"
        )
    parts = {"train": order[:n_train], "valid": order[n_train:n_train + n_valid], "test": order[n_train + n_valid:]}
    return {split: sorted(part, key=lambda d: (SPLITS.index(d.split), d.index)) for split, part in parts.items()}


# --- report and DataModule --------------------------------------------------------------------

@dataclass
class DailyDialogReport:
    """What was read and kept. Keys of the first three are the source splits ("train"/"valid"/"test")."""

    dialogues_read: dict[str, int] = field(default_factory=dict)
    missing_splits: dict[str, list[str]] = field(default_factory=dict)  # split -> its missing files
    subset_kept: dict[str, int] = field(default_factory=dict)  # after emotion_change_subset (if on)
    split_sizes: dict[str, int] = field(default_factory=dict)  # dialogues per split used
    examples: dict[str, int] = field(default_factory=dict)  # examples per split
    emotion_counts: dict[str, int] = field(default_factory=dict)  # utterance labels of the dialogues used
    response_emotion_counts: dict[str, int] = field(default_factory=dict)  # over all examples' responses
    topics: str = "none"  # "per-split files", "full corpus" or "none"

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        read = ", ".join(f"{s} {n}" for s, n in self.dialogues_read.items()) or "nothing"
        text = f"DailyDialog: read {read} dialogues"
        if self.missing_splits:
            text += f" ({', '.join(self.missing_splits)} missing)"
        if self.subset_kept:
            text += f"; emotion-change subset kept {', '.join(f'{s} {n}' for s, n in self.subset_kept.items())}"
        sizes = ", ".join(f"{s} {self.split_sizes[s]}/{self.examples.get(s, 0)}" for s in self.split_sizes)
        total = sum(self.emotion_counts.values()) or 1
        emotions = ", ".join(f"{e} {100 * self.emotion_counts.get(e, 0) / total:.1f}%" for e in EMOTIONS)
        return f"{text}; dialogues/examples {sizes}; utterance emotions {emotions}; topics: {self.topics}"


class DailyDialogDataModule(DialogueDataModule):
    """Response examples from DailyDialog with per-utterance emotions, acts and user feedback.

    Each example has ``context`` (previous utterances, oldest first), ``response``,
    ``feedback`` (the next utterance), ``context_speakers``/``response_speaker`` "A"/"B",
    ``turn`` (1-based), ``turn_emotions`` (:data:`EMOTIONS` names of context + response),
    ``dialogue_id="<split>-<line>"`` (the source file's split and 0-based line, also after
    ``resplit``) and ``extra={"acts": (names of context + response), "topic": name or None,
    "feedback_emotion": name or None, "feedback_act": name or None}``.

    Args:
        data_dir: the release (folder, ``ijcnlp_dailydialog.zip`` or a folder holding it);
            ``None`` uses the bundled sample (invented dialogues in the official format, with
            per-split topic files).
        context_window: keep only the last n previous utterances (None: all).
        every_turn: an example for every utterance after the first; ``False``: one example per
            dialogue, its last eligible response.
        agent_turns_only: only speaker B's utterances (turns 2, 4, ...) as responses.
        require_feedback: skip responses without a next utterance (EmpGAN needs the feedback).
        emotion_change_subset: keep only dialogues whose emotion labels are not all the same
            (the paper's "subset with dynamic emotional label changes"); applied before resplit.
        resplit: pool the dialogues of every split whose files exist, shuffle with
            ``split_seed`` and cut train/valid/test by ``split_ratio`` (paper: 10:1:1). Missing
            splits are logged; without ``resplit`` a split whose files are missing raises when
            it is loaded.
        split_sources: which release split each suite split reads (suite names), e.g.
            ``{"train": "valid", "valid": "test"}`` trains on the validation file when the train
            text is missing (as in the shared copy); default: each split its own.
    """

    def __init__(
        self,
        data_dir: str | None = None,
        context_window: int | None = None,
        every_turn: bool = True,
        agent_turns_only: bool = False,
        require_feedback: bool = True,
        emotion_change_subset: bool = False,
        resplit: bool = False,
        split_ratio: tuple[float, float, float] = (10, 1, 1),
        split_seed: int = 42,
        split_sources: dict[str, str] | None = None,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        collate_fn=None,
    ):
        super().__init__(batch_size, eval_batch_size, num_workers, collate_fn)
        self.split_sources = {**{s: s for s in SPLITS}, **(split_sources or {})}
        if set(self.split_sources) != set(SPLITS) or not set(self.split_sources.values()) <= set(SPLITS):
            raise ConfigError(f"data.split_sources maps suite splits {SPLITS} to release splits {SPLITS}, "
                              f"got {split_sources}")
        if context_window is not None and context_window < 1:
            raise ConfigError(f"data.context_window must be >= 1 or null (all), got {context_window}")
        split_ratio = tuple(split_ratio)
        if len(split_ratio) != 3 or not all(isinstance(r, (int, float)) and r > 0 for r in split_ratio):
            raise ConfigError(
                f"data.split_ratio must be three positive numbers (train, valid, test), got {split_ratio}"
            )
        self.data_dir = Path(data_dir).expanduser() if data_dir else SAMPLE_DIR
        self.context_window = context_window
        self.every_turn = every_turn
        self.agent_turns_only = agent_turns_only
        self.require_feedback = require_feedback
        self.emotion_change_subset = emotion_change_subset
        self.resplit = resplit
        self.split_ratio = split_ratio
        self.split_seed = split_seed
        self._report: DailyDialogReport | None = None
        self._dialogues: dict[str, list[Dialogue]] | None = None
        self._split_examples: dict[str, list[DialogueExample]] | None = None
        self._missing: dict[str, DataFormatError] = {}

    def _release(self) -> DailyDialogRelease:
        return DailyDialogRelease(self.data_dir)

    def prepare_data(self) -> None:
        """Fail early when no split's files are there at all (a single missing split fails on load)."""
        release = self._release()
        required = [split_files(s)[k] for s in SPLITS for k in REQUIRED_KINDS]
        if not any(all(release.has(split_files(s)[k]) for k in REQUIRED_KINDS) for s in SPLITS):
            raise release.missing_error([n for n in required if not release.has(n)], required)

    @property
    def report(self) -> DailyDialogReport:
        """Counts of what was read and kept (reads the files on first access)."""
        self._load()
        return self._report

    def dialogues(self, split: str) -> list[Dialogue]:
        """The split's dialogues after the subset filter and resplit."""
        self._load()
        if split in self._missing:
            raise self._missing[split]
        return self._dialogues[split]

    def _load(self) -> None:
        if self._dialogues is not None:
            return
        release = self._release()
        report = DailyDialogReport()
        lookup = None
        if any(release.has(split_files(s)["text"]) and not release.has(split_files(s)["topic"]) for s in SPLITS):
            lookup = full_corpus_topics(release)
        read: dict[str, list[Dialogue]] = {}
        missing: dict[str, DataFormatError] = {}
        by_source: dict[str, list[Dialogue]] = {}
        for split in SPLITS:
            source = self.split_sources[split]
            files = split_files(source)
            absent = [files[k] for k in REQUIRED_KINDS if not release.has(files[k])]
            if absent:
                report.missing_splits[split] = absent
                error = release.missing_error(absent, [files[k] for k in REQUIRED_KINDS])
                missing[split] = DataFormatError(
                    f"DailyDialog {split} split: {error} -- or set data.resplit=true to re-partition the "
                    "splits that exist, or data.split_sources to read it from another split"
                )
                continue
            if source not in by_source:
                by_source[source] = read_split(release, source, lookup)
            read[split] = by_source[source]
            report.dialogues_read[split] = len(read[split])
        if not read:
            required = [split_files(s)[k] for s in SPLITS for k in REQUIRED_KINDS]
            raise release.missing_error([n for n in required if not release.has(n)], required)
        if self.emotion_change_subset:
            read = {split: [d for d in ds if d.emotion_changes] for split, ds in read.items()}
            report.subset_kept = {split: len(ds) for split, ds in read.items()}
        if self.resplit:
            # each release split once, even when several suite splits read it
            pool = list({(d.split, d.index): d for ds in read.values() for d in ds}.values())
            dialogues, missing = resplit_dialogues(pool, self.split_ratio, self.split_seed), {}
        else:
            dialogues = read
        used = [d for ds in dialogues.values() for d in ds]
        report.topics = "none"
        if any(d.topic is not None for d in used):
            report.topics = "per-split files" if any(release.has(split_files(s)["topic"]) for s in read) \
                else "full corpus"
        emotions = Counter(EMOTIONS[e] for d in used for e in d.emotions)
        report.emotion_counts = {e: emotions.get(e, 0) for e in EMOTIONS}
        examples = {split: self._examples_of(ds) for split, ds in dialogues.items()}
        report.split_sizes = {s: len(dialogues[s]) for s in SPLITS if s in dialogues}
        report.examples = {s: len(examples[s]) for s in SPLITS if s in examples}
        responses = Counter(e.turn_emotions[-1] for es in examples.values() for e in es)
        report.response_emotion_counts = {e: responses.get(e, 0) for e in EMOTIONS}
        self._dialogues, self._split_examples, self._missing, self._report = dialogues, examples, missing, report
        _log_report(report, self.resplit)

    def _examples_of(self, dialogues: list[Dialogue]) -> list[DialogueExample]:
        return [
            example
            for dialogue in dialogues
            for example in dialogue_examples(dialogue, self.context_window, self.every_turn,
                                             self.agent_turns_only, self.require_feedback)
        ]

    def load_split(self, split: str) -> list[DialogueExample]:
        self.dialogues(split)  # raises for a split whose files are missing
        examples = self._split_examples[split]
        if not examples:
            raise DataFormatError(
                f"DailyDialog {split}: no example in {len(self._dialogues[split])} dialogues of {self.data_dir} "
                f"(emotion_change_subset={self.emotion_change_subset}, require_feedback={self.require_feedback}, "
                f"agent_turns_only={self.agent_turns_only})"
            )
        return examples


@rank_zero_only
def _log_report(report: DailyDialogReport, resplit: bool) -> None:
    rank_zero_info(report.summary())
    for split, files in report.missing_splits.items():
        if resplit:
            log.warning("DailyDialog: %s split missing (%s); pooled the other splits", split, ", ".join(files))
        else:
            log.warning("DailyDialog: %s split missing (%s); loading it will fail (resplit=True pools "
                        "the splits that exist)", split, ", ".join(files))
