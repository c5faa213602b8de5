"""Writes the model's (context, gold, output) samples to TensorBoard as markdown tables."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


class TextSamplesCallback(L.Callback):
    """Reads ``outputs["samples"]`` returned by validation/test steps (a list of dicts)."""

    def _write(self, trainer: L.Trainer, stage: str, outputs) -> None:
        rows = outputs.get("samples") if isinstance(outputs, dict) else None
        if not rows or trainer.sanity_checking or not trainer.is_global_zero:
            return
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_text(f"{stage}/samples", markdown_table(rows), trainer.global_step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        # RL modules return the responses they sampled and their rewards
        self._write(trainer, "train", outputs)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        self._write(trainer, "val", outputs)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        self._write(trainer, "test", outputs)
