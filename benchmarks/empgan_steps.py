"""EmpGAN: critic and generator step throughput, Lightning vs a plain PyTorch loop.

Both sides run the same module's ``critic_step`` and ``generator_step`` (WGAN-GP critics,
Psi_g + the critics' term) on the same collated batches from a copy of the same initial
weights, measured in one run:
  - plain:     a for loop calling the two steps, freezing the critics during the generator
               step by hand, ``loss.backward()`` for ``manual_backward``;
  - lightning: ``EmpGANModule.training_step`` under ``Trainer.fit`` (manual optimization,
               toggle_optimizer, logging), its phases timed inside the step.

    python benchmarks/empgan_steps.py                       # bundled sample, paper sizes
    python benchmarks/empgan_steps.py --data-dir ../shared/data/dailydialog --steps 20
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

from empathy_suite.callbacks.phase_timings import PhaseTimingsRecorder
from empathy_suite.datamodules.dailydialog import DailyDialogDataModule
from empathy_suite.lightning_modules.empgan import EmpGANModule


def plain_loop(module: EmpGANModule, batches: list[dict], warmup: int) -> dict[str, list[float]]:
    module.train()
    module.manual_backward = lambda loss: loss.backward()
    g_opt, d_opt = module.configure_optimizers()
    critic_params = [*module.critics.parameters(), *module.critic_embeddings.parameters()]
    times = {"critic": [], "generator": []}
    for i, batch in enumerate(batches):
        start = time.perf_counter()
        module.critic_step(batch, d_opt)
        middle = time.perf_counter()
        for p in critic_params:
            p.requires_grad_(False)
        module.generator_step(batch, g_opt, adversarial=True)
        for p in critic_params:
            p.requires_grad_(True)
        end = time.perf_counter()
        if i >= warmup:
            times["critic"].append(middle - start)
            times["generator"].append(end - middle)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None, help="DailyDialog release (default: bundled sample)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=400)
    args = parser.parse_args()
    L.seed_everything(0)
    # the shared copy has no train text: read "train" from the validation file
    data = DailyDialogDataModule(data_dir=args.data_dir, batch_size=args.batch_size,
                                 split_sources={"train": "valid"} if args.data_dir else None)
    module = EmpGANModule(hidden=args.hidden, max_response_tokens=30)
    module.prepare(data.examples("train"))
    data.collate_fn = module.collate
    total = args.warmup + args.steps
    examples = data.examples("train")
    batches = [module.collate(examples[(i * args.batch_size) % len(examples):][: args.batch_size])
               for i in range(total)]
    plain_module = copy.deepcopy(module)

    plain = plain_loop(plain_module, batches, args.warmup)
    recorder = PhaseTimingsRecorder(args.warmup)
    trainer = L.Trainer(max_steps=total * 2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, limit_val_batches=0, limit_train_batches=total,
                        accelerator="cpu", devices=1, callbacks=[recorder])
    loader = torch.utils.data.DataLoader(batches, batch_size=None, shuffle=False)
    trainer.fit(module, train_dataloaders=loader)

    table = Table(title=f"EmpGAN steps (batch {args.batch_size}, hidden {args.hidden}, WGAN-GP, both critics; "
                        f"median of {args.steps}, {torch.get_num_threads()} threads)")
    for column in ("step", "plain ms", "plain ex/s", "Lightning ms", "Lightning ex/s", "Lightning / plain"):
        table.add_column(column, justify="right")
    for phase in ("critic", "generator"):
        p = statistics.median(plain[phase])
        lt = statistics.median(step[phase] for step in recorder.steps)
        table.add_row(phase, f"{p * 1000:.0f}", f"{args.batch_size / p:.0f}", f"{lt * 1000:.0f}",
                      f"{args.batch_size / lt:.0f}", f"{lt / p:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
