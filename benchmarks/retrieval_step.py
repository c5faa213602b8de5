"""Retrieval baseline: the suite's training step vs a plain PyTorch loop, and P@1,100 timing.

Both sides train the same network (a copy of the same initial weights) on the same collated
batch with the same optimizer, measured in one run:
  - plain:     forward both encoders, in-batch loss, backward, Adamax step, in a for loop;
  - lightning: RetrievalModule.training_step driven by Trainer.fit (logging included).
Then the P@1,100 evaluation over a test split: encoding contexts and responses, and the
metric's ranking of each true response among 99 sampled others.

    python benchmarks/retrieval_step.py                        # bundled sample
    python benchmarks/retrieval_step.py --data-dir DIR --steps 30
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import lightning as L
import torch
from rich.console import Console
from rich.table import Table
from torch.utils.data import DataLoader

from empathy_suite.datamodules.empathetic_dialogues import EmpatheticDialoguesDataModule
from empathy_suite.lightning_modules.retrieval import RetrievalModule, in_batch_loss
from empathy_suite.metrics import PrecisionAtKOfN


class StepTimer(L.Callback):
    def __init__(self):
        self.times: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.times.append(time.perf_counter() - self._start)


def plain_loop(module: RetrievalModule, batch: dict, steps: int) -> list[float]:
    context_encoder, candidate_encoder = module.context_encoder, module.candidate_encoder
    optimizer = torch.optim.Adamax(module.parameters(), lr=8e-4)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        h_x = context_encoder(batch["context_ids"], batch["context_mask"])
        h_y = candidate_encoder(batch["candidate_ids"], batch["candidate_mask"])
        loss, _ = in_batch_loss(h_x, h_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def lightning_loop(module: RetrievalModule, batch: dict, steps: int) -> list[float]:
    timer = StepTimer()
    trainer = L.Trainer(
        max_steps=steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0, callbacks=[timer],
    )
    trainer.fit(module, train_dataloaders=DataLoader([batch] * steps, batch_size=None))
    return timer.times


@torch.no_grad()
def p_at_1_timing(module: RetrievalModule, dm: EmpatheticDialoguesDataModule, eval_batch_size: int) -> dict:
    module.eval()
    examples = dm.examples("test")
    metric = PrecisionAtKOfN(k=1, n=100, seed=0)
    start = time.perf_counter()
    for i in range(0, len(examples), eval_batch_size):
        batch = module.collate(examples[i : i + eval_batch_size])
        metric.update(module.context_encoder(batch["context_ids"], batch["context_mask"]),
                      module.candidate_encoder(batch["candidate_ids"], batch["candidate_mask"]))
    encoded = time.perf_counter()
    value = metric.compute()
    done = time.perf_counter()
    return {"examples": len(examples), "n": metric.last_n, "p_at_1": float(value) * 100,
            "encode_s": encoded - start, "rank_s": done - encoded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None, help="ED folder (default: bundled sample)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=6)
    args = parser.parse_args()

    torch.manual_seed(0)
    dm = EmpatheticDialoguesDataModule(data_dir=args.data_dir)
    module = RetrievalModule(dim=args.dim, layers=args.layers, heads=args.heads, ffn_dim=4 * args.dim)
    module.prepare(dm.examples("train"))
    batch = module.collate(dm.examples("train")[: args.batch_size])
    plain_module = copy.deepcopy(module)

    plain = plain_loop(plain_module, batch, args.steps)[args.warmup :]
    lightning = lightning_loop(module, batch, args.steps)[args.warmup :]
    plain_ms, lightning_ms = statistics.median(plain) * 1e3, statistics.median(lightning) * 1e3

    table = Table(title=f"Retrieval training step (batch {args.batch_size}, {args.layers}x{args.dim}d, "
                        f"median of {len(plain)} steps, {torch.get_num_threads()} threads)")
    for column in ("loop", "ms/step", "ratio to plain"):
        table.add_column(column, justify="right")
    table.add_row("plain PyTorch", f"{plain_ms:.1f}", "1.00")
    table.add_row("Lightning Trainer", f"{lightning_ms:.1f}", f"{lightning_ms / plain_ms:.2f}")
    console = Console()
    console.print(table)

    timing = p_at_1_timing(module, dm, eval_batch_size=256)
    table = Table(title=f"P@1,{timing['n']} evaluation over the test split ({timing['examples']} examples)")
    for column in ("phase", "seconds", "examples/s"):
        table.add_column(column, justify="right")
    for phase, key in (("encode contexts + responses", "encode_s"), ("rank (metric compute)", "rank_s")):
        table.add_row(phase, f"{timing[key]:.2f}", f"{timing['examples'] / max(timing[key], 1e-9):.0f}")
    console.print(table)
    console.print(f"P@1,{timing['n']} of the briefly trained model: {timing['p_at_1']:.2f}")


if __name__ == "__main__":
    main()
