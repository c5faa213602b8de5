import pytest
import torch
from torch import nn

from empathy_suite.errors import ConfigError
from empathy_suite.gan import gradient_penalty, wgan_critic_loss
from empathy_suite.networks.interactive_discriminator import (
    InteractiveDiscriminator,
    align_for_interpolation,
    soft_embed,
)

E, H, HC, FILTERS = 6, 5, 4, 3


def make_disc(**kwargs) -> InteractiveDiscriminator:
    torch.manual_seed(0)
    return InteractiveDiscriminator(E, H, HC, num_filters=FILTERS, **kwargs).eval()


def right_padded_mask(lengths, total):
    return torch.arange(total).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)


def inputs(lengths=(4, 2, 1), fb_lengths=(3, 5, 2), total=None, fb_total=None, seed=1):
    generator = torch.Generator().manual_seed(seed)
    total = total or max(lengths)
    fb_total = fb_total or max(fb_lengths)
    batch = len(lengths)
    return (
        torch.randn(batch, total, E, generator=generator),
        right_padded_mask(lengths, total),
        torch.randn(batch, fb_total, E, generator=generator),
        right_padded_mask(fb_lengths, fb_total),
        torch.randn(batch, HC, generator=generator),
    )


def test_forward_scores_one_unbounded_value_per_row():
    disc = make_disc()
    scores = disc(*inputs())
    assert scores.shape == (3,)
    assert torch.isfinite(scores).all()
    # features: FILTERS per width, 3 default widths; feature axis holds [h_t; h^N]
    assert disc.output_dim == FILTERS * 3 and disc.feature_dim == 2 * H


@pytest.mark.parametrize("pooling", ["final", "max"])
def test_padding_amount_and_content_do_not_change_scores(pooling):
    disc = make_disc(feedback_pooling=pooling)
    resp, mask, fb, fb_mask, ctx = inputs()
    reference = disc(resp, mask, fb, fb_mask, ctx)
    # three extra padded steps on both sequences, filled with garbage, and garbage in the
    # padding that was already there
    resp_long = torch.cat([resp, torch.full((3, 3, E), 7.0)], dim=1)
    resp_long[~right_padded_mask((4, 2, 1), 7)] = 9.0
    fb_long = torch.cat([fb, torch.full((3, 3, E), -5.0)], dim=1)
    padded = disc(resp_long, right_padded_mask((4, 2, 1), 7), fb_long, right_padded_mask((3, 5, 2), 8), ctx)
    torch.testing.assert_close(padded, reference)


def test_rows_are_scored_independently():
    disc = make_disc()
    resp, mask, fb, fb_mask, ctx = inputs()
    batched = disc(resp, mask, fb, fb_mask, ctx)
    for i in range(3):
        row = slice(i, i + 1)
        torch.testing.assert_close(disc(resp[row], mask[row], fb[row], fb_mask[row], ctx[row]), batched[row])


def test_feedback_changes_the_score_unless_disabled():
    resp, mask, fb, fb_mask, ctx = inputs()
    with_fb = make_disc()
    assert not torch.allclose(with_fb(resp, mask, fb, fb_mask, ctx), with_fb(resp, mask, fb + 1, fb_mask, ctx))
    # EmpWD-next: no feedback columns in the map; feedback may be None and is ignored
    without = make_disc(use_feedback=False)
    assert without.feature_dim == H
    x, _ = without.encode(resp, mask)
    assert x.shape == (3, 1, 4, H)
    torch.testing.assert_close(without(resp, mask, None, None, ctx), without(resp, mask, fb + 1, fb_mask, ctx))
    with pytest.raises(ValueError, match="needs feedback"):
        with_fb(resp, mask, None, None, ctx)


def test_encode_then_score_features_equals_forward_and_map_is_zero_at_padding():
    disc = make_disc()
    resp, mask, fb, fb_mask, ctx = inputs()
    x, x_mask = disc.encode(resp, mask, fb, fb_mask)
    assert x.shape == (3, 1, 4, 2 * H) and x_mask.dtype == torch.bool
    assert (x[~mask.unsqueeze(1).expand(-1, 1, -1)] == 0).all()
    # the feedback half of each real row is the same broadcast vector
    torch.testing.assert_close(x[0, 0, 0, H:], x[0, 0, 3, H:])
    torch.testing.assert_close(disc.score_features(x, x_mask, ctx), disc(resp, mask, fb, fb_mask, ctx))
    # the dialogue state may also come as its parts [h_utt; h_emo; h_lab]
    parts = (ctx[:, :1], ctx[:, 1:3], ctx[:, 3:])
    torch.testing.assert_close(disc.score_features(x, x_mask, parts), disc.score_features(x, x_mask, ctx))


def test_short_and_empty_sequences_get_finite_scores():
    disc = make_disc(kernel_widths=(1, 4))
    # a response of 1 token (shorter than width 4), an empty one, and an empty feedback
    resp, mask, fb, fb_mask, ctx = inputs(lengths=(1, 0), fb_lengths=(0, 2), total=1)
    scores = disc(resp, mask, fb, fb_mask, ctx)
    assert scores.shape == (2,) and torch.isfinite(scores).all()


def test_gradients_reach_generator_logits_through_soft_embeddings():
    torch.manual_seed(0)
    embedding = nn.Embedding(11, E)
    disc = make_disc()
    logits = torch.randn(3, 4, 11, requires_grad=True)
    _, mask, fb, fb_mask, ctx = inputs()
    scores = disc(soft_embed(torch.softmax(logits, -1), embedding), mask, fb, fb_mask, ctx)
    scores.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    # padded steps of the response do not influence the score
    assert (logits.grad[~mask] == 0).all()


def test_soft_embed_of_one_hot_is_the_embedding_lookup():
    embedding = nn.Embedding(7, E)
    ids = torch.tensor([[1, 6, 0], [3, 3, 2]])
    one_hot = torch.nn.functional.one_hot(ids, 7).float()
    torch.testing.assert_close(soft_embed(one_hot, embedding), embedding(ids))
    with pytest.raises(ValueError, match="expected probs"):
        soft_embed(one_hot[..., :5], embedding)


def test_align_pads_both_maps_and_unions_masks():
    x_fake, x_real = torch.ones(2, 1, 3, 4), 2 * torch.ones(2, 1, 5, 4)
    m_fake = right_padded_mask((3, 1), 3)
    m_real = right_padded_mask((2, 5), 5)
    xf, xr, mask = align_for_interpolation(x_fake, m_fake, x_real, m_real)
    assert xf.shape == xr.shape == (2, 1, 5, 4)
    assert (xf[:, :, 3:] == 0).all() and torch.equal(xr, x_real)
    assert torch.equal(mask, right_padded_mask((3, 5), 5))


def test_gradient_penalty_on_interpolated_maps_trains_the_critic_not_the_lstm():
    disc = make_disc().train()
    resp, mask, fb, fb_mask, ctx = inputs()
    gold, gold_mask = torch.randn(3, 6, E), right_padded_mask((6, 3, 2), 6)
    x_fake, m_fake = disc.encode(resp, mask, fb, fb_mask)
    x_real, m_real = disc.encode(gold, gold_mask, fb, fb_mask)
    loss = wgan_critic_loss(disc.score_features(x_fake, m_fake, ctx), disc.score_features(x_real, m_real, ctx))
    xf, xr, m = align_for_interpolation(x_fake, m_fake, x_real, m_real)
    penalty = gradient_penalty(lambda x: disc.score_features(x, m, ctx), real=xr, fake=xf,
                               alpha=torch.tensor([0.0, 0.5, 1.0]))
    assert penalty.ndim == 0 and torch.isfinite(penalty)
    (penalty_grad,) = torch.autograd.grad(penalty, disc.convs[0].weight, retain_graph=True)
    assert penalty_grad.abs().sum() > 0
    # the endpoints are detached, so the penalty alone gives the LSTM no gradient
    assert torch.autograd.grad(penalty, disc.lstm.weight_ih_l0, allow_unused=True)[0] is None
    (loss + 10 * penalty).backward()
    assert disc.lstm.weight_ih_l0.grad.abs().sum() > 0


def test_invalid_configuration_and_left_padding_raise():
    with pytest.raises(ConfigError, match="kernel_widths"):
        InteractiveDiscriminator(E, H, HC, kernel_widths=())
    with pytest.raises(ConfigError, match="feedback_pooling"):
        InteractiveDiscriminator(E, H, HC, feedback_pooling="mean")
    disc = make_disc()
    resp, mask, fb, fb_mask, ctx = inputs()
    with pytest.raises(ValueError, match="right-padded"):
        disc(resp, mask.flip(1), fb, fb_mask, ctx)
    with pytest.raises(ValueError, match="h_dlg_parts"):
        disc(resp, mask, fb, fb_mask, ctx[:, :2])
