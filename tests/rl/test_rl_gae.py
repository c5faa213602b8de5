import pytest
import torch

from empathy_suite.rl import gae

# one 1x3 episode used throughout: reward only at the end
REWARDS = [0.0, 0.0, 1.0]
VALUES = [0.5, 0.6, 0.7]
# gamma = 1, lam = 0.95:
#   t=2: delta = 1 + 1*0   - 0.7 = 0.3 ; A2 = 0.3
#   t=1: delta = 0 + 1*0.7 - 0.6 = 0.1 ; A1 = 0.1 + 0.95*0.3   = 0.385
#   t=0: delta = 0 + 1*0.6 - 0.5 = 0.1 ; A0 = 0.1 + 0.95*0.385 = 0.46575
#   returns = A + V = [0.96575, 0.985, 1.0]
ADVANTAGES = [0.46575, 0.385, 0.3]
RETURNS = [0.96575, 0.985, 1.0]


def test_gae_by_hand_gamma_1_lam_095():
    adv, ret = gae(torch.tensor([REWARDS]), torch.tensor([VALUES]), torch.ones(1, 3), gamma=1.0, lam=0.95)
    assert adv.tolist()[0] == pytest.approx(ADVANTAGES)
    assert ret.tolist()[0] == pytest.approx(RETURNS)


def test_gae_by_hand_gamma_09_lam_05():
    # r = [1, 2], V = [0.5, 1.0], gamma*lam = 0.45
    #   t=1: delta = 2 + 0.9*0   - 1.0 = 1.0 ; A1 = 1.0
    #   t=0: delta = 1 + 0.9*1.0 - 0.5 = 1.4 ; A0 = 1.4 + 0.45*1.0 = 1.85
    #   returns = [1.85 + 0.5, 1.0 + 1.0] = [2.35, 2.0]
    adv, ret = gae(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5, 1.0]]), torch.ones(1, 2), gamma=0.9, lam=0.5)
    assert adv.tolist()[0] == pytest.approx([1.85, 1.0])
    assert ret.tolist()[0] == pytest.approx([2.35, 2.0])


def test_lam_1_gives_monte_carlo_returns():
    # gamma = lam = 1: A_t = sum_{k>=t} r_k - V_t, so every return is the total reward 1.0
    adv, ret = gae(torch.tensor([REWARDS]), torch.tensor([VALUES]), torch.ones(1, 3), gamma=1.0, lam=1.0)
    assert adv.tolist()[0] == pytest.approx([0.5, 0.4, 0.3])
    assert ret.tolist()[0] == pytest.approx([1.0, 1.0, 1.0])


def test_padding_on_either_side_or_inside_is_skipped():
    # the same episode padded right, left and in the middle; padding holds junk (5.0 / 9.0)
    # that must not reach any real token. Expected: the hand values above, 0 at padding.
    rewards = torch.tensor([[*REWARDS, 5.0], [5.0, *REWARDS], [0.0, 5.0, 0.0, 1.0]])
    values = torch.tensor([[*VALUES, 9.0], [9.0, *VALUES], [0.5, 9.0, 0.6, 0.7]])
    mask = torch.tensor([[1, 1, 1, 0], [0, 1, 1, 1], [1, 0, 1, 1]])
    adv, ret = gae(rewards, values, mask, gamma=1.0, lam=0.95)
    a0, a1, a2 = ADVANTAGES
    r0, r1, r2 = RETURNS
    assert adv.tolist()[0] == pytest.approx([a0, a1, a2, 0.0])
    assert adv.tolist()[1] == pytest.approx([0.0, a0, a1, a2])
    assert adv.tolist()[2] == pytest.approx([a0, 0.0, a1, a2])
    assert ret.tolist()[0] == pytest.approx([r0, r1, r2, 0.0])
    assert ret.tolist()[1] == pytest.approx([0.0, r0, r1, r2])
    assert ret.tolist()[2] == pytest.approx([r0, 0.0, r1, r2])


def test_gae_outputs_carry_no_gradient_and_check_shapes():
    values = torch.tensor([VALUES], requires_grad=True)
    adv, ret = gae(torch.tensor([REWARDS]), values, torch.ones(1, 3), 1.0, 0.95)
    assert not adv.requires_grad and not ret.requires_grad
    with pytest.raises(ValueError, match=r"values has shape \(1, 2\)"):
        gae(torch.zeros(1, 3), torch.zeros(1, 2), torch.ones(1, 3), 1.0, 0.95)
