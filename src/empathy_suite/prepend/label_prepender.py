"""Prepend-1 (Rashkin et al. 2019): a fastText-style classifier's top label is prepended as a
word to a text, e.g. ``"proud I finally got promoted!"``.

``EmoPrepend`` learns the 32 ED emotions from the Speakers' situation descriptions;
``TopicPrepend`` learns topics from a labelled file in fastText's supervised format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from empathy_suite.datamodules.schema import DialogueExample
from empathy_suite.errors import ConfigError, DataFormatError
from empathy_suite.networks.bag_of_ngrams import BagOfNgramsClassifier, ngram_features
from empathy_suite.text.normalize import tokenize_words

LABEL_PREFIX = "__label__"
MIN_STEPS_PER_EPOCH = 8


class LabelPrepender:
    """Trains a bag-of-n-grams classifier on ``training_pairs`` and prepends its top label."""

    def __init__(
        self,
        epochs: int = 25,
        dim: int = 100,
        word_ngrams: int = 2,
        num_buckets: int = 200_000,
        lr: float = 1e-3,
        min_count: int = 1,
        seed: int = 0,
        batch_size: int = 512,
    ) -> None:
        for name, value, low in [("epochs", epochs, 1), ("dim", dim, 1), ("word_ngrams", word_ngrams, 1),
                                 ("num_buckets", num_buckets, 0), ("min_count", min_count, 1), ("batch_size", batch_size, 1)]:
            if value < low:
                raise ConfigError(f"{type(self).__name__}: {name} must be >= {low}, got {value}")
        if not lr > 0:
            raise ConfigError(f"{type(self).__name__}: lr must be > 0, got {lr}")
        self.epochs, self.dim, self.word_ngrams, self.num_buckets = epochs, dim, word_ngrams, num_buckets
        self.lr, self.min_count, self.seed, self.batch_size = lr, min_count, seed, batch_size
        self.vocab: dict[str, int] = {}
        self.labels: list[str] = []
        self.model: BagOfNgramsClassifier | None = None

    # -- what subclasses define ------------------------------------------------------------

    def training_pairs(self, train_examples: Sequence[DialogueExample]) -> list[tuple[str, str]]:
        """(text, label) pairs to train on."""
        raise NotImplementedError

    def hyperparameters(self) -> dict:
        """The constructor arguments, so ``from_state`` can rebuild this object."""
        return {"epochs": self.epochs, "dim": self.dim, "word_ngrams": self.word_ngrams, "num_buckets": self.num_buckets,
                "lr": self.lr, "min_count": self.min_count, "seed": self.seed, "batch_size": self.batch_size}

    # -- training and prediction -----------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return self.model is not None

    def fit(self, train_examples: Sequence[DialogueExample]) -> dict:
        """Train from scratch on ``training_pairs``; returns accuracy and loss on them."""
        pairs = self.training_pairs(train_examples)
        if not pairs:
            raise ConfigError(f"{type(self).__name__}: no (text, label) pairs to train on")
        tokens = [tokenize_words(text) for text, _ in pairs]
        counts = Counter(token for sentence in tokens for token in sentence)
        # most frequent first, ties alphabetical: the ids do not depend on the data's order
        kept = sorted((w for w, c in counts.items() if c >= self.min_count), key=lambda w: (-counts[w], w))
        self.vocab = {word: i + 1 for i, word in enumerate(kept)}
        self.labels = sorted({label for _, label in pairs})
        label_ids = {label: i for i, label in enumerate(self.labels)}
        features = [self._features(sentence) for sentence in tokens]
        targets = torch.tensor([label_ids[label] for _, label in pairs])

        # fork_rng: seeding must make fit reproducible without resetting the caller's RNG
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.model = BagOfNgramsClassifier(len(self.labels), len(self.vocab), self.num_buckets, self.dim)
            loss = self._train(features, targets)
        predictions = self._predict_ids(features)
        accuracy = (predictions == targets).float().mean().item()
        return {"train_accuracy": accuracy, "train_loss": loss, "num_examples": len(pairs), "num_labels": len(self.labels)}

    def _train(self, features: list[torch.Tensor], targets: torch.Tensor) -> float:
        """Mini-batch Adam on cross-entropy; returns the last epoch's mean loss.

        Adam rather than fastText's SGD: fastText takes one SGD step per example; in
        mini-batches (needed for speed in Python) SGD was fragile here: lr 0.1 stayed at
        chance on a toy set and on 20k synthetic texts, lr 0.5 diverged on the latter.
        Adam fitted every set tried; lr 1e-3 over-fitted least on held-out texts.

        The Adam is "lazy" on the embedding table, as in torch's SparseAdam: a step gathers
        only the rows its batch uses, backprops into that copy and updates those rows and
        their moments. Dense Adam would rewrite all ~20M bucket weights every step;
        SparseAdam does what this does but ran ~1.7x slower on CPU.
        """
        model, table = self.model, self.model.embedding.weight.data
        moments = torch.zeros(table.shape[0], 2, table.shape[1])  # Adam's m and v per row
        head = [(p, torch.zeros(2, *p.shape)) for p in model.output.parameters()]
        # Small sets get smaller batches: Adam's first steps move every feature by ~lr
        # whatever its evidence, so a toy set needs many steps, not 25 big ones, for frequent
        # uninformative words ("a", "me") to settle below the informative ones.
        batch_size = min(self.batch_size, max(1, len(features) // MIN_STEPS_PER_EPOCH))
        model.train()
        step, epoch_loss = 0, 0.0
        for _ in range(self.epochs):
            epoch_loss = 0.0
            for batch in torch.randperm(len(features)).split(batch_size):
                # rows: the batch's distinct ids, padding row 0 first; local: ids into rows
                ids = torch.cat([_EMPTY, _pad([features[i] for i in batch.tolist()]).flatten()])
                rows, local = torch.unique(ids, return_inverse=True)
                used = table.index_select(0, rows).requires_grad_()
                pooled = F.embedding_bag(local[1:].view(len(batch), -1), used, mode="mean", padding_idx=0)
                loss = F.cross_entropy(model.output(pooled), targets[batch])
                for param, _ in head:
                    param.grad = None
                loss.backward()
                step += 1
                with torch.no_grad():
                    for param, state in head:
                        param += _adam_step(param.grad, state[0], state[1], step, self.lr)
                    rows = rows[1:]
                    state = moments.index_select(0, rows)
                    delta = _adam_step(used.grad[1:], state[:, 0], state[:, 1], step, self.lr)
                    moments.index_copy_(0, rows, state)
                    table.index_add_(0, rows, delta)
                epoch_loss += loss.item() * len(batch)
        model.eval()
        return epoch_loss / len(features)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The top-1 label of each text."""
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or load a state before predict()/prepend()")
        ids = self._predict_ids([self._features(tokenize_words(text)) for text in texts])
        return [self.labels[i] for i in ids.tolist()]

    def prepend(self, texts: Sequence[str]) -> list[str]:
        """Each text with its predicted label prepended as a word."""
        return [f"{label} {text}" for label, text in zip(self.predict(texts), texts)]

    def _features(self, tokens: list[str]) -> torch.Tensor:
        return torch.tensor(ngram_features(tokens, self.vocab, self.num_buckets, self.word_ngrams), dtype=torch.long)

    @torch.no_grad()
    def _predict_ids(self, features: list[torch.Tensor], chunk: int = 1024) -> torch.Tensor:
        self.model.eval()
        out = [self.model(_pad(features[i : i + chunk])).argmax(-1) for i in range(0, len(features), chunk)]
        return torch.cat(out) if out else torch.empty(0, dtype=torch.long)

    # -- persistence (e.g. inside a Lightning checkpoint) ----------------------------------

    def to_state(self) -> dict:
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: nothing to save")
        weights = {name: tensor.detach().cpu().clone() for name, tensor in self.model.state_dict().items()}
        return {"class": type(self).__name__, "hyperparameters": self.hyperparameters(),
                "vocab": dict(self.vocab), "labels": list(self.labels), "weights": weights}

    def load_state(self, state: dict) -> LabelPrepender:
        """Restore a ``to_state`` dict into this object. The shape hyperparameters come from
        the state (the weights need them); the training ones (epochs, lr, ...) stay."""
        if state.get("class") != type(self).__name__:
            raise ConfigError(f"cannot load a {state.get('class')} state into {type(self).__name__}")
        hp = state["hyperparameters"]
        self.dim, self.word_ngrams, self.num_buckets = hp["dim"], hp["word_ngrams"], hp["num_buckets"]
        self.vocab, self.labels = dict(state["vocab"]), list(state["labels"])
        self.model = BagOfNgramsClassifier(len(self.labels), len(self.vocab), self.num_buckets, self.dim)
        self.model.load_state_dict(state["weights"])
        self.model.eval()
        return self

    @classmethod
    def from_state(cls, state: dict) -> LabelPrepender:
        """A new fitted object from a ``to_state`` dict."""
        return cls(**state["hyperparameters"]).load_state(state)


def _adam_step(grad, m, v, step: int, lr: float, beta1=0.9, beta2=0.999, eps=1e-8) -> torch.Tensor:
    """Update Adam's moments ``m``, ``v`` in place and return the parameter change."""
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    return m / (v.sqrt() + eps) * (-lr * (1 - beta2**step) ** 0.5 / (1 - beta1**step))


def _pad(features: Sequence[torch.Tensor]) -> torch.Tensor:
    """(B, L) with 0 = padding; at least one column so a batch of empty texts still works."""
    if not features:
        return torch.zeros(0, 1, dtype=torch.long)
    return nn.utils.rnn.pad_sequence([f if len(f) else _EMPTY for f in features], batch_first=True)


_EMPTY = torch.zeros(1, dtype=torch.long)


class EmoPrepend(LabelPrepender):
    """Emotion labels learnt from (situation, emotion), one pair per training dialogue."""

    def training_pairs(self, train_examples: Sequence[DialogueExample]) -> list[tuple[str, str]]:
        pairs, seen = [], set()
        no_situation = no_emotion = 0
        for example in train_examples:
            situation, emotion = (example.situation or "").strip(), (example.emotion or "").strip()
            no_situation += not situation
            no_emotion += not emotion
            if not situation or not emotion:
                continue
            # every turn repeats its dialogue's situation; without an id, the pair is the key
            key = example.dialogue_id or (situation, emotion)
            if key not in seen:
                seen.add(key)
                pairs.append((situation, emotion.replace(" ", "_")))  # a label must be one word
        if not pairs:
            missing = [name for name, count in [("situation", no_situation), ("emotion", no_emotion)] if count]
            raise ConfigError(
                f"EmoPrepend needs DialogueExample fields 'situation' and 'emotion', but none of the "
                f"{len(train_examples)} training examples has both (missing: {', '.join(missing) or 'no examples'}); "
                "use a dataset that provides them or another prepender"
            )
        return pairs


class TopicPrepend(LabelPrepender):
    """Topic labels learnt from ``train_file`` (``__label__<label> <text>`` per line)."""

    # the arguments are spelled out (not **kwargs) so config parsers see every one of them
    def __init__(
        self,
        train_file: str,
        epochs: int = 25,
        dim: int = 100,
        word_ngrams: int = 2,
        num_buckets: int = 200_000,
        lr: float = 1e-3,
        min_count: int = 1,
        seed: int = 0,
        batch_size: int = 512,
    ) -> None:
        super().__init__(epochs, dim, word_ngrams, num_buckets, lr, min_count, seed, batch_size)
        self.train_file = str(train_file)

    def hyperparameters(self) -> dict:
        return {"train_file": self.train_file, **super().hyperparameters()}

    def training_pairs(self, train_examples: Sequence[DialogueExample] = ()) -> list[tuple[str, str]]:
        return read_fasttext_file(self.train_file)


def read_fasttext_file(path: str | Path) -> list[tuple[str, str]]:
    """(text, label) pairs of a fastText supervised file; blank lines are skipped.

    A line with several ``__label__`` tokens yields one pair per label: a softmax model
    then splits its probability between them, as fastText's own softmax training does.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"topic training file {path} does not exist")
    try:
        # utf-8-sig: tolerate a BOM; split("\n"), not splitlines(), so the line numbers
        # match an editor's even if the text holds other Unicode line separators
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"topic training file {path} is not UTF-8 text: {error}") from None
    pairs = []
    for number, line in enumerate(lines, start=1):
        words = line.split()
        if not words:
            continue
        labels = []
        while words and words[0].startswith(LABEL_PREFIX):
            labels.append(words.pop(0)[len(LABEL_PREFIX) :])
        where = f"{path}, line {number}"
        if not labels:
            raise DataFormatError(f"{where}: expected '{LABEL_PREFIX}<label> <text>', got {line[:60]!r}")
        if not all(labels):
            raise DataFormatError(f"{where}: empty label name after '{LABEL_PREFIX}'")
        if not words:
            raise DataFormatError(f"{where}: label(s) {', '.join(labels)} but no text")
        pairs.extend((" ".join(words), label) for label in labels)
    if not pairs:
        raise DataFormatError(f"topic training file {path} is empty: expected '{LABEL_PREFIX}<label> <text>' lines")
    return pairs
