"""EmpRL: where one PPO iteration spends its time, and cached vs uncached generation.

One run, same model and batches for every figure:
  - EmpRLModule.training_step under Trainer.fit, split into its phases (sampling the
    responses, the policy/reference forward passes of the rollout, the empathy reward of
    the three identifiers, the PPO update of ``ppo_epochs`` passes); median over steps;
  - sampling the same batch with the decoder's key/value cache and without it (the whole
    decoder rerun at every step), same seed so both produce the same tokens: tokens/s.

    python benchmarks/emprl_ppo_iteration.py                    # bundled samples, small T5
    python benchmarks/emprl_ppo_iteration.py --data-dir DIR --identifier-checkpoint ID.ckpt
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning as L
import torch
from rich.console import Console
from rich.table import Table

from empathy_suite.callbacks.phase_timings import PhaseTimingsRecorder
from empathy_suite.datamodules.empathetic_dialogues import EmpatheticDialoguesDataModule
from empathy_suite.datamodules.epitome import EpitomeDataModule
from empathy_suite.decoding.sample_generate import sample_responses
from empathy_suite.lightning_modules.empathy_identifier import EmpathyIdentifierModule, FrozenIdentifiers
from empathy_suite.lightning_modules.emprl import EmpRLModule
from empathy_suite.lightning_modules.t5_generator import T5GeneratorModule


def build(args) -> tuple[EmpRLModule, EmpatheticDialoguesDataModule]:
    data = EmpatheticDialoguesDataModule(data_dir=args.data_dir, batch_size=args.batch_size)
    generator = T5GeneratorModule(dim=args.dim, layers=args.layers, heads=args.heads, ffn_dim=args.ffn_dim,
                                  vocab_size=args.vocab_size, max_new_tokens=args.max_new_tokens)
    generator.prepare(data.examples("train"))
    if args.identifier_checkpoint:
        identifiers = FrozenIdentifiers.load(args.identifier_checkpoint)
    else:
        identifier = EmpathyIdentifierModule(dim=64, layers=2, heads=2, ffn_dim=128, vocab_size=800, max_tokens=64)
        identifier.prepare(EpitomeDataModule().examples("train"))
        identifiers = FrozenIdentifiers(identifier)
    module = EmpRLModule(generator_checkpoint="(built in memory)", max_new_tokens=args.max_new_tokens)
    module.init_from_generator(generator)
    module.identifiers = identifiers
    data.collate_fn = module.collate
    return module, data


def ppo_phases(module, data, args) -> dict[str, float]:
    recorder = PhaseTimingsRecorder(args.warmup)
    # Lightning counts optimizer steps: ppo_epochs x num_minibatches per PPO iteration
    per_iteration = module.hparams.ppo_epochs * module.hparams.num_minibatches
    trainer = L.Trainer(max_steps=(args.warmup + args.steps) * per_iteration, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        accelerator="cpu", devices=1, callbacks=[recorder])
    trainer.fit(module, datamodule=data)
    return {phase: statistics.median(step[phase] for step in recorder.steps) for phase in recorder.steps[0]}


def generation_speed(module, batch, args) -> dict[str, tuple[int, float]]:
    module.model.eval()
    results = {}
    for cached in (True, False):
        tokens, seconds = 0, 0.0
        for repeat in range(args.repeats):
            start = time.perf_counter()
            _, mask = sample_responses(module.model, batch["input_ids"], batch["attention_mask"],
                                       module.tokenizer.eos_token_id, module.tokenizer.pad_token_id,
                                       max_new_tokens=args.max_new_tokens, use_cache=cached,
                                       generator=torch.Generator().manual_seed(repeat))
            seconds += time.perf_counter() - start
            tokens += int(mask.sum())
        results["with cache" if cached else "without cache"] = (tokens, seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None, help="ED folder (default: bundled sample)")
    parser.add_argument("--identifier-checkpoint", default=None, help="default: small identifiers on the EPITOME sample")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn-dim", type=int, default=1024)
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--max-new-tokens", type=int, default=30)
    args = parser.parse_args()
    L.seed_everything(0)
    module, data = build(args)
    console = Console()

    phases = ppo_phases(module, data, args)
    total = sum(phases.values())
    table = Table(title=f"One PPO iteration (batch {args.batch_size}, T5 {args.layers}x{args.dim}d, "
                        f"{module.hparams.ppo_epochs} PPO epochs; median of {args.steps} steps, "
                        f"{torch.get_num_threads()} threads)")
    for column in ("phase", "seconds", "share"):
        table.add_column(column, justify="right")
    for phase, seconds in phases.items():
        table.add_row(phase, f"{seconds:.3f}", f"{seconds / total:.0%}")
    table.add_row("total", f"{total:.3f}", "100%")
    console.print(table)

    batch = module.collate(data.examples("valid")[: args.batch_size])
    speed = generation_speed(module, batch, args)
    table = Table(title=f"Sampling {args.max_new_tokens} new tokens at most, batch {args.batch_size}, "
                        f"{args.repeats} repeats")
    for column in ("decoder", "tokens", "seconds", "tokens/s", "speed-up"):
        table.add_column(column, justify="right")
    base = speed["without cache"][0] / speed["without cache"][1]
    for name, (tokens, seconds) in speed.items():
        table.add_row(name, str(tokens), f"{seconds:.2f}", f"{tokens / seconds:.0f}", f"{tokens / seconds / base:.2f}x")
    console.print(table)


if __name__ == "__main__":
    main()
