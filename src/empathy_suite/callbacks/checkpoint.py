"""ModelCheckpoint whose ``last.ckpt`` is always the latest state.

Lightning 2.6 rewrites ``last.ckpt`` only when a top-k checkpoint is saved, so after an
epoch that does not improve the monitored metric ``--ckpt_path last`` (test or resume)
would load an older epoch. This subclass also saves ``last.ckpt`` after every evaluation that
saved nothing. It uses ModelCheckpoint's own (private) saving steps: lightning is pinned
below 2.7 in pyproject.toml.
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class BestAndLastCheckpoint(ModelCheckpoint):
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if self._should_save_on_train_epoch_end(trainer):
            self._refresh_last(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self._should_save_on_train_epoch_end(trainer):
            self._refresh_last(trainer)

    def _refresh_last(self, trainer: L.Trainer) -> None:
        # skipped when the parent just saved at this step (it wrote last.ckpt too), in sanity
        # checks, and when saving is off
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
