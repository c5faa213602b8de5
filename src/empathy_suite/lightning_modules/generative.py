"""Generative baseline of Rashkin et al. 2019 (Sec. 4.1): Transformer encoder-decoder.

Trained with the NLL of the gold response; evaluated by perplexity of the gold responses and
AVG BLEU of responses decoded with diverse beam search (Vijayakumar et al. 2016).

Deviations: the from-scratch model is a BART-architecture Transformer (4+4 layers, 6 heads,
300-d, no dropout) without Reddit pre-training; the paper does not give its beam settings, so the
defaults (4 beams in 2 groups, diversity 0.5, 30 new tokens) are ours.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from lightning.pytorch.cli import OptimizerCallable
from transformers import AutoModelForSeq2SeqLM

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.decoding import generate_diverse
from empathy_suite.lightning_modules.dialogue_module import IGNORE_INDEX, DialogueModule, adamax, context_text
from empathy_suite.metrics import BLEUScores, TokenPerplexity
from empathy_suite.networks.seq2seq import bart_config
from empathy_suite.prepend import LabelPrepender


class GenerativeModule(DialogueModule):
    """Args beyond DialogueModule's:
        num_beams, num_beam_groups, diversity_penalty, max_new_tokens: diverse beam search.
        generate_during_validation: decode (for val AVG BLEU) each validation epoch.
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
        num_beams: int = 4,
        num_beam_groups: int = 2,
        diversity_penalty: float = 0.5,
        max_new_tokens: int = 30,
        generate_during_validation: bool = True,
        num_text_samples: int = 4,
    ):
        super().__init__(pretrained, dim, layers, heads, ffn_dim, model_config, vocab_size, max_tokens, prepend,
                         optimizer, num_text_samples)
        self.save_hyperparameters(ignore=["optimizer"])
        self.metrics = torch.nn.ModuleDict(
            {
                stage: torch.nn.ModuleDict({"ppl": TokenPerplexity(), "bleu": BLEUScores(variant="corpus")})
                for stage in ("val", "test")
            }
        )

    def build_networks(self) -> None:
        if self.pretrained:
            # from_pretrained returns eval mode; Lightning 2.x keeps it, which would disable dropout
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.pretrained).train()
        else:
            self.model = AutoModelForSeq2SeqLM.from_config(
                bart_config(**self.architecture, tokenizer=self.tokenizer, overrides=self.model_config)
            )

    # -- data -----------------------------------------------------------------------------
    def collate(self, examples: Sequence[DialogueExample]) -> dict:
        contexts = [context_text(example) for example in examples]
        responses = [example.response for example in examples]
        source = self.encode(self.with_labels(contexts), left_truncate=True)
        return {
            "input_ids": source["input_ids"], "attention_mask": source["attention_mask"],
            "labels": self.target_ids(responses), "context_text": contexts, "response_text": responses,
        }

    # -- steps ----------------------------------------------------------------------------
    def model_step(self, batch: dict):
        return self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.model_step(batch).loss
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["context_text"]))
        return loss

    def _eval_step(self, stage: str, batch: dict, batch_idx: int) -> dict:
        out = self.model_step(batch)
        metrics = self.metrics[stage]
        self.log(f"{stage}/loss", out.loss, prog_bar=True, sync_dist=True, batch_size=len(batch["context_text"]))
        metrics["ppl"].update(out.logits, batch["labels"], ignore_index=IGNORE_INDEX)
        if stage == "val" and not self.hparams.generate_during_validation:
            return {"samples": []}
        generated = self.generate(batch["input_ids"], batch["attention_mask"])
        metrics["bleu"].update(generated, batch["response_text"])
        return {"samples": self.sample_rows(batch, generated) if batch_idx == 0 else []}

    prog_bar_metrics = ("ppl",)

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        generated = self.generate(batch["input_ids"], batch["attention_mask"])
        return [{"context": c, "response": g} for c, g in zip(batch["context_text"], generated)]

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[str]:
        hp = self.hparams
        sequences = generate_diverse(
            self.model, input_ids, attention_mask, num_beams=hp.num_beams, num_beam_groups=hp.num_beam_groups,
            diversity_penalty=hp.diversity_penalty, max_new_tokens=hp.max_new_tokens,
        )
        return self.tokenizer.batch_decode(sequences[:, 0], skip_special_tokens=True)
