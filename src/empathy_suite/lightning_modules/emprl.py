"""EmpRL (Sec. III-E): PPO fine-tuning of the trained generator with the empathy reward.

Per training batch: sample responses from the policy, score them with
R_emp = exp(-sum_i CE(identifier_i(c, y_hat), argmax identifier_i(c, y))) (eqs 2-5), shape
per-token rewards with the KL penalty against the frozen generator (eq 8), GAE (eqs 9-10),
then ``ppo_epochs`` passes of the clipped policy loss + alpha * value loss (eqs 13-15).
Validation and test are the generator's (PPL, Dist-1/2, Emp-F1), so RL and no-RL runs compare
on the same numbers.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError
from empathy_suite.lightning_modules.t5_generator import T5GeneratorModule
from empathy_suite.networks.frozen import Frozen
from empathy_suite.rewards import empathy_reward
from empathy_suite.rl import (
    AdaptiveKLController,
    FixedKLController,
    Rollout,
    clipped_policy_loss,
    clipped_value_loss,
    entropy_from_logits,
    gae,
    logprobs_from_logits,
    masked_mean,
    masked_whiten,
    shape_rewards,
)
from empathy_suite.timing import PhaseTimer


def adamw_rl(params) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1.41e-5)  # RL fine-tuning (Sec. IV-B)


class EmpRLModule(T5GeneratorModule):
    """Args:
        generator_checkpoint: a T5GeneratorModule checkpoint: the initial policy and the
            frozen reference rho (its tokenizer and prefix settings come with it).
        identifier_checkpoint: an EmpathyIdentifierModule checkpoint: reward and Emp-F1
            (optional only without the empathy reward).
        kl_coef: beta (paper 0.2); adaptive_kl_target: if set, beta adapts towards this KL
            (Ziegler et al.; the legacy TRL default was target 6, horizon 10000).
        kl_estimator: "log_ratio" (the paper's eq 6 on sampled tokens) or "k3".
        use_kl_penalty / use_empathy_reward: the paper's ablations (w/o KL, w/o R_emp).
        gamma, lam, clip_eps, value_clip, vf_coef, ppo_epochs, num_minibatches: PPO (paper
            1.0, 0.95, 0.2, 0.2, 0.1, 4, 1).
        whiten_advantages: normalise advantages over the rollout's tokens (as legacy TRL).
        max_grad_norm: gradient clipping per PPO step (None: none).
        rollout_top_k, rollout_top_p: sampling of the PPO rollouts. Unfiltered by default so
            the rollouts come from the policy whose log-probs PPO and the KL use (on-policy);
            top_k/top_p/temperature stay the paper's for validation and test decoding.
    """

    def __init__(
        self,
        generator_checkpoint: str,
        identifier_checkpoint: str | list[str] | None = None,
        optimizer: OptimizerCallable = adamw_rl,
        kl_coef: float = 0.2,
        adaptive_kl_target: float | None = None,
        kl_horizon: int = 10_000,
        kl_estimator: str = "log_ratio",
        use_kl_penalty: bool = True,
        use_empathy_reward: bool = True,
        gamma: float = 1.0,
        lam: float = 0.95,
        clip_eps: float = 0.2,
        value_clip: float = 0.2,
        vf_coef: float = 0.1,
        ppo_epochs: int = 4,
        num_minibatches: int = 1,
        whiten_advantages: bool = True,
        max_grad_norm: float | None = None,
        rollout_top_k: int = 0,
        rollout_top_p: float = 1.0,
        top_k: int = 20,
        top_p: float = 1.0,
        temperature: float = 0.9,
        max_new_tokens: int = 30,
        generate_during_validation: bool = True,
        eval_seed: int = 0,
        num_text_samples: int = 4,
    ):
        super().__init__(optimizer=optimizer, top_k=top_k, top_p=top_p, temperature=temperature,
                         max_new_tokens=max_new_tokens, identifier_checkpoint=identifier_checkpoint,
                         generate_during_validation=generate_during_validation, eval_seed=eval_seed,
                         num_text_samples=num_text_samples)
        if ppo_epochs < 1 or num_minibatches < 1:
            raise ConfigError("model.ppo_epochs and model.num_minibatches must be >= 1")
        self.save_hyperparameters(ignore=["optimizer"])
        self.automatic_optimization = False
        self.kl_controller = (
            AdaptiveKLController(kl_coef, adaptive_kl_target, kl_horizon) if adaptive_kl_target
            else FixedKLController(kl_coef)
        )
        self.reference: Frozen | None = None
        self.value_head: nn.Linear | None = None

    # -- construction: policy and reference from the trained generator ---------------------
    def prepare(self, train: Sequence[DialogueExample]) -> None:
        path = Path(self.hparams.generator_checkpoint)
        if not path.is_file():
            raise ConfigError(f"model.generator_checkpoint: {path} does not exist; train the generator first")
        self.init_from_generator(
            T5GeneratorModule.load_from_checkpoint(path, map_location="cpu", identifier_checkpoint=None)
        )

    def init_from_generator(self, generator: T5GeneratorModule) -> None:
        """Policy = the trained generator (eq. 1's rho), reference = a frozen copy of it."""
        self.tokenizer, self._tokenizer_json = generator.tokenizer, generator._tokenizer_json
        self.max_tokens = generator.max_tokens  # contexts truncated as the generator saw them
        self.model = generator.model
        self.reference = Frozen(copy.deepcopy(generator.model))
        hidden = generator.model.model.config.d_model
        # V-Head: a linear layer on the policy's last decoder states (Sec. III-E)
        self.value_head = nn.Linear(hidden, 1)

    def build_networks(self) -> None:
        # called when a checkpoint's tokenizer differs from the generator's: not expected
        raise ConfigError("EmpRLModule builds its networks from model.generator_checkpoint")

    # -- rollout ------------------------------------------------------------------------------
    def policy_outputs(self, query_ids, query_mask, response_ids) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> log-probs of the response tokens (B, T), values (B, T), logits (B, T, V)."""
        logits, hidden = self.model(query_ids, query_mask, response_ids)
        logprobs = logprobs_from_logits(logits, response_ids, temperature=self.hparams.temperature)
        return logprobs, self.value_head(hidden).squeeze(-1).float(), logits

    @torch.no_grad()
    def make_rollout(self, batch: dict, timer: PhaseTimer) -> tuple[Rollout, list[str], torch.Tensor]:
        """Sample, score and shape one batch: the rollout, the decoded responses, per-token KL."""
        hp = self.hparams
        with timer("generation"):
            response_ids, response_mask = self.sample(batch, top_k=hp.rollout_top_k, top_p=hp.rollout_top_p)
        with timer("rollout_forward"):
            rollout = Rollout(batch["input_ids"], batch["attention_mask"], response_ids, response_mask)
            logprobs, values, _ = self.policy_outputs(rollout.query_ids, rollout.query_mask, response_ids)
            ref_logits, _ = self.reference.to(self.device)(rollout.query_ids, rollout.query_mask, response_ids)
            ref_logprobs = logprobs_from_logits(ref_logits, response_ids, temperature=hp.temperature)
        with timer("reward"):
            texts = self.tokenizer.batch_decode(response_ids, skip_special_tokens=True)
            scores = (self.score(batch, texts, response_ids, response_mask) if hp.use_empathy_reward
                      else torch.zeros(len(texts), device=self.device))
        kl_coef = self.kl_controller.value if hp.use_kl_penalty else 0.0
        rewards, kl = shape_rewards(scores, logprobs, ref_logprobs, response_mask, kl_coef, hp.kl_estimator)
        advantages, returns = gae(rewards, values, response_mask, hp.gamma, hp.lam)
        if hp.whiten_advantages:
            advantages = masked_whiten(advantages, response_mask)
        rollout = dataclasses.replace(
            rollout, old_logprobs=logprobs, ref_logprobs=ref_logprobs, old_values=values, rewards=rewards,
            advantages=advantages, returns=returns, scores=scores,
        )
        return rollout, texts, kl

    def score(self, batch: dict, texts: list[str], response_ids: torch.Tensor,
              response_mask: torch.Tensor) -> torch.Tensor:
        """Sequence rewards (B,): R_emp of each sampled response against its gold (eqs 2-5).
        A subclass may score otherwise (the ids and mask (B, T) are there for token rewards)."""
        if self.identifiers is None:
            raise ConfigError("model.identifier_checkpoint is needed for the empathy reward")
        generated, gold = self.identifiers.logits_and_levels(batch["context_text"], texts, batch["response_text"],
                                                             self.device)
        return empathy_reward(generated, gold)

    # -- PPO ----------------------------------------------------------------------------------
    def ppo_update(self, rollout: Rollout) -> dict[str, torch.Tensor]:
        """``ppo_epochs`` passes over the rollout in ``num_minibatches`` shuffled minibatches;
        returns the mean of each loss statistic."""
        hp = self.hparams
        optimizer = self.optimizers()
        size = -(-rollout.batch_size // hp.num_minibatches)
        generator = torch.Generator().manual_seed(int(self.global_step) * 7919 + self.global_rank)
        stats: dict[str, list[torch.Tensor]] = {}
        for _ in range(hp.ppo_epochs):
            for mb in rollout.minibatches(size, generator):
                logprobs, values, logits = self.policy_outputs(mb.query_ids, mb.query_mask, mb.response_ids)
                policy_loss, policy_stats = clipped_policy_loss(logprobs, mb.old_logprobs, mb.advantages,
                                                                mb.response_mask, hp.clip_eps)
                value_loss, value_clip_frac = clipped_value_loss(values, mb.old_values, mb.returns,
                                                                 mb.response_mask, hp.value_clip)
                loss = policy_loss + hp.vf_coef * value_loss  # eq 13 (signs: both are minimised)
                optimizer.zero_grad()
                self.manual_backward(loss)
                if hp.max_grad_norm:
                    self.clip_gradients(optimizer, gradient_clip_val=hp.max_grad_norm, gradient_clip_algorithm="norm")
                optimizer.step()
                for key, value in {"policy_loss": policy_loss.detach(), "value_loss": value_loss.detach(),
                                   "value_clip_frac": value_clip_frac,
                                   "entropy": entropy_from_logits(logits.detach(), mb.response_mask),
                                   **policy_stats}.items():
                    stats.setdefault(key, []).append(value)
        return {key: torch.stack(values).mean() for key, values in stats.items()}

    def training_step(self, batch: dict, batch_idx: int) -> dict:
        # Dropout off for rollout and updates: the ratio pi/pi_old must be 1 before the first step
        self.model.eval()
        timer = PhaseTimer()
        rollout, texts, kl = self.make_rollout(batch, timer)
        with timer("update"):
            stats = self.ppo_update(rollout)
        # every process must adapt beta alike: the KL of the whole (all-rank) batch
        mean_kl = self.trainer.strategy.reduce(kl.sum(1).mean(), reduce_op="mean")
        self.kl_controller.update(mean_kl.item(), rollout.batch_size)
        logged = {f"train/{key}": value for key, value in stats.items()}
        logged.update({
            "train/reward": rollout.scores.mean(), "train/kl": mean_kl, "train/kl_coef": self.kl_controller.value,
            "train/response_length": rollout.response_mask.sum(1).float().mean(),
            "train/return": masked_mean(rollout.returns, rollout.response_mask),
            **{f"time/{phase}_s": seconds for phase, seconds in timer.seconds.items()},
        })
        self.log_dict(logged, batch_size=rollout.batch_size)
        self.log("train/reward_mean", rollout.scores.mean(), prog_bar=True, batch_size=rollout.batch_size)
        self.last_timings = dict(timer.seconds)
        if batch_idx % self.trainer.log_every_n_steps:
            return {"samples": []}
        rows = self.sample_rows(batch, texts)
        for row, reward in zip(rows, rollout.scores.tolist()):
            row["reward"] = f"{reward:.3f}"
        return {"samples": rows}

    def configure_optimizers(self):
        # the V-Head trains with the policy's trainable parameters (prefixes, or all weights)
        return self.optimizer([p for p in self.parameters() if p.requires_grad])

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["kl_controller"] = self.kl_controller.state_dict()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if self.value_head is None:
            # load_from_checkpoint without a Trainer: the networks come from the generator
            self.prepare([])
        super().on_load_checkpoint(checkpoint)
        if "kl_controller" in checkpoint:
            self.kl_controller.load_state_dict(checkpoint["kl_controller"])
