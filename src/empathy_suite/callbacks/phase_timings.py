"""Collects the per-phase seconds an RL/GAN module leaves in ``last_timings`` after each step."""

from __future__ import annotations

import lightning as L


class PhaseTimingsRecorder(L.Callback):
    def __init__(self, warmup: int = 0) -> None:
        self.warmup = warmup
        self.steps: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if batch_idx >= self.warmup:
            self.steps.append(dict(pl_module.last_timings))
