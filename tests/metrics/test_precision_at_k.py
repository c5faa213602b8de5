import warnings
from collections import Counter

import pytest
import torch

from empathy_suite.metrics import PrecisionAtKOfN
from empathy_suite.metrics.precision_at_k import sample_negatives

# context i and its true response candidate i
CONTEXT = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
CANDIDATES = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.0]])


def p_at_k(context, candidates, **kwargs) -> float:
    metric = PrecisionAtKOfN(**kwargs)
    metric.update(context, candidates)
    return metric.compute().item()


@pytest.mark.parametrize(("k", "expected"), [(1, 0.5), (2, 0.75), (3, 1.0)])
def test_hand_made_embeddings_with_every_other_example_as_negative(k, expected):
    # n = 4 = number of examples, so each context ranks all 4 responses and sampling is moot.
    # scores c_i . r_j (row i, column j; true response on the diagonal):
    #   c0 = ( 1, 0): [ 2,  0,  1,  0]  true 2; negatives >= 2: none          -> beaten by 0
    #   c1 = ( 0, 1): [ 0,  1,  0, -1]  true 1; none                          -> 0
    #   c2 = ( 1, 1): [ 2,  1,  1, -1]  true 1; r0 = 2 and r1 = 1 (a tie)     -> 2
    #   c3 = (-1, 0): [-2,  0, -1,  0]  true 0; r1 = 0 (a tie)                -> 1
    # hit when beaten by fewer than k: k=1 -> c0, c1 = 2/4; k=2 -> + c3 = 3/4; k=3 -> 4/4
    # (were ties won by the model, c3 would hit at k=1 and P@1 would be 3/4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # n equals the number of examples: nothing to warn about
        assert p_at_k(CONTEXT, CANDIDATES, k=k, n=4) == pytest.approx(expected)


def test_fewer_examples_than_n_uses_them_all_and_warns_once():
    metric = PrecisionAtKOfN(k=1, n=100)
    metric.update(CONTEXT, CANDIDATES)
    with pytest.warns(UserWarning, match=r"4 examples.*n=100") as record:
        value = metric.compute().item()
    assert len(record) == 1
    assert value == pytest.approx(0.5)  # the n = 4 result above
    assert metric.last_n == 4


def reference_p_at_k(context, candidates, k, n, seed) -> float:
    """The sampling procedure written out as a plain loop, one example at a time."""
    total = context.shape[0]
    generator = torch.Generator().manual_seed(seed)
    hits = 0
    for i in range(total):
        picks = torch.randperm(total - 1, generator=generator)[: n - 1].tolist()
        negatives = [p if p < i else p + 1 for p in picks]  # indices of the others, skipping i
        true = float(context[i] @ candidates[i])
        beaten_by = sum(float(context[i] @ candidates[j]) >= true for j in negatives)
        hits += beaten_by < k
    return hits / total


@pytest.mark.parametrize("k", [1, 2])
def test_sampled_negatives_match_a_plain_loop(k):
    generator = torch.Generator().manual_seed(1)
    context = torch.randn(12, 3, generator=generator)
    candidates = context + 2 * torch.randn(12, 3, generator=generator)  # noisy: some misses
    value = p_at_k(context, candidates, k=k, n=4, seed=7)
    assert value == pytest.approx(reference_p_at_k(context, candidates, k=k, n=4, seed=7))
    assert 0 < value < 1  # a trivial 0 or 1 would not exercise the sampling


def test_sampled_negatives_exclude_self_repeat_nothing_and_are_uniform():
    negatives = sample_negatives(6, 3, torch.Generator().manual_seed(0))
    assert negatives.shape == (6, 3)
    for i, row in enumerate(negatives.tolist()):
        assert i not in row and len(set(row)) == 3 and all(0 <= j < 6 for j in row)
    # one negative for row 0 out of {1, 2, 3}, 1500 draws: each about 500 (sd ~18);
    # a wrong shift past i would favour or never draw some index
    generator = torch.Generator().manual_seed(0)
    counts = Counter(sample_negatives(4, 1, generator)[0, 0].item() for _ in range(1500))
    assert set(counts) == {1, 2, 3}
    assert all(430 < c < 570 for c in counts.values())


def test_same_seed_same_result_and_split_updates_equal_one_update():
    generator = torch.Generator().manual_seed(2)
    context = torch.randn(30, 4, generator=generator)
    candidates = context + 1.5 * torch.randn(30, 4, generator=generator)
    whole = p_at_k(context, candidates, k=1, n=5, seed=3)
    assert p_at_k(context, candidates, k=1, n=5, seed=3) == whole
    split = PrecisionAtKOfN(k=1, n=5, seed=3)
    for start in range(0, 30, 7):
        split.update(context[start : start + 7], candidates[start : start + 7])
    assert split.compute().item() == whole
    assert split.last_n == 5


def test_too_few_examples_or_bad_arguments_raise_value_error():
    with warnings.catch_warnings(), pytest.raises(ValueError, match="at least 2 examples"):
        warnings.simplefilter("ignore")  # torchmetrics' own "compute before update" notice
        PrecisionAtKOfN().compute()
    one = PrecisionAtKOfN(n=2)
    one.update(CONTEXT[:1], CANDIDATES[:1])
    with pytest.raises(ValueError, match="got 1"):
        one.compute()
    with pytest.raises(ValueError, match=r"\(B, D\)"):
        PrecisionAtKOfN().update(CONTEXT, CANDIDATES[:2])
    with pytest.raises(ValueError, match="k >= 1"):
        PrecisionAtKOfN(k=0)
