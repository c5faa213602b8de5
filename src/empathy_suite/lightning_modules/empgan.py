"""EmpGAN (multi-resolution interactive empathetic dialogue generation) and its baselines.

The generator (networks/empathetic_generator.py) is trained on Psi_g (eq 9); with
``adversarial: wgan`` two interactive critics (networks/interactive_discriminator.py) are
trained on the WGAN loss with gradient penalty (eqs 14-15) and the generator adds -D(x^FN)
(manual optimization: ``d_steps`` critic steps, then ``g_steps`` generator steps per batch,
after ``pretrain_epochs`` of generator-only training). Generated responses reach the critics
as soft token distributions (teacher forcing) times the critics' embedding matrices.

Baselines and ablations are configs over the same switches (configs/*/empgan_*.yaml):
HRED, Emo-HRED, Emo-S2S, EmpG (generator switches, ``adversarial: none``), SeqGAN
(``adversarial: policy_gradient``), EmpD (``gan``), EmpWD-next (semantic critic without
feedback), EmpWD (no emotional critic), EmpGAN (everything).
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
from lightning.pytorch.cli import OptimizerCallable
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.strategies import DDPStrategy
from torch import nn

from empathy_suite.datamodules.dialogue_datamodule import DialogueDataModule
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError
from empathy_suite.gan import (
    bce_discriminator_loss,
    bce_generator_loss,
    gradient_penalty,
    policy_gradient_loss,
    wgan_critic_loss,
    wgan_generator_loss,
)
from empathy_suite.lexicons.emotion_words import EmotionVocabulary
from empathy_suite.lightning_modules.dialogue_module import EXTRAS_KEY
from empathy_suite.lexicons.nrc_emolex import load_emotion_lexicon
from empathy_suite.metrics import BLEUScores, Distinct, ROUGEScores, TopWords
from empathy_suite.networks.empathetic_generator import (
    EmpatheticGenerator,
    beam_decode,
    generator_loss,
    greedy_decode,
    sample_with_logprobs,
)
from empathy_suite.networks.interactive_discriminator import (
    InteractiveDiscriminator,
    align_for_interpolation,
    soft_embed,
)
from empathy_suite.text.vocab import WordVocab, as_tokens
from empathy_suite.timing import PhaseTimer

ADVERSARIAL = ("none", "wgan", "gan", "policy_gradient")
CRITICS = ("semantic", "emotional")


def adam(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-4)  # the paper's optimizer and rate


def pad_stack(rows: Sequence[Sequence[int]], width: int | None = None) -> torch.Tensor:
    """Right-pad id lists with 0 into (N, width)."""
    width = width or max([len(r) for r in rows] + [1])
    out = torch.zeros(len(rows), width, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row[:width], dtype=torch.long)
    return out


class EmpGANModule(L.LightningModule):
    """Args:
        hidden, word_dim, emotion_word_dim, label_dim, dropout: paper 400, 300, 200, 100, 0.4.
        vocab_size: generic vocabulary size incl. 4 specials (paper 11647), from the train split.
        emotion_lexicon: NRC Emotion Lexicon word-level file; None = the copy nrclex ships.
        add_adjectives: add the train split's adjectives to the emotion vocabulary (paper).
        max_turns, max_turn_tokens, max_emotion_words, max_response_tokens: truncation.
        hierarchical, use_emotion_words, use_labels: generator switches (see module doc).
        adversarial: none | wgan | gan | policy_gradient.
        critics: which interactive critics ("semantic", "emotional").
        use_feedback: critics read the user's next utterance (False: EmpWD-next).
        gp_coef, gp_squared: sigma of eq 15 and (||grad|| - 1)^2 vs the printed (||grad|| - 1).
        adversarial_weight: weight of the critics' term in the generator loss (paper 1).
        d_steps, g_steps: critic and generator steps per batch; pretrain_epochs: MLE only first.
        num_beams, length_penalty: test-time decoding (1 = greedy; the paper does not say).
    """

    def __init__(
        self,
        hidden: int = 400,
        word_dim: int = 300,
        emotion_word_dim: int = 200,
        label_dim: int = 100,
        dropout: float = 0.4,
        vocab_size: int = 11647,
        emotion_lexicon: str | None = None,
        add_adjectives: bool = True,
        max_turns: int = 10,
        max_turn_tokens: int = 30,
        max_emotion_words: int = 10,
        max_response_tokens: int = 30,
        hierarchical: bool = True,
        use_emotion_words: bool = True,
        use_labels: bool = True,
        adversarial: str = "wgan",
        critics: Sequence[str] = CRITICS,
        use_feedback: bool = True,
        critic_filters: int = 64,
        kernel_widths: Sequence[int] = (1, 2, 3),
        gp_coef: float = 10.0,
        gp_squared: bool = True,
        adversarial_weight: float = 1.0,
        d_steps: int = 1,
        g_steps: int = 1,
        pretrain_epochs: int = 0,
        generator_optimizer: OptimizerCallable = adam,
        critic_optimizer: OptimizerCallable = adam,
        num_beams: int = 1,
        length_penalty: float = 1.0,
        num_text_samples: int = 4,
        top_words: int = 10,
    ):
        super().__init__()
        if adversarial not in ADVERSARIAL:
            raise ConfigError(f"model.adversarial must be one of {ADVERSARIAL}, got {adversarial!r}")
        if any(c not in CRITICS for c in critics) or len(set(critics)) != len(critics):
            raise ConfigError(f"model.critics must be distinct names from {CRITICS}, got {list(critics)}")
        if adversarial != "none" and not critics:
            raise ConfigError(f"model.adversarial: {adversarial} needs at least one critic in model.critics")
        if adversarial == "policy_gradient" and list(critics) != ["semantic"]:
            raise ConfigError("model.adversarial: policy_gradient (SeqGAN) uses the semantic critic only")
        if d_steps < 1 or g_steps < 1:
            raise ConfigError("model.d_steps and model.g_steps must be >= 1")
        self.save_hyperparameters(ignore=["generator_optimizer", "critic_optimizer"])
        self.generator_optimizer, self.critic_optimizer = generator_optimizer, critic_optimizer
        self.automatic_optimization = False
        self.critic_names = tuple(critics) if adversarial != "none" else ()
        self.vocab: WordVocab | None = None
        self.emotion_vocab: EmotionVocabulary | None = None
        self.labels: tuple[str, ...] = ()
        self.metrics = nn.ModuleDict({
            stage: nn.ModuleDict({"bleu": BLEUScores(variant="corpus"), "dist1": Distinct(1, scale=100), "dist2": Distinct(2, scale=100),
                                  "rouge": ROUGEScores()})
            for stage in ("val", "test")
        })
        self.top_words = TopWords(k=top_words)

    # -- construction ---------------------------------------------------------------------
    @property
    def needs_emotion_words(self) -> bool:
        return self.hparams.use_emotion_words or "emotional" in self.critic_names

    def setup(self, stage: str) -> None:
        strategy = self.trainer.strategy
        if self.critic_names and isinstance(strategy, DDPStrategy) and not strategy._ddp_kwargs.get(
                "find_unused_parameters"):
            raise ConfigError("EmpGANModule with critics under DDP needs --trainer.strategy "
                              "ddp_find_unused_parameters_true: each of its optimizer steps leaves the other "
                              "network without gradients")
        if self.vocab is not None:
            return
        datamodule = self.trainer.datamodule
        if not isinstance(datamodule, DialogueDataModule):
            raise ConfigError(f"EmpGANModule needs a DialogueDataModule, got {type(datamodule).__name__}")
        self.prepare(datamodule.examples("train"))

    def prepare(self, train: Sequence[DialogueExample]) -> None:
        """Vocabularies and label set from the training split, then the networks."""
        hp = self.hparams
        if not any(example.turn_emotions for example in train) and hp.use_labels:
            raise ConfigError("model.use_labels needs per-turn emotion labels (turn_emotions), "
                              "which this DataModule's examples lack")
        texts = {u for example in train for u in (*example.context, example.response)}
        self.vocab = WordVocab.build(sorted(texts), max_size=hp.vocab_size)
        if self.needs_emotion_words:
            lexicon = load_emotion_lexicon(hp.emotion_lexicon)
            self.emotion_vocab = EmotionVocabulary.build(lexicon, sorted(texts), add_adjectives=hp.add_adjectives)
        self.labels = tuple(sorted({e for example in train for e in example.turn_emotions}))
        self.build_networks()

    def build_networks(self) -> None:
        hp = self.hparams
        emotion_size = len(self.emotion_vocab) if self.emotion_vocab else 4
        self.generator = EmpatheticGenerator(
            len(self.vocab), emotion_size, max(len(self.labels), 1), hp.hidden, hp.word_dim, hp.emotion_word_dim,
            hp.label_dim, hp.dropout, hp.hierarchical, hp.use_emotion_words, hp.use_labels,
        )
        # generic word id -> emotion word id (0 = not an emotion word): maps both gold ids and
        # the generator's soft distributions into the emotional critic's vocabulary
        index = torch.zeros(len(self.vocab), dtype=torch.long)
        if self.emotion_vocab:
            for word, i in self.vocab.stoi.items():
                if word in self.emotion_vocab:
                    index[i] = self.emotion_vocab.ids.token_to_id(word)
        self.register_buffer("word_to_emotion", index, persistent=False)
        critics, embeddings = {}, {}
        for name in self.critic_names:
            size, dim = (len(self.vocab), hp.word_dim) if name == "semantic" else (emotion_size, hp.emotion_word_dim)
            embeddings[name] = nn.Embedding(size, dim, padding_idx=0)
            critics[name] = InteractiveDiscriminator(
                dim, hp.hidden, self.generator.memory_dim, num_filters=hp.critic_filters,
                kernel_widths=tuple(hp.kernel_widths), use_feedback=hp.use_feedback,
            )
        self.critics = nn.ModuleDict(critics)
        self.critic_embeddings = nn.ModuleDict(embeddings)

    def configure_optimizers(self):
        generator = self.generator_optimizer(self.generator.parameters())
        if not self.critic_names:
            return generator
        return generator, self.critic_optimizer([*self.critics.parameters(), *self.critic_embeddings.parameters()])

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[EXTRAS_KEY] = {
            "vocab": self.vocab.to_dict(), "labels": list(self.labels),
            "emotion_vocab": self.emotion_vocab.to_dict() if self.emotion_vocab else None,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        extras = checkpoint[EXTRAS_KEY]
        vocab = WordVocab.from_dict(extras["vocab"])
        emotion = EmotionVocabulary.from_dict(extras["emotion_vocab"]) if extras["emotion_vocab"] else None
        if vocab != self.vocab or emotion != self.emotion_vocab or tuple(extras["labels"]) != self.labels:
            self.vocab, self.emotion_vocab, self.labels = vocab, emotion, tuple(extras["labels"])
            self.build_networks()

    # -- data -----------------------------------------------------------------------------
    def collate(self, examples: Sequence[DialogueExample]) -> dict:
        hp, vocab = self.hparams, self.vocab
        # each utterance is tokenized once, for the word and the emotion-word vocabularies
        turns = [[as_tokens(u) for u in example.context[-hp.max_turns:]] for example in examples]
        responses = [as_tokens(example.response) for example in examples]
        M = max(len(t) for t in turns)
        label_id = {name: i for i, name in enumerate(self.labels)}
        batch_turns, emotion_turns, turn_labels, flat = [], [], [], []
        for example, context in zip(examples, turns):
            ids = [vocab.encode(u, max_len=hp.max_turn_tokens) for u in context]
            batch_turns.append(ids + [[]] * (M - len(ids)))
            flat.append([i for turn in ids for i in turn][-hp.max_turn_tokens * hp.max_turns:])
            if self.emotion_vocab:
                words = [self.emotion_vocab.encode(u, max_len=hp.max_emotion_words) for u in context]
                emotion_turns.append(words + [[]] * (M - len(words)))
            labels = list(example.turn_emotions[: len(example.context)])[-hp.max_turns:]
            turn_labels.append([label_id.get(e, 0) for e in labels] + [0] * (M - len(labels)))
        L_turn = max([len(t) for turns_ in batch_turns for t in turns_] + [1])
        context_ids = torch.stack([pad_stack(t, L_turn) for t in batch_turns])
        response = [vocab.encode(r, max_len=hp.max_response_tokens - 1) for r in responses]
        batch = {
            "context_ids": context_ids, "context_mask": context_ids.ne(0).long(),
            "turn_mask": torch.tensor([[1] * len(t) + [0] * (M - len(t)) for t in turns]),
            "flat_context_ids": pad_stack(flat), "turn_labels": torch.tensor(turn_labels),
            "decoder_input": pad_stack([[vocab.sos_id, *r] for r in response]),
            "targets": pad_stack([[*r, vocab.eos_id] for r in response]),
            "feedback_ids": pad_stack([vocab.encode(e.feedback or "", max_len=hp.max_response_tokens)
                                       for e in examples]),
            "response_label": torch.tensor([label_id.get(e.turn_emotions[len(e.context)], 0)
                                            if len(e.turn_emotions) > len(e.context) else 0 for e in examples]),
            "context_text": [" ".join(e.context) for e in examples], "response_text": [e.response for e in examples],
        }
        batch["flat_context_mask"] = batch["flat_context_ids"].ne(0).long()
        batch["feedback_mask"] = batch["feedback_ids"].ne(0).long()
        if self.emotion_vocab:
            L_emo = max([len(t) for turns_ in emotion_turns for t in turns_] + [1])
            batch["emotion_ids"] = torch.stack([pad_stack(t, L_emo) for t in emotion_turns])
            batch["emotion_mask"] = batch["emotion_ids"].ne(0).long()
            words = [self.emotion_vocab.encode(r, max_len=hp.max_emotion_words) for r in responses]
            batch["emotion_decoder_input"] = pad_stack([[vocab.sos_id, *w] for w in words])
            batch["emotion_targets"] = pad_stack([[*w, vocab.eos_id] for w in words])
        return batch

    # -- critics' inputs ------------------------------------------------------------------
    def critic_inputs(self, name: str, probs: torch.Tensor | None, ids: torch.Tensor, batch: dict):
        """(response embeds, mask, feedback embeds, mask) for one critic. ``probs`` (B, T, V):
        the generator's soft response; None: the hard ``ids`` (B, T) (gold or sampled)."""
        embedding = self.critic_embeddings[name]
        mask = ids.ne(0).long()
        feedback = batch["feedback_ids"]
        if name == "emotional":
            feedback = self.word_to_emotion[feedback]
            if probs is not None:
                # probability mass of non-emotion words lands on id 0, whose embedding is zero
                probs = probs.new_zeros(*probs.shape[:2], embedding.num_embeddings).index_add_(
                    -1, self.word_to_emotion, probs)
            else:
                ids = self.word_to_emotion[ids]
        if probs is not None:
            # id 0 is padding (and "not an emotion word"): its row must stay zero, so it gets no
            # probability mass, hence no gradient through the soft product either
            probs = torch.cat([torch.zeros_like(probs[..., :1]), probs[..., 1:]], dim=-1)
        embeds = soft_embed(probs, embedding) if probs is not None else embedding(ids)
        if self.hparams.use_feedback:
            return embeds, mask, embedding(feedback), batch["feedback_mask"]
        return embeds, mask, None, None

    # -- steps ----------------------------------------------------------------------------
    def model_step(self, batch: dict):
        """Teacher-forced generator pass and Psi_g's terms (shared by train/val/test)."""
        out = self.generator(batch)
        return out, generator_loss(out, batch)

    def adversarial_now(self) -> bool:
        return bool(self.critic_names) and self.current_epoch >= self.hparams.pretrain_epochs

    def critic_step(self, batch: dict, optimizer) -> torch.Tensor:
        hp = self.hparams
        with torch.no_grad():
            out = self.generator(batch)
            if hp.adversarial == "policy_gradient":
                fake_ids, _, fake_mask = sample_with_logprobs(self.generator, batch, self.vocab.sos_id,
                                                              self.vocab.eos_id, 0, hp.max_response_tokens)
                fake_ids = fake_ids * fake_mask
        h_dlg, probs = out.summary, out.logits.softmax(-1)
        loss = torch.zeros((), device=self.device)
        for name, critic in self.critics.items():
            real = self.critic_inputs(name, None, batch["targets"], batch)
            if hp.adversarial == "wgan":
                x_f, m_f = critic.encode(*self.critic_inputs(name, probs, batch["targets"], batch))
                x_t, m_t = critic.encode(*real)
                loss = loss + wgan_critic_loss(critic.score_features(x_f, m_f, h_dlg),
                                               critic.score_features(x_t, m_t, h_dlg))
                xf, xt, m = align_for_interpolation(x_f, m_f, x_t, m_t)
                loss = loss + hp.gp_coef * gradient_penalty(lambda x: critic.score_features(x, m, h_dlg), real=xt,
                                                            fake=xf, squared=hp.gp_squared)
            else:
                fake = (self.critic_inputs(name, None, fake_ids, batch) if hp.adversarial == "policy_gradient"
                        else self.critic_inputs(name, probs, batch["targets"], batch))
                loss = loss + bce_discriminator_loss(critic(*fake, h_dlg), critic(*real, h_dlg))
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()
        return loss.detach()

    def generator_step(self, batch: dict, optimizer, adversarial: bool) -> dict[str, torch.Tensor]:
        hp = self.hparams
        out, terms = self.model_step(batch)
        loss = terms["total"]
        if adversarial and hp.adversarial in ("wgan", "gan"):
            probs = out.logits.softmax(-1)
            # h_dlg is detached: moving it would raise D(real) as much as D(fake)
            scores = [critic(*self.critic_inputs(name, probs, batch["targets"], batch), out.summary.detach())
                      for name, critic in self.critics.items()]
            adversarial_loss = sum(wgan_generator_loss(s) if hp.adversarial == "wgan" else bce_generator_loss(s)
                                   for s in scores)
            terms["adversarial"] = adversarial_loss
            loss = loss + hp.adversarial_weight * adversarial_loss
        elif adversarial and hp.adversarial == "policy_gradient":
            # SeqGAN (Li et al. 2017): sampled responses rewarded by the critic, plus MLE (teacher forcing)
            ids, logprobs, mask = sample_with_logprobs(self.generator, batch, self.vocab.sos_id, self.vocab.eos_id,
                                                       0, hp.max_response_tokens)
            with torch.no_grad():
                critic = self.critics["semantic"]
                reward = torch.sigmoid(critic(*self.critic_inputs("semantic", None, ids * mask, batch), out.summary))
            terms["adversarial"] = policy_gradient_loss(logprobs, mask, reward, baseline=reward.mean())
            terms["reward"] = reward.mean()
            loss = loss + hp.adversarial_weight * terms["adversarial"]
        terms["total"] = loss
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()
        return terms

    def training_step(self, batch: dict, batch_idx: int) -> None:
        hp = self.hparams
        optimizers = self.optimizers()
        g_opt, d_opt = optimizers if isinstance(optimizers, (list, tuple)) else (optimizers, None)
        adversarial = self.adversarial_now()
        logged, timer = {}, PhaseTimer()
        if adversarial:
            self.toggle_optimizer(d_opt)
            with timer("critic"):
                for _ in range(hp.d_steps):
                    logged["train/critic_loss"] = self.critic_step(batch, d_opt)
            self.untoggle_optimizer(d_opt)
        if d_opt is not None:
            self.toggle_optimizer(g_opt)  # the critics are frozen while the generator steps
        with timer("generator"):
            for _ in range(hp.g_steps):
                terms = self.generator_step(batch, g_opt, adversarial)
        if d_opt is not None:
            self.untoggle_optimizer(g_opt)
        self.last_timings = dict(timer.seconds)
        logged.update({f"time/{phase}_s": seconds for phase, seconds in timer.seconds.items()})
        logged.update({f"train/{'loss' if k == 'total' else k}": v.detach() for k, v in terms.items()})
        nll = logged.pop("train/nll")
        self.log_dict(logged, batch_size=batch["targets"].size(0))
        self.log("train/nll", nll, prog_bar=True, batch_size=batch["targets"].size(0))

    def generate(self, batch: dict) -> list[str]:
        hp = self.hparams
        if hp.num_beams > 1:
            ids = beam_decode(self.generator, batch, self.vocab.sos_id, self.vocab.eos_id, 0, hp.max_response_tokens,
                              hp.num_beams, hp.length_penalty)
        else:
            ids = greedy_decode(self.generator, batch, self.vocab.sos_id, self.vocab.eos_id, 0,
                                hp.max_response_tokens)
        return [" ".join(self.vocab.decode(row)) for row in ids]

    def _eval_step(self, stage: str, batch: dict, batch_idx: int) -> dict:
        _, terms = self.model_step(batch)
        size = batch["targets"].size(0)
        self.log(f"{stage}/loss", terms["total"], prog_bar=True, sync_dist=True, batch_size=size)
        self.log(f"{stage}/nll", terms["nll"], sync_dist=True, batch_size=size)
        generated = self.generate(batch)
        metrics = self.metrics[stage]
        metrics["bleu"].update(generated, batch["response_text"])
        metrics["rouge"].update(generated, batch["response_text"])
        metrics["dist1"].update(generated)
        metrics["dist2"].update(generated)
        if stage == "test":
            self.top_words.update(generated)
        if batch_idx:
            return {"samples": []}
        rows = [{"context": c, "gold": g, "output": o}
                for c, g, o in zip(batch["context_text"], batch["response_text"], generated)]
        return {"samples": rows[: self.hparams.num_text_samples]}

    def validation_step(self, batch: dict, batch_idx: int) -> dict:
        return self._eval_step("val", batch, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> dict:
        return self._eval_step("test", batch, batch_idx)

    def _log_epoch(self, stage: str) -> None:
        metrics = self.metrics[stage]
        if not metrics["bleu"].update_count:
            return
        values = {**metrics["bleu"].compute(), **metrics["rouge"].compute(),
                  "dist1": metrics["dist1"].compute(), "dist2": metrics["dist2"].compute()}
        self.log_dict({f"{stage}/{k}": v for k, v in values.items()})
        for metric in metrics.values():
            metric.reset()

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")
        if self.top_words.update_count:
            table = self.top_words.as_markdown()
            for logger in self.loggers:
                if isinstance(logger, TensorBoardLogger) and self.trainer.is_global_zero:
                    logger.experiment.add_text("test/top_words", table, self.global_step)
            self.top_words.reset()

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        return [{"context": c, "response": g} for c, g in zip(batch["context_text"], self.generate(batch))]
