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


def test_recorder_keeps_the_steps_after_warmup():
    from types import SimpleNamespace

    from empathy_suite.callbacks.phase_timings import PhaseTimingsRecorder

    recorder = PhaseTimingsRecorder(warmup=1)
    for step in range(3):
        module = SimpleNamespace(last_timings={"update": float(step)})
        recorder.on_train_batch_end(None, module, None, None, step)
    assert recorder.steps == [{"update": 1.0}, {"update": 2.0}]
