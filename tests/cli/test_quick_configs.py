"""Every quick config fits and tests through the CLI and writes TensorBoard scalars and text.

The configs run in name order in one runs folder, as ``make demo`` runs them, because the
EmpRL stages read the checkpoints of the stages before them.
"""

import json

import pytest
import yaml

from helpers import QUICK_CONFIGS, cli, event_tags, run_args

pytestmark = pytest.mark.slow

# test metrics each module must report (the papers' table columns)
EXPECTED_TEST_METRICS = {
    "RetrievalModule": {"test/p_at_1", "test/avg_bleu", "test/bleu4"},
    "GenerativeModule": {"test/ppl", "test/avg_bleu", "test/bleu4"},
    "EmpathyIdentifierModule": {"test/ER_acc", "test/IP_acc", "test/EX_acc", "test/ER_f1", "test/mean_f1"},
    "T5GeneratorModule": {"test/ppl", "test/dist1", "test/dist2", "test/emp_f1"},
    "EmpRLModule": {"test/ppl", "test/dist1", "test/dist2", "test/emp_f1"},
    # the paper's Table 1 columns
    "EmpGANModule": {"test/avg_bleu", "test/dist1", "test/dist2", *(f"test/rouge{n}_{s}" for n in ("1", "2", "L")
                                                                     for s in "fpr")},
}
RL_TRAIN_METRICS = {"train/reward", "train/kl", "train/entropy", "train/clip_frac", "train/value_loss",
                    "train/approx_kl", "train/response_length", "train/policy_loss"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return tmp_path_factory.mktemp("quick") / "runs"


def run_name(config):
    return yaml.safe_load(config.read_text())["trainer"]["logger"]["init_args"]["name"]


@pytest.mark.parametrize("config", QUICK_CONFIGS, ids=lambda p: p.stem)
def test_fit_then_test_last_checkpoint(config, runs):
    cli(*run_args("fit", config, runs))
    run_dir = runs / run_name(config)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    cli(*run_args("test", config, runs, "--ckpt_path", "last"))

    fit_dir, test_dir = sorted(run_dir.glob("version_*"), key=lambda p: int(p.name.split("_")[1]))[-2:]
    assert (fit_dir / "config.yaml").is_file() and (test_dir / "config.yaml").is_file()
    fit_tags, test_tags = event_tags(fit_dir), event_tags(test_dir)
    assert {"train/loss", "val/loss"} <= fit_tags["scalars"] or RL_TRAIN_METRICS <= fit_tags["scalars"]
    assert "val/samples" in fit_tags["text"] and "test/samples" in test_tags["text"]
    result = json.loads((test_dir / "test_metrics.json").read_text())
    assert EXPECTED_TEST_METRICS[result["model"]] <= set(result["metrics"]) <= test_tags["scalars"]
    if result["model"] == "EmpRLModule":
        assert RL_TRAIN_METRICS <= fit_tags["scalars"] and "train/samples" in fit_tags["text"]
    if result["model"] == "EmpGANModule":
        assert "test/top_words" in test_tags["text"]
    for name, value in result["metrics"].items():
        if name.endswith(("acc", "f1", "bleu", "p_at_1", "dist1", "dist2", "_f", "_p", "_r")):
            assert 0 <= value <= 100, name
        if name.endswith("ppl"):
            assert value > 1


def test_emprl_checkpoint_loads_without_a_trainer(runs):
    """Runs after the quick pipeline above; the policy comes back with its value head."""
    from empathy_suite.lightning_modules.emprl import EmpRLModule

    module = EmpRLModule.load_from_checkpoint(runs / "emprl_3_rl" / "checkpoints" / "last.ckpt", map_location="cpu")
    assert module.value_head is not None and module.tokenizer is not None
    ids = module.tokenizer(["I lost my dog"], return_tensors="pt")
    out = module.generate({"input_ids": ids["input_ids"], "attention_mask": ids["attention_mask"]})
    assert len(out) == 1
