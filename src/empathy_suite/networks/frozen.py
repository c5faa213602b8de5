"""A module held outside its owner's parameters: no gradients, no optimizer, no checkpoint.

The frozen reference policy and the reward/evaluation identifiers must not be trained, saved
with every checkpoint or wrapped by DDP; a plain attribute holding this (not an nn.Module)
keeps Lightning and DDP from seeing them.
"""

from __future__ import annotations

import torch
from torch import nn


class Frozen:
    def __init__(self, module: nn.Module) -> None:
        self.module = module.eval().requires_grad_(False)

    def to(self, device: torch.device | str) -> Frozen:
        self.module.to(device)
        return self

    @torch.no_grad()
    def __call__(self, *args, **kwargs):
        return self.module(*args, **kwargs)
