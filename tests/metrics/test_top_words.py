import pytest
import torch
from torchmetrics.utilities.data import dim_zero_cat

from empathy_suite.metrics.top_words import DEFAULT_STOPWORDS, TopWords

RESPONSES = [
    "I am so happy!",
    "Happy birthday, I'm so happy for you. I can't wait to see the cake!",
    "What a great cake, thank you.",
]


def top(responses, **kwargs):
    metric = TopWords(**kwargs)
    metric.update(responses)
    return metric.compute()


def test_counts_by_hand():
    # content tokens after lower-casing, dropping punctuation and stopwords:
    #   1: happy   2: happy birthday happy wait see cake   3: great cake thank
    # (i, am, so, 'm, for, you, ca, n't, to, the, what, a are stopwords; "you." -> "you")
    assert top(RESPONSES) == [
        ("happy", 3), ("cake", 2), ("birthday", 1), ("great", 1), ("see", 1), ("thank", 1), ("wait", 1),
    ]


def test_k_cuts_the_list_and_ties_are_alphabetical():
    assert top(RESPONSES, k=3) == [("happy", 3), ("cake", 2), ("birthday", 1)]
    assert top(["b a c a b"], stopwords=[]) == [("a", 2), ("b", 2), ("c", 1)]


def test_custom_stopwords_replace_the_default_list():
    # Table 4 style: keep pronouns; stopword matching ignores case
    assert top(["I think I like it", "You like it"], stopwords=["it", "YOU"]) == [
        ("i", 2), ("like", 2), ("think", 1),
    ]
    assert "i" in DEFAULT_STOPWORDS and "n't" in DEFAULT_STOPWORDS


def test_split_updates_and_merged_states_equal_one_update():
    split = TopWords()
    for response in RESPONSES:
        split.update([response])
    assert split.compute() == top(RESPONSES)
    rank0, rank1 = TopWords(), TopWords()
    rank0.update(RESPONSES[:2])
    rank1.update(RESPONSES[2:])
    rank0.merge_state(rank1)
    assert rank0.compute() == top(RESPONSES)


def fake_two_rank_metric(other: TopWords) -> TopWords:
    """A TopWords whose DDP gather returns its own state next to ``other``'s, as rank 0 of 2."""
    # what the other rank contributes: its concatenated states, or torchmetrics' empty
    # stand-in (metric dtype) when it saw no update
    incoming = [dim_zero_cat(getattr(other, attr)) if getattr(other, attr) else torch.tensor([], dtype=other.dtype)
                for attr in other._reductions]

    def gather(tensor, group=None):
        return [tensor, incoming.pop(0)]

    return TopWords(dist_sync_fn=gather, distributed_available_fn=lambda: True)


def test_ddp_gather_sees_words_of_every_rank_even_an_idle_one():
    other = TopWords()
    other.update(RESPONSES[2:])
    rank0 = fake_two_rank_metric(other)
    rank0.update(RESPONSES[:2])
    assert rank0.compute() == top(RESPONSES)
    # this rank saw nothing: its empty state is replaced by a float32 empty tensor
    idle = fake_two_rank_metric(other)
    with pytest.warns(UserWarning, match="before the ``update``"):
        assert idle.compute() == top(RESPONSES[2:])


def test_non_ascii_words_survive_the_byte_encoding():
    # an emoji has no letter or digit: dropped like punctuation
    assert top(["Café café naïve 😀 日本語"]) == [("café", 2), ("naïve", 1), ("日本語", 1)]


def test_as_markdown_and_nothing_counted():
    metric = TopWords(k=2)
    metric.update(["Happy happy cake"])
    assert metric.as_markdown() == "| rank | word | count |\n|---:|---|---:|\n| 1 | happy | 2 |\n| 2 | cake | 1 |"
    empty = TopWords()
    empty.update(["the, and a!", ""])
    assert empty.compute() == []
    assert empty.as_markdown() == "*no words counted*"


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="k must be"):
        TopWords(k=0)
    with pytest.raises(ValueError, match="single string"):
        TopWords(stopwords="the")
    with pytest.raises(ValueError, match="single string"):
        TopWords().update("hello")
