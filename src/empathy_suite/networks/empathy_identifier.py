"""EmpRL's empathy identifier (Ma et al., Sec. III-D, Fig. 3) and the three-mechanism bundle.

One identifier predicts the empathy level (0 no, 1 weak, 2 strong communication) of a
response in its context for one communication mechanism of Sharma et al. (2020):
emotional reaction (ER), interpretation (IP) or exploration (EX).

    context  -> context encoder  -> C (B, Tc, Dc) -+
                                                   | keys / values
    response -> response encoder -> R (B, Tr, Dr) -+-> single-head attention -> A (B, Tr, Dr)
    H = R + A (residual) -> max-pool over real response tokens (B, Dr) -> dropout -> linear -> (B, 3)

The encoders are passed in already built, so this module has no Hugging Face loading logic;
any encoder whose output has ``last_hidden_state`` and whose ``config.hidden_size`` is set
works (``T5EncoderModel`` as in the paper, ``BertModel``/MiniLM, small random models).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from empathy_suite.errors import ConfigError

# Sharma et al.'s mechanisms, in the order every (M, ...) tensor of the suite uses
MECHANISMS = ("ER", "IP", "EX")
# no / weak / strong communication of empathy
NUM_LEVELS = 3


def hidden_size(encoder: nn.Module) -> int:
    """The width of ``encoder``'s ``last_hidden_state`` (T5 configs map hidden_size to d_model)."""
    size = getattr(getattr(encoder, "config", None), "hidden_size", None)
    if not isinstance(size, int):
        raise ConfigError(f"EmpathyIdentifier: cannot read config.hidden_size of {type(encoder).__name__}")
    return size


def masked_max_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the unpadded positions. hidden (B, T, D), mask (B, T) -> (B, D).

    A row without any real token pools to zeros rather than -inf: an empty generated
    response must give a finite reward, not NaN.
    """
    real = mask.bool()
    pooled = hidden.masked_fill(~real.unsqueeze(-1), float("-inf")).max(dim=1).values
    return torch.where(real.any(dim=1, keepdim=True), pooled, torch.zeros_like(pooled))


class EmpathyIdentifier(nn.Module):
    """Empathy-level logits of a response in its context, for one mechanism; see the module docstring.

    ``context_encoder`` and ``response_encoder`` must be two independent modules (the paper
    uses two separately pre-trained T5 encoders); sharing one, or any parameter, is refused.
    When their widths differ, the attention's key/value projections map the context width
    ``Dc`` to the response width ``Dr``, so no separate projection layer is needed.
    A BERT-style ``pooler`` on an encoder is removed (set to None) in place.
    ``dropout`` (before the classifier) is not given by the paper.
    """

    def __init__(self, context_encoder: nn.Module, response_encoder: nn.Module, num_levels: int = NUM_LEVELS,
                 dropout: float = 0.1):
        super().__init__()
        if context_encoder is response_encoder:
            raise ConfigError("EmpathyIdentifier: the context and response encoders must be two separate modules")
        shared = {id(p) for p in context_encoder.parameters()} & {id(p) for p in response_encoder.parameters()}
        if shared:
            raise ConfigError(f"EmpathyIdentifier: the two encoders share {len(shared)} parameter tensor(s)")
        context_dim, response_dim = hidden_size(context_encoder), hidden_size(response_encoder)
        for encoder in (context_encoder, response_encoder):
            if getattr(encoder, "pooler", None) is not None:
                # BERT-style poolers are unused here; left in, DDP would fail on their missing grads
                encoder.pooler = None
        self.context_encoder = context_encoder
        self.response_encoder = response_encoder
        self.attention = nn.MultiheadAttention(response_dim, num_heads=1, batch_first=True,
                                               kdim=context_dim, vdim=context_dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(response_dim, num_levels)

    def forward(self, context_ids: torch.Tensor, context_mask: torch.Tensor, response_ids: torch.Tensor,
                response_mask: torch.Tensor) -> torch.Tensor:
        """context_ids, context_mask (B, Tc); response_ids, response_mask (B, Tr) -> logits (B, num_levels).

        Masks are 1 on real tokens, 0 on padding. Every context needs at least one real
        token: attention over keys that are all masked is undefined (NaN).
        """
        context = self.context_encoder(input_ids=context_ids, attention_mask=context_mask).last_hidden_state
        response = self.response_encoder(input_ids=response_ids, attention_mask=response_mask).last_hidden_state
        # key_padding_mask is True where a key must be ignored
        attended, _ = self.attention(response, context, context, key_padding_mask=~context_mask.bool(),
                                     need_weights=False)
        pooled = masked_max_pool(response + attended, response_mask)
        return self.classifier(self.dropout(pooled))


class EmpathyIdentifiers(nn.ModuleDict):
    """One ``EmpathyIdentifier`` per mechanism, keyed by mechanism name.

    ``forward`` stacks the identifiers' logits in the mapping's key order into
    (M, B, num_levels), the layout ``empathy_suite.rewards`` expects; ``EmpF1`` takes the
    argmax levels transposed to (B, M). Keep the keys in ``MECHANISMS`` order so the
    M axis means the same everywhere (``build`` does).
    """

    def __init__(self, identifiers: Mapping[str, EmpathyIdentifier]):
        if not identifiers:
            raise ConfigError("EmpathyIdentifiers: needs at least one identifier")
        if len({id(identifier) for identifier in identifiers.values()}) != len(identifiers):
            # ModuleDict would register the one module once: its mechanisms could not differ
            raise ConfigError("EmpathyIdentifiers: each mechanism needs its own identifier instance")
        super().__init__(identifiers)

    @classmethod
    def build(cls, make_identifier: Callable[[], EmpathyIdentifier],
              mechanisms: Sequence[str] = MECHANISMS) -> EmpathyIdentifiers:
        """One identifier per mechanism, each from its own ``make_identifier()`` call.

        A factory rather than an instance: the paper trains a separate identifier (with its
        own encoders) per mechanism, and one instance under three names would tie them.
        """
        return cls({name: make_identifier() for name in mechanisms})

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return tuple(self.keys())

    def logits_by_mechanism(self, context_ids: torch.Tensor, context_mask: torch.Tensor, response_ids: torch.Tensor,
                            response_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Same inputs as ``EmpathyIdentifier.forward`` -> {mechanism: logits (B, num_levels)}."""
        return {name: identifier(context_ids, context_mask, response_ids, response_mask)
                for name, identifier in self.items()}

    def forward(self, context_ids: torch.Tensor, context_mask: torch.Tensor, response_ids: torch.Tensor,
                response_mask: torch.Tensor) -> torch.Tensor:
        """Same inputs as ``EmpathyIdentifier.forward`` -> logits (M, B, num_levels), M in key order."""
        return torch.stack(list(self.logits_by_mechanism(context_ids, context_mask, response_ids,
                                                         response_mask).values()))
