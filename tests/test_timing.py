import time

from empathy_suite.timing import PhaseTimer


def test_phase_timer_adds_up_repeated_phases():
    timer = PhaseTimer()
    for _ in range(2):
        with timer("a"):
            time.sleep(0.01)
    with timer("b"):
        pass
    assert set(timer.seconds) == {"a", "b"}
    assert 0.02 <= timer.seconds["a"] < 0.5 and timer.seconds["b"] < timer.seconds["a"]
