import pytest
import torch
from transformers import BertConfig, BertModel, T5Config, T5EncoderModel

from empathy_suite.errors import ConfigError
from empathy_suite.networks.empathy_identifier import (
    MECHANISMS,
    EmpathyIdentifier,
    EmpathyIdentifiers,
    masked_max_pool,
)

VOCAB, PAD = 40, 0


def tiny_bert(hidden: int = 16, seed: int = 0) -> BertModel:
    torch.manual_seed(seed)
    config = BertConfig(hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                        vocab_size=VOCAB, pad_token_id=PAD, max_position_embeddings=64)
    return BertModel(config)


def identifier(context_dim: int = 16, response_dim: int = 16, seed: int = 0) -> EmpathyIdentifier:
    torch.manual_seed(seed)
    return EmpathyIdentifier(tiny_bert(context_dim, seed), tiny_bert(response_dim, seed + 1)).eval()


def batch(seed: int = 0, b: int = 3, tc: int = 7, tr: int = 5):
    """Random ids with ragged lengths: row i keeps its first len - i tokens."""
    generator = torch.Generator().manual_seed(seed)
    context_ids = torch.randint(1, VOCAB, (b, tc), generator=generator)
    response_ids = torch.randint(1, VOCAB, (b, tr), generator=generator)
    context_mask = (torch.arange(tc) < torch.tensor([tc - i for i in range(b)]).unsqueeze(1)).long()
    response_mask = (torch.arange(tr) < torch.tensor([tr - i for i in range(b)]).unsqueeze(1)).long()
    return context_ids * context_mask, context_mask, response_ids * response_mask, response_mask


def pad_right(ids: torch.Tensor, mask: torch.Tensor, extra: int):
    """Appends ``extra`` pad tokens with mask 0 to every row."""
    return (torch.cat([ids, torch.full((ids.shape[0], extra), PAD)], dim=1),
            torch.cat([mask, torch.zeros(mask.shape[0], extra, dtype=mask.dtype)], dim=1))


def test_output_shape_and_different_encoder_widths():
    for context_dim, response_dim in [(16, 16), (24, 8)]:
        logits = identifier(context_dim, response_dim)(*batch())
        assert logits.shape == (3, 3) and torch.isfinite(logits).all()


def test_t5_encoders_as_in_the_paper():
    config = T5Config(d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1, vocab_size=VOCAB, pad_token_id=PAD)
    model = EmpathyIdentifier(T5EncoderModel(config), T5EncoderModel(config)).eval()
    assert model(*batch()).shape == (3, 3)


def test_padding_in_context_does_not_change_logits():
    model = identifier()
    context_ids, context_mask, response_ids, response_mask = batch()
    expected = model(context_ids, context_mask, response_ids, response_mask)
    # a padded key would take part in the attention if key_padding_mask were ignored
    padded_ids, padded_mask = pad_right(context_ids, context_mask, 4)
    got = model(padded_ids, padded_mask, response_ids, response_mask)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_padding_in_response_does_not_change_logits():
    model = identifier()
    context_ids, context_mask, response_ids, response_mask = batch()
    expected = model(context_ids, context_mask, response_ids, response_mask)
    padded_ids, padded_mask = pad_right(response_ids, response_mask, 4)
    got = model(context_ids, context_mask, padded_ids, padded_mask)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_context_content_matters():
    # guards the two padding tests against a model that ignores the context entirely
    model = identifier()
    context_ids, context_mask, response_ids, response_mask = batch()
    other_context = (context_ids % (VOCAB - 1)) + 1
    assert not torch.allclose(model(context_ids, context_mask, response_ids, response_mask),
                              model(other_context * context_mask, context_mask, response_ids, response_mask))


def test_masked_max_pool_ignores_padding_and_zeroes_empty_rows():
    hidden = torch.tensor([[[1.0, -5.0], [3.0, -2.0], [100.0, 100.0]],
                           [[7.0, 7.0], [8.0, 8.0], [9.0, 9.0]]])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]])
    # row 0: max over the first two positions; row 1 has no real token -> zeros, not -inf
    assert masked_max_pool(hidden, mask).tolist() == [[3.0, -2.0], [0.0, 0.0]]


def test_gradients_reach_every_parameter_of_both_encoders():
    model = identifier(24, 8).train()
    model(*batch()).sum().backward()
    # every parameter gets a gradient (DDP without find_unused_parameters needs that; the
    # BERT poolers are dropped for it), and both encoders actually receive signal
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert missing == []
    for encoder in (model.context_encoder, model.response_encoder):
        assert encoder.pooler is None
        assert encoder.embeddings.word_embeddings.weight.grad.abs().sum() > 0


def test_encoders_are_independent():
    model = identifier()
    assert model.context_encoder is not model.response_encoder
    context_params = {id(p) for p in model.context_encoder.parameters()}
    assert context_params.isdisjoint(id(p) for p in model.response_encoder.parameters())
    shared = tiny_bert()
    with pytest.raises(ConfigError, match="two separate modules"):
        EmpathyIdentifier(shared, shared)
    other = tiny_bert()
    other.embeddings.word_embeddings = shared.embeddings.word_embeddings
    with pytest.raises(ConfigError, match="share 1 parameter"):
        EmpathyIdentifier(shared, other)


def test_identifiers_stack_logits_in_mechanism_order():
    seeds = iter(range(0, 100, 10))
    identifiers = EmpathyIdentifiers.build(lambda: identifier(seed=next(seeds)))
    assert identifiers.mechanisms == MECHANISMS
    inputs = batch()
    stacked = identifiers(*inputs)
    assert stacked.shape == (3, 3, 3)
    by_name = identifiers.logits_by_mechanism(*inputs)
    assert list(by_name) == list(MECHANISMS)
    for m, name in enumerate(MECHANISMS):
        torch.testing.assert_close(stacked[m], identifiers[name](*inputs))
        torch.testing.assert_close(by_name[name], stacked[m])
    # three separately built identifiers, not one module three times
    assert not torch.allclose(stacked[0], stacked[1])
    one = identifier()
    with pytest.raises(ConfigError, match="own identifier instance"):
        EmpathyIdentifiers({"ER": one, "IP": one, "EX": identifier(seed=1)})


def test_single_head_attention_with_residual_connection():
    model = identifier(24, 8)
    assert model.attention.num_heads == 1
    context_ids, context_mask, response_ids, response_mask = batch()
    # silence the attention: with the residual, the response states alone still reach the
    # classifier; without it every row would collapse to the classifier bias
    with torch.no_grad():
        model.attention.out_proj.weight.zero_()
        model.attention.out_proj.bias.zero_()
    response = model.response_encoder(input_ids=response_ids, attention_mask=response_mask).last_hidden_state
    expected = model.classifier(masked_max_pool(response, response_mask))
    got = model(context_ids, context_mask, response_ids, response_mask)
    torch.testing.assert_close(got, expected)
    assert not torch.allclose(got, model.classifier.bias.expand_as(got))
