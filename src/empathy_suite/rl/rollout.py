"""A batch of PPO experience and its shuffled minibatches."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

# (B, T) fields aligned with the response tokens; response_ids itself is the reference shape
PER_TOKEN_FIELDS = (
    "response_mask",
    "old_logprobs",
    "ref_logprobs",
    "old_values",
    "rewards",
    "advantages",
    "returns",
)


# eq=False: a field-wise == on tensors is elementwise and has no single truth value
@dataclass(frozen=True, eq=False)
class Rollout:
    """One rollout batch of B sequences; every tensor's first dimension is B.

    query_ids, query_mask: (B, Tq) prompt / encoder input ids and attention mask.
    response_ids, response_mask: (B, T) sampled response ids and mask (1 = real token).
    old_logprobs, ref_logprobs, old_values, rewards, advantages, returns: (B, T), aligned
    with the response tokens. scores: (B,) sequence rewards.

    The fields after ``response_mask`` may be None while the rollout is being built; fill
    them with ``dataclasses.replace``, which validates again. Validation raises ValueError
    naming the field and the shapes.
    """

    query_ids: Tensor
    query_mask: Tensor
    response_ids: Tensor
    response_mask: Tensor
    old_logprobs: Tensor | None = None
    ref_logprobs: Tensor | None = None
    old_values: Tensor | None = None
    rewards: Tensor | None = None
    advantages: Tensor | None = None
    returns: Tensor | None = None
    scores: Tensor | None = None

    def __post_init__(self) -> None:
        if self.response_ids.ndim != 2:
            raise ValueError(f"Rollout: response_ids must be (B, T), got shape {tuple(self.response_ids.shape)}")
        if self.query_ids.ndim != 2:
            raise ValueError(f"Rollout: query_ids must be (B, Tq), got shape {tuple(self.query_ids.shape)}")
        token_shape = self.response_ids.shape
        batch = token_shape[0]
        expected = {"query_ids": (batch, self.query_ids.shape[1]), "query_mask": self.query_ids.shape}
        expected.update({name: token_shape for name in PER_TOKEN_FIELDS})
        expected["scores"] = (batch,)
        for name, shape in expected.items():
            value = getattr(self, name)
            if value is None:
                continue
            if value.shape != shape:
                raise ValueError(f"Rollout: {name} has shape {tuple(value.shape)}, expected {tuple(shape)}")

    @property
    def batch_size(self) -> int:
        return self.response_ids.shape[0]

    def __len__(self) -> int:
        return self.batch_size

    def _map(self, fn) -> Rollout:
        changes = {
            field.name: fn(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }
        return dataclasses.replace(self, **changes)

    def to(self, device: torch.device | str) -> Rollout:
        """A copy with every tensor on ``device``."""
        return self._map(lambda tensor: tensor.to(device))

    def select(self, index: Tensor) -> Rollout:
        """The rows ``index`` (1-D int tensor) of every field, in that order."""
        return self._map(lambda tensor: tensor[index.to(tensor.device)])

    def minibatches(
        self, size: int, generator: torch.Generator | None = None, drop_last: bool = False
    ) -> Iterator[Rollout]:
        """Yield Rollouts of ``size`` rows from one random permutation of the batch.

        Each row appears exactly once per call; the last minibatch is smaller when ``size``
        does not divide B, unless ``drop_last``. ``generator`` (a CPU torch.Generator) makes
        the order reproducible; it is advanced, so successive epochs get new orders.
        """
        if size < 1:
            raise ValueError(f"Rollout.minibatches: size must be >= 1, got {size}")
        order = torch.randperm(self.batch_size, generator=generator)
        for start in range(0, self.batch_size, size):
            index = order[start : start + size]
            if drop_last and len(index) < size:
                return
            yield self.select(index)
