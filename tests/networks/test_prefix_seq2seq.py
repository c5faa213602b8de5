import pytest
import torch
from transformers import T5Config, T5ForConditionalGeneration

from empathy_suite.decoding.sample_generate import sample_responses
from empathy_suite.networks.prefix_seq2seq import PrefixSeq2SeqLM

PAD, EOS = 0, 1


def tiny_t5(seed=0):
    torch.manual_seed(seed)
    config = T5Config(vocab_size=40, d_model=32, d_ff=64, d_kv=8, num_layers=2, num_heads=4,
                      decoder_start_token_id=PAD, pad_token_id=PAD, eos_token_id=EOS, dropout_rate=0.0)
    return T5ForConditionalGeneration(config).eval()


@pytest.fixture
def batch():
    ids = torch.randint(2, 40, (3, 7), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[0, 5:] = 0
    return ids, mask


def test_prefix_tuning_trains_only_the_prefixes(batch):
    model = PrefixSeq2SeqLM(tiny_t5(), encoder_prefix_length=4, decoder_prefix_length=3, reparam_hidden=16)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith(("encoder_prefix.", "decoder_prefix.")) for name in trainable)
    labels = torch.randint(2, 40, (3, 5))
    logits, hidden = model(*batch, labels)
    assert logits.shape == (3, 5, 40) and hidden.shape == (3, 5, 32)
    torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten()).backward()
    # the zero-initialised MLP output layer gets gradient, so both prefixes can move
    assert model.encoder_prefix.mlp[-1].weight.grad.abs().sum() > 0
    assert model.decoder_prefix.mlp[-1].weight.grad.abs().sum() > 0


def test_prefixes_start_as_vocabulary_embeddings_and_change_the_output(batch):
    t5 = tiny_t5()
    model = PrefixSeq2SeqLM(t5, encoder_prefix_length=4, decoder_prefix_length=3, reparam_hidden=16)
    rows = model.encoder_prefix(1)[0]
    vocab = t5.get_input_embeddings().weight
    assert all(any(torch.equal(row, v) for v in vocab) for row in rows)
    labels = torch.randint(2, 40, (3, 5))
    plain = t5(input_ids=batch[0], attention_mask=batch[1], labels=labels).logits
    assert not torch.allclose(model(*batch, labels)[0], plain)


def test_without_prefixes_it_is_the_plain_model_and_fully_trainable(batch):
    t5 = tiny_t5()
    model = PrefixSeq2SeqLM(t5, encoder_prefix_length=0, decoder_prefix_length=0, freeze_model=False)
    assert all(p.requires_grad for p in model.parameters())
    labels = torch.randint(2, 40, (3, 5))
    plain = t5(input_ids=batch[0], attention_mask=batch[1], labels=labels).logits
    torch.testing.assert_close(model(*batch, labels)[0], plain)


def test_padding_the_context_does_not_change_the_output(batch):
    model = PrefixSeq2SeqLM(tiny_t5(), encoder_prefix_length=4, decoder_prefix_length=3, reparam_hidden=16)
    ids, mask = batch
    labels = torch.randint(2, 40, (3, 5))
    padded_ids = torch.cat([ids, torch.zeros(3, 2, dtype=ids.dtype)], 1)
    padded_mask = torch.cat([mask, torch.zeros(3, 2, dtype=mask.dtype)], 1)
    torch.testing.assert_close(model(padded_ids, padded_mask, labels)[0], model(ids, mask, labels)[0])


def test_cached_and_uncached_sampling_agree_and_match_teacher_forcing(batch):
    model = PrefixSeq2SeqLM(tiny_t5(), encoder_prefix_length=4, decoder_prefix_length=3, reparam_hidden=16)
    outs = [sample_responses(model, *batch, EOS, PAD, max_new_tokens=6, top_k=5, use_cache=cached,
                             generator=torch.Generator().manual_seed(2)) for cached in (True, False)]
    torch.testing.assert_close(outs[0], outs[1])
    # top_k=1 is greedy: each sampled token is the argmax of the teacher-forced logits
    ids, mask = sample_responses(model, *batch, EOS, PAD, max_new_tokens=6, top_k=1)
    logits, _ = model(*batch, ids)
    assert torch.equal(logits.argmax(-1)[mask.bool()], ids[mask.bool()])


def test_rows_stop_at_eos_and_pad_after_it():
    class AlwaysEos(torch.nn.Module):
        """Fake model: row 0 says EOS at once, row 1 never does."""
        start_token_id = PAD

        def encode(self, ids, mask):
            return None, mask

        def decode(self, encoded, mask, ids, cache=None, use_cache=False):
            logits = torch.full((2, ids.size(1), 5), -1e9)
            logits[0, :, EOS] = 0
            logits[1, :, 3] = 0
            return logits, None, None

    ids, mask = sample_responses(AlwaysEos(), torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3), EOS, PAD,
                                 max_new_tokens=3, use_cache=False)
    assert ids.tolist() == [[EOS, PAD, PAD], [3, 3, 3]]
    assert mask.tolist() == [[1, 0, 0], [1, 1, 1]]
