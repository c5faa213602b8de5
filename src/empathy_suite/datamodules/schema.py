"""The dialogue example schema shared by every DataModule and consumed by every model."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DialogueExample:
    """One response to predict given the utterances before it.

    ``context`` holds the previous utterances, oldest first; ``response`` is the gold reply.
    The optional fields carry what some papers condition on or evaluate with; a model must
    not read a field its paper forbids it (e.g. the ED baselines never see ``emotion``).
    """

    context: tuple[str, ...]
    response: str
    dialogue_id: str = ""
    turn: int = 0
    context_speakers: tuple[str, ...] = ()
    response_speaker: str = ""
    emotion: str | None = None  # dialogue-level emotion label
    situation: str | None = None  # the grounding situation written before the dialogue
    turn_emotions: tuple[str, ...] = ()  # per-utterance labels of context + response
    strategies: tuple[str, ...] = ()  # per-utterance strategy labels
    feedback: str | None = None  # the utterance that follows the response
    extra: dict = field(default_factory=dict, compare=False)
