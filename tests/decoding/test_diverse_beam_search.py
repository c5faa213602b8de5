"""Diverse beam search: a hand-computed toy, parity with Hugging Face beam / greedy search, argument checks."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

from empathy_suite.decoding import diverse_beam_search, generate_diverse


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """The models are tiny: with several intra-op threads on a busy machine, thread contention makes each
    forward pass ~100x slower than single-threaded."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# --------------------------------------------------------------------------------------------------------------
# Hand-computed toy: vocabulary {0: bos, 1: pad, 2: eos, 3: "a", 4: "b"}, next-token probabilities by prefix.
# --------------------------------------------------------------------------------------------------------------
BOS, PAD, EOS, A, B = 0, 1, 2, 3, 4
#            bos    pad    eos   a     b
TABLE = {
    (BOS,): [0.025, 0.025, 0.05, 0.60, 0.30],
    (BOS, A): [0.05, 0.05, 0.12, 0.08, 0.70],
    (BOS, B): [0.025, 0.025, 0.05, 0.80, 0.10],
}
AFTER_TWO_TOKENS = [0.01, 0.01, 0.90, 0.05, 0.03]  # any prefix of length 3 (bos + 2 tokens)
UNIFORM = [0.2] * 5  # prefixes the search should never extend


def toy_step_log_probs(batch_size: int, num_beams: int):
    def step(prefixes: torch.Tensor, beam_rows: torch.Tensor) -> torch.Tensor:
        assert prefixes.shape[0] == batch_size * num_beams
        assert torch.equal(beam_rows, torch.arange(batch_size).repeat_interleave(num_beams))
        rows = []
        for prefix in prefixes.tolist():
            rows.append(AFTER_TWO_TOKENS if len(prefix) == 3 else TABLE.get(tuple(prefix), UNIFORM))
        return torch.tensor(rows).log()

    return step


@pytest.mark.parametrize(
    ("diversity_penalty", "expected_sequences", "expected_probs"),
    [
        # lambda = 0: the groups do not interact, both run the same 1-beam search.
        #   step 1 from [bos]:        a (.6) beats b (.3)                     -> [bos, a]
        #   step 2 from [bos, a]:     b (.7) beats eos (.12)                  -> [bos, a, b]
        #                             (eos ranks 2nd; only a group's best n = 1 candidates may finish)
        #   step 3 (= max_new_tokens): eos (.9) is best and is finalised      -> [bos, a, b, eos]
        #   score = log(.6 * .7 * .9) / 3 ** 1.0 = log(.378) / 3 = -0.3243 for both groups.
        (0.0, [[BOS, A, B, EOS], [BOS, A, B, EOS]], [0.6 * 0.7 * 0.9, 0.6 * 0.7 * 0.9]),
        # lambda = 2: group 0 is never penalised, so it is unchanged.  Group 1:
        #   step 1: group 0 chose a once: a -> log .6 - 2 = -2.51 < b -> log .3 = -1.20  -> [bos, b]
        #   step 2: group 0 chose b: from [bos, b], a -> log .8 = -0.22 (b -> log .1 - 2) -> [bos, b, a]
        #   step 3: group 0 chose eos: eos -> log .9 - 2 = -2.11 > a -> log .05 = -3.00   -> [bos, b, a, eos]
        #   the stored score is the true log-prob: log(.3 * .8 * .9) / 3 = log(.216) / 3 = -0.5108.
        (2.0, [[BOS, A, B, EOS], [BOS, B, A, EOS]], [0.6 * 0.7 * 0.9, 0.3 * 0.8 * 0.9]),
        # lambda = 5: steps 1-2 as above; at step 3 group 0's eos counts as a selection too, so
        #   eos -> log .9 - 5 = -5.11 < a -> log .05 = -3.00: group 1 takes a and, at max_new_tokens, is
        #   finalised without eos: [bos, b, a, a], score log(.3 * .8 * .05) / 3 = log(.012) / 3 = -1.4743.
        (5.0, [[BOS, A, B, EOS], [BOS, B, A, A]], [0.6 * 0.7 * 0.9, 0.3 * 0.8 * 0.05]),
    ],
)
def test_hand_computed_toy(diversity_penalty, expected_sequences, expected_probs):
    batch_size, num_beams = 2, 2  # two identical batch items: both must give the hand-computed answer
    sequences, scores = diverse_beam_search(
        toy_step_log_probs(batch_size, num_beams), batch_size, num_beams=num_beams, num_beam_groups=2,
        diversity_penalty=diversity_penalty, bos_token_id=BOS, eos_token_id=EOS, max_new_tokens=3,
        length_penalty=1.0, pad_token_id=PAD,
    )
    assert sequences.shape == (batch_size, num_beams, 4)
    assert scores.shape == (batch_size, num_beams)
    expected_scores = torch.tensor([math.log(p) / 3 for p in expected_probs])
    for item in range(batch_size):
        assert sequences[item].tolist() == expected_sequences
        torch.testing.assert_close(scores[item], expected_scores)


def test_search_stops_once_no_running_beam_can_win():
    calls = []

    def step(prefixes: torch.Tensor, beam_rows: torch.Tensor) -> torch.Tensor:
        # [bos]: eos .7, a .2, b .1 (bos/pad impossible); any longer prefix: eos .5, a .5.
        # One beam, length_penalty 0.  Step 1: the top candidate eos is finished: [bos, eos], score log .7;
        # the running beam is [bos, a] with log .2 <= log .7, and log-probs only decrease, so the search stops
        # after one step (max_new_tokens=5 is never reached) and the output has length 2.
        calls.append(prefixes.shape[1])
        rows = [[0.0, 0.0, 0.7, 0.2, 0.1] if len(p) == 1 else [0.0, 0.0, 0.5, 0.5, 0.0] for p in prefixes.tolist()]
        return torch.tensor(rows).log()

    sequences, scores = diverse_beam_search(
        step, 1, num_beams=1, num_beam_groups=1, diversity_penalty=0.0, bos_token_id=BOS, eos_token_id=EOS,
        max_new_tokens=5, length_penalty=0.0, pad_token_id=PAD,
    )
    assert calls == [1]
    assert sequences.tolist() == [[[BOS, EOS]]]
    torch.testing.assert_close(scores, torch.tensor([[math.log(0.7)]]))


# --------------------------------------------------------------------------------------------------------------
# A tiny random BART, compared with transformers' own beam search and greedy search.
# --------------------------------------------------------------------------------------------------------------
START, BART_PAD, BART_EOS = 2, 1, 2
MAX_NEW = 8


@pytest.fixture(scope="module")
def bart():
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=30, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        # a larger init than the default 0.02 gives peaked distributions (no near-ties) ...
        init_std=0.3,
        bos_token_id=0, pad_token_id=BART_PAD, eos_token_id=BART_EOS, decoder_start_token_id=START,
        forced_eos_token_id=None, forced_bos_token_id=None,
    )
    model = BartForConditionalGeneration(config).eval()
    with torch.no_grad():
        model.final_logits_bias[0, BART_EOS] = 2.0  # ... and a likely eos, so hypotheses end at various lengths
    return model


@pytest.fixture(scope="module")
def encoder_inputs():
    torch.manual_seed(1)
    input_ids = torch.randint(3, 30, (3, 7))
    attention_mask = torch.ones_like(input_ids)
    input_ids[1, 5:] = BART_PAD  # one padded input
    attention_mask[1, 5:] = 0
    return input_ids, attention_mask


def plain_generation_config(**overrides) -> GenerationConfig:
    """Every option transformers 5.x's generate could pick up from a model's generation_config, neutralised:
    no forced bos/eos (BartConfig's default forced_eos_token_id=2 would force eos at max length), no
    min length, no repetition / n-gram constraints, no suppressed or bad tokens, no sampling.  use_cache=False
    makes HF recompute the whole decoder prefix like generate_diverse does, so the logits are bitwise identical
    (with a KV cache they differ in the last float bits, which could flip exact ties)."""
    fields = dict(
        do_sample=False, max_new_tokens=MAX_NEW, min_length=0, min_new_tokens=None,
        forced_bos_token_id=None, forced_eos_token_id=None, no_repeat_ngram_size=0,
        encoder_no_repeat_ngram_size=0, repetition_penalty=1.0, encoder_repetition_penalty=1.0,
        bad_words_ids=None, suppress_tokens=None, begin_suppress_tokens=None, sequence_bias=None,
        exponential_decay_length_penalty=None, renormalize_logits=False, remove_invalid_values=False,
        decoder_start_token_id=START, bos_token_id=0, eos_token_id=BART_EOS, pad_token_id=BART_PAD,
        use_cache=False,
    )
    fields.update(overrides)
    return GenerationConfig(**fields)


@pytest.mark.parametrize("length_penalty", [1.0, 0.0, 2.0, -0.5])
@pytest.mark.parametrize("num_beams", [2, 3])
def test_one_group_equals_hf_beam_search(bart, encoder_inputs, length_penalty, num_beams):
    """num_beam_groups=1 is ordinary beam search.  The exact match needs HF's early_stopping="never": our
    stopping rule is the exact bound (best running log-prob / max_new_tokens ** length_penalty when
    length_penalty > 0), while HF's default early_stopping=False divides by the *current* length, a heuristic
    that can stop before a longer, better-scoring hypothesis is found (with this model it changes the result for
    some seeds when length_penalty > 0).  With early_stopping="never" the two algorithms coincide: top
    2*num_beams candidates, only the num_beams best may finish, length = generated tokens incl. eos, every
    running beam finalised at max_new_tokens.  We compare all num_beams hypotheses, not only the top one."""
    input_ids, attention_mask = encoder_inputs
    batch_size = input_ids.shape[0]
    hf = bart.generate(
        input_ids=input_ids, attention_mask=attention_mask,
        generation_config=plain_generation_config(
            num_beams=num_beams, early_stopping="never", length_penalty=length_penalty,
            num_return_sequences=num_beams, return_dict_in_generate=True, output_scores=True,
        ),
    )
    hf_sequences = hf.sequences.view(batch_size, num_beams, -1)

    ours = generate_diverse(
        bart, input_ids, attention_mask, num_beams=num_beams, num_beam_groups=1, diversity_penalty=0.0,
        max_new_tokens=MAX_NEW, length_penalty=length_penalty, num_return_sequences=num_beams,
    )
    assert torch.equal(ours, hf_sequences)
    top = generate_diverse(
        bart, input_ids, attention_mask, num_beams=num_beams, num_beam_groups=1, diversity_penalty=0.0,
        max_new_tokens=MAX_NEW, length_penalty=length_penalty,
    )
    assert top.shape[:2] == (batch_size, 1)
    assert torch.equal(top[:, 0], hf_sequences[:, 0, : top.shape[2]])

    # the core's scores are HF's sequences_scores (true log-probs / length ** length_penalty)
    def step(prefixes, beam_rows):
        logits = bart(input_ids=input_ids[beam_rows], attention_mask=attention_mask[beam_rows],
                      decoder_input_ids=prefixes).logits
        return logits[:, -1].float().log_softmax(-1)

    with torch.no_grad():
        _, scores = diverse_beam_search(
            step, batch_size, num_beams=num_beams, num_beam_groups=1, diversity_penalty=0.0, bos_token_id=START,
            eos_token_id=BART_EOS, max_new_tokens=MAX_NEW, length_penalty=length_penalty, pad_token_id=BART_PAD,
        )
    torch.testing.assert_close(scores, hf.sequences_scores.view(batch_size, num_beams), atol=1e-5, rtol=1e-5)
    # the test is not vacuous: some hypotheses end with eos
    assert (hf_sequences[:, :, 1:] == BART_EOS).any()


def test_one_beam_per_group_without_penalty_is_greedy(bart, encoder_inputs):
    """num_beam_groups == num_beams and diversity_penalty=0: every group is an independent 1-beam search.
    With length_penalty=0 a 1-beam search is exactly greedy: when eos is the argmax it finishes with score
    c + log p(eos), and the running beam c + log p(2nd best) can never beat it, so the group stops.  (With
    length_penalty > 0 the exact stopping bound could let the 1-beam search continue past eos and return a
    longer hypothesis, which greedy search never does.)"""
    input_ids, attention_mask = encoder_inputs
    greedy = bart.generate(input_ids=input_ids, attention_mask=attention_mask,
                           generation_config=plain_generation_config(num_beams=1))
    ours = generate_diverse(
        bart, input_ids, attention_mask, num_beams=3, num_beam_groups=3, diversity_penalty=0.0,
        max_new_tokens=MAX_NEW, length_penalty=0.0, num_return_sequences=3,
    )
    assert ours.shape == (input_ids.shape[0], 3, greedy.shape[1])
    for group in range(3):
        assert torch.equal(ours[:, group], greedy)


def test_diversity_penalty_separates_groups_on_bart(bart, encoder_inputs):
    input_ids, attention_mask = encoder_inputs

    def step(prefixes, beam_rows):
        logits = bart(input_ids=input_ids[beam_rows], attention_mask=attention_mask[beam_rows],
                      decoder_input_ids=prefixes).logits
        return logits[:, -1].float().log_softmax(-1)

    kwargs = dict(num_beams=4, num_beam_groups=2, bos_token_id=START, eos_token_id=BART_EOS,
                  max_new_tokens=MAX_NEW, pad_token_id=BART_PAD)
    with torch.no_grad():
        same, _ = diverse_beam_search(step, 3, diversity_penalty=0.0, **kwargs)
        diverse, _ = diverse_beam_search(step, 3, diversity_penalty=100.0, **kwargs)
    assert torch.equal(same[:, 0], same[:, 2])  # without penalty the two groups coincide
    # with a huge penalty group 1's beams never take a first token that group 0's beams took
    for item in range(3):
        assert set(diverse[item, 2:, 1].tolist()).isdisjoint(diverse[item, :2, 1].tolist())


# --------------------------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------------------------
def test_num_beams_must_be_divisible_by_groups(bart, encoder_inputs):
    with pytest.raises(ValueError, match=r"num_beams \(5\) must be divisible by num_beam_groups \(2\)"):
        diverse_beam_search(
            toy_step_log_probs(1, 5), 1, num_beams=5, num_beam_groups=2, diversity_penalty=0.5,
            bos_token_id=BOS, eos_token_id=EOS, max_new_tokens=3, pad_token_id=PAD,
        )
    input_ids, attention_mask = encoder_inputs
    with pytest.raises(ValueError, match=r"num_beams \(5\) must be divisible by num_beam_groups \(2\)"):
        generate_diverse(bart, input_ids, attention_mask, num_beams=5, num_beam_groups=2, diversity_penalty=0.5,
                         max_new_tokens=MAX_NEW)
    with pytest.raises(ValueError, match="num_return_sequences"):
        generate_diverse(bart, input_ids, attention_mask, num_beams=2, num_beam_groups=2, diversity_penalty=0.5,
                         max_new_tokens=MAX_NEW, num_return_sequences=3)
