import pytest

from empathy_suite.metrics import Distinct
from empathy_suite.metrics.distinct import ngram_hash

RESPONSES = ["i am happy", "i am sad", "so so so"]


def distinct(responses, **kwargs) -> float:
    metric = Distinct(**kwargs)
    metric.update(responses)
    return metric.compute().item()


def test_inter_and_intra_by_hand():
    # unigrams: {i, am, happy} | {i, am, sad} | {so, so, so}
    #   inter-1 = |{i, am, happy, sad, so}| / 9 = 5/9 = 0.5556
    #   intra-1 = (3/3 + 3/3 + 1/3) / 3 = 7/9 = 0.7778
    # bigrams: {i am, am happy} | {i am, am sad} | {so so, so so}
    #   inter-2 = |{i am, am happy, am sad, so so}| / 6 = 4/6 = 0.6667
    #   intra-2 = (2/2 + 2/2 + 1/2) / 3 = 2.5/3 = 0.8333
    assert distinct(RESPONSES, n=1, variant="inter") == pytest.approx(5 / 9)
    assert distinct(RESPONSES, n=1, variant="intra") == pytest.approx(7 / 9)
    assert distinct(RESPONSES, n=2, variant="inter") == pytest.approx(4 / 6)
    assert distinct(RESPONSES, n=2, variant="intra") == pytest.approx(2.5 / 3)


def test_response_without_an_n_gram_counts_as_zero_in_intra_only():
    # "ok" has no bigram: inter-2 keeps 4/6; intra-2 = (1 + 1 + 0.5 + 0) / 4 = 0.625
    assert distinct([*RESPONSES, "ok"], n=2, variant="inter") == pytest.approx(4 / 6)
    assert distinct([*RESPONSES, "ok"], n=2, variant="intra") == pytest.approx(0.625)
    # "" has no unigram either: intra-1 = (1 + 1 + 1/3 + 0) / 4 = 7/12
    assert distinct([*RESPONSES, ""], n=1, variant="intra") == pytest.approx(7 / 12)


def test_default_tokenizer_lowercases_and_splits_punctuation():
    # "Hi! hi!" -> [hi, !, hi, !]: 2 unique of 4 = 0.5 (str.split would see "Hi!" != "hi!": 1.0)
    assert distinct(["Hi! hi!"], n=1) == pytest.approx(0.5)
    assert distinct(["Hi! hi!"], n=1, tokenizer=str.split) == pytest.approx(1.0)


@pytest.mark.parametrize("variant", ["inter", "intra"])
def test_split_updates_equal_one_update(variant):
    split = Distinct(n=2, variant=variant)
    split.update(RESPONSES[:1])
    split.update(RESPONSES[1:])
    assert split.compute().item() == pytest.approx(distinct(RESPONSES, n=2, variant=variant))


def test_inter_dedupes_across_merged_states_like_a_ddp_gather():
    # rank 0 sees "i am happy", rank 1 "i am sad": i and am occur on both ranks, so the
    # global inter-1 is 4/6, not the mean of the per-rank values (1.0)
    rank0, rank1 = Distinct(n=1), Distinct(n=1)
    rank0.update(["i am happy"])
    rank1.update(["i am sad"])
    rank0.merge_state(rank1)
    assert rank0.compute().item() == pytest.approx(4 / 6)


def test_ngram_hash_is_fixed_across_processes_and_separates_tokens():
    # a literal computed once: Python's salted hash() could not reproduce it in a new process
    assert ngram_hash(("i", "am")) == ngram_hash(("i", "am")) == 7919681540289703124
    assert ngram_hash(("a b", "c")) != ngram_hash(("a", "b c"))


def test_nothing_to_count_gives_zero():
    assert distinct(["", "ok"], n=2, variant="inter") == 0.0
    assert distinct(["", "ok"], n=2, variant="intra") == 0.0


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="unknown variant"):
        Distinct(variant="corpus")
    with pytest.raises(ValueError, match="n must be >= 1"):
        Distinct(n=0)


def test_scale_reports_percentages():
    # "a a b": unigrams {a, b} of 3 -> 2/3, as a percentage 66.67
    metric = Distinct(1, scale=100)
    metric.update(["a a b"])
    assert metric.compute().item() == pytest.approx(200 / 3)
