"""Adversarial losses for EmpGAN and its ablations (Table 1), all to be minimised.

WGAN-GP (EmpWD-next, EmpWD, EmpGAN; eqs 14-15, after Gulrajani et al. 2017):
    critic:    mean D(x^FN) - mean D(x^TN)  +  sigma * gradient_penalty(...)
    generator: -mean D(x^FN), added to loss_g (Psi_g, eq 9)
The paper's "1/T sum_t" over samples is read as the mean over the batch. The penalty is
returned unweighted: the caller multiplies by sigma, which the paper does not report
(Gulrajani et al. use 10).

Vanilla GAN (EmpD): a sigmoid discriminator trained with binary cross-entropy, and the
non-saturating generator loss -log D(G(z)) (Goodfellow et al. 2014).

Policy gradient (SeqGAN, Li et al. 2017a): REINFORCE with the discriminator's output as
reward, for generators trained on sampled (hard) tokens instead of soft ones.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_scores(where: str, **scores: Tensor) -> None:
    for name, value in scores.items():
        if value.ndim != 1 or value.numel() == 0:
            raise ValueError(f"{where}: {name} must be a non-empty (B,) tensor, got shape {tuple(value.shape)}")


def wgan_critic_loss(d_fake: Tensor, d_real: Tensor) -> Tensor:
    """Wasserstein critic loss mean(d_fake) - mean(d_real): d_fake (B,), d_real (B',) -> scalar.

    Minimising it raises the critic's scores on gold responses (x^TN) and lowers them on
    generated ones (x^FN); -loss estimates W(P_TN, P_FN) for a 1-Lipschitz critic.
    """
    _check_scores("wgan_critic_loss", d_fake=d_fake, d_real=d_real)
    return d_fake.mean() - d_real.mean()


def wgan_generator_loss(d_fake: Tensor) -> Tensor:
    """-mean(d_fake): d_fake (B,) -> scalar. The paper adds -D(x^FN) to loss_g.

    Freeze the critic (``requires_grad_(False)``) for the generator step, or only step the
    generator's optimizer: this loss has gradients for whatever produced ``d_fake``.
    """
    _check_scores("wgan_generator_loss", d_fake=d_fake)
    return -d_fake.mean()


def gradient_penalty(
    critic_fn: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    alpha: Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
    squared: bool = True,
) -> Tensor:
    """Mean over the batch of (||grad_x' D(x')||_2 - 1)^2 at x' = alpha fake + (1 - alpha) real.

    critic_fn: maps x' (B, ...) to scores (B,); rows must be scored independently (no batch
    norm), so the gradient of the summed scores holds each row's own gradient.
    real, fake: (B, ...) of one shape, e.g. the aligned maps from
    ``networks.interactive_discriminator.align_for_interpolation``.
    alpha: (B,) in [0, 1], one weight per row (eq 14); None draws U[0, 1) with ``generator``.

    The endpoints are detached: the penalty constrains D around the data, it does not move
    the data, so neither the generator nor an encoder that produced ``real``/``fake`` get its
    gradient. The gradient is taken with create_graph=True, so the penalty is differentiable
    in the critic's parameters (double backward through critic_fn).

    squared: eq 15 prints sigma(||grad|| - 1) without a square; Gulrajani et al., whom the
    paper follows, penalise (||grad|| - 1)^2, a two-sided pull of the norm towards 1. The
    unsquared term is minimised by a zero gradient, i.e. a flat critic, so it is offered
    (``squared=False``) only to reproduce the formula as printed.
    """
    if real.shape != fake.shape or real.ndim < 1 or real.shape[0] == 0:
        raise ValueError(
            f"gradient_penalty: real and fake must share a (B, ...) shape, "
            f"got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    batch = real.shape[0]
    if alpha is None:
        # drawn where the generator lives (CPU generators cannot fill CUDA tensors), then moved
        device = generator.device if generator is not None else real.device
        alpha = torch.rand(batch, generator=generator, device=device)
    if alpha.shape != (batch,):
        raise ValueError(f"gradient_penalty: alpha must be ({batch},), got {tuple(alpha.shape)}")
    alpha = alpha.detach().to(device=real.device, dtype=real.dtype).view(batch, *([1] * (real.ndim - 1)))
    # enable_grad: the penalty may also be logged from a no_grad validation step
    with torch.enable_grad():
        interpolate = (alpha * fake.detach() + (1 - alpha) * real.detach()).requires_grad_(True)
        scores = critic_fn(interpolate)
        if scores.shape != (batch,):
            raise ValueError(f"gradient_penalty: critic_fn must return ({batch},) scores, got {tuple(scores.shape)}")
        (grads,) = torch.autograd.grad(scores.sum(), interpolate, create_graph=True)
        gap = torch.linalg.vector_norm(grads.reshape(batch, -1), ord=2, dim=1) - 1
        return (gap**2 if squared else gap).mean()


def bce_discriminator_loss(logits_fake: Tensor, logits_real: Tensor) -> Tensor:
    """Vanilla GAN discriminator loss -mean log s(real) - mean log(1 - s(fake)), s = sigmoid.

    logits_fake (B,), logits_real (B',) -> scalar. The two means are summed (2 log 2 at
    logits 0), as in Goodfellow et al.'s value function, not averaged.
    """
    _check_scores("bce_discriminator_loss", logits_fake=logits_fake, logits_real=logits_real)
    real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    return real + fake


def bce_generator_loss(logits_fake: Tensor) -> Tensor:
    """Non-saturating generator loss -mean log s(fake): logits_fake (B,) -> scalar (log 2 at 0).

    Unlike the minimax mean log(1 - s(fake)) its gradient does not vanish while the
    discriminator confidently rejects the generated responses, early in training.
    """
    _check_scores("bce_generator_loss", logits_fake=logits_fake)
    return F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))


def policy_gradient_loss(
    logprobs: Tensor, mask: Tensor, rewards: Tensor, baseline: Tensor | float | None = None
) -> Tensor:
    """REINFORCE loss -mean_b sum_t mask * (R - b) * log p(y_t | y_<t, context).

    logprobs: (B, T) log-probs of the sampled tokens (with gradient).
    mask: (B, T) float/bool, 1 = real response token; padding may hold any log-prob, even -inf.
    rewards: (B,) one reward per sequence (Li et al.: the discriminator's score of the whole
    response, credited to every token) or (B, T) per-token rewards (SeqGAN's Monte-Carlo
    rollouts). baseline: None (0), a float, or a tensor broadcastable to ``rewards``.
    Rewards and baseline are constants: no gradient flows into the discriminator.

    Tokens are summed per sequence (the log-probability of the response) and sequences
    averaged, so a longer response carries more log-probability terms.
    """
    if logprobs.ndim != 2 or mask.shape != logprobs.shape:
        raise ValueError(
            f"policy_gradient_loss: expected logprobs and mask both (B, T), "
            f"got {tuple(logprobs.shape)} and {tuple(mask.shape)}"
        )
    if rewards.shape not in (logprobs.shape[:1], logprobs.shape):
        raise ValueError(
            f"policy_gradient_loss: rewards must be ({logprobs.shape[0]},) or {tuple(logprobs.shape)}, "
            f"got {tuple(rewards.shape)}"
        )
    advantages = rewards.detach().to(logprobs.dtype)
    if baseline is not None:
        advantages = advantages - torch.as_tensor(baseline, dtype=logprobs.dtype, device=logprobs.device).detach()
    if advantages.ndim == 1:
        advantages = advantages.unsqueeze(1)
    # selecting instead of multiplying by the mask: 0 * -inf at padding would be nan
    per_token = torch.where(mask.bool(), advantages * logprobs, torch.zeros_like(logprobs))
    return -per_token.sum(dim=1).mean()
