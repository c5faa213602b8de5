import csv
import logging
import random

import pytest

from empathy_suite.datamodules.epitome import (
    EPITOME_COLUMNS,
    EPITOME_FILES,
    MECHANISMS,
    SAMPLE_DIR,
    EpitomeDataModule,
    read_epitome_csv,
)
from empathy_suite.errors import ConfigError, DataFormatError

ER_FILE, IP_FILE, EX_FILE = (EPITOME_FILES[m] for m in MECHANISMS)


def write_csv(path, rows, header=EPITOME_COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(key, level, seeker=None, response=None, rationale=""):
    return [f"s{key}", f"r{key}", seeker or f"seeker post {key}, with a comma", response or f"reply {key}", level,
            rationale]


def write_release(folder, rows_by_mechanism):
    folder.mkdir(exist_ok=True)
    for m in MECHANISMS:
        write_csv(folder / EPITOME_FILES[m], rows_by_mechanism[m])
    return folder


def clean_release(folder, n=10):
    """n keys with the same texts in all files; levels cycle through 0/1/2."""
    return write_release(folder, {m: [row(k, (k + i) % 3) for k in range(n)] for i, m in enumerate(MECHANISMS)})


def ids(examples):
    return [e.dialogue_id for e in examples]


# --- bundled sample ---------------------------------------------------------------------------

def test_bundled_sample_loads_and_joins():
    dm = EpitomeDataModule()
    assert dm.data_dir == SAMPLE_DIR
    assert all(path.stat().st_size < 16_000 for path in SAMPLE_DIR.glob("*.csv"))
    report = dm.report
    assert report.rows == {m: 61 for m in MECHANISMS}
    assert report.duplicate_rows == {m: 1 for m in MECHANISMS}
    assert report.example_ids["duplicate"] == ["zs0000/zr0000a"]
    assert report.joined == 60 and report.dropped_missing == report.dropped_text_mismatch == 0
    examples = dm.examples("train") + dm.examples("valid")
    assert len({e.dialogue_id for e in examples}) == 60
    for e in examples:
        assert len(e.context) == 1 and e.context[0] and e.response
        assert tuple(e.extra["levels"]) == MECHANISMS and set(e.extra["levels"].values()) <= {0, 1, 2}
        assert set(e.extra["rationales"]) == set(MECHANISMS)
    for m in MECHANISMS:  # the sample covers every level of every mechanism
        assert {e.extra["levels"][m] for e in examples} == {0, 1, 2}
        assert all(report.level_counts[m][level] > 0 for level in (0, 1, 2))
    first = next(e for e in examples if e.dialogue_id == "zs0000/zr0000a")
    assert first.extra["levels"] == {"ER": 2, "IP": 0, "EX": 2}
    assert first.context == ("I failed my driving test for the third time today. I feel like such an idiot.",)
    assert first.extra["rationales"]["EX"] == "What part of the test tripped you up this time?|"


def test_collate_fn_batches():
    dm = EpitomeDataModule(batch_size=5, collate_fn=lambda xs: [x.extra["levels"]["ER"] for x in xs])
    batch = next(iter(dm.val_dataloader()))
    assert len(batch) == 5 and set(batch) <= {0, 1, 2}


# --- split ------------------------------------------------------------------------------------

def test_split_is_80_20_and_test_is_valid_by_default():
    dm = EpitomeDataModule()
    train, valid, test = (dm.examples(s) for s in ("train", "valid", "test"))
    assert (len(train), len(valid)) == (48, 12)
    assert not set(ids(train)) & set(ids(valid))
    assert ids(test) == ids(valid)
    assert dm.report.split_sizes == {"train": 48, "valid": 12, "test": 12}


def test_split_is_deterministic_and_seeded():
    valid = ids(EpitomeDataModule().examples("valid"))
    assert ids(EpitomeDataModule(split_seed=42).examples("valid")) == valid
    assert set(ids(EpitomeDataModule(split_seed=7).examples("valid"))) != set(valid)


def test_split_does_not_depend_on_row_order(tmp_path):
    for m, name in EPITOME_FILES.items():
        with open(SAMPLE_DIR / name, newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        random.Random(m).shuffle(rows)
        write_csv(tmp_path / name, rows, header)
    shuffled = EpitomeDataModule(data_dir=str(tmp_path))
    bundled = EpitomeDataModule()
    for split in ("train", "valid"):
        assert ids(shuffled.examples(split)) == ids(bundled.examples(split))


def test_separate_test_split():
    dm = EpitomeDataModule(valid_fraction=0.2, test_fraction=0.1)
    train, valid, test = (set(ids(dm.examples(s))) for s in ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (42, 12, 6)
    assert not (train & valid or train & test or valid & test)


@pytest.mark.parametrize("kwargs", [{"valid_fraction": 0.0}, {"valid_fraction": 1.0}, {"test_fraction": -0.1},
                                    {"valid_fraction": 0.6, "test_fraction": 0.4}])
def test_bad_fractions(kwargs):
    with pytest.raises(ConfigError):
        EpitomeDataModule(**kwargs)


# --- report on crafted files ------------------------------------------------------------------

def test_report_counts_duplicates_missing_and_text_disagreements(tmp_path, caplog):
    rows = {m: [row(k, 1) for k in range(6)] for m in MECHANISMS}
    rows["ER"].append(row(0, 1))  # repeated row, same level
    rows["ER"].append(row(1, 2))  # repeated key, different level: the first (1) is kept
    rows["IP"].insert(0, row(1, 0))  # the first row of a key comes first in file order
    rows["IP"].append(row(1, 2))
    rows["EX"] = [r for r in rows["EX"] if r[0] != "s2"]  # key 2 missing from EX
    rows["IP"][4] = row(3, 1, seeker="seeker post 3 on , with a comma")  # text differs: dropped
    rows["EX"][3] = row(4, 1, response="reply  4")  # only whitespace differs: kept
    folder = write_release(tmp_path / "epitome", rows)
    caplog.set_level(logging.INFO)
    dm = EpitomeDataModule(data_dir=str(folder))
    report = dm.report
    assert report.rows == {"ER": 8, "IP": 8, "EX": 5}
    assert report.duplicate_rows == {"ER": 2, "IP": 2, "EX": 0}
    assert report.duplicate_level_conflicts == {"ER": 1, "IP": 1, "EX": 0}
    assert report.missing_keys == {"ER": 0, "IP": 0, "EX": 1} and report.dropped_missing == 1
    assert report.dropped_text_mismatch == 1 and report.whitespace_only_text_differences == 1
    assert report.joined == 4
    assert report.example_ids == {"duplicate": ["s0/r0", "s1/r1"], "duplicate_level_conflict": ["s1/r1"],
                                  "missing": ["s2/r2"], "text_mismatch": ["s3/r3"], "whitespace_only": ["s4/r4"]}
    joined = {e.dialogue_id: e for s in ("train", "valid") for e in dm.examples(s)}
    assert sorted(joined) == ["s0/r0", "s1/r1", "s4/r4", "s5/r5"]
    assert joined["s1/r1"].extra["levels"] == {"ER": 1, "IP": 0, "EX": 1}  # first rows' levels
    assert joined["s4/r4"].response == "reply 4"  # the variant two files agree on
    assert report.as_dict()["level_counts"]["IP"] == {0: 1, 1: 3, 2: 0}
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "skipped 4 repeated rows" in warnings and "ER 1, IP 1, EX 0 (e.g. s1/r1)" in warnings
    assert "dropped 1 keys missing from a file" in warnings and "s2/r2" in warnings
    assert "dropped 1 keys whose seeker/response texts differ across files (e.g. s3/r3)" in warnings
    assert "4 joined examples" in caplog.text


def test_clean_files_report_no_issue(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    report = EpitomeDataModule(data_dir=str(clean_release(tmp_path / "e"))).report
    assert report.joined == 10 and report.example_ids == {} and not caplog.records


# --- validation errors ------------------------------------------------------------------------

def test_missing_folder_names_folder_and_files(tmp_path):
    dm = EpitomeDataModule(data_dir=str(tmp_path / "nowhere"))
    with pytest.raises(DataFormatError, match=r"folder '.*nowhere' does not exist .*emotional-reactions-reddit\.csv, "
                                              r"interpretations-reddit\.csv, explorations-reddit\.csv"):
        dm.prepare_data()


def test_missing_file_names_folder_and_file(tmp_path):
    folder = clean_release(tmp_path / "e")
    (folder / IP_FILE).unlink()
    with pytest.raises(DataFormatError, match=r"folder '.*e' lacks interpretations-reddit\.csv"):
        EpitomeDataModule(data_dir=str(folder)).examples("train")


def corrupt(tmp_path, mechanism, text):
    folder = clean_release(tmp_path / "e")
    (folder / EPITOME_FILES[mechanism]).write_text(text, encoding="utf-8")
    return folder


HEADER = ",".join(EPITOME_COLUMNS)
GOOD = 's1,r1,"I feel low, again",Sorry to hear that,1,Sorry|'


@pytest.mark.parametrize("mechanism,text,message", [
    ("ER", "", rf"{ER_FILE}: file is empty; expected the header line '{HEADER}'"),
    ("IP", "\n", rf"{IP_FILE}: file is empty"),
    ("EX", HEADER + "\n", rf"{EX_FILE}: no data rows after the header"),
    ("IP", HEADER.replace(",level", "") + "\ns1,r1,a,b,\n",
     rf"{IP_FILE} line 1: missing column\(s\) level; expected header '{HEADER}'"),
    ("ER", f"{HEADER}\n{GOOD}\ns2,r2,a,b,3,\n", rf"{ER_FILE} line 3: level must be an integer 0, 1 or 2 .*got '3'"),
    ("EX", f"{HEADER}\n{GOOD}\n\ns2,r2,a,b,one,\n", rf"{EX_FILE} line 4: level must be an integer .*got 'one'"),
    ("IP", f"{HEADER}\ns2,r2,a,b,1.0,\n", rf"{IP_FILE} line 2: level must be an integer .*got '1.0'"),
    ("IP", f"{HEADER}\ns2,r2,a,b,,\n", rf"{IP_FILE} line 2: level must be an integer .*got ''"),
    ("ER", f"{HEADER}\n{GOOD}\n,r2,a,b,0,\n", rf"{ER_FILE} line 3: empty sp_id"),
    ("EX", f"{HEADER}\n{GOOD}\ns2, ,a,b,0,\n", rf"{EX_FILE} line 3: empty rp_id"),
    ("ER", f"{HEADER}\n{GOOD}\ns2,r2,a,,0,\n", rf"{ER_FILE} line 3: empty response_post"),
    ("IP", f"{HEADER}\n{GOOD}\ns2,r2,I feel low, again,b,0,\n",
     rf"{IP_FILE} line 3: expected 6 comma-separated fields, found 7"),
])
def test_bad_input_names_file_and_line(tmp_path, mechanism, text, message):
    dm = EpitomeDataModule(data_dir=str(corrupt(tmp_path, mechanism, text)))
    with pytest.raises(DataFormatError, match=message):
        dm.examples("train")


def test_line_numbers_count_multiline_records(tmp_path):
    path = tmp_path / ER_FILE
    path.write_text(f'{HEADER}\ns1,r1,"two\nlines",b,0,\ns2,r2,a,b,5,\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=rf"{ER_FILE} line 4: level"):
        read_epitome_csv(path)


def test_reader_accepts_bom_missing_rationales_and_strips(tmp_path):
    path = tmp_path / ER_FILE
    path.write_text("\ufeffsp_id,rp_id,seeker_post,response_post,level\n s1 ,r1,  a  ,b, 2 \n", encoding="utf-8")
    [parsed] = read_epitome_csv(path)
    assert (parsed.key, parsed.seeker_post, parsed.level, parsed.rationales, parsed.line) == (("s1", "r1"), "a", 2,
                                                                                             "", 2)


# --- real data --------------------------------------------------------------------------------

def test_real_release(shared_data):
    folder = shared_data / "epitome_reddit"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    dm = EpitomeDataModule(data_dir=str(folder))
    report = dm.report
    assert report.rows == {m: 3084 for m in MECHANISMS}
    assert report.unique_keys == {m: 3023 for m in MECHANISMS}
    assert report.duplicate_rows == {m: 61 for m in MECHANISMS}
    assert report.duplicate_level_conflicts == {"ER": 10, "IP": 10, "EX": 5}
    assert report.missing_keys == {m: 0 for m in MECHANISMS} and report.dropped_missing == 0
    # the ER file collapses repeated spaces (kept) and drops the words "reddit"/"subreddit" (dropped)
    assert report.whitespace_only_text_differences == 627 and report.dropped_text_mismatch == 35
    assert report.joined == 2988
    assert report.split_sizes == {"train": 2390, "valid": 598, "test": 598}
    assert report.level_counts == {"ER": {0: 1987, 1: 852, 2: 149}, "IP": {0: 1573, 1: 113, 2: 1302},
                                   "EX": {0: 2518, 1: 103, 2: 367}}
