"""Retrieval baseline of Rashkin et al. 2019 (Sec. 4.1): two encoders, dot-product scores.

Training: softmax over the batch's candidates (in-batch negatives) and NLL of the true one;
under DDP the candidates of every process are gathered, so each context sees
world_size x batch negatives. Evaluation: P@1,100 (true response among 100 responses of the
same split) and AVG BLEU of the top candidate retrieved from a pool (ED training responses
by default, plus optional utterance files such as DailyDialog).

Deviations: the from-scratch encoder is a BERT-architecture Transformer (4 layers, 6 heads,
300-d, no dropout) without the paper's Reddit pre-training or fastText-initialised embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import OptimizerCallable
from transformers import AutoModel

from empathy_suite.datamodules.candidate_pool import build_pool
from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.lightning_modules.dialogue_module import DialogueModule, adamax, context_text
from empathy_suite.metrics import BLEUScores, PrecisionAtKOfN
from empathy_suite.networks.text_encoder import TextEncoder, bert_config
from empathy_suite.prepend import LabelPrepender

def in_batch_loss(context: torch.Tensor, candidates: torch.Tensor, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """NLL of the true candidate under a softmax over all candidates.

    context (B, D); candidates (N, D) with N >= B, where context i's true candidate is row
    ``offset + i``. Returns (mean loss, accuracy of the argmax).
    """
    scores = context @ candidates.T
    targets = torch.arange(context.size(0), device=context.device) + offset
    return F.cross_entropy(scores, targets), (scores.argmax(-1) == targets).float().mean()


class RetrievalModule(DialogueModule):
    """Args beyond DialogueModule's:
        shared_encoder: one encoder for contexts and candidates instead of two.
        pooling: "mean" over tokens, or "cls" (BERT's [CLS] vector, as the paper's BERT model).
        pool_from_train: put the training responses in the inference pool.
        pool_files: extra utterance files for the pool (one per line, or DailyDialog text).
        pool_max_size: cap on the pool (first-seen order), for quick runs.
        p_at_n, eval_seed: P@1,N's N (paper 100) and the seed of its negative draw.
    """

    def __init__(
        self,
        pretrained: str | None = None,
        dim: int = 300,
        layers: int = 4,
        heads: int = 6,
        ffn_dim: int = 1200,
        model_config: dict | None = None,
        shared_encoder: bool = False,
        pooling: str = "mean",
        vocab_size: int = 8000,
        max_tokens: int = 100,
        prepend: LabelPrepender | None = None,
        optimizer: OptimizerCallable = adamax,
        pool_from_train: bool = True,
        pool_files: Sequence[str] = (),
        pool_max_size: int | None = None,
        pool_batch_size: int = 256,
        p_at_n: int = 100,
        eval_seed: int = 0,
        num_text_samples: int = 4,
    ):
        super().__init__(pretrained, dim, layers, heads, ffn_dim, model_config, vocab_size, max_tokens, prepend,
                         optimizer, num_text_samples)
        self.save_hyperparameters(ignore=["optimizer"])
        self.metrics = torch.nn.ModuleDict(
            {
                stage: torch.nn.ModuleDict(
                    {"p_at_1": PrecisionAtKOfN(k=1, n=p_at_n, seed=eval_seed), "bleu": BLEUScores(variant="corpus")}
                )
                for stage in ("val", "test")
            }
        )
        self.pool_texts: list[str] = []
        self.pool_embeddings: torch.Tensor | None = None

    def build_networks(self) -> None:
        def encoder() -> TextEncoder:
            if self.pretrained:
                # from_pretrained returns eval mode; Lightning 2.x keeps it, which would disable dropout
                return TextEncoder(self.hparams.pooling, AutoModel.from_pretrained(self.pretrained).train())
            config = bert_config(**self.architecture, vocab_size=len(self.tokenizer),
                                 pad_token_id=self.tokenizer.pad_token_id, overrides=self.model_config)
            return TextEncoder(self.hparams.pooling, AutoModel.from_config(config))

        self.context_encoder = encoder()
        self.candidate_encoder = self.context_encoder if self.hparams.shared_encoder else encoder()

    # -- data -----------------------------------------------------------------------------
    def collate(self, examples: Sequence[DialogueExample]) -> dict:
        contexts = [context_text(example) for example in examples]
        responses = [example.response for example in examples]
        context = self.encode(self.with_labels(contexts), left_truncate=True)
        candidate = self.encode(self.with_labels(responses))
        return {
            "context_ids": context["input_ids"], "context_mask": context["attention_mask"],
            "candidate_ids": candidate["input_ids"], "candidate_mask": candidate["attention_mask"],
            "context_text": contexts, "response_text": responses,
        }

    # -- steps ----------------------------------------------------------------------------
    def model_step(self, batch: dict) -> dict:
        h_x = self.context_encoder(batch["context_ids"], batch["context_mask"])
        h_y = self.candidate_encoder(batch["candidate_ids"], batch["candidate_mask"])
        candidates, offset = h_y, 0
        if self.trainer.world_size > 1 and self.training:
            candidates = self.all_gather(h_y, sync_grads=True).flatten(0, 1)
            offset = self.global_rank * h_y.size(0)
        loss, accuracy = in_batch_loss(h_x, candidates, offset)
        return {"loss": loss, "accuracy": accuracy, "h_x": h_x, "h_y": h_y}

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        out = self.model_step(batch)
        size = len(batch["context_text"])
        self.log("train/loss", out["loss"], prog_bar=True, batch_size=size)
        self.log("train/in_batch_accuracy", out["accuracy"], batch_size=size)
        return out["loss"]

    def _eval_step(self, stage: str, batch: dict, batch_idx: int) -> dict:
        out = self.model_step(batch)
        size = len(batch["context_text"])
        self.log(f"{stage}/loss", out["loss"], prog_bar=True, sync_dist=True, batch_size=size)
        metrics = self.metrics[stage]
        metrics["p_at_1"].update(out["h_x"], out["h_y"])
        retrieved = self.retrieve(out["h_x"])
        metrics["bleu"].update(retrieved, batch["response_text"])
        return {"samples": self.sample_rows(batch, retrieved) if batch_idx == 0 else []}

    def _eval_epoch_end(self, stage: str) -> None:
        # P@1,N as a percentage, as in the paper's Table 1, with the N actually used
        p_at_1 = self.metrics[stage]["p_at_1"]
        self.log(f"{stage}/p_at_1", p_at_1.compute() * 100, prog_bar=True)
        self.log(f"{stage}/p_at_1_n", float(p_at_1.last_n))
        p_at_1.reset()
        self.log_and_reset(stage)

    def on_validation_epoch_start(self) -> None:
        self.embed_pool()

    def on_test_epoch_start(self) -> None:
        self.embed_pool()

    # -- candidate pool -------------------------------------------------------------------
    @torch.no_grad()
    def embed_pool(self) -> None:
        """Encode the pool once per evaluation epoch, in batches."""
        if not self.pool_texts:
            train = self.trainer.datamodule.examples("train") if self.hparams.pool_from_train else None
            self.pool_texts = build_pool(train, self.hparams.pool_files, self.hparams.pool_max_size)
        chunks = []
        size = self.hparams.pool_batch_size
        for start in range(0, len(self.pool_texts), size):
            encoded = self.encode(self.with_labels(self.pool_texts[start : start + size]))
            encoded = {key: value.to(self.device) for key, value in encoded.items()}
            chunks.append(self.candidate_encoder(encoded["input_ids"], encoded["attention_mask"]))
        self.pool_embeddings = torch.cat(chunks)

    def retrieve(self, h_x: torch.Tensor) -> list[str]:
        """Top pool candidate per context. h_x (B, D)."""
        best = (h_x @ self.pool_embeddings.T).argmax(-1)
        return [self.pool_texts[i] for i in best.tolist()]
