"""A 2-process DDP fit on CPU for each module (gloo), through the CLI as a user runs it."""

import pytest

from helpers import QUICK_CONFIGS, cli, cli_subprocess, run_args

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


def quick(name):
    return next(p for p in QUICK_CONFIGS if p.stem == name)


def test_two_process_ddp_emprl_pipeline(tmp_path):
    """Identifiers under DDP, the generator in one process, then EmpRL's PPO under DDP."""
    runs = tmp_path / "runs"
    short = ("--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1")
    result = cli_subprocess(*run_args("fit", quick("emprl_1_identifier"), runs, *DDP, *short))
    assert result.returncode == 0, result.stderr[-3000:]
    cli(*run_args("fit", quick("emprl_2_generator"), runs, *short))
    result = cli_subprocess(*run_args("fit", quick("emprl_3_rl"), runs, *DDP, *short))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (runs / "emprl_3_rl" / "checkpoints" / "last.ckpt").is_file()


def test_two_process_ddp_empgan(tmp_path):
    """Critic and generator steps each leave the other's weights without gradients, so DDP
    must look for unused parameters (as for any GAN under DDP)."""
    runs = tmp_path / "runs"
    strategy = ("--trainer.strategy", "ddp_find_unused_parameters_true", "--trainer.devices", "2",
                "--trainer.accelerator", "cpu")
    result = cli_subprocess(*run_args("fit", quick("empgan"), runs, *strategy, "--trainer.max_epochs", "1",
                                      "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (runs / "empgan" / "checkpoints" / "last.ckpt").is_file()
