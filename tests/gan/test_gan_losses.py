import math

import pytest
import torch
from torch import nn

from empathy_suite.gan import (
    bce_discriminator_loss,
    bce_generator_loss,
    gradient_penalty,
    policy_gradient_loss,
    wgan_critic_loss,
    wgan_generator_loss,
)


def test_wgan_losses_on_small_numbers():
    d_fake = torch.tensor([1.0, 3.0])  # mean 2
    d_real = torch.tensor([4.0, 5.0, 9.0])  # mean 6
    assert wgan_critic_loss(d_fake, d_real).item() == pytest.approx(2 - 6)
    assert wgan_generator_loss(d_fake).item() == pytest.approx(-2)
    with pytest.raises(ValueError, match=r"\(B,\)"):
        wgan_critic_loss(d_fake.view(2, 1), d_real)


def linear_critic(w: torch.Tensor):
    return lambda x: x.flatten(1) @ w


@pytest.mark.parametrize("alpha", [None, torch.tensor([0.0, 0.3, 1.0])])
def test_gradient_penalty_of_a_linear_critic_is_norm_w_minus_1_squared(alpha):
    # D(x) = w . x has gradient w everywhere: ||w|| = 5 for w = (3, 4), so GP = (5 - 1)^2 = 16
    # whatever the interpolation weights; the unsquared eq 15 term is 5 - 1 = 4
    w = torch.tensor([3.0, 4.0])
    real, fake = torch.randn(3, 2), torch.randn(3, 2)
    generator = torch.Generator().manual_seed(0)
    assert gradient_penalty(linear_critic(w), real, fake, alpha, generator=generator).item() == pytest.approx(16.0)
    assert gradient_penalty(linear_critic(w), real, fake, alpha, squared=False).item() == pytest.approx(4.0)


def test_gradient_penalty_flattens_per_row_and_vanishes_for_unit_gradients():
    # (B, 1, 2, 2) inputs, w with ||w|| = 1: every row's gradient has norm 1
    w = torch.tensor([0.5, 0.5, 0.5, 0.5])
    real, fake = torch.randn(2, 1, 2, 2), torch.randn(2, 1, 2, 2)
    assert gradient_penalty(linear_critic(w), real, fake).item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_penalty_interpolates_alpha_fake_plus_one_minus_alpha_real():
    # D(x) = sum(x^2)/2 has gradient x: at alpha = 1 the point is fake, at 0 real
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return 0.5 * (x**2).sum(dim=1)

    real, fake = torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([[0.0, 3.0], [1.0, 0.0]])
    penalty = gradient_penalty(critic, real, fake, torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(seen[0], torch.tensor([[0.0, 3.0], [0.0, 2.0]]))
    # norms 3 and 2: ((3-1)^2 + (2-1)^2) / 2 = 2.5
    assert penalty.item() == pytest.approx(2.5)


def test_gradient_penalty_is_differentiable_in_the_critics_parameters():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    penalty = gradient_penalty(lambda x: critic(x).squeeze(-1), real, fake)
    penalty.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in critic[0].parameters())
    # a linear critic's GP gradient in w is known: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gradient_penalty(linear_critic(w), real[:, :2], fake[:, :2]).backward()
    torch.testing.assert_close(w.grad, 2 * 4 * torch.tensor([3.0, 4.0]) / 5)


def test_gradient_penalty_detaches_its_endpoints():
    fake = torch.randn(2, 2, requires_grad=True)
    penalty = gradient_penalty(lambda x: 0.5 * (x**2).sum(1), torch.randn(2, 2), fake * 1.0)
    penalty.backward()
    assert fake.grad is None


def test_gradient_penalty_rejects_bad_shapes():
    w = torch.tensor([1.0, 1.0])
    with pytest.raises(ValueError, match="share"):
        gradient_penalty(linear_critic(w), torch.zeros(2, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="alpha"):
        gradient_penalty(linear_critic(w), torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="critic_fn"):
        gradient_penalty(lambda x: x, torch.zeros(2, 2), torch.zeros(2, 2))


def test_generator_loss_leaves_a_frozen_critic_untouched():
    torch.manual_seed(0)
    generator, critic = nn.Linear(2, 3), nn.Linear(3, 1)
    critic.requires_grad_(False)
    loss = wgan_generator_loss(critic(generator(torch.randn(5, 2))).squeeze(-1))
    loss.backward()
    assert all(p.grad is None for p in critic.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())
    # d(-mean D)/d(bias of the generator) = -W_critic / B * B = -W_critic
    torch.testing.assert_close(generator.bias.grad, -critic.weight[0])


def test_bce_losses_by_hand():
    zeros = torch.zeros(3)
    # sigmoid(0) = 1/2: -log 1/2 = log 2 per term
    assert bce_generator_loss(zeros).item() == pytest.approx(math.log(2))
    assert bce_discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))
    # real logit 2, fake logit -1: -log s(2) - log(1 - s(-1)) = log(1 + e^-2) + log(1 + e^-1)
    expected = math.log1p(math.exp(-2)) + math.log1p(math.exp(-1))
    assert bce_discriminator_loss(torch.tensor([-1.0]), torch.tensor([2.0])).item() == pytest.approx(expected)
    # non-saturating generator loss at fake logit -1: -log s(-1) = log(1 + e)
    assert bce_generator_loss(torch.tensor([-1.0])).item() == pytest.approx(math.log1p(math.e))


def test_policy_gradient_loss_two_rows_by_hand():
    logprobs = torch.tensor([[-1.0, -2.0, -0.5], [-0.25, float("-inf"), float("-inf")]], requires_grad=True)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    rewards = torch.tensor([2.0, -1.0])
    # row 0: 2 * (-1 - 2) = -6; row 1: -1 * (-0.25) = 0.25; loss = -(-6 + 0.25) / 2 = 2.875
    loss = policy_gradient_loss(logprobs, mask, rewards)
    assert loss.item() == pytest.approx(2.875)
    loss.backward()
    # d loss / d logprob[b, t] = -mask * R_b / B; padding gets 0, not nan
    torch.testing.assert_close(logprobs.grad, torch.tensor([[-1.0, -1.0, 0.0], [0.5, 0.0, 0.0]]))
    # baseline 1: advantages 1 and -2 -> -(1 * -3 + -2 * -0.25) / 2 = 1.25
    assert policy_gradient_loss(logprobs, mask, rewards, baseline=1.0).item() == pytest.approx(1.25)
    baseline = torch.tensor([1.0, 1.0])
    assert policy_gradient_loss(logprobs, mask, rewards, baseline=baseline).item() == pytest.approx(1.25)


def test_policy_gradient_loss_per_token_rewards_and_constant_rewards():
    logprobs = torch.tensor([[-1.0, -2.0]], requires_grad=True)
    rewards = torch.tensor([[1.0, 3.0]], requires_grad=True)
    # -(1 * -1 + 3 * -2) = 7
    loss = policy_gradient_loss(logprobs, torch.ones(1, 2), rewards)
    assert loss.item() == pytest.approx(7.0)
    loss.backward()
    assert rewards.grad is None
    with pytest.raises(ValueError, match="rewards"):
        policy_gradient_loss(logprobs, torch.ones(1, 2), torch.ones(2))
