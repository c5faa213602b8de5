"""``make demo``'s runner: fit and test each config of a folder, then one table."""

import shutil

import pytest
import yaml

from empathy_suite import demo
from helpers import QUICK_CONFIGS

pytestmark = pytest.mark.slow


def test_demo_runs_each_config_and_prints_the_table(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "configs"
    folder.mkdir()
    config = yaml.safe_load(next(p for p in QUICK_CONFIGS if p.stem == "ed_retrieval").read_text())
    config["trainer"]["max_epochs"] = 1
    (folder / "a_retrieval.yaml").write_text(yaml.safe_dump(config))
    broken = dict(config, model={"class_path": "empathy_suite.lightning_modules.retrieval.RetrievalModule",
                                 "init_args": {"heads": 7}})
    broken["trainer"] = dict(config["trainer"], logger={**config["trainer"]["logger"]})
    broken["trainer"]["logger"]["init_args"] = {"save_dir": "runs", "name": "broken"}
    (folder / "b_broken.yaml").write_text(yaml.safe_dump(broken))
    monkeypatch.chdir(tmp_path)
    assert demo.main([str(folder)]) == 1  # the broken config fails, the other still runs
    out, err = capsys.readouterr()
    assert "Test metrics of" in out and "a_retrieval" in out and "p_at_1" in out
    assert "failed: " in err and "b_broken.yaml (fit)" in err
    assert (tmp_path / "runs" / "ed_retrieval" / "version_1" / "test_metrics.json").is_file()
    shutil.rmtree(tmp_path / "runs")
