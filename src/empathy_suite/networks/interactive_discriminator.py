"""EmpGAN's interactive discriminator (Sec. "Two interactive discriminators", eqs 10-15).

One class serves as both discriminators: the semantic one reads word embeddings of the
response, the emotional one emotion-word embeddings.

    response (B, T, E) --LSTM--> h^F_t or h^T_t (B, T, H)                 generated / gold
    feedback (B, Tn, E) --same LSTM--> h^N (B, H): final state (or max-pool)
    x_t = [h_t; h^N] (B, T, 2H), zero at padding; x = x.unsqueeze(1)      eqs 11, 12
    per width w: Conv2d(1, filters, (w, 2H)) -> relu -> max over time     f*_t, F*
    F = [F*_w for w in widths] (B, filters * len(widths))
    h_dlg = W_c [h_dlg_utt; h_dlg_emo; h_dlg_lab] + b_c (B, |F|)          eq 10
    D = W_D relu(F + h_dlg) + b_D (B,)                                     eq 13

D is a WGAN critic: an unbounded score, no sigmoid. ``use_feedback=False`` drops h^N from
x (the EmpWD-next ablation of Table 1).

Soft inputs. A sampled token id has no gradient, so the generator reaches the critic
through soft tokens: its per-step distribution over the vocabulary times the embedding
matrix, ``soft_embed(softmax(logits), embedding)``, an expected embedding (B, T, E). A gold
response may use ``embedding(ids)``, which is the same thing for one-hot probabilities. For
the emotional discriminator the generator's probabilities over the generic vocabulary are
first restricted to the emotion words, e.g. ``probs[..., emotion_to_generic_ids]``
(B, T, V_emo), before ``soft_embed`` with the emotion-word embedding.

Concatenating h^F and h^N (eqs 11/12). The paper writes [h^F; h^N] but the two sequences
have different lengths, so h^N is reduced to one vector per row, the feedback LSTM's
final state by default (``feedback_pooling="max"``: a max over its real time steps), and
broadcast to every response time step. The convolution then sees, at each response
position, that position's state next to a summary of the user's reply.

Padding. Sequences must be right-padded (mask a prefix of ones). The LSTM runs packed, so
neither the amount nor the content of padding changes any score; padded rows of x are
zero and a convolution window counts only if it lies inside the real tokens. A response
shorter than the widest kernel still gets one window (position 0, zeros after its end),
as a Kim-style CNN over a zero-padded sentence would; an empty response (or feedback)
encodes to zeros.

Gradient penalty (eq 14) lives on x, the pre-convolution map, as the paper writes
x' = a x^FN + (1 - a) x^TN: ``encode`` returns x and its mask, ``score_features`` scores
such a map. Generated and gold maps have different lengths T, so ``align_for_interpolation``
pads both with zero rows to the longer one and gives the interpolate the union of the two
masks (an interpolate is "real" wherever either endpoint is). Penalising on x keeps the
LSTM out of the double backward (the conv/linear part is all that gets second derivatives)
and the LSTM's tanh outputs are bounded anyway, so the critic stays bounded. With both maps
from ``encode``:

    x_f, m_f = disc.encode(fake_embeds, fake_mask, fb, fb_mask)
    x_t, m_t = disc.encode(gold_embeds, gold_mask, fb, fb_mask)
    xf, xt, m = align_for_interpolation(x_f, m_f, x_t, m_t)
    gp = gradient_penalty(lambda x: disc.score_features(x, m, h_dlg), real=xt, fake=xf)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from empathy_suite.errors import ConfigError

FEEDBACK_POOLINGS = ("final", "max")


def soft_embed(probs: Tensor, embedding: nn.Embedding) -> Tensor:
    """Expected embedding of soft tokens: probs (B, T, V) @ weight (V, E) -> (B, T, E).

    Differentiable in ``probs``, so a critic reading this passes gradients to the generator's
    logits; for one-hot ``probs`` it equals ``embedding(ids)``.
    """
    if probs.ndim != 3 or probs.shape[-1] != embedding.num_embeddings:
        raise ValueError(
            f"soft_embed: expected probs (B, T, {embedding.num_embeddings}), got {tuple(probs.shape)}"
        )
    return probs.to(embedding.weight.dtype) @ embedding.weight


def check_right_padded(name: str, mask: Tensor, length: int) -> Tensor:
    """(B,) lengths of a right-padded mask (B, length); ValueError otherwise."""
    if mask.ndim != 2 or mask.shape[1] != length:
        raise ValueError(f"InteractiveDiscriminator: {name} must be (B, {length}), got {tuple(mask.shape)}")
    mask = mask.bool()
    lengths = mask.sum(1)
    prefix = torch.arange(length, device=mask.device).unsqueeze(0) < lengths.unsqueeze(1)
    if not torch.equal(prefix, mask):
        # a left-padded row would feed padding into the LSTM before the real tokens
        raise ValueError(f"InteractiveDiscriminator: {name} must be right-padded (ones, then zeros)")
    return lengths


def run_lstm(lstm: nn.LSTM, embeds: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Packed LSTM over right-padded rows. embeds (B, T, E), lengths (B,) -> states (B, T, H), final (B, H).

    Padding positions and rows of length 0 get zero states.
    """
    batch, steps, _ = embeds.shape
    states = embeds.new_zeros(batch, steps, lstm.hidden_size)
    final = embeds.new_zeros(batch, lstm.hidden_size)
    rows = lengths.nonzero().squeeze(1)
    if rows.numel():
        # pack_padded_sequence rejects length 0, so empty rows are left out and stay zero
        packed = nn.utils.rnn.pack_padded_sequence(
            embeds[rows], lengths[rows].cpu(), batch_first=True, enforce_sorted=False
        )
        out, (hidden, _) = lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)
        states = states.index_copy(0, rows, out)
        final = final.index_copy(0, rows, hidden[-1])
    return states, final


def masked_max_over_time(states: Tensor, mask: Tensor) -> Tensor:
    """Max over the real time steps: states (B, T, H), mask (B, T) -> (B, H); 0 for an empty row."""
    mask = mask.bool().unsqueeze(-1)
    pooled = states.masked_fill(~mask, float("-inf")).amax(dim=1)
    return torch.where(mask.any(dim=1), pooled, torch.zeros_like(pooled))


def pad_time(x: Tensor, mask: Tensor, length: int) -> tuple[Tensor, Tensor]:
    """Zero-pad a feature map x (B, 1, T, F) and its mask (B, T) to ``length`` >= T time steps."""
    extra = length - x.shape[2]
    if extra < 0:
        raise ValueError(f"pad_time: cannot pad length {x.shape[2]} down to {length}")
    return F.pad(x, (0, 0, 0, extra)), F.pad(mask.bool(), (0, extra))


def align_for_interpolation(
    x_fake: Tensor, mask_fake: Tensor, x_real: Tensor, mask_real: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Generated and gold maps on one time axis, for x' = a x^FN + (1 - a) x^TN (eq 14).

    x_fake (B, 1, Tf, F), mask_fake (B, Tf), x_real (B, 1, Tt, F), mask_real (B, Tt) ->
    x_fake, x_real (B, 1, T, F) zero-padded to T = max(Tf, Tt), and the interpolate's mask
    (B, T) = mask_fake | mask_real: padded rows are zero in each map, so a position real in
    only one endpoint holds that endpoint's row scaled by its weight.
    """
    if x_fake.ndim != 4 or x_real.ndim != 4 or x_fake.shape[0] != x_real.shape[0] or x_fake.shape[3] != x_real.shape[3]:
        raise ValueError(
            f"align_for_interpolation: expected maps (B, 1, T, F) with equal B and F, "
            f"got {tuple(x_fake.shape)} and {tuple(x_real.shape)}"
        )
    length = max(x_fake.shape[2], x_real.shape[2])
    x_fake, mask_fake = pad_time(x_fake, mask_fake, length)
    x_real, mask_real = pad_time(x_real, mask_real, length)
    return x_fake, x_real, mask_fake | mask_real


class InteractiveDiscriminator(nn.Module):
    """Critic D(response | feedback, dialogue state) -> (B,) unbounded scores; see the module docstring.

    embed_dim: E of the (soft) token embeddings fed in; hidden_size: LSTM H (paper: 400);
    context_dim: size of [h_dlg_utt; h_dlg_emo; h_dlg_lab] (the generator's ``summary``);
    num_filters: filters per kernel width (not given in the paper); kernel_widths: time
    extents of the 2-D kernels, each spanning the whole feature axis.
    """

    def __init__(
        self,
        embed_dim: int,
        hidden_size: int,
        context_dim: int,
        num_filters: int = 64,
        kernel_widths: Sequence[int] = (1, 2, 3),
        use_feedback: bool = True,
        feedback_pooling: str = "final",
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in kernel_widths)
        if not widths or min(widths) < 1:
            raise ConfigError(f"kernel_widths must be positive integers, got {kernel_widths!r}")
        if num_filters < 1 or hidden_size < 1 or embed_dim < 1 or context_dim < 1:
            raise ConfigError("embed_dim, hidden_size, context_dim and num_filters must be >= 1")
        if feedback_pooling not in FEEDBACK_POOLINGS:
            raise ConfigError(f"feedback_pooling must be one of {FEEDBACK_POOLINGS}, got {feedback_pooling!r}")
        self.kernel_widths = widths
        self.use_feedback = use_feedback
        self.feedback_pooling = feedback_pooling
        # one LSTM for response and feedback: both are utterances in the same embedding space
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.feature_dim = 2 * hidden_size if use_feedback else hidden_size
        self.convs = nn.ModuleList(nn.Conv2d(1, num_filters, (w, self.feature_dim)) for w in widths)
        self.output_dim = num_filters * len(widths)
        self.context_proj = nn.Linear(context_dim, self.output_dim)  # W_c, b_c (eq 10)
        self.score = nn.Linear(self.output_dim, 1)  # W_D, b_D (eq 13)

    def encode(
        self,
        response_embeds: Tensor,
        response_mask: Tensor,
        feedback_embeds: Tensor | None = None,
        feedback_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Eqs 11/12: the pre-convolution map x (B, 1, T, F) and its bool mask (B, T).

        response_embeds (B, T, E), response_mask (B, T); feedback_embeds (B, Tn, E) and
        feedback_mask (B, Tn), required when ``use_feedback`` and ignored otherwise.
        F = 2H with feedback, H without. Rows of x at padded positions are zero.
        """
        if response_embeds.ndim != 3:
            shape = tuple(response_embeds.shape)
            raise ValueError(f"InteractiveDiscriminator: response_embeds must be (B, T, E), got {shape}")
        lengths = check_right_padded("response_mask", response_mask, response_embeds.shape[1])
        states, _ = run_lstm(self.lstm, response_embeds, lengths)
        if self.use_feedback:
            if feedback_embeds is None or feedback_mask is None:
                raise ValueError("InteractiveDiscriminator: use_feedback=True needs feedback_embeds and feedback_mask")
            if feedback_embeds.ndim != 3 or feedback_embeds.shape[0] != response_embeds.shape[0]:
                raise ValueError(
                    f"InteractiveDiscriminator: feedback_embeds must be ({response_embeds.shape[0]}, Tn, E), "
                    f"got {tuple(feedback_embeds.shape)}"
                )
            fb_lengths = check_right_padded("feedback_mask", feedback_mask, feedback_embeds.shape[1])
            fb_states, fb_final = run_lstm(self.lstm, feedback_embeds, fb_lengths)
            summary = fb_final if self.feedback_pooling == "final" else masked_max_over_time(fb_states, feedback_mask)
            states = torch.cat([states, summary.unsqueeze(1).expand(-1, states.shape[1], -1)], dim=-1)
        mask = response_mask.bool()
        # zero rows at padding, so a map padded later (align_for_interpolation) looks the same
        states = states * mask.unsqueeze(-1).to(states.dtype)
        return states.unsqueeze(1), mask

    def pooled_features(self, x: Tensor, mask: Tensor) -> Tensor:
        """Conv -> relu -> max over valid windows: x (B, 1, T, F), mask (B, T) -> F* (B, filters * widths)."""
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[3] != self.feature_dim:
            raise ValueError(
                f"InteractiveDiscriminator: expected a map (B, 1, T, {self.feature_dim}), got {tuple(x.shape)}"
            )
        lengths = check_right_padded("mask", mask, x.shape[2])
        widest = max(self.kernel_widths)
        if x.shape[2] < widest:
            x = F.pad(x, (0, 0, 0, widest - x.shape[2]))
        pooled = []
        for width, conv in zip(self.kernel_widths, self.convs):
            features = torch.relu(conv(x)).squeeze(3)  # (B, filters, T - w + 1)
            starts = torch.arange(features.shape[2], device=x.device)
            # a window must end inside the real tokens; window 0 always counts so that a
            # response shorter than w (or empty) still has a feature
            last_start = (lengths - width).clamp_min(0)
            valid = starts.unsqueeze(0) <= last_start.unsqueeze(1)
            features = features.masked_fill(~valid.unsqueeze(1), float("-inf"))
            pooled.append(features.amax(dim=2))
        return torch.cat(pooled, dim=1)

    def score_features(self, x: Tensor, mask: Tensor, h_dlg_parts: Tensor | Sequence[Tensor]) -> Tensor:
        """Eqs 10, 13 on a map from ``encode`` (or an interpolate of two): -> D (B,).

        h_dlg_parts: (B, context_dim), the concatenation [h_dlg_utt; h_dlg_emo; h_dlg_lab],
        or the parts as a sequence of (B, *) tensors to concatenate here.
        """
        if not isinstance(h_dlg_parts, Tensor):
            h_dlg_parts = torch.cat(list(h_dlg_parts), dim=-1)
        if h_dlg_parts.ndim != 2 or h_dlg_parts.shape != (x.shape[0], self.context_proj.in_features):
            raise ValueError(
                f"InteractiveDiscriminator: h_dlg_parts must be ({x.shape[0]}, {self.context_proj.in_features}), "
                f"got {tuple(h_dlg_parts.shape)}"
            )
        pooled = self.pooled_features(x, mask)
        h_dlg = self.context_proj(h_dlg_parts)
        return self.score(torch.relu(pooled + h_dlg)).squeeze(-1)

    def forward(
        self,
        response_embeds: Tensor,
        response_mask: Tensor,
        feedback_embeds: Tensor | None,
        feedback_mask: Tensor | None,
        h_dlg_parts: Tensor | Sequence[Tensor],
    ) -> Tensor:
        """D (B,) of responses (B, T, E) given feedback (B, Tn, E) and the dialogue state (B, context_dim)."""
        x, mask = self.encode(response_embeds, response_mask, feedback_embeds, feedback_mask)
        return self.score_features(x, mask, h_dlg_parts)
