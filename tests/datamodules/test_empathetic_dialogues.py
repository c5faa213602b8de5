import pytest

from empathy_suite.datamodules.ed_csv import ED_COLUMNS, group_conversations, read_ed_csv
from empathy_suite.datamodules.empathetic_dialogues import (
    SAMPLE_DIR,
    EmpatheticDialoguesDataModule,
    conversation_examples,
)
from empathy_suite.errors import DataFormatError


def conversation(tmp_path, n_turns):
    lines = [",".join(ED_COLUMNS)] + [f"c1,{i},afraid,noises at night,{i % 2},u{i},x," for i in range(1, n_turns + 1)]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    return group_conversations(read_ed_csv(path))[0]


def test_listener_only_examples_with_context_window(tmp_path):
    examples = conversation_examples(conversation(tmp_path, 8), context_window=4, listener_only=True)
    # Listener turns are the even-numbered ones: 2, 4, 6, 8
    assert [e.turn for e in examples] == [2, 4, 6, 8]
    assert examples[0].context == ("u1",)
    assert examples[-1].context == ("u4", "u5", "u6", "u7")  # at most 4 previous utterances
    assert examples[-1].context_speakers == ("listener", "speaker", "listener", "speaker")
    assert examples[1].feedback == "u5" and examples[-1].feedback is None
    assert examples[0].emotion == "afraid" and examples[0].situation == "noises at night"


def test_both_roles_as_targets(tmp_path):
    examples = conversation_examples(conversation(tmp_path, 4), context_window=2, listener_only=False)
    assert [(e.turn, e.response_speaker) for e in examples] == [(2, "listener"), (3, "speaker"), (4, "listener")]
    assert examples[-1].context == ("u2", "u3")


def test_bundled_sample_loads_every_split():
    dm = EmpatheticDialoguesDataModule()
    assert dm.data_dir == SAMPLE_DIR
    for split in ("train", "valid", "test"):
        examples = dm.examples(split)
        assert examples and all(e.response_speaker == "listener" and e.context for e in examples)
    assert len({e.emotion for e in dm.examples("train")}) >= 12


def test_missing_folder_names_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dm = EmpatheticDialoguesDataModule(data_dir=str(tmp_path / "ed"))
    with pytest.raises(DataFormatError, match=r"folder '.*ed' does not exist .*train\.csv, valid\.csv, test\.csv"):
        dm.prepare_data()


def test_partial_folder_names_missing_files(tmp_path):
    (tmp_path / "train.csv").write_text(",".join(ED_COLUMNS) + "\nc,1,sad,s,1,u,x,\n")
    dm = EmpatheticDialoguesDataModule(data_dir=str(tmp_path), download=False)
    with pytest.raises(DataFormatError, match="lacks valid.csv, test.csv"):
        dm.prepare_data()


def test_collate_fn_batches(tmp_path):
    dm = EmpatheticDialoguesDataModule(batch_size=3, collate_fn=lambda xs: [x.response for x in xs])
    dm.setup("fit")
    batch = next(iter(dm.val_dataloader()))
    assert len(batch) == 3 and all(isinstance(text, str) for text in batch)


def test_real_ed_release(shared_data):
    folder = shared_data / "empathetic_dialogues"
    dm = EmpatheticDialoguesDataModule(data_dir=str(folder), download=False)
    dm.prepare_data()
    rows = read_ed_csv(folder / "train.csv")
    listener_rows = sum(1 for conv in group_conversations(rows) for r in conv[1:] if r.utterance_idx % 2 == 0)
    train = dm.examples("train")
    assert len(train) == listener_rows > 10_000
    assert not any("_comma_" in e.response or "_comma_" in " ".join(e.context) for e in train)
    assert len({e.emotion for e in train}) == 32
    assert all(1 <= len(e.context) <= 4 for e in train)
