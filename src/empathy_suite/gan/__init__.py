"""Adversarial training pieces for EmpGAN: WGAN-GP, vanilla GAN and policy-gradient losses.

Scores are (B,) tensors, one per response; every loss is a scalar to minimise.
"""

from empathy_suite.gan.losses import (
    bce_discriminator_loss,
    bce_generator_loss,
    gradient_penalty,
    policy_gradient_loss,
    wgan_critic_loss,
    wgan_generator_loss,
)

__all__ = [
    "bce_discriminator_loss",
    "bce_generator_loss",
    "gradient_penalty",
    "policy_gradient_loss",
    "wgan_critic_loss",
    "wgan_generator_loss",
]
