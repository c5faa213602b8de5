import warnings

import pytest
import torch

from empathy_suite.metrics.emp_f1 import EmpF1, weighted_f1

# columns ER, IP, EX; six examples
GOLD = torch.tensor([[0, 0, 1], [0, 0, 1], [1, 0, 2], [2, 0, 2], [2, 0, 0], [2, 0, 0]])
PRED = torch.tensor([[0, 0, 1], [1, 0, 1], [1, 0, 1], [2, 2, 1], [2, 2, 0], [0, 2, 0]])


def emp_f1(pred, gold, **kwargs) -> dict[str, float]:
    metric = EmpF1(**kwargs)
    metric.update(pred, gold)
    return {name: value.item() for name, value in metric.compute().items()}


def test_by_hand():
    # per-class F1 = 2 TP / (#gold + #pred); weighted F1 = sum_c #gold_c * F1_c / 6
    # ER gold 0 0 1 2 2 2, pred 0 1 1 2 2 0
    #   class 0: TP 1, gold 2, pred 2 -> 2/4 = 1/2
    #   class 1: TP 1, gold 1, pred 2 -> 2/3
    #   class 2: TP 2, gold 3, pred 2 -> 4/5
    #   (2 * 1/2 + 1 * 2/3 + 3 * 4/5) / 6 = (1 + 2/3 + 12/5) / 6 = 61/90 = 67.78 %
    # IP gold 0 0 0 0 0 0, pred 0 0 0 2 2 2
    #   class 0: TP 3, gold 6, pred 3 -> 6/9 = 2/3; class 2 only predicted: support 0, weight 0
    #   (6 * 2/3) / 6 = 2/3 = 66.67 %
    # EX gold 1 1 2 2 0 0, pred 1 1 1 1 0 0
    #   class 0: TP 2, gold 2, pred 2 -> 1
    #   class 1: TP 2, gold 2, pred 4 -> 4/6 = 2/3
    #   class 2: never predicted: TP 0, gold 2, pred 0 -> 0
    #   (2 * 1 + 2 * 2/3 + 2 * 0) / 6 = 5/9 = 55.56 %
    # Emp-F1 = (61/90 + 60/90 + 50/90) / 3 = 171/270 = 63.33 %
    scores = emp_f1(PRED, GOLD)
    assert scores == pytest.approx({"ER_f1": 6100 / 90, "IP_f1": 200 / 3, "EX_f1": 500 / 9, "emp_f1": 17100 / 270})


@pytest.mark.parametrize("zero_division", ["warn", 0.0, 1.0])
def test_matches_sklearn_weighted_f1(zero_division):
    f1_score = pytest.importorskip("sklearn.metrics").f1_score
    generator = torch.Generator().manual_seed(0)
    gold = torch.randint(0, 3, (50, 3), generator=generator)
    pred = torch.randint(0, 3, (50, 3), generator=generator)
    gold[:, 1] = torch.where(gold[:, 1] == 2, 0, gold[:, 1])  # IP: level 2 only ever predicted
    pred[:, 2] = torch.where(pred[:, 2] == 1, 0, pred[:, 2])  # EX: level 1 never predicted
    cases = [(pred, gold), (PRED, GOLD), (GOLD, GOLD), (torch.ones(4, 3, dtype=torch.long), torch.ones(4, 3).long())]
    for p, g in cases:
        scores = emp_f1(p, g)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's UndefinedMetricWarning under "warn"
            expected = [100 * f1_score(g[:, m], p[:, m], average="weighted", zero_division=zero_division)
                        for m in range(3)]
        assert [scores["ER_f1"], scores["IP_f1"], scores["EX_f1"]] == pytest.approx(expected, abs=1e-4)
        assert scores["emp_f1"] == pytest.approx(sum(expected) / 3, abs=1e-4)


def test_split_updates_and_merged_states_like_ddp_equal_one_update():
    split = EmpF1()
    split.update(PRED[:2], GOLD[:2])
    split.update(PRED[2:], GOLD[2:])
    # merge_state applies the states' dist_reduce_fx (sum), as a DDP sync would
    rank0, rank1 = EmpF1(), EmpF1()
    rank0.update(PRED[:3], GOLD[:3])
    rank1.update(PRED[3:], GOLD[3:])
    rank0.merge_state(rank1)
    whole = emp_f1(PRED, GOLD)
    for metric in (split, rank0):
        assert {k: v.item() for k, v in metric.compute().items()} == pytest.approx(whole)


def test_confusion_counts_are_gold_by_pred_per_mechanism():
    metric = EmpF1()
    metric.update(PRED, GOLD)
    # ER (gold, pred) pairs: (0,0) (0,1) (1,1) (2,2) (2,2) (2,0); row = gold, column = pred
    assert metric.confusion[0].tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert metric.confusion.sum().item() == 6 * 3


def test_custom_mechanisms_and_levels():
    gold = torch.tensor([[0], [1], [1], [3]])
    pred = torch.tensor([[0], [1], [3], [3]])
    # class 0: 2/2 = 1; class 1: TP 1, gold 2, pred 1 -> 2/3; class 3: TP 1, gold 1, pred 2 -> 2/3
    # (1 + 2 * 2/3 + 2/3) / 4 = 3/4
    assert emp_f1(pred, gold, mechanisms=("ER",), num_levels=4) == pytest.approx({"ER_f1": 75.0, "emp_f1": 75.0})


def test_weighted_f1_of_an_empty_matrix_is_nan_and_compute_refuses_it():
    assert torch.isnan(weighted_f1(torch.zeros(3, 3, dtype=torch.long)))
    with pytest.raises(ValueError, match="no example"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchmetrics: compute before update
        EmpF1().compute()


@pytest.mark.parametrize("pred, gold", [
    (torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2, dtype=torch.long)),  # M != 3
    (torch.zeros(4, 3, dtype=torch.long), torch.zeros(3, 3, dtype=torch.long)),  # B differs
    (torch.zeros(4, 3), torch.zeros(4, 3)),  # floats, not levels
    (torch.full((4, 3), 3), torch.zeros(4, 3, dtype=torch.long)),  # level out of range
    (torch.zeros(4, 3, dtype=torch.long), torch.full((4, 3), -1)),
])
def test_bad_inputs_are_refused(pred, gold):
    with pytest.raises(ValueError, match="EmpF1.update"):
        EmpF1().update(pred, gold)
