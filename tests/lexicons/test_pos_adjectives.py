import pytest

from empathy_suite.lexicons.pos import adjectives, pos_tag, pos_tagger_available
from empathy_suite.text.normalize import tokenize_words

pytestmark = pytest.mark.skipif(not pos_tagger_available(), reason="textblob (offline POS tagger) not installed")


def test_tags_lowercased_treebank_tokens_offline():
    tags = dict(pos_tag(tokenize_words("I am so happy about the beautiful weather.")))
    assert tags["happy"] == tags["beautiful"] == "JJ"
    assert tags["weather"] == "NN" and tags["i"] == "PRP"
    assert pos_tag([]) == []


def test_adjectives_of_sentences_include_comparatives_and_superlatives():
    sentences = [
        tokenize_words("That was a terrible, awful movie and I felt sleepy."),
        tokenize_words("It is the coolest thing, better than 10 others."),
        tokenize_words("The dog ran to the park."),
    ]
    found = adjectives(sentences)
    assert {"terrible", "awful", "sleepy", "coolest"} <= found
    assert not {"dog", "park", "movie", "ran", "10"} & found


def test_adjectives_are_lowercased_and_only_the_requested_tags():
    found = adjectives([["A", "Lovely", "day"]])
    assert found == {"lovely"}
    assert adjectives([["the", "coolest", "and", "happy", "day"]], tags={"JJS"}) == {"coolest"}
