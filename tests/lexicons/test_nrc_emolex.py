import json
import sys

import pytest

from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.lexicons import nrc_emolex
from empathy_suite.lexicons.nrc_emolex import (
    NRC_CATEGORIES,
    NRC_EMOTIONS,
    NRC_FILENAME,
    emotion_words_only,
    load_emotion_lexicon,
    nrclex_lexicon_path,
    read_nrc_wordlevel,
    read_nrclex_json,
)


def official_lines(word: str, ones: set[str]) -> list[str]:
    return [f"{word}\t{category}\t{int(category in ones)}" for category in NRC_CATEGORIES]


def write(path, lines, newline="\r\n"):
    path.write_text("".join(line + newline for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def small_file(tmp_path):
    lines = (
        official_lines("abandon", {"fear", "negative", "sadness"})
        + official_lines("aback", set())  # all zeros: not a lexicon word
        + official_lines("happy", {"joy", "positive", "trust", "anticipation"})
        + official_lines("good", {"positive"})
    )
    return write(tmp_path / NRC_FILENAME, lines)


def test_reads_words_with_at_least_one_association(small_file):
    lexicon = read_nrc_wordlevel(small_file)
    assert lexicon == {
        "abandon": {"fear", "negative", "sadness"},
        "happy": {"joy", "positive", "trust", "anticipation"},
        "good": {"positive"},
    }


def test_accepts_lf_newlines_blank_lines_and_the_folder(tmp_path, small_file):
    lf = write(tmp_path / "lf.txt", ["", *official_lines("calm", {"trust"}), ""], newline="\n")
    assert read_nrc_wordlevel(lf) == {"calm": {"trust"}}
    assert read_nrc_wordlevel(tmp_path) == read_nrc_wordlevel(small_file)  # folder -> official name


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("happy\tjoy", "expected 3 tab-separated fields"),
        ("happy joy 1", "found 1"),
        ("happy\tjoy\t1\textra", "found 4"),
        ("happy\thappiness\t1", "unknown category 'happiness'"),
        ("happy\tjoy\t2", "must be 0 or 1, found '2'"),
        ("happy\tjoy\t", "must be 0 or 1, found ''"),
        ("\tjoy\t1", "empty word"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, bad_line, message):
    path = write(tmp_path / "bad.txt", [*official_lines("calm", {"trust"}), bad_line])
    with pytest.raises(DataFormatError, match=message) as info:
        read_nrc_wordlevel(path)
    assert f"{path} line 11:" in str(info.value)


def test_empty_and_missing_files(tmp_path):
    empty = write(tmp_path / "empty.txt", ["", "  "])
    with pytest.raises(DataFormatError, match="empty"):
        read_nrc_wordlevel(empty)
    with pytest.raises(DataFormatError, match="not found") as info:
        read_nrc_wordlevel(tmp_path / "nope.txt")
    assert "nope.txt" in str(info.value)
    with pytest.raises(DataFormatError, match=NRC_FILENAME):
        load_emotion_lexicon(tmp_path / "sub")  # neither a file nor a folder with the file


def test_not_utf8_is_a_data_format_error(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9\tjoy\t1\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="UTF-8"):
        read_nrc_wordlevel(path)


def test_emotion_words_only_can_drop_sentiment_only_words(small_file):
    lexicon = read_nrc_wordlevel(small_file)
    assert emotion_words_only(lexicon) == {"abandon", "happy", "good"}
    assert emotion_words_only(lexicon, NRC_EMOTIONS) == {"abandon", "happy"}
    with pytest.raises(ConfigError, match="unknown NRC categories"):
        emotion_words_only(lexicon, ("joyful",))


def test_nrclex_style_json(tmp_path):
    path = tmp_path / "nrc_en.json"
    path.write_text(json.dumps({"abandon": ["fear", "negative"], "meh": []}), encoding="utf-8")
    assert read_nrclex_json(path) == {"abandon": {"fear", "negative"}}
    path.write_text(json.dumps({"abandon": ["dread"]}), encoding="utf-8")
    with pytest.raises(DataFormatError, match="unknown categories"):
        read_nrclex_json(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not a JSON lexicon"):
        read_nrclex_json(path)


def test_finds_the_json_inside_an_nrclex_package_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "nrclex"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    (package / "data" / "nrc_en.json").write_text(json.dumps({"calm": ["trust"]}))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "nrclex", raising=False)  # find_spec would return an imported one
    assert nrclex_lexicon_path() == package / "data" / "nrc_en.json"
    assert load_emotion_lexicon(None) == {"calm": {"trust"}}


def test_without_path_or_nrclex_the_error_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(nrc_emolex, "nrclex_lexicon_path", lambda: None)
    with pytest.raises(ConfigError, match="pip install nrclex") as info:
        load_emotion_lexicon(None)
    assert NRC_FILENAME in str(info.value)


def test_real_official_file(shared_data):
    lexicon = load_emotion_lexicon(shared_data / "nrc_emolex" / NRC_FILENAME)
    # 14,182 words in the file, 6,468 with at least one association (4,463 with one of the 8 emotions)
    assert len(lexicon) == 6468
    assert len(emotion_words_only(lexicon, NRC_EMOTIONS)) == 4463
    assert lexicon["abandon"] == {"fear", "negative", "sadness"}
    assert "aback" not in lexicon
    assert set().union(*lexicon.values()) == set(NRC_CATEGORIES)


def test_real_nrclex_copy_matches_the_official_file(shared_data):
    if nrclex_lexicon_path() is None:
        pytest.skip("nrclex is not installed")
    assert load_emotion_lexicon(None) == load_emotion_lexicon(shared_data / "nrc_emolex")
