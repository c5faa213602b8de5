import pytest
import torch

from empathy_suite.rl import AdaptiveKLController, FixedKLController


def test_fixed_controller_never_moves_and_round_trips():
    controller = FixedKLController(0.05)
    controller.update(100.0, 256)
    assert controller.value == 0.05
    restored = FixedKLController(1.0)
    restored.load_state_dict(controller.state_dict())
    assert restored.value == 0.05


def test_adaptive_controller_over_several_updates_by_hand():
    # init 0.2, target 6, horizon 10000
    controller = AdaptiveKLController(0.2, target=6.0, horizon=10000)
    # KL 9 too high: error = 9/6 - 1 = 0.5 -> clipped 0.2 ; mult = 1 + 0.2*256/10000 = 1.00512
    #   value = 0.2 * 1.00512 = 0.201024
    controller.update(9.0, 256)
    assert controller.value == pytest.approx(0.201024)
    # KL on target: error 0, unchanged
    controller.update(torch.tensor(6.0), 256)
    assert controller.value == pytest.approx(0.201024)
    # KL 3 too low: error = -0.5 -> clipped -0.2 ; mult = 1 - 0.2*1000/10000 = 0.98
    #   value = 0.201024 * 0.98 = 0.19700352
    controller.update(3.0, 1000)
    assert controller.value == pytest.approx(0.19700352)
    # KL 6.6: error = 0.1 (inside the clip) ; mult = 1 + 0.1*10000/10000 = 1.1
    #   value = 0.19700352 * 1.1 = 0.216703872
    controller.update(6.6, 10000)
    assert controller.value == pytest.approx(0.216703872)


def test_adaptive_controller_state_round_trip():
    controller = AdaptiveKLController(0.2, target=6.0, horizon=10000)
    controller.update(9.0, 256)
    restored = AdaptiveKLController(0.2, target=6.0, horizon=10000)
    restored.load_state_dict(controller.state_dict())
    assert restored.value == controller.value
    # both then evolve identically: 0.201024 * 1.00512 = 0.20205324...
    controller.update(9.0, 256)
    restored.update(9.0, 256)
    assert restored.value == controller.value == pytest.approx(0.201024 * 1.00512)


def test_invalid_settings_raise():
    with pytest.raises(ValueError, match="target and horizon must be > 0"):
        AdaptiveKLController(0.2, target=0.0, horizon=10000)
    with pytest.raises(ValueError, match="kl_coef must be >= 0"):
        FixedKLController(-0.1)
