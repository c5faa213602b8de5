import pytest
import torch

from empathy_suite.rl import masked_mean, masked_var, masked_whiten

# real tokens 1, 2, 3 and one padded 100 that must be ignored
X = torch.tensor([[1.0, 2.0], [3.0, 100.0]])
MASK = torch.tensor([[1.0, 1.0], [1.0, 0.0]])


def test_masked_mean_over_all_tokens_and_per_row():
    # all: (1 + 2 + 3) / 3 = 2 ; per row: (1 + 2) / 2 = 1.5 and 3 / 1 = 3
    assert masked_mean(X, MASK).item() == pytest.approx(2.0)
    assert masked_mean(X, MASK.bool(), dim=1).tolist() == pytest.approx([1.5, 3.0])


def test_masked_mean_is_nan_without_real_tokens():
    assert torch.isnan(masked_mean(X, torch.zeros(2, 2)))


def test_masked_var_biased_and_unbiased():
    # mean 2; squared deviations 1, 0, 1 -> biased 2/3, unbiased 2/3 * 3/2 = 1
    assert masked_var(X, MASK, unbiased=False).item() == pytest.approx(2 / 3)
    assert masked_var(X, MASK).item() == pytest.approx(1.0)


def test_unbiased_var_needs_two_tokens():
    with pytest.raises(ValueError, match="at least 2 real tokens, got 1"):
        masked_var(X, torch.tensor([[1.0, 0.0], [0.0, 0.0]]))


def test_masked_whiten_by_hand():
    # mean 2, unbiased var 1: (x - 2) / 1 = [-1, 0, 1]; padding -> 0
    assert masked_whiten(X, MASK).tolist() == [[pytest.approx(-1.0), pytest.approx(0.0)], [pytest.approx(1.0), 0.0]]
    # shift_mean=False adds the mean back: [1, 2, 3]
    assert masked_whiten(X, MASK, shift_mean=False).flatten().tolist() == pytest.approx([1.0, 2.0, 3.0, 0.0])


def test_masked_whiten_rescales_to_unit_variance():
    # x = [0, 4, 8]: mean 4, unbiased var (16 + 0 + 16) / 2 = 16, std 4 -> [-1, 0, 1]
    out = masked_whiten(torch.tensor([[0.0, 4.0, 8.0, -3.0]]), torch.tensor([[1, 1, 1, 0]]))
    assert out.tolist()[0] == pytest.approx([-1.0, 0.0, 1.0, 0.0])
