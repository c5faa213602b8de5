"""Running the CLI in-process or as a subprocess, and reading TensorBoard event files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from empathy_suite.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICK_CONFIGS = sorted((REPO_ROOT / "configs" / "quick").glob("*.yaml"))
PAPER_CONFIGS = sorted((REPO_ROOT / "configs" / "paper").glob("*.yaml"))


def run_args(subcommand: str, config: Path, runs: Path, *extra: str) -> list[str]:
    return [subcommand, "--config", str(config), "--trainer.logger.init_args.save_dir", str(runs), *extra]


def cli(*args: str) -> None:
    # LightningCLI warns when sys.argv (pytest's own) is set besides args
    with patch.object(sys, "argv", ["empathy-suite"]):
        main(list(args))


def cli_subprocess(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "empathy_suite", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO_ROOT)


def event_tags(log_dir: Path) -> dict[str, set[str]]:
    """Scalar and text tags written to the event files of one run version."""
    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0, "scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    return {"scalars": set(tags["scalars"]), "text": {t.removesuffix("/text_summary") for t in tags["tensors"]}}
