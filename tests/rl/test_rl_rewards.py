import pytest
import torch

from empathy_suite.rl import last_token_index, shape_rewards


def test_last_token_index_with_left_right_and_inner_padding():
    mask = torch.tensor([[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 0], [1, 0, 1, 0]])
    assert last_token_index(mask).tolist() == [2, 3, 1, 2]
    assert last_token_index(mask.bool()).tolist() == [2, 3, 1, 2]


def test_last_token_index_rejects_an_empty_row():
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        last_token_index(torch.tensor([[1, 0], [0, 0]]))


def test_shape_rewards_by_hand_with_right_and_left_padding():
    # k1 KL = logprobs - ref with ref = 0, so KL = logprobs; beta = 0.5
    # row 0 (right padded, mask 1 1 1 0, score 2):
    #   KL      = [0.1, 0.2, 0.3, 0]     (the 9.0 in padding is dropped)
    #   rewards = [-0.05, -0.1, -0.15 + 2 = 1.85, 0]
    # row 1 (left padded, mask 0 1 1 1, score 3):
    #   KL      = [0, 0.4, 0.0, -0.2]    (the 7.0 in padding is dropped)
    #   rewards = [0, -0.2, 0, 0.1 + 3 = 3.1]
    logprobs = torch.tensor([[0.1, 0.2, 0.3, 9.0], [7.0, 0.4, 0.0, -0.2]])
    ref = torch.zeros(2, 4)
    mask = torch.tensor([[1.0, 1, 1, 0], [0, 1, 1, 1]])
    scores = torch.tensor([2.0, 3.0])
    rewards, kl = shape_rewards(scores, logprobs, ref, mask, kl_coef=0.5)
    assert kl.tolist()[0] == pytest.approx([0.1, 0.2, 0.3, 0.0])
    assert kl.tolist()[1] == pytest.approx([0.0, 0.4, 0.0, -0.2])
    assert rewards.tolist()[0] == pytest.approx([-0.05, -0.1, 1.85, 0.0])
    assert rewards.tolist()[1] == pytest.approx([0.0, -0.2, 0.0, 3.1])


def test_shape_rewards_with_k3_and_a_single_token_response():
    # one real token, p = 0.5, ref = 0.25: ratio = 0.5, k3 = -0.5 + ln 2 = 0.19315
    # beta = 2: reward = 1 - 2 * 0.19315 = 0.61371
    logprobs = torch.tensor([[0.0, torch.log(torch.tensor(0.5)).item()]])
    ref = torch.tensor([[0.0, torch.log(torch.tensor(0.25)).item()]])
    rewards, kl = shape_rewards(torch.tensor([1.0]), logprobs, ref, torch.tensor([[0, 1]]), 2.0, "k3")
    assert kl.tolist()[0] == pytest.approx([0.0, 0.19315], abs=1e-5)
    assert rewards.tolist()[0] == pytest.approx([0.0, 0.61371], abs=1e-5)


def test_shape_rewards_outputs_carry_no_gradient():
    logprobs = torch.tensor([[-1.0, -2.0]], requires_grad=True)
    rewards, kl = shape_rewards(torch.tensor([1.0]), logprobs, torch.zeros(1, 2), torch.ones(1, 2), 0.1)
    assert not rewards.requires_grad and not kl.requires_grad


def test_shape_rewards_checks_shapes():
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"scores must be \(B,\) = \(2,\), got shape \(3,\)"):
        shape_rewards(torch.zeros(3), x, x, torch.ones(2, 3), 0.1)
    with pytest.raises(ValueError, match=r"mask has shape \(2, 4\)"):
        shape_rewards(torch.zeros(2), x, x, torch.ones(2, 4), 0.1)
