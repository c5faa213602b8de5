import math

import pytest
import torch
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu
from sacrebleu.metrics import BLEU

from empathy_suite.metrics import BLEUScores
from empathy_suite.text.normalize import tokenize_words

PREDS = [
    "I'm so sorry to hear that. Are you okay?",
    "That sounds like a lot of fun!",
    "Oh no, what happened to your dog?",
    "I would be really happy about that too.",
    "Congrats! You must be proud of yourself.",
]
REFS = [
    "Oh no, I'm sorry to hear that. Is everyone okay?",
    "That sounds fun! Where did you go?",
    "Oh no! What happened to him?",
    "I would be so happy too, that is great news.",
    "That's great! You must be so proud.",
]
SECOND_REFS = [
    "That is awful, are you okay?",
    "Sounds like a lot of fun.",
    "What happened to your dog?",
    "That would make me happy too.",
    "Congratulations, you must be proud!",
]


def bleu(preds, targets, **kwargs) -> dict[str, float]:
    metric = BLEUScores(**kwargs)
    metric.update(preds, targets)
    return {key: value.item() for key, value in metric.compute().items()}


def test_corpus_bleu_by_hand_with_clipping_and_brevity_penalty():
    # pred 1 "the cat sat" vs "the cat sat down": unigrams 3/3, bigrams ("the cat", "cat sat") 2/2
    # pred 2 "dog dog ran" vs "the dog ran away": unigrams dog x2 clipped to 1, + ran -> 2/3;
    #        bigrams "dog dog" no, "dog ran" yes -> 1/2
    # corpus: p1 = 5/6, p2 = 3/4; c = 3 + 3 = 6, r = 4 + 4 = 8
    # BP = exp(1 - 8/6) = exp(-1/3) = 0.716531
    # BLEU-1 = 0.716531 * 5/6 = 0.597109
    # BLEU-2 = 0.716531 * sqrt(5/6 * 3/4) = 0.716531 * 0.790569 = 0.566468
    # avg = (59.7109 + 56.6468) / 2 = 58.1789
    scores = bleu(["the cat sat", "dog dog ran"], ["the cat sat down", "the dog ran away"], max_n=2)
    assert set(scores) == {"bleu1", "bleu2", "avg_bleu"}
    assert scores["bleu1"] == pytest.approx(59.7109, abs=1e-3)
    assert scores["bleu2"] == pytest.approx(56.6468, abs=1e-3)
    assert scores["avg_bleu"] == pytest.approx(58.1789, abs=1e-3)


def test_multi_reference_clips_per_reference_and_breaks_length_ties_to_shorter():
    # pred "i am so happy" (c = 4); refs "i am happy" (3), "so happy for you today" (5)
    # |4-3| = |4-5| = 1: the tie goes to the shorter, r = 3 < c -> BP = 1
    #   (a tie to the longer would give BP = exp(1 - 5/4) = 0.7788 and a different score)
    # unigrams i, am (ref 1), so, happy (ref 2) -> 4/4
    # bigrams "i am" (ref 1), "am so" (none), "so happy" (ref 2) -> 2/3
    # trigrams "i am so", "am so happy" -> 0/2
    # BLEU-1 = 100, BLEU-2 = 100 * sqrt(1 * 2/3) = 81.6497, BLEU-3 = 0 (a zero precision)
    # avg = (100 + 81.6497 + 0) / 3 = 60.5499
    scores = bleu(["i am so happy"], [["i am happy", "so happy for you today"]], max_n=3)
    assert scores["bleu1"] == pytest.approx(100.0)
    assert scores["bleu2"] == pytest.approx(81.6497, abs=1e-3)
    assert scores["bleu3"] == 0.0
    assert scores["avg_bleu"] == pytest.approx(60.5499, abs=1e-3)


def test_clipping_uses_the_max_count_over_references_not_their_sum():
    # "the the the" vs refs "the cat", "the dog": "the" occurs at most once in any one
    # reference -> clipped to 1 -> p1 = 1/3 (summing over references would give 2/3)
    # c = 3 > r = 2 -> BP = 1; BLEU-1 = 100/3 = 33.3333
    assert bleu(["the the the"], [["the cat", "the dog"]], max_n=1)["bleu1"] == pytest.approx(100 / 3)


def test_corpus_counts_n_grams_like_sacrebleu_when_a_hypothesis_is_shorter_than_n():
    # "thanks" vs "thanks so much": unigrams 1/1, no bigram at all (total 0, not nltk's 1)
    # "that sounds like a great idea" vs "that sounds like a good idea": unigrams 5/6,
    #   bigrams that-sounds, sounds-like, like-a match; a-great, great-idea do not -> 3/5
    # p1 = 6/7, p2 = 3/5 (nltk would use 3/6); c = 7, r = 3 + 6 = 9, BP = exp(1 - 9/7)
    # BLEU-2 = exp(-2/7) * sqrt(6/7 * 3/5) = 0.751477 * 0.717137 = 0.538912
    preds = ["thanks", "that sounds like a great idea"]
    refs = ["thanks so much", "that sounds like a good idea"]
    scores = bleu(preds, refs, max_n=2)
    assert scores["bleu2"] == pytest.approx(53.8912, abs=1e-3)
    sacre = BLEU(tokenize="none", smooth_method="none", force=True, max_ngram_order=2).corpus_score(preds, [refs])
    assert scores["bleu2"] == pytest.approx(sacre.score, abs=1e-9)


@pytest.mark.parametrize("max_n", [1, 2, 3, 4])
def test_corpus_matches_nltk_corpus_bleu(max_n):
    targets = [list(pair) for pair in zip(REFS, SECOND_REFS)]
    scores = bleu(PREDS, targets, max_n=max_n)
    hyps = [tokenize_words(p) for p in PREDS]
    refs = [[tokenize_words(r) for r in group] for group in targets]
    for n in range(1, max_n + 1):
        expected = corpus_bleu(refs, hyps, weights=(1 / n,) * n)
        assert scores[f"bleu{n}"] == pytest.approx(100 * expected, abs=1e-9)
    assert scores[f"bleu{max_n}"] > 0  # a degenerate all-zero corpus would prove nothing


@pytest.mark.parametrize("with_second_refs", [False, True])
def test_corpus_bleu4_matches_sacrebleu_on_pretokenized_input(with_second_refs):
    streams = [REFS, SECOND_REFS] if with_second_refs else [REFS]
    targets = [list(group) for group in zip(*streams)]
    scores = bleu(PREDS, targets, max_n=4)
    joined = lambda texts: [" ".join(tokenize_words(t)) for t in texts]  # noqa: E731
    sacre = BLEU(tokenize="none", smooth_method="none", force=True).corpus_score(
        joined(PREDS), [joined(stream) for stream in streams]
    )
    assert scores["bleu4"] == pytest.approx(sacre.score, abs=1e-9)
    assert scores["bleu4"] > 0


def test_sentence_variant_by_hand():
    # "dog dog ran" vs "the dog ran away": p1 = 2/3, p2 = 1/2, BP = exp(1 - 4/3) = 0.716531
    #   BLEU-1 = 0.716531 * 2/3 = 0.477688; BLEU-2 = 0.716531 * sqrt(1/3) = 0.413690
    # "hello there" vs "hello friend": p1 = 1/2, p2 = 0 -> smoothed 1e-12 / 1, BP = 1
    #   BLEU-1 = 0.5; BLEU-2 = sqrt(0.5 * 1e-12) = 7.07e-7
    # means: BLEU-1 = (0.477688 + 0.5) / 2 = 0.488844; BLEU-2 = (0.413690 + 7.07e-7) / 2 = 0.206845
    scores = bleu(["dog dog ran", "hello there"], ["the dog ran away", "hello friend"], max_n=2, variant="sentence")
    assert scores["bleu1"] == pytest.approx(48.8844, abs=1e-3)
    assert scores["bleu2"] == pytest.approx(20.6845, abs=1e-3)
    # corpus BLEU of the same pairs differs: p2 = 1/3 overall, not a mean of sentence scores
    assert bleu(["dog dog ran", "hello there"], ["the dog ran away", "hello friend"], max_n=2)["bleu2"] != pytest.approx(
        scores["bleu2"], abs=1e-3
    )


def test_sentence_variant_matches_mean_of_nltk_sentence_bleu_with_parlai_smoothing():
    # includes an empty prediction, a one-word one and one sharing no word with its reference
    preds = [*PREDS, "", "okay", "purple elephants"]
    targets = [[r, s] for r, s in zip(REFS, SECOND_REFS)] + [["I see."], ["okay, sure"], ["I am fine"]]
    smoothing = SmoothingFunction(epsilon=1e-12).method1
    scores = bleu(preds, targets, max_n=4, variant="sentence")
    hyps = [tokenize_words(p) for p in preds]
    refs = [[tokenize_words(r) for r in group] for group in targets]
    for n in range(1, 5):
        weights = (1 / n,) * n
        per_sentence = [sentence_bleu(r, h, weights=weights, smoothing_function=smoothing) for r, h in zip(refs, hyps)]
        expected = sum(per_sentence) / len(per_sentence)
        assert scores[f"bleu{n}"] == pytest.approx(100 * expected, rel=1e-9, abs=1e-9)
    assert scores["avg_bleu"] == pytest.approx(sum(scores[f"bleu{n}"] for n in range(1, 5)) / 4)


def test_empty_predictions_do_not_crash():
    # corpus: "" adds nothing to the counts but its reference length: c = 4, r = 2 + 4 = 6,
    # every precision 4/4, 3/3 -> BLEU-2 = exp(1 - 6/4) = exp(-0.5) = 0.606531
    preds, refs = ["", "the dog ran away"], ["hello there", "the dog ran away"]
    corpus = bleu(preds, refs, max_n=2)
    assert corpus["bleu2"] == pytest.approx(60.6531, abs=1e-3)
    sacre = BLEU(tokenize="none", smooth_method="none", force=True, max_ngram_order=2).corpus_score(preds, [refs])
    assert corpus["bleu2"] == pytest.approx(sacre.score, abs=1e-9)
    # sentence: "" scores 0, the exact match 1 -> mean 0.5
    sentence = bleu(preds, refs, max_n=2, variant="sentence")
    assert sentence["bleu1"] == pytest.approx(50.0) and sentence["bleu2"] == pytest.approx(50.0)
    # nothing but empty predictions (and an empty batch): all zeros, no NaN
    for variant in ("corpus", "sentence"):
        metric = BLEUScores(variant=variant)
        metric.update([], [])
        metric.update(["", ""], ["a b", "c"])
        assert all(v.item() == 0.0 for v in metric.compute().values())


@pytest.mark.parametrize("variant", ["corpus", "sentence"])
def test_split_updates_equal_one_update(variant):
    targets = [[r, s] for r, s in zip(REFS, SECOND_REFS)]
    whole = BLEUScores(variant=variant)
    whole.update(PREDS, targets)
    split = BLEUScores(variant=variant)
    split.update(PREDS[:2], targets[:2])
    split.update(PREDS[2:3], targets[2:3])
    split.update(PREDS[3:], targets[3:])
    expected, got = whole.compute(), split.compute()
    for key in expected:
        assert torch.allclose(got[key], expected[key], rtol=0, atol=1e-12), key


@pytest.mark.parametrize("variant", ["corpus", "sentence"])
def test_merged_states_equal_one_update(variant):
    # merge_state sums the states the way a DDP sync does
    rank0, rank1, whole = (BLEUScores(variant=variant) for _ in range(3))
    rank0.update(PREDS[:3], REFS[:3])
    rank1.update(PREDS[3:], REFS[3:])
    whole.update(PREDS, REFS)
    rank0.merge_state(rank1)
    for key, value in whole.compute().items():
        assert rank0.compute()[key].item() == pytest.approx(value.item(), abs=1e-9)


def test_default_tokenizer_splits_punctuation_and_a_custom_one_is_used():
    # treebank: "hello!" -> ["hello", "!"] equals "hello !" -> BLEU-1 = 100
    assert bleu(["Hello!"], ["hello !"], max_n=1)["bleu1"] == pytest.approx(100.0)
    # str.split keeps "Hello!" whole, sharing no token with ["hello", "!"] -> 0
    assert bleu(["Hello!"], ["hello !"], max_n=1, tokenizer=str.split)["bleu1"] == 0.0


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="unknown variant"):
        BLEUScores(variant="macro")
    metric = BLEUScores()
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        metric.update(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no reference"):
        metric.update(["a"], [[]])


def test_brevity_penalty_is_one_when_prediction_is_longer():
    # "a b c d" vs "a b": c = 4 > r = 2 -> BP = 1; p1 = 2/4 -> BLEU-1 = 50
    assert bleu(["a b c d"], ["a b"], max_n=1)["bleu1"] == pytest.approx(50.0)
    assert math.isclose(bleu(["a b"], ["a b c d"], max_n=1)["bleu1"], 100 * math.exp(1 - 4 / 2))  # exp(-1)
