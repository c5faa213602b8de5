"""KL coefficient (beta) controllers: fixed, or adaptive as in Ziegler et al. 2019."""

from __future__ import annotations

from typing import Any

from torch import Tensor


class FixedKLController:
    """A constant KL coefficient; ``update`` does nothing."""

    def __init__(self, kl_coef: float) -> None:
        if kl_coef < 0:
            raise ValueError(f"FixedKLController: kl_coef must be >= 0, got {kl_coef}")
        self.value = float(kl_coef)

    def update(self, current_kl: float | Tensor, n_steps: int) -> None:
        """Accepted for interface parity with ``AdaptiveKLController``; ignored."""

    def state_dict(self) -> dict[str, Any]:
        return {"value": self.value}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.value = float(state["value"])


class AdaptiveKLController:
    """Moves beta so that the observed KL approaches ``target`` (Ziegler et al. 2019).

    ``update(current_kl, n_steps)``: error = clip(current_kl / target - 1, -0.2, 0.2) and
    ``value *= 1 + error * n_steps / horizon``. ``current_kl`` is whatever KL the target is
    stated in; the legacy TRL passes the batch mean of the per-sequence summed KL and
    ``n_steps`` = the number of sequences (batch size) in that batch.
    """

    def __init__(self, init_kl_coef: float, target: float, horizon: float) -> None:
        if init_kl_coef < 0:
            raise ValueError(f"AdaptiveKLController: init_kl_coef must be >= 0, got {init_kl_coef}")
        if target <= 0 or horizon <= 0:
            raise ValueError(
                f"AdaptiveKLController: target and horizon must be > 0, got target={target}, horizon={horizon}"
            )
        self.value = float(init_kl_coef)
        self.target = float(target)
        self.horizon = float(horizon)

    def update(self, current_kl: float | Tensor, n_steps: int) -> None:
        """Scale ``value`` by the clipped proportional error; see the class docstring."""
        error = min(max(float(current_kl) / self.target - 1.0, -0.2), 0.2)
        self.value *= 1.0 + error * n_steps / self.horizon

    def state_dict(self) -> dict[str, Any]:
        # target and horizon come from the config; only the evolving coefficient is state
        return {"value": self.value}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.value = float(state["value"])
