"""A 2-process DDP fit on CPU for each module (gloo), through the CLI as a user runs it."""

import pytest

from helpers import QUICK_CONFIGS, cli_subprocess, run_args

pytestmark = pytest.mark.slow
DDP = ("--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu")


@pytest.mark.parametrize("name", ["ed_retrieval", "ed_generative"])
def test_two_process_ddp_fit(name, tmp_path):
    config = next(p for p in QUICK_CONFIGS if p.stem == name)
    runs = tmp_path / "runs"
    result = cli_subprocess(*run_args("fit", config, runs, *DDP, "--trainer.max_epochs", "1",
                                      "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (runs / name / "checkpoints" / "last.ckpt").is_file()
    assert "world_size: 2" in result.stderr + result.stdout or "Initializing distributed: GLOBAL_RANK: 1" in result.stderr + result.stdout
