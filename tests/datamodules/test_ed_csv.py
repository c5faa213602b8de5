import pytest

from empathy_suite.datamodules.ed_csv import ED_COLUMNS, group_conversations, read_ed_csv
from empathy_suite.errors import DataFormatError

HEADER = ",".join(ED_COLUMNS)


def write(tmp_path, text, name="train.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_rows_and_unescapes_commas(tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "hit:1_conv:2,1,proud,I got promoted_comma_ finally,1,I got the promotion_comma_ yay!,5|5|5_2|2|5,\n"
                 "hit:1_conv:2,2,proud,I got promoted_comma_ finally,2,Congrats!,5|5|5_2|2|5,\n")
    rows = read_ed_csv(path)
    assert [r.utterance for r in rows] == ["I got the promotion, yay!", "Congrats!"]
    assert rows[0].situation == "I got promoted, finally"
    assert rows[0].emotion == "proud" and rows[1].utterance_idx == 2 and rows[1].line == 3


def test_groups_consecutive_rows_by_conversation(tmp_path):
    lines = [HEADER] + [f"c{c},{i},sad,s,{i % 2},u{c}{i},x," for c in (1, 2) for i in (1, 2, 3)]
    rows = read_ed_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert [[r.utterance for r in conv] for conv in group_conversations(rows)] == [
        ["u11", "u12", "u13"], ["u21", "u22", "u23"]]


def test_empty_file_names_the_file(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(DataFormatError, match=r"train\.csv: file is empty"):
        read_ed_csv(path)


def test_header_only_file_is_rejected(tmp_path):
    with pytest.raises(DataFormatError, match="no data rows"):
        read_ed_csv(write(tmp_path, HEADER + "\n"))


def test_missing_column_names_file_line_and_column(tmp_path):
    header = HEADER.replace("utterance,", "text,")
    path = write(tmp_path, header + "\nc1,1,sad,s,1,hello,x,\n")
    with pytest.raises(DataFormatError, match=r"train\.csv line 1: missing column\(s\) utterance"):
        read_ed_csv(path)


def test_wrong_field_count_names_file_and_line(tmp_path):
    path = write(tmp_path, HEADER + "\nc1,1,sad,s,1,hello,x,\nc1,2,sad,s,2,oh, no,x,\n")
    with pytest.raises(DataFormatError, match=r"train\.csv line 3: expected 8 comma-separated fields, found 9"):
        read_ed_csv(path)


def test_non_integer_turn_index(tmp_path):
    path = write(tmp_path, HEADER + "\nc1,one,sad,s,1,hello,x,\n")
    with pytest.raises(DataFormatError, match=r"line 2: field utterance_idx must be an integer, got 'one'"):
        read_ed_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="file not found"):
        read_ed_csv(tmp_path / "nope.csv")
