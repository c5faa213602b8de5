"""EmpRL's generator (Sec. III-C): T5, prefix-tuned on ED with NLL, sampled with top-k/top-p.

Test metrics are the paper's Table II columns: PPL of the gold responses, Dist-1/2 (corpus
level, x100) of sampled responses, and Emp-F1 when ``identifier_checkpoint`` names trained
empathy identifiers.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch.nn import functional as F
from transformers import AutoModelForSeq2SeqLM, T5ForConditionalGeneration

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.decoding.sample_generate import sample_responses
from empathy_suite.lightning_modules.dialogue_module import IGNORE_INDEX, DialogueModule, context_text
from empathy_suite.lightning_modules.empathy_identifier import FrozenIdentifiers
from empathy_suite.metrics import Distinct, EmpF1, TokenPerplexity
from empathy_suite.networks.prefix_seq2seq import PrefixSeq2SeqLM
from empathy_suite.networks.seq2seq import t5_config


def adamw(params) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-4)  # generator pre-training (Sec. IV-B)


def masked_nll(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """logits (B, T, V), labels (B, T), mask (B, T) -> (summed NLL over real tokens, their count)."""
    nll = F.cross_entropy(logits.float().transpose(1, 2), labels, reduction="none")
    return (nll * mask).sum(), mask.sum()


class T5GeneratorModule(DialogueModule):
    """Args beyond DialogueModule's (dim/layers/heads/ffn_dim size a from-scratch T5):
        prefix_tuning: train only prefixes of ``encoder_prefix_length`` (paper 40) and
            ``decoder_prefix_length`` (10) vectors; false = full fine-tuning (the ablation).
        prefix_hidden: width of the prefixes' reparameterisation MLP.
        top_k, top_p, temperature, max_new_tokens: sampling (paper 20, 1.0, 0.9, 30).
        identifier_checkpoint: EmpathyIdentifierModule checkpoint(s) for Emp-F1 (optional): one
            for all mechanisms, or a list of one per mechanism.
        eval_seed: seed of the sampling during validation/test, so reruns match.
    """

    def __init__(
        self,
        pretrained: str | None = None,
        dim: int = 256,
        layers: int = 4,
        heads: int = 4,
        ffn_dim: int = 1024,
        model_config: dict | None = None,
        vocab_size: int = 8000,
        max_tokens: int = 100,
        optimizer: OptimizerCallable = adamw,
        prefix_tuning: bool = True,
        encoder_prefix_length: int = 40,
        decoder_prefix_length: int = 10,
        prefix_hidden: int = 512,
        top_k: int = 20,
        top_p: float = 1.0,
        temperature: float = 0.9,
        max_new_tokens: int = 30,
        identifier_checkpoint: str | list[str] | None = None,
        generate_during_validation: bool = True,
        eval_seed: int = 0,
        num_text_samples: int = 4,
    ):
        super().__init__(pretrained, dim, layers, heads, ffn_dim, model_config, vocab_size, max_tokens, None,
                         optimizer, num_text_samples)
        self.save_hyperparameters(ignore=["optimizer"])
        self.identifiers: FrozenIdentifiers | None = None
        self.metrics = torch.nn.ModuleDict({
            stage: torch.nn.ModuleDict({"ppl": TokenPerplexity(), "dist1": Distinct(1, scale=100),
                                         "dist2": Distinct(2, scale=100)})  # x100 as in the tables
            for stage in ("val", "test")
        })

    def setup(self, stage: str) -> None:
        super().setup(stage)
        # loaded here, not in __init__: a checkpoint load inside another module's __init__
        # would mix the two modules' hyperparameters
        if self.hparams.identifier_checkpoint and self.identifiers is None:
            self.identifiers = FrozenIdentifiers.load(self.hparams.identifier_checkpoint)
            for metrics in self.metrics.values():
                metrics["emp_f1"] = EmpF1(mechanisms=self.identifiers.mechanisms)

    def build_networks(self) -> None:
        if self.pretrained:
            # from_pretrained returns eval mode; Lightning 2.x keeps it, which would disable dropout
            base = AutoModelForSeq2SeqLM.from_pretrained(self.pretrained).train()
        else:
            base = T5ForConditionalGeneration(
                t5_config(**self.architecture, tokenizer=self.tokenizer, overrides=self.model_config)
            )
        hp = self.hparams
        self.model = PrefixSeq2SeqLM(
            base,
            encoder_prefix_length=hp.encoder_prefix_length if hp.prefix_tuning else 0,
            decoder_prefix_length=hp.decoder_prefix_length if hp.prefix_tuning else 0,
            reparam_hidden=hp.prefix_hidden,
            freeze_model=hp.prefix_tuning,
        )

    def configure_optimizers(self):
        return self.optimizer([p for p in self.parameters() if p.requires_grad])

    # -- data -----------------------------------------------------------------------------
    def collate(self, examples: Sequence[DialogueExample]) -> dict:
        contexts = [context_text(example) for example in examples]
        responses = [example.response for example in examples]
        source = self.encode(contexts, left_truncate=True)
        targets = self.target_ids(responses)
        mask = targets.ne(IGNORE_INDEX)
        return {
            "input_ids": source["input_ids"], "attention_mask": source["attention_mask"],
            "labels": targets.masked_fill(~mask, self.tokenizer.pad_token_id), "labels_mask": mask.long(),
            "context_text": contexts, "response_text": responses,
        }

    # -- steps ----------------------------------------------------------------------------
    def model_step(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (mean NLL per token, summed NLL, token count) of the gold responses."""
        logits, _ = self.model(batch["input_ids"], batch["attention_mask"], batch["labels"])
        nll_sum, n_tokens = masked_nll(logits, batch["labels"], batch["labels_mask"])
        return nll_sum / n_tokens.clamp_min(1), nll_sum, n_tokens

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, _, _ = self.model_step(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["context_text"]))
        return loss

    def _eval_step(self, stage: str, batch: dict, batch_idx: int) -> dict:
        loss, nll_sum, n_tokens = self.model_step(batch)
        metrics = self.metrics[stage]
        self.log(f"{stage}/loss", loss, prog_bar=True, sync_dist=True, batch_size=len(batch["context_text"]))
        metrics["ppl"].update_from_nll(nll_sum, n_tokens)
        if stage == "val" and not self.hparams.generate_during_validation:
            return {"samples": []}
        seed = self.hparams.eval_seed * 1_000_003 + batch_idx * 101 + self.global_rank
        generated = self.generate(batch, torch.Generator(self.device).manual_seed(seed))
        self.update_generation_metrics(metrics, batch, generated)
        return {"samples": self.sample_rows(batch, generated) if batch_idx == 0 else []}

    def update_generation_metrics(self, metrics, batch: dict, generated: list[str]) -> None:
        metrics["dist1"].update(generated)
        metrics["dist2"].update(generated)
        if "emp_f1" in metrics:
            contexts = batch["context_text"]
            predicted = self.identifiers.levels(contexts, generated, self.device)
            gold = self.identifiers.levels(contexts, batch["response_text"], self.device)
            metrics["emp_f1"].update(predicted, gold)

    prog_bar_metrics = ("ppl", "emp_f1")

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        generated = self.generate(batch)
        return [{"context": c, "response": g} for c, g in zip(batch["context_text"], generated)]

    def sample(self, batch: dict, generator: torch.Generator | None = None, top_k: int | None = None,
               top_p: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampled response ids (B, T) and mask (B, T); the paper's decoding settings unless
        ``top_k``/``top_p`` are given."""
        hp = self.hparams
        return sample_responses(
            self.model, batch["input_ids"], batch["attention_mask"], self.tokenizer.eos_token_id,
            self.tokenizer.pad_token_id, max_new_tokens=hp.max_new_tokens,
            top_k=hp.top_k if top_k is None else top_k, top_p=hp.top_p if top_p is None else top_p,
            temperature=hp.temperature, generator=generator,
        )

    def generate(self, batch: dict, generator: torch.Generator | None = None) -> list[str]:
        ids, _ = self.sample(batch, generator)
        return self.tokenizer.batch_decode(ids, skip_special_tokens=True)
