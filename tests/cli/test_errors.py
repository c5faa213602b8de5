"""The suite's own data and config errors: one clear message, no traceback, nothing left behind."""

import pytest

from empathy_suite.datamodules.ed_csv import ED_COLUMNS
from helpers import QUICK_CONFIGS, cli, cli_subprocess, run_args

RETRIEVAL = next(p for p in QUICK_CONFIGS if p.stem == "ed_retrieval")


def test_missing_data_folder_prints_message_without_traceback(tmp_path):
    runs = tmp_path / "runs"
    result = cli_subprocess(*run_args("fit", RETRIEVAL, runs, "--data.data_dir", str(tmp_path / "nowhere")))
    assert result.returncode == 1
    assert "empathy-suite: error: EmpatheticDialogues data not found" in result.stderr
    assert str(tmp_path / "nowhere") in result.stderr
    assert "Traceback" not in result.stderr
    assert not runs.exists() or not any(runs.rglob("*"))


def test_bad_csv_through_cli_leaves_no_run_directory(tmp_path, capsys):
    data = tmp_path / "ed"
    data.mkdir()
    good = ",".join(ED_COLUMNS) + "\n" + "".join(f"c{c},{i},sad,s,{i % 2},hello there,x,\n" for c in range(4) for i in (1, 2))
    (data / "train.csv").write_text(good)
    (data / "test.csv").write_text(good)
    (data / "valid.csv").write_text(good + "c9,1,sad,s,1,one, two,x,\n")
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit) as exit_info:
        cli(*run_args("fit", RETRIEVAL, runs, "--data.data_dir", str(data)))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"{data / 'valid.csv'} line 10: expected 8 comma-separated fields, found 9" in err
    assert not list(runs.rglob("version_*"))


def test_config_error_is_reported(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli(*run_args("fit", RETRIEVAL, tmp_path / "runs", "--model.init_args.heads", "7"))
    assert exit_info.value.code != 0
    assert "must be divisible by model.heads" in capsys.readouterr().err
