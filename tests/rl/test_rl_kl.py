import math

import pytest
import torch

from empathy_suite.rl import per_token_kl

LN2 = math.log(2.0)


def test_log_ratio_and_k3_by_hand():
    # token 0: p = 0.5,  ref = 0.25 -> k1 = ln 0.5 - ln 0.25 = ln 2 = 0.6931
    #          ratio = ref/p = 0.5  -> k3 = (0.5 - 1) - ln 0.5 = -0.5 + 0.6931 = 0.1931
    # token 1: p = 0.25, ref = 0.5  -> k1 = -ln 2 = -0.6931
    #          ratio = 2            -> k3 = (2 - 1) - ln 2 = 1 - 0.6931 = 0.3069
    # token 2: p = ref = 0.3        -> k1 = 0, k3 = (1 - 1) - ln 1 = 0
    logprobs = torch.tensor([[math.log(0.5), math.log(0.25), math.log(0.3)]])
    ref = torch.tensor([[math.log(0.25), math.log(0.5), math.log(0.3)]])
    k1 = per_token_kl(logprobs, ref, "log_ratio")
    k3 = per_token_kl(logprobs, ref, "k3")
    assert k1.tolist()[0] == pytest.approx([LN2, -LN2, 0.0], abs=1e-6)
    assert k3.tolist()[0] == pytest.approx([-0.5 + LN2, 1.0 - LN2, 0.0], abs=1e-6)


def test_default_estimator_is_log_ratio():
    logprobs, ref = torch.tensor([[-1.0, -2.0]]), torch.tensor([[-1.5, -1.0]])
    # -1 - (-1.5) = 0.5 ; -2 - (-1) = -1
    assert per_token_kl(logprobs, ref).tolist() == [[0.5, -1.0]]


def test_k3_is_never_negative():
    gen = torch.Generator().manual_seed(0)
    logprobs, ref = -3 * torch.rand(4, 7, generator=gen), -3 * torch.rand(4, 7, generator=gen)
    assert (per_token_kl(logprobs, ref, "k3") >= 0).all()


def test_mask_zeroes_padding():
    # the padded token has a huge log-ratio (0 - (-50) = 50) that must not survive
    logprobs = torch.tensor([[-1.0, -2.0, 0.0]])
    ref = torch.tensor([[-1.5, -1.0, -50.0]])
    mask = torch.tensor([[True, True, False]])
    assert per_token_kl(logprobs, ref, mask=mask).tolist() == [[0.5, -1.0, 0.0]]
    assert per_token_kl(logprobs, ref, "k3", mask=mask.float())[0, 2].item() == 0.0


def test_unknown_estimator_and_shape_mismatch_raise():
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="unknown estimator 'abs'"):
        per_token_kl(x, x, "abs")
    with pytest.raises(ValueError, match=r"ref_logprobs has shape \(2, 4\)"):
        per_token_kl(x, torch.zeros(2, 4))
