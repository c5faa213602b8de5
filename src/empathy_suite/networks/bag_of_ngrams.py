"""A fastText-style text classifier (Joulin et al. 2017, "Bag of Tricks").

The text is the mean of its word embeddings and hashed word-n-gram embeddings, followed by
one linear layer. Words and n-gram buckets share one embedding table:

    row 0                                   padding (never trained, excluded from the mean)
    rows 1 .. vocab_size                    in-vocabulary words (``vocab`` maps word -> id >= 1)
    rows vocab_size+1 .. +num_buckets       hashed n-grams of 2..word_ngrams words
"""

from __future__ import annotations

import zlib

import torch
from torch import nn


def ngram_bucket(ngram: tuple[str, ...], num_buckets: int) -> int:
    """A bucket in ``[0, num_buckets)``; crc32 because Python's ``hash()`` of a str is
    salted per process, which would scramble a saved model's n-gram rows on reload."""
    return zlib.crc32(" ".join(ngram).encode("utf-8")) % num_buckets


def ngram_features(tokens: list[str], vocab: dict[str, int], num_buckets: int, word_ngrams: int = 2) -> list[int]:
    """Feature ids of ``tokens``: known words, then every 2..``word_ngrams``-gram's bucket.

    Out-of-vocabulary words get no word feature but still take part in n-grams, as in
    fastText. Bucket ids are offset past the word rows (``len(vocab) + 1``), so ``vocab``
    must use the ids ``1..len(vocab)``.
    """
    features = [vocab[token] for token in tokens if token in vocab]
    if num_buckets <= 0:
        return features
    offset = len(vocab) + 1
    for n in range(2, word_ngrams + 1):
        for start in range(len(tokens) - n + 1):
            features.append(offset + ngram_bucket(tuple(tokens[start : start + n]), num_buckets))
    return features


class BagOfNgramsClassifier(nn.Module):
    """Mean of feature embeddings -> linear layer -> logits."""

    def __init__(self, num_labels: int, vocab_size: int, num_buckets: int, dim: int = 100) -> None:
        super().__init__()
        self.num_labels, self.vocab_size, self.num_buckets, self.dim = num_labels, vocab_size, num_buckets, dim
        self.embedding = nn.EmbeddingBag(vocab_size + 1 + num_buckets, dim, mode="mean", padding_idx=0)
        self.output = nn.Linear(dim, num_labels)
        # fastText's initialisation: small uniform inputs, zero output layer.
        with torch.no_grad():
            self.embedding.weight.uniform_(-1.0 / dim, 1.0 / dim)
            self.embedding.weight[0].zero_()
            self.output.weight.zero_()
            self.output.bias.zero_()

    def forward(self, feature_ids: torch.Tensor) -> torch.Tensor:
        """``feature_ids``: (B, L) long, 0-padded. A row of only padding yields the bias."""
        return self.output(self.embedding(feature_ids))
