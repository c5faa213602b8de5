"""EmpatheticDialogues (Rashkin et al. 2019) in the official CSV release layout."""

from __future__ import annotations

import os
import shutil
import socket
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from lightning.pytorch.utilities import rank_zero_info

from empathy_suite.datamodules.dialogue_datamodule import DialogueDataModule, missing_data_error, missing_files
from empathy_suite.datamodules.ed_csv import EDRow, group_conversations, read_ed_csv
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError, DataFormatError

ED_URL = "https://dl.fbaipublicfiles.com/parlai/empatheticdialogues/empatheticdialogues.tar.gz"
ED_FILES = {"train": "train.csv", "valid": "valid.csv", "test": "test.csv"}
SAMPLE_DIR = Path(__file__).parent / "samples" / "empathetic_dialogues"


def _offline() -> bool:
    return any(os.environ.get(name, "0") not in ("", "0") for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def _reachable(url: str, timeout: float = 3.0) -> bool:
    host = url.split("/")[2]
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _download(data_dir: Path) -> None:
    """Fetch and unpack the official tarball; files appear only once complete."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "ed.tar.gz"
        urllib.request.urlretrieve(ED_URL, archive)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        data_dir.mkdir(parents=True, exist_ok=True)
        for name in ED_FILES.values():
            shutil.move(str(Path(tmp) / "empatheticdialogues" / name), data_dir / name)


def conversation_examples(
    conversation: list[EDRow], context_window: int, listener_only: bool
) -> list[DialogueExample]:
    """One example per target turn: up to ``context_window`` previous utterances as context.

    The Speaker writes odd-numbered utterances and the Listener even-numbered ones; the paper
    trains and tests in the Listener role only.
    """
    examples = []
    utterances = [row.utterance for row in conversation]
    roles = ["speaker" if row.utterance_idx % 2 == 1 else "listener" for row in conversation]
    for k in range(1, len(conversation)):
        if listener_only and roles[k] != "listener":
            continue
        start = max(0, k - context_window)
        examples.append(
            DialogueExample(
                context=tuple(utterances[start:k]),
                response=utterances[k],
                dialogue_id=conversation[k].conv_id,
                turn=conversation[k].utterance_idx,
                context_speakers=tuple(roles[start:k]),
                response_speaker=roles[k],
                emotion=conversation[k].emotion,
                situation=conversation[k].situation,
                feedback=utterances[k + 1] if k + 1 < len(utterances) else None,
            )
        )
    return examples


class EmpatheticDialoguesDataModule(DialogueDataModule):
    """Listener-response examples from ED.

    Args:
        data_dir: folder holding train.csv, valid.csv, test.csv; ``None`` uses the bundled
            sample written for the quick configs.
        context_window: number of previous utterances kept as context (paper: 4).
        listener_only: predict only Listener turns (the paper's setting); ``False`` also
            makes examples whose targets are the Speaker's turns.
        download: fetch the official release in ``prepare_data`` when files are missing and
            a network is reachable (never when HF_HUB_OFFLINE / HF_DATASETS_OFFLINE is set).
    """

    def __init__(
        self,
        data_dir: str | None = None,
        context_window: int = 4,
        listener_only: bool = True,
        download: bool = True,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        collate_fn=None,
    ):
        super().__init__(batch_size, eval_batch_size, num_workers, collate_fn)
        if context_window < 1:
            raise ConfigError(f"data.context_window must be >= 1, got {context_window}")
        self.data_dir = Path(data_dir).expanduser() if data_dir else SAMPLE_DIR
        self.context_window = context_window
        self.listener_only = listener_only
        self.download = download

    def _missing_files(self) -> list[str]:
        return missing_files(self.data_dir, ED_FILES.values())

    def _missing_error(self) -> DataFormatError:
        return missing_data_error("EmpatheticDialogues", self.data_dir, list(ED_FILES.values()),
                                  f"the official release {ED_URL}; download and unpack it")

    def prepare_data(self) -> None:
        if not self._missing_files():
            return
        if not (self.download and not _offline() and _reachable(ED_URL)):
            raise self._missing_error()
        rank_zero_info(f"Downloading EmpatheticDialogues from {ED_URL} to {self.data_dir}")
        _download(self.data_dir)

    def load_split(self, split: str) -> list[DialogueExample]:
        if self._missing_files():
            raise self._missing_error()
        rows = read_ed_csv(self.data_dir / ED_FILES[split])
        examples = [
            example
            for conversation in group_conversations(rows)
            for example in conversation_examples(conversation, self.context_window, self.listener_only)
        ]
        if not examples:
            raise DataFormatError(f"{self.data_dir / ED_FILES[split]}: no conversation has a turn to predict")
        return examples
