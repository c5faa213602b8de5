import math

import pytest
import torch

from empathy_suite.rl import clipped_policy_loss, clipped_value_loss, entropy_from_logits
from empathy_suite.rl.losses import token_entropy

LN2, LN3 = math.log(2.0), math.log(3.0)

# old_logprobs = 0, so ratio = exp(logprobs). clip_eps = 0.2 -> ratios clipped to [0.8, 1.2]
#   case                 ratio  A   -A*ratio  -A*clip(ratio)  max     clipped term wins?
#   A>0, ratio above     1.5   +1    -1.5       -1.2          -1.2    yes
#   A>0, ratio below     0.5   +1    -0.5       -0.8          -0.5    no
#   A<0, ratio above     1.5   -1     1.5        1.2           1.5    no
#   A<0, ratio below     0.5   -1     0.5        0.8           0.8    yes
#   inside the range     1.1   +2    -2.2       -2.2          -2.2    no (tie)
#   padding              3.0  1000   (ignored)
# loss = (-1.2 - 0.5 + 1.5 + 0.8 - 2.2) / 5 = -1.6 / 5 = -0.32 ; clip_frac = 2 / 5 = 0.4
RATIOS = [1.5, 0.5, 1.5, 0.5, 1.1, 3.0]
ADVANTAGES = torch.tensor([[1.0, 1.0, -1.0, -1.0, 2.0, 1000.0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 0]])


def policy_loss():
    logprobs = torch.log(torch.tensor([RATIOS])).requires_grad_()
    loss, stats = clipped_policy_loss(logprobs, torch.zeros(1, 6), ADVANTAGES, MASK, clip_eps=0.2)
    return logprobs, loss, stats


def test_policy_loss_clips_both_sides_for_both_advantage_signs():
    _, loss, stats = policy_loss()
    assert loss.item() == pytest.approx(-0.32)
    assert stats["clip_frac"].item() == pytest.approx(0.4)
    # ratio mean over real tokens: (1.5 + 0.5 + 1.5 + 0.5 + 1.1) / 5 = 5.1 / 5 = 1.02
    assert stats["ratio_mean"].item() == pytest.approx(1.02)
    # approx_kl = 0.5 * mean(log_ratio^2) = 0.5 * (2 ln(1.5)^2 + 2 ln(0.5)^2 + ln(1.1)^2) / 5
    #           = 0.5 * (2*0.164402 + 2*0.480453 + 0.009084) / 5 = 0.129879
    assert stats["approx_kl"].item() == pytest.approx(0.129879, abs=1e-5)
    assert not any(value.requires_grad for value in stats.values())


def test_policy_loss_gradient_is_zero_where_clipped():
    # d(-A * ratio)/d logp = -A * ratio, divided by the 5 real tokens:
    #   clipped (0 and 3) -> 0 ; case 1: -1*0.5/5 = -0.1 ; case 2: 1*1.5/5 = 0.3
    #   case 4: -2*1.1/5 = -0.44 ; padding -> 0
    logprobs, loss, _ = policy_loss()
    loss.backward()
    assert logprobs.grad.tolist()[0] == pytest.approx([0.0, -0.1, 0.3, 0.0, -0.44, 0.0])


def test_policy_loss_ignores_non_finite_padding():
    logprobs = torch.tensor([[0.0, float("inf")]])
    advantages, mask = torch.tensor([[1.0, 1.0]]), torch.tensor([[1, 0]])
    loss, stats = clipped_policy_loss(logprobs, torch.zeros(1, 2), advantages, mask, 0.2)
    # one real token with ratio 1 and A = 1: loss = -1
    assert loss.item() == pytest.approx(-1.0)
    assert math.isfinite(stats["approx_kl"].item()) and math.isfinite(stats["ratio_mean"].item())


def test_value_loss_by_hand():
    # old = 1, c = 0.2 -> clipped values lie in [0.8, 1.2]
    #   v    clip(v)  R   (v-R)^2  (clip-R)^2  max    clipped term wins?
    #   1.5  1.2      2   0.25     0.64        0.64   yes
    #   0.5  0.8      2   2.25     1.44        2.25   no
    #   1.1  1.1      0   1.21     1.21        1.21   no (tie)
    #   1.5  1.2      0   2.25     1.44        2.25   no
    #   0.5  0.8      0   0.25     0.64        0.64   yes
    #   padding: v = 50, R = -50 (ignored)
    # loss = 0.5 * (0.64 + 2.25 + 1.21 + 2.25 + 0.64) / 5 = 0.5 * 6.99 / 5 = 0.699 ; clip_frac = 0.4
    values = torch.tensor([[1.5, 0.5, 1.1, 1.5, 0.5, 50.0]], requires_grad=True)
    returns = torch.tensor([[2.0, 2.0, 0.0, 0.0, 0.0, -50.0]])
    loss, clip_frac = clipped_value_loss(values, torch.ones(1, 6), returns, MASK, clip_range=0.2)
    assert loss.item() == pytest.approx(0.699)
    assert clip_frac.item() == pytest.approx(0.4)
    # gradient 0.5 * 2 * (v - R) / 5 where the unclipped error wins, 0 where the clipped one does:
    #   [0, (0.5-2)/5 = -0.3, 1.1/5 = 0.22, 1.5/5 = 0.3, 0, 0]
    loss.backward()
    assert values.grad.tolist()[0] == pytest.approx([0.0, -0.3, 0.22, 0.3, 0.0, 0.0])


def test_token_entropy_by_hand():
    # uniform over 3: ln 3 = 1.0986 ; p = [0.5, 0.25, 0.25]: 0.5 ln 2 + 2 * 0.25 ln 4 = 1.5 ln 2 = 1.0397
    # logits [0, 0, -inf]: a fair coin, ln 2 = 0.6931 (the -inf must not give nan)
    logits = torch.tensor([[[0.0, 0.0, 0.0], [math.log(0.5), math.log(0.25), math.log(0.25)], [0.0, 0.0, -math.inf]]])
    assert token_entropy(logits).tolist()[0] == pytest.approx([LN3, 1.5 * LN2, LN2], abs=1e-6)


def test_entropy_from_logits_masked_mean_and_finite_gradient():
    # real tokens: uniform over 3 (ln 3) and a fair coin with a -inf logit (ln 2); the third
    # token (a near one-hot, entropy ~0) is padding. Mean = (ln 3 + ln 2) / 2 = 0.8959
    logits = torch.tensor([[[1.0, 1.0, 1.0], [2.0, 2.0, -math.inf], [50.0, 0.0, 0.0]]], requires_grad=True)
    entropy = entropy_from_logits(logits, torch.tensor([[True, True, False]]))
    assert entropy.item() == pytest.approx((LN3 + LN2) / 2, abs=1e-6)
    entropy.backward()
    assert torch.isfinite(logits.grad).all()


def test_losses_check_shapes():
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"advantages has shape \(2, 2\)"):
        clipped_policy_loss(x, x, torch.zeros(2, 2), torch.ones(2, 3), 0.2)
    with pytest.raises(ValueError, match=r"returns has shape \(3, 3\)"):
        clipped_value_loss(x, x, torch.zeros(3, 3), torch.ones(2, 3), 0.2)
    with pytest.raises(ValueError, match=r"expected logits \(B, T, V\)"):
        entropy_from_logits(torch.zeros(2, 3, 4), torch.ones(2, 4))
