"""Every quick config fits and tests through the CLI and writes TensorBoard scalars and text."""

import json

import pytest
import yaml

from helpers import QUICK_CONFIGS, cli, event_tags, run_args

pytestmark = pytest.mark.slow


def run_name(config):
    return yaml.safe_load(config.read_text())["trainer"]["logger"]["init_args"]["name"]


@pytest.mark.parametrize("config", QUICK_CONFIGS, ids=lambda p: p.stem)
def test_fit_then_test_last_checkpoint(config, tmp_path):
    runs = tmp_path / "runs"
    cli(*run_args("fit", config, runs, "--trainer.max_epochs", "1"))
    run_dir = runs / run_name(config)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    cli(*run_args("test", config, runs, "--ckpt_path", "last"))

    fit_dir, test_dir = run_dir / "version_0", run_dir / "version_1"
    assert (fit_dir / "config.yaml").is_file() and (test_dir / "config.yaml").is_file()
    fit_tags, test_tags = event_tags(fit_dir), event_tags(test_dir)
    assert {"train/loss", "val/loss", "val/avg_bleu"} <= fit_tags["scalars"]
    assert "val/samples" in fit_tags["text"]
    assert {"test/loss", "test/avg_bleu", "test/bleu4"} <= test_tags["scalars"]
    assert "test/samples" in test_tags["text"]
    metrics = json.loads((test_dir / "test_metrics.json").read_text())["metrics"]
    assert 0 <= metrics["test/avg_bleu"] <= 100
    if "Retrieval" in config.read_text():
        assert 0 <= metrics["test/p_at_1"] <= 100
    else:
        assert metrics["test/ppl"] > 1
