"""EmpRL's empathy identifiers (Sec. III-D), trained on EPITOME, reused as reward and evaluator.

One identifier per mechanism (ER, IP, EX), each with its own two encoders; trained jointly
(the sum of their cross-entropies) or one at a time (``mechanisms: [ER]``). Validation and
test log accuracy and weighted F1 per mechanism, the paper's Table I columns.
``FrozenIdentifiers.load(checkpoint)`` gives the frozen identifiers that score responses for
the empathy reward and for Emp-F1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy
from transformers import AutoConfig, AutoModel, T5EncoderModel

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError
from empathy_suite.lightning_modules.dialogue_module import DialogueModule, context_text
from empathy_suite.metrics import EmpF1
from empathy_suite.networks.empathy_identifier import MECHANISMS, NUM_LEVELS, EmpathyIdentifier, EmpathyIdentifiers
from empathy_suite.networks.text_encoder import bert_config


def adamw(params) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=2e-5)  # not given by the paper; Sharma et al.'s rate


class EmpathyIdentifierModule(DialogueModule):
    """Args beyond DialogueModule's (dim/layers/heads/ffn_dim size from-scratch BERT encoders;
    ``pretrained`` names any HF encoder, a T5 checkpoint's encoder half included):
        mechanisms: which identifiers to train (subset of ER, IP, EX).
        dropout: before each classifier.
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
        max_tokens: int = 128,
        optimizer: OptimizerCallable = adamw,
        mechanisms: Sequence[str] = MECHANISMS,
        dropout: float = 0.1,
        num_text_samples: int = 4,
    ):
        super().__init__(pretrained, dim, layers, heads, ffn_dim, model_config, vocab_size, max_tokens, None,
                         optimizer, num_text_samples)
        unknown = [m for m in mechanisms if m not in MECHANISMS]
        if unknown or not mechanisms or len(set(mechanisms)) != len(mechanisms):
            raise ConfigError(f"model.mechanisms must be distinct names from {MECHANISMS}, got {list(mechanisms)}")
        self.mechanisms = tuple(mechanisms)
        self.save_hyperparameters(ignore=["optimizer"])
        self.metrics = torch.nn.ModuleDict({
            stage: torch.nn.ModuleDict({
                "f1": EmpF1(mechanisms=self.mechanisms),
                **{f"{m}_acc": MulticlassAccuracy(NUM_LEVELS, average="micro") for m in self.mechanisms},
            })
            for stage in ("val", "test")
        })

    def new_encoder(self) -> torch.nn.Module:
        if not self.pretrained:
            config = bert_config(**self.architecture, vocab_size=len(self.tokenizer),
                                 pad_token_id=self.tokenizer.pad_token_id, overrides=self.model_config)
            return AutoModel.from_config(config)
        # the paper's encoders are T5's: take the encoder half of an encoder-decoder checkpoint
        loader = T5EncoderModel if AutoConfig.from_pretrained(self.pretrained).is_encoder_decoder else AutoModel
        # from_pretrained returns eval mode; Lightning 2.x keeps it, which would disable dropout
        return loader.from_pretrained(self.pretrained).train()

    def build_networks(self) -> None:
        self.identifiers = EmpathyIdentifiers.build(
            lambda: EmpathyIdentifier(self.new_encoder(), self.new_encoder(), dropout=self.hparams.dropout),
            self.mechanisms,
        )

    # -- data -----------------------------------------------------------------------------
    def encode_pairs(self, contexts: Sequence[str], responses: Sequence[str]) -> dict:
        context = self.encode(contexts, left_truncate=True)
        response = self.encode(responses)
        return {"context_ids": context["input_ids"], "context_mask": context["attention_mask"],
                "response_ids": response["input_ids"], "response_mask": response["attention_mask"]}

    def collate(self, examples: Sequence[DialogueExample]) -> dict:
        levels = []
        for example in examples:
            given = example.extra.get("levels", {})
            missing = [m for m in self.mechanisms if m not in given]
            if missing:
                raise ConfigError(
                    f"EmpathyIdentifierModule needs empathy levels {missing} on every example "
                    f"(extra['levels'], as EpitomeDataModule gives); example {example.dialogue_id!r} has none"
                )
            levels.append([given[m] for m in self.mechanisms])
        contexts = [context_text(example) for example in examples]
        responses = [example.response for example in examples]
        return {**self.encode_pairs(contexts, responses), "levels": torch.tensor(levels, dtype=torch.long),
                "context_text": contexts, "response_text": responses}

    # -- steps ----------------------------------------------------------------------------
    def model_step(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (summed cross-entropy over mechanisms, logits (M, B, 3))."""
        logits = self.identifiers(batch["context_ids"], batch["context_mask"], batch["response_ids"],
                                  batch["response_mask"])
        gold = batch["levels"].T  # (M, B)
        loss = sum(F.cross_entropy(logits[i], gold[i]) for i in range(len(self.mechanisms)))
        return loss, logits

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, _ = self.model_step(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["levels"]))
        return loss

    def _eval_step(self, stage: str, batch: dict, batch_idx: int) -> dict:
        loss, logits = self.model_step(batch)
        self.log(f"{stage}/loss", loss, prog_bar=True, sync_dist=True, batch_size=len(batch["levels"]))
        predicted = logits.argmax(-1).T  # (B, M)
        metrics = self.metrics[stage]
        metrics["f1"].update(predicted, batch["levels"])
        for i, mechanism in enumerate(self.mechanisms):
            metrics[f"{mechanism}_acc"].update(predicted[:, i], batch["levels"][:, i])
        if batch_idx:
            return {"samples": []}
        rows = [{"context": c, "response": r, "gold": str(g.tolist()), "predicted": str(p.tolist())}
                for c, r, g, p in zip(batch["context_text"], batch["response_text"], batch["levels"], predicted)]
        return {"samples": rows[: self.num_text_samples]}

    def log_and_reset(self, stage: str) -> None:
        f1 = self.metrics[stage]["f1"]
        if f1.update_count:
            scores = f1.compute()
            # the mean over mechanisms is what Emp-F1 averages when generated responses are scored
            scores["mean_f1"] = scores.pop("emp_f1")
            self.log_dict({f"{stage}/{key}": value for key, value in scores.items()})
            f1.reset()
        for mechanism in self.mechanisms:
            accuracy = self.metrics[stage][f"{mechanism}_acc"]
            if accuracy.update_count:
                self.log(f"{stage}/{mechanism}_acc", accuracy.compute() * 100, prog_bar=True)
                accuracy.reset()


class FrozenIdentifiers:
    """Trained identifiers, frozen, scoring (context, response) texts: one checkpoint of all
    three mechanisms, or one checkpoint per mechanism when they were trained one at a time.
    Not an nn.Module on purpose: a module holding it neither trains, saves nor DDP-wraps them."""

    def __init__(self, *modules: EmpathyIdentifierModule) -> None:
        self.modules = [module.eval().requires_grad_(False) for module in modules]
        self.mechanisms = tuple(m for module in modules for m in module.mechanisms)
        if len(set(self.mechanisms)) != len(self.mechanisms):
            raise ConfigError(f"identifier checkpoints cover a mechanism twice: {list(self.mechanisms)}")

    @classmethod
    def load(cls, checkpoints: str | Path | Sequence[str | Path]) -> FrozenIdentifiers:
        paths = [checkpoints] if isinstance(checkpoints, (str, Path)) else list(checkpoints)
        for path in paths:
            if not Path(path).is_file():
                raise ConfigError(f"identifier checkpoint {path} does not exist; train the identifiers first")
        return cls(*(EmpathyIdentifierModule.load_from_checkpoint(p, map_location="cpu") for p in paths))

    @torch.no_grad()
    def logits(self, contexts: Sequence[str], responses: Sequence[str], device: torch.device) -> torch.Tensor:
        """-> (M, B, 3) logits of each identifier on each (context, response) pair."""
        out = []
        for module in self.modules:
            module.to(device)
            batch = {k: v.to(device) for k, v in module.encode_pairs(contexts, responses).items()}
            out.append(module.identifiers(batch["context_ids"], batch["context_mask"], batch["response_ids"],
                                          batch["response_mask"]).float())
        return torch.cat(out)

    def levels(self, contexts: Sequence[str], responses: Sequence[str], device: torch.device) -> torch.Tensor:
        """-> (B, M) predicted levels (EmpF1's layout)."""
        return self.logits(contexts, responses, device).argmax(-1).T

    def logits_and_levels(self, contexts: Sequence[str], generated: Sequence[str], gold: Sequence[str],
                          device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Eqs 4-5: logits (M, B, 3) on the generated responses, levels (M, B) of the gold ones."""
        return self.logits(contexts, generated, device), self.logits(contexts, gold, device).argmax(-1)
