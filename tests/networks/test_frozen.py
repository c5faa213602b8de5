import torch
from torch import nn

from empathy_suite.networks.frozen import Frozen


class Owner(nn.Module):
    def __init__(self):
        super().__init__()
        self.trained = nn.Linear(2, 2)
        self.reference = Frozen(nn.Linear(2, 2).train())


def test_frozen_module_is_invisible_to_its_owner_and_not_trained():
    owner = Owner()
    assert set(owner.state_dict()) == {"trained.weight", "trained.bias"}
    assert len(list(owner.parameters())) == 2
    assert not owner.reference.module.training
    out = owner.reference(torch.ones(1, 2, requires_grad=True))
    assert not out.requires_grad
