import pytest
import torch

from empathy_suite.networks.empathetic_generator import (
    EmpatheticGenerator,
    generator_loss,
    greedy_decode,
    last_real,
)

V, VE, LABELS = 30, 12, 7


def make_batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    B, M, L, LE, T = 2, 3, 5, 3, 4
    context = torch.randint(4, V, (B, M, L), generator=g)
    context_mask = torch.ones(B, M, L, dtype=torch.long)
    context_mask[0, 2, 3:] = 0
    turn_mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    context_mask[1, 2] = 0
    emotion = torch.randint(4, VE, (B, M, LE), generator=g)
    emotion_mask = torch.ones(B, M, LE, dtype=torch.long)
    emotion_mask[0, 1] = 0  # a turn without emotion words
    emotion_mask[1, 2] = 0
    flat = context.view(B, M * L)
    return {
        "context_ids": context * context_mask, "context_mask": context_mask, "turn_mask": turn_mask,
        "flat_context_ids": flat * context_mask.view(B, -1), "flat_context_mask": context_mask.view(B, -1),
        "emotion_ids": emotion * emotion_mask, "emotion_mask": emotion_mask,
        "turn_labels": torch.randint(0, LABELS, (B, M), generator=g),
        "decoder_input": torch.randint(4, V, (B, T), generator=g), "targets": torch.randint(4, V, (B, T), generator=g),
        "emotion_decoder_input": torch.tensor([[2, 5], [2, 0]]), "emotion_targets": torch.tensor([[5, 3], [3, 0]]),
        "response_label": torch.tensor([4, 0]),
    }


def small(**switches):
    torch.manual_seed(0)
    return EmpatheticGenerator(V, VE, LABELS, hidden=16, word_dim=8, emotion_word_dim=6, label_dim=5, dropout=0.0,
                               **switches)


@pytest.mark.parametrize("switches", [
    {},  # EmpG
    {"use_emotion_words": False, "use_labels": False},  # HRED
    {"use_emotion_words": False},  # Emo-HRED
    {"hierarchical": False, "use_emotion_words": False},  # Emo-S2S
])
def test_every_variant_gives_logits_and_its_losses(switches):
    model = small(**switches)
    out = model(make_batch())
    assert out.logits.shape == (2, 4, V)
    terms = generator_loss(out, make_batch())
    assert ("emo" in terms) == model.use_emotion_words and ("lab" in terms) == model.use_labels
    assert torch.isclose(terms["total"], sum(v for k, v in terms.items() if k != "total"))
    terms["total"].backward()
    assert model.vocab_out.weight.grad.abs().sum() > 0


def test_padded_turns_and_tokens_do_not_change_the_output():
    model = small().eval()
    batch = make_batch()
    reference = model(batch).logits
    # change the ids under the masks: nothing may move
    noisy = dict(batch)
    noisy["context_ids"] = batch["context_ids"] + (1 - batch["context_mask"]) * 7
    noisy["emotion_ids"] = batch["emotion_ids"] + (1 - batch["emotion_mask"]) * 5
    noisy["turn_labels"] = torch.where(batch["turn_mask"].bool(), batch["turn_labels"], 6)
    torch.testing.assert_close(model(noisy).logits, reference)


def test_last_real_picks_the_last_unmasked_position():
    states = torch.arange(12.0).view(2, 3, 2)
    assert last_real(states, torch.tensor([[1, 1, 0], [1, 1, 1]])).tolist() == [[2.0, 3.0], [10.0, 11.0]]


def test_label_gru_starts_from_the_fine_grained_emotional_state():
    model = small().eval()
    batch = make_batch()
    memory, _, emotional_last = model.encode(batch)
    labels = model.label_embedding(batch["turn_labels"][:1, :1])
    _, first = model.label_gru(labels, emotional_last[:1].unsqueeze(0))
    torch.testing.assert_close(memory[0, 0, -16:], first[0, 0])


def test_greedy_decode_matches_teacher_forced_argmax():
    model = small().eval()
    batch = make_batch()
    ids = greedy_decode(model, batch, sos_id=2, eos_id=3, pad_id=0, max_len=5)
    forced = dict(batch, decoder_input=torch.cat([torch.full((2, 1), 2), ids[:, :-1]], 1))
    logits = model(forced).logits
    real = torch.ones_like(ids, dtype=torch.bool)
    for row in range(2):
        eos = (ids[row] == 3).nonzero()
        if len(eos):
            real[row, eos[0, 0] + 1:] = False
    assert torch.equal(logits.argmax(-1)[real], ids[real])


def test_beam_of_one_is_greedy():
    from empathy_suite.networks.empathetic_generator import beam_decode

    model = small().eval()
    batch = make_batch()
    greedy = greedy_decode(model, batch, sos_id=2, eos_id=3, pad_id=0, max_len=5)
    assert torch.equal(beam_decode(model, batch, 2, 3, 0, max_len=5, num_beams=1), greedy)


class TwoPaths(torch.nn.Module):
    """Fake generator over tokens {0 pad, 1 sos, 2 eos, 3 a, 4 b}, next token by the last one:
    after sos a 0.55 / b 0.45; after a eos 0.2 / b 0.8; after b eos 0.9 / a 0.1.
    Greedy: a b eos = 0.55 * 0.8 * 0.9 = 0.396; best: b eos = 0.45 * 0.9 = 0.405."""

    def encode(self, batch):
        return torch.zeros(1, 1, 1), torch.ones(1, 1), None

    def decode(self, token, memory, memory_mask, state):
        table = {1: [0, 0, 0, 0.55, 0.45], 3: [0, 0, 0.2, 0, 0.8], 4: [0, 0, 0.9, 0.1, 0], 2: [0, 0, 1, 0, 0]}
        probs = torch.tensor([table[int(t)] for t in token[:, 0]])
        state = torch.zeros(1, token.size(0), 1) if state is None else state
        return torch.log(probs + 1e-12).unsqueeze(1), state


def test_beam_search_finds_the_more_probable_short_answer():
    from empathy_suite.networks.empathetic_generator import beam_decode

    # raw scores (length_penalty 0); step 2 keeps "a b" (0.44) and "b eos" (0.405), step 3 ends
    # "a b" with eos (0.396) while the finished "b eos" keeps its 0.405
    out = beam_decode(TwoPaths(), {}, sos_id=1, eos_id=2, pad_id=0, max_len=4, num_beams=2, length_penalty=0.0)
    assert out[0, :2].tolist() == [4, 2]
    greedy = greedy_decode(TwoPaths(), {}, sos_id=1, eos_id=2, pad_id=0, max_len=4)
    assert greedy[0, :3].tolist() == [3, 4, 2]
