import dataclasses

import pytest
import torch

from empathy_suite.rl import Rollout

B, T, TQ = 5, 3, 4


def make_rollout(**overrides) -> Rollout:
    # row i is recognisable in every field: scores = i, per-token fields = 10*i + column
    rows = torch.arange(B, dtype=torch.float32)
    per_token = rows[:, None] * 10 + torch.arange(T)
    fields = dict(
        query_ids=torch.arange(B)[:, None].repeat(1, TQ),
        query_mask=torch.ones(B, TQ, dtype=torch.long),
        response_ids=per_token.long(),
        response_mask=torch.ones(B, T),
        old_logprobs=per_token.clone(),
        ref_logprobs=per_token.clone(),
        old_values=per_token.clone(),
        rewards=per_token.clone(),
        advantages=per_token.clone(),
        returns=per_token.clone(),
        scores=rows.clone(),
    )
    fields.update(overrides)
    return Rollout(**fields)


def assert_rows_consistent(batch: Rollout) -> None:
    for i, row in enumerate(batch.scores.long().tolist()):
        assert batch.query_ids[i].tolist() == [row] * TQ
        for name in ("response_ids", "old_logprobs", "ref_logprobs", "old_values", "rewards", "advantages", "returns"):
            assert getattr(batch, name)[i].tolist() == [10 * row, 10 * row + 1, 10 * row + 2]


def test_minibatches_cover_every_row_exactly_once():
    rollout = make_rollout()
    batches = list(rollout.minibatches(2, generator=torch.Generator().manual_seed(0)))
    # 5 rows in minibatches of 2: sizes 2, 2, 1
    assert [len(batch) for batch in batches] == [2, 2, 1]
    seen = torch.cat([batch.scores for batch in batches]).long().tolist()
    assert sorted(seen) == [0, 1, 2, 3, 4]
    for batch in batches:
        assert_rows_consistent(batch)


def test_minibatches_are_shuffled_reproducibly_and_can_drop_last():
    rollout = make_rollout()

    def order(seed):
        batches = rollout.minibatches(2, generator=torch.Generator().manual_seed(seed))
        return torch.cat([batch.scores for batch in batches]).long().tolist()

    assert order(3) == order(3)
    assert any(order(seed) != [0, 1, 2, 3, 4] for seed in range(5))
    kept = list(rollout.minibatches(2, generator=torch.Generator().manual_seed(0), drop_last=True))
    assert [len(batch) for batch in kept] == [2, 2]


def test_optional_fields_stay_none_and_replace_fills_them():
    partial = make_rollout(rewards=None, advantages=None, returns=None)
    batch = next(partial.minibatches(5))
    assert batch.rewards is None and batch.advantages is None and batch.returns is None
    zeros = torch.zeros(B, T)
    full = dataclasses.replace(partial, rewards=zeros, advantages=zeros, returns=zeros)
    assert full.returns.shape == (B, T)


def test_to_moves_every_tensor():
    moved = make_rollout().to("cpu")
    assert moved.scores.device.type == "cpu" and moved.advantages.device.type == "cpu"


def test_validation_names_the_field_and_shapes():
    with pytest.raises(ValueError, match=r"old_values has shape \(5, 2\), expected \(5, 3\)"):
        make_rollout(old_values=torch.zeros(B, 2))
    with pytest.raises(ValueError, match=r"scores has shape \(4,\), expected \(5,\)"):
        make_rollout(scores=torch.zeros(4))
    with pytest.raises(ValueError, match=r"query_ids has shape \(4, 4\), expected \(5, 4\)"):
        make_rollout(query_ids=torch.zeros(4, TQ))
    with pytest.raises(ValueError, match=r"query_mask has shape \(5, 2\), expected \(5, 4\)"):
        make_rollout(query_mask=torch.zeros(B, 2))
    with pytest.raises(ValueError, match=r"size must be >= 1"):
        next(make_rollout().minibatches(0))
