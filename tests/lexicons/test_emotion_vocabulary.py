import json

import pytest

from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.lexicons import emotion_words as emotion_words_module
from empathy_suite.lexicons.emotion_words import EmotionVocabulary
from empathy_suite.lexicons.nrc_emolex import NRC_FILENAME, load_emotion_lexicon
from empathy_suite.lexicons.pos import pos_tagger_available
from empathy_suite.text.vocab import EOS_ID, SPECIALS

LEXICON = {"happy": {"joy"}, "afraid": {"fear"}, "abandon": {"fear"}, "Trust": {"trust"}}
TRAIN = ["I am happy, you are afraid.", "What a gorgeous, sunny day!", "I trust you."]

needs_tagger = pytest.mark.skipif(not pos_tagger_available(), reason="textblob (offline POS tagger) not installed")


def test_only_seen_lexicon_words_without_adjectives():
    vocab = EmotionVocabulary.build(LEXICON, TRAIN, add_adjectives=False)
    assert vocab.words == {"happy", "afraid", "trust"}  # "abandon" never occurs; "Trust" lower-cased
    assert vocab.ids.itos == [*SPECIALS, "afraid", "happy", "trust"]
    assert len(vocab) == 7 and vocab.adjective_words == frozenset()


def test_all_lexicon_words_when_not_only_seen():
    vocab = EmotionVocabulary.build(LEXICON, None, add_adjectives=False, only_seen=False)
    assert vocab.words == {"happy", "afraid", "abandon", "trust"}
    with pytest.raises(ValueError, match="training_texts"):
        EmotionVocabulary.build(LEXICON, None, add_adjectives=False)


@needs_tagger
def test_training_adjectives_are_added():
    vocab = EmotionVocabulary.build(LEXICON, TRAIN)
    assert {"gorgeous", "sunny"} <= vocab.adjective_words
    assert {"happy", "afraid", "trust", "gorgeous", "sunny"} <= vocab.words
    assert "happy" not in vocab.adjective_words  # already an NRC word
    assert "day" not in vocab.words


@needs_tagger
def test_token_lists_are_accepted_for_training_texts():
    from_tokens = EmotionVocabulary.build(LEXICON, [["What", "a", "gorgeous", "day"], ["so", "happy"]])
    assert from_tokens.words == {"gorgeous", "happy"}


def test_no_tagger_is_a_config_error_with_the_fix(monkeypatch):
    monkeypatch.setattr(emotion_words_module, "pos_tagger_available", lambda: False)
    with pytest.raises(ConfigError, match="no offline POS tagger.*add_adjectives: false"):
        EmotionVocabulary.build(LEXICON, TRAIN)
    assert EmotionVocabulary.build(LEXICON, TRAIN, add_adjectives=False).words  # still works without


def test_empty_vocabulary_is_a_config_error():
    with pytest.raises(ConfigError, match="empty"):
        EmotionVocabulary.build(LEXICON, ["nothing here"], add_adjectives=False)


def test_emotion_words_of_an_utterance_keep_order_and_repeats():
    vocab = EmotionVocabulary.build(LEXICON, TRAIN, add_adjectives=False)
    utterance = "Happy? I'm AFRAID, so afraid, I trust nobody."
    assert vocab.emotion_words(utterance) == ["happy", "afraid", "afraid", "trust"]
    assert vocab.emotion_words(["I", "Trust", "happy", "people"]) == ["trust", "happy"]
    assert vocab.emotion_words("nothing here") == []
    assert "HAPPY" in vocab and "day" not in vocab


def test_encode_and_decode_emotion_words():
    vocab = EmotionVocabulary.build(LEXICON, TRAIN, add_adjectives=False)
    ids = vocab.encode("I am happy but afraid", add_eos=True)
    assert ids == [vocab.ids.stoi["happy"], vocab.ids.stoi["afraid"], EOS_ID]
    assert vocab.decode(ids) == ["happy", "afraid"]
    assert vocab.encode("nothing", add_eos=True) == [EOS_ID]


def test_dict_roundtrip_keeps_ids_and_origin():
    vocab = EmotionVocabulary(["happy", "afraid", "sunny"], adjective_words=["sunny"])
    restored = EmotionVocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert restored == vocab and restored.ids.itos == vocab.ids.itos
    assert restored.adjective_words == {"sunny"}
    # the saved order defines the ids even when it is not the sorted one
    custom = {**vocab.to_dict(), "itos": [*SPECIALS, "sunny", "happy"]}
    assert EmotionVocabulary.from_dict(custom).ids.stoi["sunny"] == 4


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "word_vocab"}, "not a saved EmotionVocabulary"),
        ({"version": 2}, "version 2"),
        ({"itos": None}, "itos"),
        ({"itos": ["happy"]}, "invalid"),
        ({"itos": [*SPECIALS, "Happy"]}, "lower-cased"),
        ({"adjective_words": "sunny"}, "adjective_words"),
    ],
)
def test_malformed_dicts_are_data_format_errors(change, message):
    data = {**EmotionVocabulary(["happy"]).to_dict(), **change}
    with pytest.raises(DataFormatError, match=message):
        EmotionVocabulary.from_dict(data)


def test_real_lexicon_gives_emotion_word_sequences(shared_data):
    lexicon = load_emotion_lexicon(shared_data / "nrc_emolex" / NRC_FILENAME)
    vocab = EmotionVocabulary.build(lexicon, None, add_adjectives=False, only_seen=False)
    assert len(vocab.words) == 6468 and len(vocab) == 6472
    assert vocab.emotion_words("I was so angry and afraid, but the gift made me happy.") == [
        "angry",
        "afraid",
        "gift",
        "happy",
    ]
