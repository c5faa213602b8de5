"""P@k,N for retrieval: is the true response ranked in the top k among N candidates?

Each context is scored against its own true response and N-1 true responses of other
examples, sampled without replacement from a generator seeded at construction, so the
same embeddings give the same score on every run. Scores are dot products; a negative
scoring exactly as high as the true response counts against the model, so a degenerate
encoder (all embeddings equal) scores 0, not 1.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities.data import dim_zero_cat

# rows of the (rows, M) score matrix built at a time: bounds memory for large eval sets
_CHUNK = 1024


def sample_negatives(num_examples: int, num_negatives: int, generator: torch.Generator) -> Tensor:
    """(num_examples, num_negatives) long: row i holds distinct indices in [0, num_examples) \\ {i}.

    Row i is the first ``num_negatives`` of ``randperm(num_examples - 1)``, shifted past i.
    One randperm per row, in row order, so the draw depends only on the seed and M.
    """
    rows = []
    for i in range(num_examples):
        picks = torch.randperm(num_examples - 1, generator=generator)[:num_negatives]
        rows.append(picks + (picks >= i).long())  # skip index i itself
    return torch.stack(rows) if rows else torch.zeros(0, num_negatives, dtype=torch.long)


def hits_at_k(context: Tensor, candidates: Tensor, negatives: Tensor, k: int) -> Tensor:
    """(M,) bool: fewer than k of row i's negatives score >= its true response.

    context (M, D), candidates (M, D) with row i the true response of context i;
    negatives (M, N-1) indices into ``candidates``.
    """
    context, candidates = context.float(), candidates.float()
    negatives = negatives.to(context.device)
    hits = []
    for start in range(0, context.shape[0], _CHUNK):
        rows = torch.arange(start, min(start + _CHUNK, context.shape[0]), device=context.device)
        # true and negative scores come from one matmul, so a duplicate response ties exactly
        scores = context[rows] @ candidates.T
        true = scores.gather(1, rows.unsqueeze(1))
        beaten_by = (scores.gather(1, negatives[rows]) >= true).sum(dim=1)
        hits.append(beaten_by < k)
    return torch.cat(hits)


class PrecisionAtKOfN(Metric):
    """Hit rate in [0, 1] of the true response within the top ``k`` of ``n`` candidates.

    ``last_n`` holds the N actually used by the latest ``compute()`` (smaller than ``n``
    when fewer examples were collected).
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, k: int = 1, n: int = 100, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if k < 1 or n < 2:
            raise ValueError(f"PrecisionAtKOfN: need k >= 1 and n >= 2, got k={k}, n={n}")
        self.k, self.n, self.seed = k, n, seed
        self.last_n: int | None = None
        self.add_state("context", default=[], dist_reduce_fx="cat")
        self.add_state("candidates", default=[], dist_reduce_fx="cat")

    def update(self, context_emb: Tensor, candidate_emb: Tensor) -> None:
        if context_emb.ndim != 2 or context_emb.shape != candidate_emb.shape:
            raise ValueError(
                f"PrecisionAtKOfN: expected context and candidate embeddings both (B, D), "
                f"got {tuple(context_emb.shape)} and {tuple(candidate_emb.shape)}"
            )
        self.context.append(context_emb.detach())
        self.candidates.append(candidate_emb.detach())

    def compute(self) -> Tensor:
        if isinstance(self.context, list) and not self.context:
            raise ValueError("PrecisionAtKOfN needs at least 2 examples to rank, got 0")
        # after a DDP sync the list states are already concatenated tensors
        context, candidates = dim_zero_cat(self.context), dim_zero_cat(self.candidates)
        total = context.shape[0]
        if total < 2:
            raise ValueError(f"PrecisionAtKOfN needs at least 2 examples to rank, got {total}")
        n_eff = min(self.n, total)
        if n_eff < self.n:
            warnings.warn(f"PrecisionAtKOfN: only {total} examples collected, fewer than n={self.n}; using N={n_eff}")
        self.last_n = n_eff
        generator = torch.Generator().manual_seed(self.seed)
        negatives = sample_negatives(total, n_eff - 1, generator)
        return hits_at_k(context, candidates, negatives, self.k).float().mean()
