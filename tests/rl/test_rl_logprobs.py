import math

import pytest
import torch

from empathy_suite.rl import logprobs_from_logits


def test_logprobs_of_given_tokens_by_hand():
    # row logits are log-probs already (p = [0.5, 0.25, 0.25]), so log_softmax leaves them:
    # token 0 -> ln 0.5 = -0.6931, token 2 -> ln 0.25 = -1.3863
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]]]))
    out = logprobs_from_logits(logits, torch.tensor([[0, 2]]))
    assert out.tolist()[0] == pytest.approx([math.log(0.5), math.log(0.25)])


def test_temperature_divides_the_logits():
    # logits [0, 2 ln 3] / 2 = [0, ln 3] -> p = [1/4, 3/4]
    logits = torch.tensor([[[0.0, 2 * math.log(3.0)]]])
    out = logprobs_from_logits(logits, torch.tensor([[1]]), temperature=2.0)
    assert out.item() == pytest.approx(math.log(0.75))


def test_half_precision_logits_give_float32_logprobs():
    logits = torch.zeros(1, 1, 4, dtype=torch.bfloat16)
    out = logprobs_from_logits(logits, torch.tensor([[3]]))
    # uniform over 4: ln 0.25
    assert out.dtype == torch.float32 and out.item() == pytest.approx(math.log(0.25))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match=r"tokens \(B, T\)"):
        logprobs_from_logits(torch.zeros(1, 2, 3), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        logprobs_from_logits(torch.zeros(1, 2, 3), torch.zeros(1, 2, dtype=torch.long), temperature=0.0)
