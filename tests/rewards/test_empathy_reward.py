import math

import pytest
import torch

from empathy_suite.rewards import empathy_level_loss, empathy_reward, gold_levels_from_logits

LN2, LN3 = math.log(2), math.log(3)
# (M=3, B=2, C=3) identifier logits on (context, generated response)
GENERATED = torch.tensor([
    [[0.0, LN2, 0.0], [0.0, LN2, 0.0]],  # ER: exp -> 1, 2, 1: probabilities 1/4, 1/2, 1/4
    [[LN3, 0.0, 0.0], [LN3, 0.0, 0.0]],  # IP: exp -> 3, 1, 1: probabilities 3/5, 1/5, 1/5
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],  # EX: uniform, 1/3 each
])
# (M, B) gold levels of the target responses
GOLD = torch.tensor([[1, 0], [0, 1], [2, 0]])


def test_loss_and_reward_by_hand():
    # example 0: CE = -ln p(gold) = ln 2 + ln 5/3 + ln 3 = ln 10; reward = 1/2 * 3/5 * 1/3 = 1/10
    # example 1: ln 4 + ln 5 + ln 3 = ln 60;                      reward = 1/4 * 1/5 * 1/3 = 1/60
    torch.testing.assert_close(empathy_level_loss(GENERATED, GOLD), torch.tensor([math.log(10), math.log(60)]))
    torch.testing.assert_close(empathy_reward(GENERATED, GOLD), torch.tensor([1 / 10, 1 / 60]))


def test_gold_logits_are_turned_into_levels_not_soft_targets():
    # logits on the target responses whose argmax is GOLD; soft targets would give other values
    gold_logits = torch.full((3, 2, 3), -1.0).scatter(-1, GOLD.unsqueeze(-1), 0.5)
    assert gold_levels_from_logits(gold_logits).tolist() == GOLD.tolist()
    torch.testing.assert_close(empathy_reward(GENERATED, gold_logits), torch.tensor([1 / 10, 1 / 60]))


def test_reward_is_one_only_when_every_identifier_is_certain_of_the_gold_level():
    gold = torch.tensor([[0], [1], [2]])
    certain = torch.full((3, 1, 3), -1000.0).scatter(-1, gold.unsqueeze(-1), 1000.0)
    assert empathy_level_loss(certain, gold).item() == 0.0
    assert empathy_reward(certain, gold).item() == 1.0
    # one identifier (EX) only 50 % sure of the gold level: reward 1 * 1 * 1/2
    unsure = certain.clone()
    unsure[2, 0] = torch.tensor([0.0, 0.0, LN2])  # probabilities 1/4, 1/4, 1/2
    assert empathy_reward(unsure, gold).item() == pytest.approx(0.5)
    # one identifier certain of a wrong level: the reward all but vanishes
    wrong = certain.clone()
    wrong[0, 0] = torch.tensor([-30.0, 0.0, -30.0])
    assert 0.0 < empathy_reward(wrong, gold).item() < 1e-12


def test_reward_lies_in_zero_one_and_is_the_product_of_gold_probabilities():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 64, 3, generator=generator) * 3
    gold = torch.randint(0, 3, (3, 64), generator=generator)
    reward = empathy_reward(logits, gold)
    assert reward.shape == (64,)
    assert ((reward > 0) & (reward <= 1)).all() and (reward < 1).all()
    gold_probability = logits.softmax(-1).gather(-1, gold.unsqueeze(-1)).squeeze(-1)  # (M, B)
    torch.testing.assert_close(reward, gold_probability.prod(dim=0))
    per_mechanism = torch.stack([torch.nn.functional.cross_entropy(logits[m], gold[m], reduction="none")
                                 for m in range(3)])
    torch.testing.assert_close(empathy_level_loss(logits, gold), per_mechanism.sum(dim=0))


def test_half_precision_logits_give_float32_and_gradients_reach_generated_logits():
    logits = GENERATED.clone().requires_grad_()
    empathy_reward(logits, GOLD).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert empathy_reward(GENERATED.bfloat16(), GOLD).dtype == torch.float32


@pytest.mark.parametrize("generated, gold", [
    (GENERATED[0], GOLD[0]),  # no mechanism axis
    (GENERATED, GOLD.T),  # (B, M) instead of (M, B)
    (GENERATED, GOLD.float()),  # float levels
    (GENERATED.long(), GOLD),  # integer "logits"
])
def test_bad_shapes_and_dtypes_are_refused(generated, gold):
    with pytest.raises(ValueError):
        empathy_level_loss(generated, gold)
