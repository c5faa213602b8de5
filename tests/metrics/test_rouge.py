import pytest

from empathy_suite.metrics.rouge import SCORE_NAMES, ROUGEScores

PRED = "The cat sat on the mat."
REF = "the cat is on the mat"


def rouge(preds, targets, **kwargs) -> dict[str, float]:
    metric = ROUGEScores(**kwargs)
    metric.update(preds, targets)
    return {name: value.item() for name, value in metric.compute().items()}


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r)


def test_one_pair_by_hand():
    # pred  [the, cat, sat, on, the, mat, .] (7 tokens), ref [the, cat, is, on, the, mat] (6)
    # unigrams: the x2, cat, on, mat match -> 5:  P = 5/7, R = 5/6
    # bigrams: pred has 6, ref 5; "the cat", "on the", "the mat" match -> 3:  P = 3/6, R = 3/5
    # LCS: the cat on the mat = 5:  P = 5/7, R = 5/6
    scores = rouge([PRED], [REF])
    expected = {
        "rouge1_p": 5 / 7, "rouge1_r": 5 / 6, "rouge1_f": f1(5 / 7, 5 / 6),
        "rouge2_p": 3 / 6, "rouge2_r": 3 / 5, "rouge2_f": f1(3 / 6, 3 / 5),
        "rougeL_p": 5 / 7, "rougeL_r": 5 / 6, "rougeL_f": f1(5 / 7, 5 / 6),
    }
    assert set(scores) == set(SCORE_NAMES) == set(expected)
    for name, value in expected.items():
        assert scores[name] == pytest.approx(100 * value, abs=1e-4), name


def test_scores_are_means_over_sentences():
    # second pair: "i am happy" vs "i am sad": unigrams 2/3 each way, bigrams 1/2, LCS 2/3
    scores = rouge([PRED, "I am happy"], [REF, "i am sad"])
    assert scores["rouge1_p"] == pytest.approx(100 * (5 / 7 + 2 / 3) / 2, abs=1e-4)
    assert scores["rouge2_r"] == pytest.approx(100 * (3 / 5 + 1 / 2) / 2, abs=1e-4)
    assert scores["rougeL_f"] == pytest.approx(100 * (f1(5 / 7, 5 / 6) + 2 / 3) / 2, abs=1e-4)


def test_tokens_are_the_suites_lowercase_treebank_tokens():
    # [hi, !] vs [hi]: P = 1/2, R = 1. torchmetrics' default normaliser would drop "!" (P = 1)
    scores = rouge(["Hi!"], ["hi"])
    assert scores["rouge1_p"] == pytest.approx(50.0)
    assert scores["rouge1_r"] == pytest.approx(100.0)
    # "I can't" -> [i, ca, n't], all in the reference; split on spaces, neither "I" nor
    # "can't" is a reference token
    assert rouge(["I can't"], ["i ca n't go"])["rouge1_p"] == pytest.approx(100.0)
    assert rouge(["I can't"], ["i ca n't go"], tokenizer=str.split)["rouge1_p"] == pytest.approx(0.0)


def test_best_of_several_references():
    # reference 2 matches exactly
    scores = rouge(["i am happy"], [["you are sad", "I am happy"]])
    assert scores["rouge1_f"] == pytest.approx(100.0) and scores["rougeL_f"] == pytest.approx(100.0)


def test_merged_states_equal_one_metric_like_a_ddp_sum():
    rank0, rank1 = ROUGEScores(), ROUGEScores()
    rank0.update([PRED], [REF])
    rank1.update(["I am happy"], ["i am sad"])
    rank0.merge_state(rank1)
    merged = rank0.compute()
    together = rouge([PRED, "I am happy"], [REF, "i am sad"])
    for name in SCORE_NAMES:
        assert merged[name].item() == pytest.approx(together[name], abs=1e-5)


def test_empty_prediction_and_no_update_score_zero():
    assert rouge([""], ["hello there"])["rouge1_f"] == 0.0
    with pytest.warns(UserWarning):
        assert ROUGEScores().compute()["rougeL_r"].item() == 0.0


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="unknown accumulate"):
        ROUGEScores(accumulate="worst")
    metric = ROUGEScores()
    with pytest.raises(ValueError, match="single string"):
        metric.update("a b", "a b")
    with pytest.raises(ValueError, match="2 predictions but 1"):
        metric.update(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no reference"):
        metric.update(["a"], [[]])
