import math

import pytest
import torch

from empathy_suite.decoding.sampling import filter_logits, sample_next

PROBS = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
LOGITS = PROBS.log()


def kept(logits):
    return torch.isfinite(logits)[0].tolist()


def test_top_k_keeps_the_k_largest():
    assert kept(filter_logits(LOGITS, top_k=2)) == [True, True, False, False]
    assert kept(filter_logits(LOGITS, top_k=0)) == [True] * 4


@pytest.mark.parametrize("top_p, expected", [
    (0.5, [True, False, False, False]),   # 0.5 alone reaches 0.5
    (0.7, [True, True, False, False]),    # 0.5 < 0.7, 0.5 + 0.3 = 0.8 >= 0.7
    (0.8, [True, True, False, False]),    # the third token's predecessors already sum to 0.8
    (0.9, [True, True, True, False]),     # 0.8 < 0.9, then 0.95
    (1.0, [True, True, True, True]),
])
def test_top_p_keeps_the_smallest_nucleus(top_p, expected):
    assert kept(filter_logits(LOGITS, top_p=top_p)) == expected


def test_top_p_works_on_unsorted_rows():
    shuffled = LOGITS[:, [2, 0, 3, 1]]  # probs 0.15, 0.5, 0.05, 0.3
    assert kept(filter_logits(shuffled, top_p=0.7)) == [False, True, False, True]


def test_temperature_divides_logits():
    out = filter_logits(torch.tensor([[2.0, 1.0]]), temperature=0.5)
    assert out.tolist() == [[4.0, 2.0]]
    # softmax at T=0.5 of (2, 1): 1 / (1 + e^-2)
    assert out.softmax(-1)[0, 0].item() == pytest.approx(1 / (1 + math.exp(-2)))


def test_invalid_settings_raise():
    with pytest.raises(ValueError, match="temperature"):
        filter_logits(LOGITS, temperature=0)
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(LOGITS, top_p=0)


def test_sample_next_never_draws_a_filtered_token():
    generator = torch.Generator().manual_seed(0)
    draws = sample_next(LOGITS.expand(2000, -1), generator, top_k=2)
    assert set(draws.tolist()) == {0, 1}
    # P(token 0 | top-2) = 0.5 / 0.8
    assert (draws == 0).float().mean().item() == pytest.approx(0.625, abs=0.035)
