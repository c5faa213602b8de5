"""Emp-F1 (Ma et al., EmpRL, Sec. IV): does a generated response show the target's empathy level?

For each mechanism (ER, IP, EX) the empathy identifiers' level on <context, target response>
is the gold label and their level on <context, generated response> the prediction. Emp-F1
is the mean over mechanisms of the weighted F1 of those labels.

Weighted F1 of one mechanism equals ``sklearn.metrics.f1_score(gold, pred, average="weighted")``:
per-class F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (#gold + #pred of that class), averaged with
the class's gold count (support) as weight. A class that only occurs among the predictions
has support 0, so weight 0 (sklearn's zero_division then has no effect on the average); a
class absent from both gold and predictions is not a class at all. Hence
``weighted F1 = sum_c #gold_c * F1_c / N``.

Reported on a 0-100 scale, like ``BLEUScores`` and the paper's Table II (66.40 for EmpRL).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric

from empathy_suite.networks.empathy_identifier import MECHANISMS, NUM_LEVELS


def weighted_f1(confusion: Tensor) -> Tensor:
    """Support-weighted F1 in [0, 1] from a confusion matrix (..., C, C), rows gold, columns predicted.

    Returns (...). NaN for an empty matrix: there is no F1 of nothing (sklearn raises).
    """
    confusion = confusion.double()
    true_positives = confusion.diagonal(dim1=-2, dim2=-1)
    support, predicted = confusion.sum(-1), confusion.sum(-2)
    # classes absent from gold and predictions have 0/0 here; their support, hence weight, is 0
    f1 = torch.where(support + predicted > 0, 2 * true_positives / (support + predicted).clamp_min(1), 0.0)
    return (f1 * support).sum(-1) / support.sum(-1)


class EmpF1(Metric):
    """``{"<mechanism>_f1" for each mechanism, "emp_f1"}`` on a 0-100 scale; see the module docstring.

    ``update(pred_levels, gold_levels)``: both (B, M) integer levels in [0, num_levels), column
    m the mechanism ``mechanisms[m]``. Identifier logits stacked as (M, B, C) become such
    levels with ``logits.argmax(-1).T``.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, mechanisms: Sequence[str] = MECHANISMS, num_levels: int = NUM_LEVELS, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(mechanisms, str) or not mechanisms or len(set(mechanisms)) != len(mechanisms):
            raise ValueError(f"EmpF1: mechanisms must be distinct names, got {mechanisms!r}")
        if num_levels < 2:
            raise ValueError(f"EmpF1: num_levels must be >= 2, got {num_levels}")
        self.mechanisms = tuple(mechanisms)
        self.num_levels = num_levels
        # (M, C, C) int64 counts, [m, gold, pred]: exact, and summing is all DDP has to do
        shape = (len(self.mechanisms), num_levels, num_levels)
        self.add_state("confusion", default=torch.zeros(shape, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, pred_levels: Tensor, gold_levels: Tensor) -> None:
        num_mechanisms, levels = len(self.mechanisms), self.num_levels
        if pred_levels.shape != gold_levels.shape or pred_levels.ndim != 2 or pred_levels.shape[1] != num_mechanisms:
            shapes = f"{tuple(pred_levels.shape)} and {tuple(gold_levels.shape)}"
            raise ValueError(f"EmpF1.update: expected pred and gold levels both (B, {num_mechanisms}), got {shapes}")
        if pred_levels.is_floating_point() or gold_levels.is_floating_point():
            raise ValueError("EmpF1.update: expected integer levels (argmax of the logits), got floats")
        pred, gold = pred_levels.long(), gold_levels.long()
        if ((pred < 0) | (pred >= levels) | (gold < 0) | (gold >= levels)).any():
            raise ValueError(f"EmpF1.update: levels must lie in [0, {levels})")
        # one bincount for all mechanisms: cell (m, gold, pred) has flat index m*C*C + gold*C + pred
        mechanism = torch.arange(num_mechanisms, device=pred.device)
        flat = (mechanism * levels * levels + gold * levels + pred).reshape(-1)
        counts = torch.bincount(flat, minlength=num_mechanisms * levels * levels)
        self.confusion += counts.reshape(self.confusion.shape).to(self.confusion)

    def compute(self) -> dict[str, Tensor]:
        if int(self.confusion[0].sum()) == 0:
            raise ValueError("EmpF1: no example was passed to update")
        scores = weighted_f1(self.confusion) * 100
        result = {f"{name}_f1": scores[m].float() for m, name in enumerate(self.mechanisms)}
        result["emp_f1"] = scores.mean().float()
        return result
