import logging
import random
import shutil
import zipfile

import pytest

from empathy_suite.datamodules.dailydialog import (
    EMOTIONS,
    SAMPLE_DIR,
    SPLIT_FOLDERS,
    DailyDialogDataModule,
    Dialogue,
    dialogue_examples,
    split_files,
)
from empathy_suite.errors import ConfigError, DataFormatError

ALL_SPLITS = ("train", "valid", "test")


def ids(examples):
    return [e.dialogue_id for e in examples]


def write_split(root, split, dialogues, topics=None):
    """Official format: ``u __eou__ u __eou__`` lines, labels with a trailing space."""
    files = split_files(split)
    (root / SPLIT_FOLDERS[split]).mkdir(parents=True, exist_ok=True)
    (root / files["text"]).write_text("".join(" __eou__ ".join(u) + " __eou__\n" for u, _, _ in dialogues),
                                      encoding="utf-8")
    (root / files["emotion"]).write_text("".join("".join(f"{x} " for x in e) + "\n" for _, e, _ in dialogues))
    (root / files["act"]).write_text("".join("".join(f"{x} " for x in a) + "\n" for _, _, a in dialogues))
    if topics is not None:
        (root / files["topic"]).write_text("".join(f"{t}\n" for t in topics))


def tiny(prefix, emotions):
    n = len(emotions)
    return (tuple(f"{prefix} utterance {i} ." for i in range(n)), emotions, tuple(1 + i % 4 for i in range(n)))


def tiny_release(root, per_split=3):
    """Dialogue i of each split has 4 utterances; odd i change emotion, even i are all neutral."""
    for split in ALL_SPLITS:
        write_split(root, split, [tiny(f"{split}{i}", (0, i % 2, 0, 4 * (i % 2))) for i in range(per_split)])
    return root


# --- bundled sample ---------------------------------------------------------------------------

def test_bundled_sample_loads_every_split():
    dm = DailyDialogDataModule()
    assert dm.data_dir == SAMPLE_DIR
    report = dm.report
    assert report.dialogues_read == {"train": 40, "valid": 8, "test": 8} and not report.missing_splits
    assert report.examples == {"train": 126, "valid": 20, "test": 22} and report.topics == "per-split files"
    assert all(n > 0 for n in report.emotion_counts.values())  # all 7 emotions occur
    assert sum(d.emotion_changes for s in ALL_SPLITS for d in dm.dialogues(s)) == 39
    for split in ALL_SPLITS:
        for e in dm.examples(split):
            assert e.context and e.response and e.feedback and e.extra["feedback_emotion"] in EMOTIONS
            assert len(e.turn_emotions) == len(e.extra["acts"]) == len(e.context) + 1
            assert e.extra["topic"] is not None and e.response_speaker == ("B" if e.turn % 2 == 0 else "A")
    first = dm.examples("train")[0]
    assert (first.dialogue_id, first.context, first.response, first.feedback) == (
        "train-0", ("Excuse me , is this seat taken ?",), "No , please sit down .",
        "Thanks . The bus is so crowded this morning .")
    glitch = "Okay , I'll meet you at the entrance at ten o'clock.See you then ."
    assert dm.dialogues("train")[9].utterances[-1] == glitch


def test_collate_fn_batches():
    dm = DailyDialogDataModule(batch_size=4, collate_fn=lambda xs: [x.turn_emotions[-1] for x in xs])
    batch = next(iter(dm.val_dataloader()))
    assert len(batch) == 4 and set(batch) <= set(EMOTIONS)


# --- example construction ---------------------------------------------------------------------

DIALOGUE = Dialogue("train", 3, ("u0", "u1", "u2", "u3", "u4"), (0, 4, 4, 5, 0), (2, 1, 3, 4, 1), topic=6)


def test_examples_by_hand():
    examples = dialogue_examples(DIALOGUE)
    assert [e.turn for e in examples] == [2, 3, 4]  # u4 has no feedback
    first = examples[0]
    assert (first.context, first.response, first.feedback) == (("u0",), "u1", "u2")
    assert (first.context_speakers, first.response_speaker, first.dialogue_id) == (("A",), "B", "train-3")
    assert first.turn_emotions == ("neutral", "happiness") and first.emotion is None
    assert first.extra == {"acts": ("question", "inform"), "topic": "Tourism", "feedback_emotion": "happiness",
                           "feedback_act": "directive"}
    last = examples[-1]
    assert (last.context, last.response, last.feedback) == (("u0", "u1", "u2"), "u3", "u4")
    assert last.turn_emotions == ("neutral", "happiness", "happiness", "sadness")
    assert last.context_speakers == ("A", "B", "A") and last.response_speaker == "B"


def test_example_options():
    windowed = dialogue_examples(DIALOGUE, context_window=2)[-1]
    assert windowed.context == ("u1", "u2") and windowed.context_speakers == ("B", "A")
    assert windowed.turn_emotions == ("happiness", "happiness", "sadness")
    assert windowed.extra["acts"] == ("inform", "directive", "commissive")
    no_feedback = dialogue_examples(DIALOGUE, require_feedback=False)
    assert [e.turn for e in no_feedback] == [2, 3, 4, 5]
    assert no_feedback[-1].feedback is None and no_feedback[-1].extra["feedback_emotion"] is None
    assert [e.turn for e in dialogue_examples(DIALOGUE, agent_turns_only=True)] == [2, 4]
    assert [e.turn for e in dialogue_examples(DIALOGUE, every_turn=False)] == [4]
    assert [e.turn for e in dialogue_examples(DIALOGUE, every_turn=False, require_feedback=False)] == [5]
    short = Dialogue("valid", 0, ("hi .", "hello ."), (0, 0), (1, 1))
    assert dialogue_examples(short) == [] and dialogue_examples(short, require_feedback=False)[0].extra["topic"] is None


def test_datamodule_passes_options():
    dm = DailyDialogDataModule(context_window=1, agent_turns_only=True)
    examples = dm.examples("valid")
    assert all(len(e.context) == 1 and e.response_speaker == "B" for e in examples)
    assert len(DailyDialogDataModule(every_turn=False).examples("valid")) == 8  # one per dialogue


@pytest.mark.parametrize("kwargs", [{"context_window": 0}, {"split_ratio": (10, 1)}, {"split_ratio": (10, 0, 1)},
                                    {"split_ratio": (10, -1, 1)}])
def test_bad_options(kwargs):
    with pytest.raises(ConfigError):
        DailyDialogDataModule(**kwargs)


# --- subset and resplit -----------------------------------------------------------------------

def test_emotion_change_subset(tmp_path):
    dm = DailyDialogDataModule(data_dir=str(tiny_release(tmp_path, per_split=4)), emotion_change_subset=True)
    assert [d.dialogue_id for d in dm.dialogues("train")] == ["train-1", "train-3"]
    assert set(ids(dm.examples("test"))) == {"test-1", "test-3"}
    assert dm.report.subset_kept == {"train": 2, "valid": 2, "test": 2}


def test_resplit_is_10_1_1_seeded_and_covers_every_dialogue_once():
    dm = DailyDialogDataModule(resplit=True)
    parts = {s: [d.dialogue_id for d in dm.dialogues(s)] for s in ALL_SPLITS}
    assert {s: len(p) for s, p in parts.items()} == {"train": 46, "valid": 5, "test": 5}  # 56 dialogues
    pooled = [i for p in parts.values() for i in p]
    assert len(pooled) == len(set(pooled)) == 56
    assert set(pooled) == {f"{s}-{i}" for s, n in (("train", 40), ("valid", 8), ("test", 8)) for i in range(n)}
    assert {s: [d.dialogue_id for d in DailyDialogDataModule(resplit=True).dialogues(s)] for s in ALL_SPLITS} == parts
    other = DailyDialogDataModule(resplit=True, split_seed=7)
    assert [d.dialogue_id for d in other.dialogues("valid")] != parts["valid"]
    assert set(ids(dm.examples("valid"))) <= set(parts["valid"])
    subset = DailyDialogDataModule(resplit=True, emotion_change_subset=True)
    assert subset.report.split_sizes == {"train": 33, "valid": 3, "test": 3}  # 39 changing dialogues
    ratio = DailyDialogDataModule(resplit=True, split_ratio=(8, 1, 1))
    assert ratio.report.split_sizes == {"train": 44, "valid": 6, "test": 6}


def test_missing_split_fails_unless_resplit(tmp_path, caplog):
    release = tmp_path / "dd"
    for folder in ("validation", "test"):
        shutil.copytree(SAMPLE_DIR / folder, release / folder)
    (release / "train").mkdir()  # labels but no text, like the real copy
    shutil.copy(SAMPLE_DIR / "train" / "dialogues_emotion_train.txt", release / "train")
    dm = DailyDialogDataModule(data_dir=str(release))
    assert len(dm.examples("valid")) == 20
    with pytest.raises(DataFormatError, match=r"train split: .*folder '.*dd' lacks train/dialogues_train\.txt, "
                                              r"train/dialogues_act_train\.txt .*data\.resplit=true"):
        dm.examples("train")
    caplog.set_level(logging.INFO)
    pooled = DailyDialogDataModule(data_dir=str(release), resplit=True)
    assert pooled.report.split_sizes == {"train": 14, "valid": 1, "test": 1}
    assert pooled.report.missing_splits == {"train": ["train/dialogues_train.txt", "train/dialogues_act_train.txt"]}
    assert "train split missing (train/dialogues_train.txt, train/dialogues_act_train.txt); pooled" in caplog.text


def test_missing_folder_names_folder_and_files(tmp_path):
    dm = DailyDialogDataModule(data_dir=str(tmp_path / "nowhere"))
    with pytest.raises(DataFormatError, match=r"folder '.*nowhere' does not exist \(expected "
                                              r"train/dialogues_train\.txt, .*test/dialogues_act_test\.txt"):
        dm.prepare_data()
    with pytest.raises(DataFormatError, match="does not exist"):
        dm.examples("valid")
    DailyDialogDataModule().prepare_data()  # the sample is complete


# --- validation errors ------------------------------------------------------------------------

def corrupt(tmp_path, name, text):
    root = tiny_release(tmp_path / "dd")
    (root / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return root


TEXT, EMO, ACT, TOPIC = (split_files("valid")[k] for k in ("text", "emotion", "act", "topic"))
U4 = "a . __eou__ b . __eou__ c . __eou__ d . __eou__"


@pytest.mark.parametrize("name,text,message", [
    (EMO, "0 0 0 0 \n0 1 0 \n0 0 0 0 \n",
     r"dialogues_emotion_validation\.txt line 2 \(dialogue 1\): 3 emotion labels for 4 utterances in "),
    (ACT, "1 2 3 4 \n1 2 3 4 \n1 2 3 4 1 \n",
     r"dialogues_act_validation\.txt line 3 \(dialogue 2\): 5 act labels for 4 utterances"),
    (EMO, "0 0 0 0 \n0 7 0 0 \n0 0 0 0 \n",
     r"dialogues_emotion_validation\.txt line 2 \(dialogue 1\): unknown emotion id 7 \(expected 0\.\.6\)"),
    (ACT, "1 2 3 0 \n1 1 1 1 \n1 1 1 1 \n", r"dialogues_act_validation\.txt line 1 \(dialogue 0\): unknown act id 0"),
    (EMO, "0 0 0 0 \n0 0 0 0 \n0 x 0 0 \n", r"line 3 \(dialogue 2\): emotion label 'x' is not an integer"),
    (ACT, "1 1 1 1 \n1 1.0 1 1 \n1 1 1 1 \n", r"act label '1\.0' is not an integer"),
    (TEXT, f"{U4}\n\n{U4}\n", r"dialogues_validation\.txt line 2 \(dialogue 1\): empty dialogue"),
    (TEXT, f"{U4}\n __eou__ \n{U4}\n", r"dialogues_validation\.txt line 2 \(dialogue 1\): empty dialogue"),
    (TEXT, f"{U4}\n{U4}\na . __eou__ __eou__ c . __eou__ d . __eou__\n",
     r"line 3 \(dialogue 2\): utterance 1 is empty"),
    (EMO, "0 0 0 0 \n0 0 0 0 \n", r"dialogues_emotion_validation\.txt has 2 lines but .*dialogues_validation\.txt "
                                  r"has 3; the files must have one line per dialogue"),
    (TEXT, f"{U4}\n" * 4, r"dialogues_emotion_validation\.txt has 3 lines but .*dialogues_validation\.txt has 4"),
    (TEXT, "", r"dialogues_validation\.txt: file is empty"),
    (ACT, "\n\n", r"dialogues_act_validation\.txt: file is empty"),
    (TEXT, b"\xff\xfe bad", r"dialogues_validation\.txt: not UTF-8 text"),
    (TOPIC, "1\n11\n2\n", r"dialogues_topic_validation\.txt line 2 \(dialogue 1\): unknown topic id 11 "
                          r"\(expected 1\.\.10\)"),
    (TOPIC, "1\n2 3\n2\n", r"dialogues_topic_validation\.txt line 2 \(dialogue 1\): expected one topic id, found 2"),
    (TOPIC, "1\n2\n", r"dialogues_topic_validation\.txt has 2 lines but .*dialogues_validation\.txt has 3"),
])
def test_bad_input_names_file_and_dialogue(tmp_path, name, text, message):
    dm = DailyDialogDataModule(data_dir=str(corrupt(tmp_path, name, text)))
    with pytest.raises(DataFormatError, match=message):
        dm.examples("valid")


def test_reader_accepts_crlf_bom_and_messy_whitespace(tmp_path):
    root = corrupt(tmp_path, TEXT, "\ufeff  a  .\t__eou__ b .  __eou__ c . __eou__ d\r\n" + f"{U4}\r\n{U4}\r\n\r\n")
    first = DailyDialogDataModule(data_dir=str(root)).dialogues("valid")[0]
    assert first.utterances == ("a .", "b .", "c .", "d")  # no trailing __eou__ needed either


# --- zip layout and full-corpus topics --------------------------------------------------------

def zip_release(tmp_path, with_full_corpus=True):
    """The official archive: ijcnlp_dailydialog/ with the split zips and the full-corpus text + topics."""
    inner = {}
    (tmp_path / "build").mkdir(exist_ok=True)
    for folder in SPLIT_FOLDERS.values():
        path = tmp_path / "build" / f"{folder}.zip"
        with zipfile.ZipFile(path, "w") as z:
            for kind in ("", "emotion_", "act_"):
                name = f"dialogues_{kind}{folder}.txt"
                z.write(SAMPLE_DIR / folder / name, f"{folder}/{name}")
        inner[folder] = path
    archive = tmp_path / "ijcnlp_dailydialog.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for folder, path in inner.items():
            z.write(path, f"ijcnlp_dailydialog/{folder}.zip")
        if with_full_corpus:
            rows = [(t, top) for folder in SPLIT_FOLDERS.values()
                    for t, top in zip((SAMPLE_DIR / folder / f"dialogues_{folder}.txt").read_text().splitlines(),
                                      (SAMPLE_DIR / folder / f"dialogues_topic_{folder}.txt").read_text().split())]
            random.Random(0).shuffle(rows)  # the full corpus is ordered differently from the splits
            z.writestr("ijcnlp_dailydialog/dialogues_text.txt", "".join(f"{t}\n" for t, _ in rows))
            z.writestr("ijcnlp_dailydialog/dialogues_topic.txt", "".join(f"{top}\n" for _, top in rows))
        z.writestr("ijcnlp_dailydialog/readme.txt", "invented\n")
    return archive


def same_examples(a, b):
    return a == b and [e.extra for e in a] == [e.extra for e in b]


def test_zip_release_with_full_corpus_topics(tmp_path):
    archive = zip_release(tmp_path)
    bundled = DailyDialogDataModule()
    for data_dir in (archive, tmp_path):  # the archive, or the folder holding it
        dm = DailyDialogDataModule(data_dir=str(data_dir))
        assert dm.report.topics == "full corpus"
        for split in ALL_SPLITS:
            assert same_examples(dm.examples(split), bundled.examples(split))


def test_folder_with_split_zips(tmp_path):
    zip_release(tmp_path, with_full_corpus=False)  # leaves train.zip, validation.zip, test.zip in build/
    release = tmp_path / "build"
    (release / "test").mkdir()  # a partly extracted split: the extracted file wins, the rest from test.zip
    text = (SAMPLE_DIR / "test" / "dialogues_test.txt").read_text().replace("chocolate", "lemon")
    (release / "test" / "dialogues_test.txt").write_text(text)
    dm = DailyDialogDataModule(data_dir=str(release))
    assert dm.report.topics == "none" and dm.examples("valid")[0].extra["topic"] is None
    assert dm.examples("valid") == DailyDialogDataModule().examples("valid")
    assert dm.examples("test")[0].context == ("Who ate my lemon cake ?",)
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    with pytest.raises(DataFormatError, match="neither a folder nor a zip archive"):
        DailyDialogDataModule(data_dir=str(not_zip)).examples("valid")


def train_only_archive(folder, emotions):
    folder.mkdir()
    inner = folder / "train.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("train/dialogues_train.txt", f"{U4}\n")
        z.writestr("train/dialogues_emotion_train.txt", f"{emotions}\n")
        z.writestr("train/dialogues_act_train.txt", "1 1 1 1 \n")
    archive = folder / "ijcnlp_dailydialog.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(inner, "ijcnlp_dailydialog/train.zip")
    return archive


def test_zip_errors_name_archive_member(tmp_path):
    dm = DailyDialogDataModule(data_dir=str(train_only_archive(tmp_path / "good", "0 0 4 0 ")))
    dm.prepare_data()  # one split is enough to start
    assert len(dm.examples("train")) == 2
    with pytest.raises(DataFormatError, match=r"archive '.*ijcnlp_dailydialog\.zip' lacks validation/dialogues_"):
        dm.examples("valid")
    dm = DailyDialogDataModule(data_dir=str(train_only_archive(tmp_path / "bad", "0 0 9 0 ")))
    with pytest.raises(DataFormatError, match=r"ijcnlp_dailydialog\.zip!ijcnlp_dailydialog/train\.zip!train/dialogues_"
                                              r"emotion_train\.txt line 1 \(dialogue 0\): unknown emotion id 9"):
        dm.examples("train")


# --- real data --------------------------------------------------------------------------------

def test_real_release_validation_and_test(shared_data):
    folder = shared_data / "dailydialog"
    if not (folder / "validation").is_dir():
        pytest.skip(f"{folder} is absent")
    dm = DailyDialogDataModule(data_dir=str(folder))
    assert len(dm.examples("valid")) == 6069 and len(dm.examples("test")) == 5740
    with pytest.raises(DataFormatError, match=r"train/dialogues_train\.txt"):  # this copy lacks the train text
        dm.examples("train")
    report = dm.report
    assert report.dialogues_read == {"valid": 1000, "test": 1000} and report.topics == "none"
    assert report.emotion_counts == {"neutral": 13429, "anger": 195, "disgust": 50, "fear": 28, "happiness": 1703,
                                     "sadness": 181, "surprise": 223}
    assert "far.Can" in dm.examples("valid")[1].response  # the release's glitches are kept

    paper = DailyDialogDataModule(data_dir=str(folder), resplit=True, emotion_change_subset=True)
    report = paper.report
    assert report.missing_splits == {"train": ["train/dialogues_train.txt"]}
    assert report.subset_kept == {"valid": 491, "test": 507}
    assert report.split_sizes == {"train": 832, "valid": 83, "test": 83}
    assert report.examples == {"train": 5815, "valid": 546, "test": 535}
    print(f"\nDailyDialog real data: {report.summary()}")


def test_split_sources_read_another_release_split():
    from empathy_suite.datamodules.dailydialog import DailyDialogDataModule as DM

    data = DM(split_sources={"train": "valid", "valid": "test"})
    assert [d.dialogue_id for d in data.dialogues("train")] == [d.dialogue_id for d in DM().dialogues("valid")]
    assert [d.dialogue_id for d in data.dialogues("valid")] == [d.dialogue_id for d in DM().dialogues("test")]
    with pytest.raises(ConfigError, match="split_sources"):
        DM(split_sources={"train": "dev"})
