import json

import pytest
import torch

from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.text.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, UNK_ID, WordVocab

TRAIN = ["The cat sat.", "The cat ran!", "A dog sat."]
# counts by hand: the 2, cat 2, sat 2, . 2, ran 1, ! 1, a 1, dog 1


def test_specials_have_fixed_ids():
    vocab = WordVocab.build(TRAIN)
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<sos>", "<eos>"] == list(SPECIALS)
    assert (PAD_ID, UNK_ID, SOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert (vocab.pad_id, vocab.unk_id, vocab.sos_id, vocab.eos_id) == (0, 1, 2, 3)


def test_words_ordered_by_frequency_then_alphabetically():
    vocab = WordVocab.build(TRAIN)
    assert vocab.itos[4:] == [".", "cat", "sat", "the", "!", "a", "dog", "ran"]
    assert len(vocab) == 12


def test_max_size_counts_the_specials():
    vocab = WordVocab.build(TRAIN, max_size=6)
    assert len(vocab) == 6 and vocab.itos[4:] == [".", "cat"]


def test_min_freq_drops_rare_words():
    vocab = WordVocab.build(TRAIN, min_freq=2)
    assert vocab.itos[4:] == [".", "cat", "sat", "the"]


def test_bad_sizes_are_config_errors():
    with pytest.raises(ConfigError, match="max_size=3"):
        WordVocab.build(TRAIN, max_size=3)
    with pytest.raises(ConfigError, match="min_freq"):
        WordVocab.build(TRAIN, min_freq=0)


def test_token_lists_are_lowercased_and_literal_specials_not_duplicated():
    vocab = WordVocab.build([["Hello", "WORLD", "<eos>"], ["hello"]])
    assert vocab.itos == [*SPECIALS, "hello", "world"]


def test_strings_use_the_suite_tokenizer():
    vocab = WordVocab.build(["I can't go"])
    assert set(vocab.itos[4:]) == {"i", "ca", "n't", "go"}


def test_encode_maps_unknown_words_to_unk_and_is_case_insensitive():
    vocab = WordVocab.build(TRAIN)
    the, cat, sat = vocab.stoi["the"], vocab.stoi["cat"], vocab.stoi["sat"]
    assert vocab.encode(["The", "CAT", "flew"]) == [the, cat, UNK_ID]
    assert vocab.encode("The cat sat") == [the, cat, sat]
    assert "Cat" in vocab and "zebra" not in vocab


def test_encode_truncates_keeping_eos_and_pads():
    vocab = WordVocab.build(TRAIN)
    the, cat = vocab.stoi["the"], vocab.stoi["cat"]
    assert vocab.encode("the cat sat", max_len=3, add_eos=True) == [the, cat, EOS_ID]
    assert vocab.encode("the cat sat", max_len=4, add_sos=True, add_eos=True) == [SOS_ID, the, cat, EOS_ID]
    assert vocab.encode("the", max_len=4, add_eos=True, pad=True) == [the, EOS_ID, PAD_ID, PAD_ID]
    assert vocab.encode("the cat", add_eos=True) == [the, cat, EOS_ID]
    with pytest.raises(ValueError):
        vocab.encode("the", max_len=1, add_sos=True, add_eos=True)
    with pytest.raises(ValueError):
        vocab.encode("the", pad=True)


def test_decode_stops_at_eos_and_skips_pad_and_sos():
    vocab = WordVocab.build(TRAIN)
    the, cat = vocab.stoi["the"], vocab.stoi["cat"]
    assert vocab.decode([SOS_ID, the, PAD_ID, cat, EOS_ID, the]) == ["the", "cat"]
    assert vocab.decode(torch.tensor([the, UNK_ID, EOS_ID, PAD_ID])) == ["the", "<unk>"]
    with pytest.raises(IndexError):
        vocab.decode([99])


def test_roundtrip_encode_decode():
    vocab = WordVocab.build(TRAIN)
    assert vocab.decode(vocab.encode("the dog ran .", add_sos=True, add_eos=True)) == ["the", "dog", "ran", "."]


def test_dict_roundtrip_is_json_safe():
    vocab = WordVocab.build(TRAIN, max_size=8)
    restored = WordVocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert restored == vocab and restored.stoi == vocab.stoi


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "other"}, "not a saved WordVocab"),
        ({"kind": "word_vocab", "version": 9, "itos": list(SPECIALS)}, "version 9"),
        ({"kind": "word_vocab", "version": 1, "itos": "abc"}, "itos"),
        ({"kind": "word_vocab", "version": 1, "itos": ["a", "b", "c", "d"]}, "must start with"),
        ({"kind": "word_vocab", "version": 1, "itos": [*SPECIALS, "x", "x"]}, "twice"),
    ],
)
def test_malformed_dicts_are_data_format_errors(data, message):
    with pytest.raises(DataFormatError, match=message):
        WordVocab.from_dict(data)


def test_from_words_is_sorted_and_deduplicated():
    vocab = WordVocab.from_words(["b", "A", "a", "<pad>"])
    assert vocab.itos == [*SPECIALS, "a", "b"]
