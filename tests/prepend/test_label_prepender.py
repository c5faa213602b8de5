import io
from pathlib import Path

import pytest
import torch

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.prepend import EmoPrepend, LabelPrepender, TopicPrepend

SMALL = {"num_buckets": 4096}  # the default 200k-bucket table only slows tests down

PROUD = ["I got a promotion at work today", "my daughter won the spelling bee", "I won the chess tournament",
         "finally got the promotion I wanted", "our team won the championship", "he earned a promotion after years"]
AFRAID = ["I heard a strange noise in the dark", "walking home alone in the dark scared me",
          "there was a loud noise downstairs", "the power went out and it was dark", "a noise woke me up at 3am",
          "I was alone in a dark parking lot"]
TOPICS_SAMPLE = Path(__file__).parents[2] / "src/empathy_suite/datamodules/samples/topics/train.txt"


def dialogue(i, situation, emotion, turns=2):
    """The turns of one ED dialogue: every turn repeats the situation and emotion."""
    return [DialogueExample(context=("hi",) * t, response="ok", dialogue_id=f"d{i}", turn=t, emotion=emotion, situation=situation)
            for t in range(turns)]


def toy_examples():
    labelled = [(s, "proud") for s in PROUD] + [(s, "afraid") for s in AFRAID]
    return [ex for i, (s, e) in enumerate(labelled) for ex in dialogue(i, s, e)]


@pytest.fixture(scope="module")
def fitted():
    prepender = EmoPrepend(**SMALL)
    return prepender, prepender.fit(toy_examples())


def test_emoprepend_learns_separable_toy_set(fitted):
    prepender, result = fitted
    assert prepender.is_fitted
    assert result["train_accuracy"] == 1.0
    assert result["num_examples"] == 12  # one pair per dialogue, not per turn
    held_out = ["she won a prize", "she got a promotion", "a noise in the dark hallway", "it is so dark"]
    assert prepender.predict(held_out) == ["proud", "proud", "afraid", "afraid"]


def test_prepend_puts_label_word_first(fitted):
    prepender, _ = fitted
    assert prepender.prepend(["I finally got a promotion!", "A noise in the dark."]) == [
        "proud I finally got a promotion!", "afraid A noise in the dark."]
    assert prepender.predict([]) == [] and prepender.prepend([]) == []
    assert prepender.predict([""])[0] in {"proud", "afraid"}  # a featureless text still gets a label


def test_state_round_trip_through_torch_save(fitted):
    prepender, _ = fitted
    buffer = io.BytesIO()
    torch.save(prepender.to_state(), buffer)  # as inside a Lightning checkpoint
    buffer.seek(0)
    restored = EmoPrepend.from_state(torch.load(buffer, weights_only=True))
    texts = PROUD + AFRAID + ["unseen words entirely", "won in the dark"]
    assert restored.is_fitted and restored.labels == prepender.labels
    assert restored.predict(texts) == prepender.predict(texts)
    other = EmoPrepend().load_state(prepender.to_state())  # into an existing object
    assert other.predict(texts) == prepender.predict(texts)


def test_fit_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = EmoPrepend(epochs=3, **SMALL), EmoPrepend(epochs=3, **SMALL)
    a.fit(toy_examples())
    assert torch.rand(1) == expected
    b.fit(toy_examples())
    assert torch.equal(a.to_state()["weights"]["embedding.weight"], b.to_state()["weights"]["embedding.weight"])


def test_training_pairs_dedupe_and_skip_incomplete_examples():
    examples = dialogue(0, "I won", "proud", turns=3) + dialogue(1, "dark night", None) + dialogue(2, None, "afraid")
    examples.append(DialogueExample(context=(), response="x", situation="it was dark", emotion="afraid"))  # no id
    assert EmoPrepend().training_pairs(examples) == [("I won", "proud"), ("it was dark", "afraid")]


@pytest.mark.parametrize(
    "situation, emotion, missing",
    [(None, "proud", "missing: situation"), ("I won", None, "missing: emotion"), (None, None, "missing: situation, emotion")],
)
def test_missing_fields_raise_config_error(situation, emotion, missing):
    with pytest.raises(ConfigError, match=missing):
        EmoPrepend().fit(dialogue(0, situation, emotion))


def test_unfitted_use_raises_clear_error():
    prepender = EmoPrepend()
    assert not prepender.is_fitted
    for call in (lambda: prepender.predict(["hi"]), lambda: prepender.prepend(["hi"]), prepender.to_state):
        with pytest.raises(RuntimeError, match="not fitted"):
            call()


def test_invalid_hyperparameters_raise_config_error():
    with pytest.raises(ConfigError, match="epochs"):
        EmoPrepend(epochs=0)
    with pytest.raises(ConfigError, match="lr"):
        EmoPrepend(lr=0.0)


def write(tmp_path, text, name="topics.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_topicprepend_learns_file_and_ignores_examples(tmp_path):
    lines = [f"__label__sport {s}" for s in ["the team won the match", "a goal in the final", "the match went to overtime"]]
    lines += ["", *(f"__label__food {s}" for s in ["a recipe for bread", "bake the bread slowly", "a pasta recipe"])]
    prepender = TopicPrepend(write(tmp_path, "\n".join(lines) + "\n"), **SMALL)
    assert prepender.fit([])["train_accuracy"] == 1.0  # no dialogue examples needed
    assert prepender.prepend(["who won the final", "fresh bread recipe"]) == ["sport who won the final", "food fresh bread recipe"]
    restored = TopicPrepend.from_state(prepender.to_state())
    assert restored.train_file == prepender.train_file
    assert restored.predict(["overtime goal", "bread"]) == prepender.predict(["overtime goal", "bread"])


def test_topic_file_parsing(tmp_path):
    # also: a BOM and Windows line endings are tolerated
    prepender = TopicPrepend(write(tmp_path, "\ufeff__label__a __label__b some text\r\n\r\n__label__c more\r\n"))
    assert prepender.training_pairs([]) == [("some text", "a"), ("some text", "b"), ("more", "c")]


@pytest.mark.parametrize(
    "content, message",
    [
        ("__label__a fine\n\nno label here\n", r"topics\.txt, line 3: expected '__label__<label> <text>'"),
        ("__label__a fine\n__label__b\n", r"topics\.txt, line 2: label\(s\) b but no text"),
        ("__label__ text without label name\n", r"topics\.txt, line 1: empty label name"),
        ("", r"topics\.txt is empty"),
        ("\n  \n", r"topics\.txt is empty"),
    ],
)
def test_topic_file_errors_name_file_and_line(tmp_path, content, message):
    with pytest.raises(DataFormatError, match=message):
        TopicPrepend(write(tmp_path, content)).fit([])


def test_missing_topic_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"nope\.txt does not exist"):
        TopicPrepend(str(tmp_path / "nope.txt")).fit([])


def test_base_class_has_no_training_data():
    with pytest.raises(NotImplementedError):
        LabelPrepender().fit([])


@pytest.mark.skipif(not TOPICS_SAMPLE.exists(), reason="sample topic file not written yet")
def test_topicprepend_fits_bundled_sample():
    result = TopicPrepend(str(TOPICS_SAMPLE), **SMALL).fit([])
    assert result["train_accuracy"] >= 0.95
    assert result["num_labels"] >= 2


def test_state_of_other_class_is_refused(fitted, tmp_path):
    with pytest.raises(ConfigError, match="EmoPrepend state into TopicPrepend"):
        TopicPrepend(str(tmp_path / "t.txt")).load_state(fitted[0].to_state())
