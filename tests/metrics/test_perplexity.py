import math

import pytest
import torch
import torch.nn.functional as F

from empathy_suite.metrics import TokenPerplexity

LN3 = math.log(3)


def two_token_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """(1, 3, 2) logits: two scored tokens and a padded third one."""
    logits = torch.tensor([[[0.0, 0.0], [LN3, 0.0], [50.0, -50.0]]])
    target = torch.tensor([[0, 1, -100]])
    return logits, target


def test_two_tokens_by_hand():
    # token 1: logits [0, 0], target 0 -> p = 1/2, NLL = ln 2
    # token 2: logits [ln 3, 0], target 1 -> p = 1 / (3 + 1) = 1/4, NLL = ln 4
    # token 3: ignored (-100), though its NLL would be ~100
    # ppl = exp((ln 2 + ln 4) / 2) = exp(ln 8 / 2) = sqrt(8) = 2.828427
    metric = TokenPerplexity()
    metric.update(*two_token_batch())
    assert metric.compute().item() == pytest.approx(math.sqrt(8), rel=1e-6)
    assert metric.n_tokens.item() == 2


def test_custom_ignore_index():
    # the same two tokens, padding marked 0 after shifting the target ids up by one class
    logits, _ = two_token_batch()
    logits = torch.cat([torch.full((1, 3, 1), -1e4), logits], dim=-1)  # class 0 never predicted
    metric = TokenPerplexity()
    metric.update(logits, torch.tensor([[1, 2, 0]]), ignore_index=0)
    assert metric.compute().item() == pytest.approx(math.sqrt(8), rel=1e-6)


def test_split_updates_are_token_weighted():
    # batch 1: one token, NLL ln 2; batch 2: two tokens, NLL ln 4 each
    # ppl = exp((ln 2 + 2 ln 4) / 3) = exp(5 ln 2 / 3) = 2^(5/3) = 3.174802
    # (a mean of per-batch means would give exp((ln 2 + ln 4) / 2) = 2.828427)
    metric = TokenPerplexity()
    metric.update(torch.tensor([[[0.0, 0.0]]]), torch.tensor([[0]]))
    metric.update(torch.tensor([[[LN3, 0.0]], [[LN3, 0.0]]]), torch.tensor([[1], [1]]))
    assert metric.compute().item() == pytest.approx(2 ** (5 / 3), rel=1e-6)
    whole = TokenPerplexity()
    whole.update(torch.tensor([[[0.0, 0.0], [LN3, 0.0], [LN3, 0.0]]]), torch.tensor([[0, 1, 1]]))
    assert whole.compute().item() == pytest.approx(metric.compute().item(), rel=1e-7)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_logits_are_scored_in_float32(dtype):
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(4, 8, 1000, generator=generator) * 4).to(dtype)
    target = torch.randint(0, 1000, (4, 8), generator=generator)
    reference = TokenPerplexity()
    reference.update(logits.float(), target)
    metric = TokenPerplexity()
    metric.update(logits, target)
    assert metric.compute().item() == pytest.approx(reference.compute().item(), rel=1e-6)
    # the check has teeth: the same loss computed in the half dtype is visibly off
    naive = torch.exp(F.cross_entropy(logits.reshape(-1, 1000), target.reshape(-1), reduction="sum").float() / 32)
    assert naive.item() != pytest.approx(reference.compute().item(), rel=1e-4)


def test_update_from_nll_matches_update_and_refreshes_compute():
    metric = TokenPerplexity()
    metric.update_from_nll(torch.tensor(math.log(2) + math.log(4)), torch.tensor(2))
    assert metric.update_count == 1  # counted, so callers that skip un-updated metrics see it
    assert metric.compute().item() == pytest.approx(math.sqrt(8), rel=1e-6)
    # the cached compute() result must be dropped: adding ln 4 over 1 token -> 2^(5/3)
    metric.update_from_nll(torch.tensor(math.log(4)), torch.tensor(1))
    assert metric.compute().item() == pytest.approx(2 ** (5 / 3), rel=1e-6)


def test_merged_states_equal_one_update():
    rank0, rank1 = TokenPerplexity(), TokenPerplexity()
    rank0.update(torch.tensor([[[0.0, 0.0]]]), torch.tensor([[0]]))
    rank1.update(torch.tensor([[[LN3, 0.0]], [[LN3, 0.0]]]), torch.tensor([[1], [1]]))
    rank0.merge_state(rank1)
    assert rank0.compute().item() == pytest.approx(2 ** (5 / 3), rel=1e-6)


def test_logits_with_grad_are_detached():
    logits, target = two_token_batch()
    metric = TokenPerplexity()
    metric.update(logits.requires_grad_(), target)
    assert not metric.nll_sum.requires_grad


def test_bad_shapes_and_no_tokens():
    metric = TokenPerplexity()
    with pytest.raises(ValueError, match=r"\(B, T, V\)"):
        metric.update(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    metric.update(torch.zeros(1, 2, 3), torch.full((1, 2), -100))
    assert math.isnan(metric.compute().item())  # 0 / 0 tokens: no perplexity to report
