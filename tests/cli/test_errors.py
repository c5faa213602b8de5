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


def test_emprl_without_its_earlier_stages_names_the_missing_checkpoint(tmp_path, capsys):
    config = next(p for p in QUICK_CONFIGS if p.stem == "emprl_3_rl")
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit) as exit_info:
        cli(*run_args("fit", config, runs))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"model.generator_checkpoint: {runs}/emprl_2_generator/checkpoints/last.ckpt does not exist" in err
    assert not list(runs.rglob("version_*"))


def test_bad_epitome_file_through_cli(tmp_path, capsys):
    config = next(p for p in QUICK_CONFIGS if p.stem == "emprl_1_identifier")
    data = tmp_path / "epitome"
    data.mkdir()
    header = "sp_id,rp_id,seeker_post,response_post,level,rationales\n"
    for name in ("emotional-reactions-reddit.csv", "interpretations-reddit.csv", "explorations-reddit.csv"):
        (data / name).write_text(header + "s1,r1,I feel low,I'm sorry,1,\n")
    (data / "explorations-reddit.csv").write_text(header + "s1,r1,I feel low,I'm sorry,3,\n")
    with pytest.raises(SystemExit) as exit_info:
        cli(*run_args("fit", config, tmp_path / "runs", "--data.data_dir", str(data)))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "explorations-reddit.csv" in err and "line 2" in err and "level" in err
