"""What every ED-style dialogue model shares: tokenizer, Prepend-1 labels, checkpoint extras.

Networks are built in ``setup`` because their vocabulary comes from the data (a tokenizer
trained on the training split) unless a pretrained model is named. The tokenizer and the
fitted Prepend-1 classifier are stored in every checkpoint and restored from it, so a test
run or ``load_from_checkpoint`` uses exactly what training used.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.cli import OptimizerCallable
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from empathy_suite.datamodules.dialogue_datamodule import DialogueDataModule
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError
from empathy_suite.prepend import LabelPrepender
from empathy_suite.text import tokenizers

EXTRAS_KEY = "empathy_suite"
IGNORE_INDEX = -100  # label id that cross-entropy skips


def adamax(params) -> torch.optim.Optimizer:
    return torch.optim.Adamax(params, lr=8e-4)  # the paper's optimizer and rate (App. D.1)


def context_text(example: DialogueExample) -> str:
    """The paper concatenates the previous utterances into one sequence."""
    return " ".join(example.context)


class DialogueModule(L.LightningModule):
    """Base of the ED baselines.

    Args:
        pretrained: Hugging Face name or local path of the model and its tokenizer; without
            it the networks are randomly initialised from ``dim/layers/heads/ffn_dim`` and
            a WordPiece tokenizer of ``vocab_size`` is trained on the training split.
        max_tokens: token limit of contexts (oldest tokens dropped) and responses (paper 100).
        prepend: a Prepend-1 classifier (EmoPrepend / TopicPrepend), fitted in setup.
        optimizer: paper: Adamax, lr 8e-4.
        num_text_samples: rows of (context, gold, output) written to TensorBoard per eval.
    """

    def __init__(
        self,
        pretrained: str | None = None,
        dim: int = 300,
        layers: int = 4,
        heads: int = 6,
        ffn_dim: int = 1200,
        model_config: dict | None = None,
        vocab_size: int = 8000,
        max_tokens: int = 100,
        prepend: LabelPrepender | None = None,
        optimizer: OptimizerCallable = adamax,
        num_text_samples: int = 4,
    ):
        super().__init__()
        if max_tokens < 2:
            raise ConfigError(f"model.max_tokens must be >= 2, got {max_tokens}")
        if not pretrained and dim % heads:
            raise ConfigError(f"model.dim ({dim}) must be divisible by model.heads ({heads})")
        self.pretrained = pretrained
        # the paper describes both baselines by these numbers (4 layers, 6 heads, 300-d);
        # model_config adds or overrides raw Hugging Face config fields
        self.architecture = {"dim": dim, "layers": layers, "heads": heads, "ffn_dim": ffn_dim}
        self.model_config = dict(model_config or {})
        self.vocab_size = vocab_size
        self.max_tokens = max_tokens
        self.prepend = prepend
        self.optimizer = optimizer
        self.num_text_samples = num_text_samples
        self.tokenizer = None
        self._tokenizer_json: str | None = None  # set when the tokenizer was trained here

    # -- construction -------------------------------------------------------------------
    def build_networks(self) -> None:
        """Create the networks once ``self.tokenizer`` exists."""
        raise NotImplementedError

    def configure_optimizers(self):
        return self.optimizer(self.parameters())

    def setup(self, stage: str) -> None:
        if self.tokenizer is not None:
            return
        datamodule = self.trainer.datamodule
        if not isinstance(datamodule, DialogueDataModule):
            raise ConfigError(f"{type(self).__name__} needs a DialogueDataModule, got {type(datamodule).__name__}")
        self.prepare(datamodule.examples("train"))
        # trainer.log_dir broadcasts, so every rank asks; only rank 0 writes
        self._save_tokenizer(self.trainer.log_dir if self.trainer.logger else None)

    def prepare(self, train: Sequence[DialogueExample]) -> None:
        """Fit Prepend-1, get the tokenizer (pretrained, or trained on ``train``), build networks.

        ``setup`` calls this with the DataModule's training split; call it directly to use a
        module outside a Trainer.
        """
        if self.prepend is not None and not self.prepend.is_fitted:
            stats = self.prepend.fit(train)
            rank_zero_info(f"Prepend-1 classifier fitted: {stats}")
        if self.pretrained:
            self.tokenizer = tokenizers.load_pretrained(self.pretrained)
        else:
            texts = [text for example in train for text in (*example.context, example.response)]
            json_text = tokenizers.wrap(tokenizers.train_wordpiece(texts, self.vocab_size)).backend_tokenizer.to_str()
            if self._trainer is not None:
                # WordPiece training breaks ties differently from run to run on small data:
                # every process must use rank 0's tokenizer or the networks' shapes differ
                json_text = self.trainer.strategy.broadcast(json_text, src=0)
            self._set_trained_tokenizer(json_text)
        self.build_networks()

    def _set_trained_tokenizer(self, json_text: str) -> None:
        self._tokenizer_json = json_text
        self.tokenizer = tokenizers.from_json(json_text)

    @rank_zero_only
    def _save_tokenizer(self, log_dir: str | None) -> None:
        # a copy next to the run's logs, for inspection and for use outside the suite
        if log_dir and self._tokenizer_json is not None:
            tokenizers.save(self.tokenizer, Path(log_dir) / "tokenizer")

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[EXTRAS_KEY] = {
            "tokenizer_json": self._tokenizer_json,
            "prepend": self.prepend.to_state() if self.prepend is not None and self.prepend.is_fitted else None,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        # Runs before the weights are loaded: rebuild the networks if the checkpoint's
        # tokenizer differs from the one built in setup (or nothing was built yet).
        extras = checkpoint.get(EXTRAS_KEY, {})
        if extras.get("prepend") is not None and self.prepend is not None:
            self.prepend.load_state(extras["prepend"])
        saved_json = extras.get("tokenizer_json")
        if saved_json is not None and saved_json != self._tokenizer_json:
            self._set_trained_tokenizer(saved_json)
            self.build_networks()
        elif self.tokenizer is None and self.pretrained:
            self.tokenizer = tokenizers.load_pretrained(self.pretrained)
            self.build_networks()

    # -- text helpers -------------------------------------------------------------------
    def with_labels(self, texts: Sequence[str]) -> list[str]:
        """Prepend-1: the classifier's top label as a first word, when configured."""
        return self.prepend.prepend(texts) if self.prepend is not None else list(texts)

    def encode(self, texts: Sequence[str], left_truncate: bool = False) -> dict[str, torch.Tensor]:
        """Tokenize to at most ``max_tokens``; contexts keep their most recent tokens."""
        self.tokenizer.truncation_side = "left" if left_truncate else "right"
        encoded = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def target_ids(self, responses: Sequence[str], pad_value: int = IGNORE_INDEX) -> torch.Tensor:
        """Response tokens + eos, right-truncated to max_tokens, padded with ``pad_value``. -> (B, T)"""
        eos = self.tokenizer.eos_token_id
        rows = [
            ids[: self.max_tokens - 1] + [eos]
            for ids in self.tokenizer(list(responses), add_special_tokens=False)["input_ids"]
        ]
        labels = torch.full((len(rows), max(map(len, rows))), pad_value, dtype=torch.long)
        for i, ids in enumerate(rows):
            labels[i, : len(ids)] = torch.tensor(ids)
        return labels

    def sample_rows(self, batch: dict, outputs: Sequence[str]) -> list[dict]:
        """A few (context, gold, model output) rows for the TensorBoard text samples."""
        n = self.num_text_samples
        return [
            {"context": c, "gold": g, "output": o}
            for c, g, o in zip(batch["context_text"][:n], batch["response_text"][:n], outputs[:n])
        ]

    # -- evaluation: subclasses implement _eval_step(stage, batch, batch_idx) -> dict with
    # "samples" (read by TextSamplesCallback) and _eval_epoch_end(stage) ---------------------
    def validation_step(self, batch: dict, batch_idx: int) -> dict:
        return self._eval_step("val", batch, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> dict:
        return self._eval_step("test", batch, batch_idx)

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    def _eval_epoch_end(self, stage: str) -> None:
        self.log_and_reset(stage)

    def log_and_reset(self, stage: str) -> None:
        """Log every metric of ``self.metrics[stage]`` that saw data (dict results flattened)."""
        for name, metric in self.metrics[stage].items():
            if not metric.update_count:
                continue
            value = metric.compute()
            values = value if isinstance(value, dict) else {name: value}
            for key, item in values.items():
                self.log(f"{stage}/{key}", item, prog_bar=key in self.prog_bar_metrics)
            metric.reset()

    prog_bar_metrics: tuple[str, ...] = ()
