"""Model-agnostic base DataModule: holds schema examples per split and batches them.

Tokenization belongs to the model: the LightningModule's ``collate`` is linked in by the
CLI (or passed by hand) as ``collate_fn``; without one, batches are lists of examples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import DataFormatError

SPLITS = ("train", "valid", "test")


def missing_files(folder: Path, names: Iterable[str]) -> list[str]:
    return [name for name in names if not (folder / name).is_file()]


def missing_data_error(dataset: str, folder: Path, names: Sequence[str], source: str) -> DataFormatError:
    """The error for a data folder without its files: what is missing, and where to get it."""
    where = f"folder '{folder}' lacks {', '.join(missing_files(folder, names))}"
    if not folder.is_dir():
        where = f"folder '{folder}' does not exist"
    return DataFormatError(
        f"{dataset} data not found: {where} (expected {', '.join(names)} of {source}; "
        "pass --data.data_dir <folder>)"
    )


def _identity(batch):
    return batch


class DialogueDataModule(L.LightningDataModule):
    def __init__(
        self,
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
    ):
        super().__init__()
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self._examples: dict[str, list[DialogueExample]] = {}

    def load_split(self, split: str) -> list[DialogueExample]:
        """Read one split ("train", "valid" or "test") as schema examples."""
        raise NotImplementedError

    def examples(self, split: str) -> list[DialogueExample]:
        """The split's examples, read once and cached (models read the train split in setup)."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        if split not in self._examples:
            self._examples[split] = self.load_split(split)
        return self._examples[split]

    def setup(self, stage: str | None = None) -> None:
        needed = {"fit": ("train", "valid"), "validate": ("valid",), "test": ("test",), "predict": ("test",)}
        for split in needed.get(stage, SPLITS):
            self.examples(split)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        data: Sequence[DialogueExample] = self.examples(split)
        return DataLoader(
            data,
            batch_size=self.batch_size if shuffle else self.eval_batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=self.collate_fn or _identity,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("valid", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
