"""Shape checks shared by the RL functions, so every error names the offending tensors."""

from __future__ import annotations

from torch import Tensor


def check_same_shape(where: str, **tensors: Tensor) -> None:
    """Raise ValueError unless every keyword tensor has the same shape as the first one."""
    items = list(tensors.items())
    first_name, first = items[0]
    for name, tensor in items[1:]:
        if tensor.shape != first.shape:
            raise ValueError(
                f"{where}: {name} has shape {tuple(tensor.shape)} but {first_name} has {tuple(first.shape)}"
            )


def check_2d(where: str, name: str, tensor: Tensor) -> None:
    """Raise ValueError unless ``tensor`` is (B, T)."""
    if tensor.ndim != 2:
        raise ValueError(f"{where}: {name} must be (B, T), got shape {tuple(tensor.shape)}")
