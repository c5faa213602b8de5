"""Diverse beam search (Vijayakumar et al. 2016) with Hamming diversity.

Rashkin et al. (2019) decode their generative Transformer with diverse beam search.  transformers 5.x no longer
ships group beam search, so this module implements it from the paper's description:

* the ``num_beams`` beams are split into ``num_beam_groups`` groups of ``num_beams // num_beam_groups`` beams;
* at every step the groups are expanded in order; a candidate of group ``g`` is ranked by
  ``cumulative log-prob + log p(token) - diversity_penalty * count(token)``, where ``count(token)`` is how often
  ``token`` was selected *at this same step* by groups ``0 .. g-1`` of the same batch item (Hamming diversity);
* inside a group this is ordinary beam search: the best continuations are kept, a continuation that ends in eos
  becomes a finished hypothesis scored ``cumulative log-prob / length ** length_penalty``.

The penalty only changes which tokens are *selected*; every stored score is the model's true log-probability.

The core, :func:`diverse_beam_search`, is model agnostic: it only needs a function returning next-token
log-probabilities for a batch of prefixes.  :func:`generate_diverse` wraps it for Hugging Face encoder-decoder
models (e.g. ``BartForConditionalGeneration``).

Conventions (``B`` batch size, ``N`` = ``num_beams``, ``G`` = ``num_beam_groups``, ``n = N // G`` beams per
group, ``V`` vocabulary size, ``t`` current prefix length including the start token, ``T`` output length):

* *length* in the length penalty is the number of generated tokens, i.e. the start token is not counted and the
  final eos is (as in Hugging Face beam search);
* the "tokens selected by a group at step t" are the tokens of its ``n`` best candidates under the
  diversity-augmented score, whether the candidate keeps running or just ended with eos (so an eos chosen by
  group 0 penalises eos for group 1 at the same step, as in the paper's formulation);
* a group stops when it holds ``n`` finished hypotheses and no running beam can still beat the worst of them:
  the best running cumulative log-prob is divided by ``max_new_tokens ** length_penalty`` if
  ``length_penalty > 0`` (the most favourable future length) and by ``current_length ** length_penalty``
  otherwise -- an exact bound, because cumulative log-probs never increase.  This is Hugging Face's
  ``early_stopping="never"``; its default ``early_stopping=False`` uses the current length also for
  ``length_penalty > 0``, a heuristic that can stop too early.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

__all__ = ["diverse_beam_search", "generate_diverse"]

StepLogProbs = Callable[[Tensor, Tensor], Tensor]

# Score given to the duplicate beams of a group before the first step, so that the first expansion only uses the
# group's first beam (all beams of a group start from the same prefix).  Finite, like Hugging Face's -1e9, so that
# arithmetic on it never produces NaN.
_DUPLICATE_BEAM_SCORE = -1.0e9


def _eos_list(eos_token_id: int | Sequence[int] | None) -> list[int]:
    if eos_token_id is None:
        return []
    if isinstance(eos_token_id, int):
        return [eos_token_id]
    if isinstance(eos_token_id, Tensor):
        return [int(x) for x in eos_token_id.flatten().tolist()]
    return sorted({int(x) for x in eos_token_id})


def _validate(batch_size: int, num_beams: int, num_beam_groups: int, diversity_penalty: float,
              max_new_tokens: int) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_beams < 1:
        raise ValueError(f"num_beams must be >= 1, got {num_beams}")
    if num_beam_groups < 1:
        raise ValueError(f"num_beam_groups must be >= 1, got {num_beam_groups}")
    if num_beams % num_beam_groups != 0:
        raise ValueError(
            f"num_beams ({num_beams}) must be divisible by num_beam_groups ({num_beam_groups}): diverse beam "
            f"search splits the beams into groups of equal size"
        )
    if diversity_penalty < 0:
        raise ValueError(f"diversity_penalty must be >= 0, got {diversity_penalty}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")


def diverse_beam_search(
    step_log_probs: StepLogProbs,
    batch_size: int,
    *,
    num_beams: int,
    num_beam_groups: int,
    diversity_penalty: float,
    bos_token_id: int,
    eos_token_id: int | Sequence[int] | None,
    max_new_tokens: int,
    length_penalty: float = 1.0,
    pad_token_id: int,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """Diverse (group) beam search with Hamming diversity, independent of any model.

    Args:
        step_log_probs: ``(prefixes: LongTensor (B*N, t), beam_rows: LongTensor (B*N,)) -> Tensor (B*N, V)``,
            the next-token log-probabilities of every running prefix.  Rows are ordered batch item by batch
            item, ``N`` beams each (group by group inside an item); ``beam_rows[i]`` is the batch item of row
            ``i`` (``arange(B).repeat_interleave(N)``), e.g. to index encoder outputs.  Every prefix starts with
            ``bos_token_id``; ``t`` grows by one per call.  All ``B*N`` rows are always passed (rows of groups
            that already stopped are ignored).
        batch_size: ``B``.
        num_beams: ``N``, total beams per batch item; must be divisible by ``num_beam_groups``.
        num_beam_groups: ``G``; each group holds ``n = N // G`` beams.  ``G == 1`` is ordinary beam search.
        diversity_penalty: ``lambda >= 0`` of the Hamming diversity term.
        bos_token_id: first token of every sequence (decoder start token).
        eos_token_id: one id or several ids that end a hypothesis (``None``: hypotheses end at max length only).
        max_new_tokens: maximum number of tokens generated after ``bos_token_id``.
        length_penalty: finished score = cumulative log-prob / (generated length ** length_penalty).
        pad_token_id: fills the returned sequences after their end.
        device: device of the prefixes passed to ``step_log_probs`` (default CPU).

    Returns:
        ``sequences``: LongTensor ``(B, N, T)``, each starting with ``bos_token_id`` and right-padded with
        ``pad_token_id``; ``T = 1 + `` the longest generated length (``<= 1 + max_new_tokens``).  Ordered group
        by group (beams ``g*n .. g*n+n-1`` belong to group ``g``), best first inside each group.
        ``scores``: float Tensor ``(B, N)``, the length-penalised true log-probability of each sequence.
    """
    _validate(batch_size, num_beams, num_beam_groups, diversity_penalty, max_new_tokens)
    device = torch.device("cpu") if device is None else torch.device(device)
    B, N, G = batch_size, num_beams, num_beam_groups  # noqa: N806 - the paper's notation
    n = N // G
    eos_ids = torch.tensor(_eos_list(eos_token_id), dtype=torch.long, device=device)
    buf_len = max_new_tokens + 1  # bos + generated tokens

    beam_rows = torch.arange(B, device=device).repeat_interleave(N)  # (B*N,)
    prefixes = torch.full((B, N, 1), bos_token_id, dtype=torch.long, device=device)  # (B, N, t)
    cum = torch.zeros(B, G, n, device=device)  # true cumulative log-probs of the running beams
    cum[:, :, 1:] = _DUPLICATE_BEAM_SCORE
    cum = cum.view(B, N)

    # Finished hypotheses per (item, group), kept sorted best first; -inf marks an empty slot.
    fin_scores = torch.full((B, G, n), float("-inf"), device=device)
    fin_seqs = torch.full((B, G, n, buf_len), pad_token_id, dtype=torch.long, device=device)
    fin_lens = torch.zeros(B, G, n, dtype=torch.long, device=device)  # including bos
    done = torch.zeros(B, G, dtype=torch.bool, device=device)

    for step in range(max_new_tokens):
        t = step + 1  # prefix length (with bos) = number of tokens generated after this step
        gen_len = step + 1
        is_last = step == max_new_tokens - 1
        log_probs = step_log_probs(prefixes.reshape(B * N, t), beam_rows)
        if log_probs.dim() != 2 or log_probs.shape[0] != B * N:
            raise ValueError(f"step_log_probs must return a (B*num_beams, V) = ({B * N}, V) tensor, "
                             f"got shape {tuple(log_probs.shape)}")
        V = log_probs.shape[1]  # noqa: N806
        log_probs = log_probs.to(device=device, dtype=torch.float32).view(B, N, V)
        # Enough candidates that, even if every beam proposes all eos ids, n non-eos ones remain.
        pool = min((1 + eos_ids.numel()) * n, n * V)
        rank_is_top = torch.arange(pool, device=device) < n  # (pool,)
        length_norm = float(gen_len) ** length_penalty

        next_prefixes = torch.empty(B, N, t + 1, dtype=torch.long, device=device)
        next_cum = torch.empty(B, N, device=device)
        token_counts = torch.zeros(B, V, device=device)  # selections at this step by the groups already expanded

        for g in range(G):
            beams = slice(g * n, (g + 1) * n)
            active = ~done[:, g]  # (B,)
            true_scores = cum[:, beams, None] + log_probs[:, beams]  # (B, n, V)
            select_scores = true_scores
            if g > 0 and diversity_penalty != 0:
                select_scores = true_scores - diversity_penalty * token_counts[:, None, :]
            sel_vals, flat_idx = select_scores.reshape(B, n * V).topk(pool, dim=1)  # (B, pool), sorted
            true_vals = true_scores.reshape(B, n * V).gather(1, flat_idx)  # (B, pool)
            src_beam = flat_idx // V
            tokens = flat_idx % V
            cand_prefixes = prefixes[:, beams].gather(1, src_beam[..., None].expand(-1, -1, t))  # (B, pool, t)
            ends = torch.isin(tokens, eos_ids) | is_last  # (B, pool)

            # Hamming diversity: the group's n selected continuations (running or just finished) count.
            token_counts.scatter_add_(1, tokens[:, :n], active[:, None].expand(-1, n).to(token_counts.dtype))

            # Finished hypotheses: only candidates ranked among the group's n best may finish.
            newly_finished = ends & rank_is_top & active[:, None]
            if bool(newly_finished.any()):
                cand_scores = torch.where(newly_finished, true_vals / length_norm,
                                          torch.full_like(true_vals, float("-inf")))
                cand_seqs = torch.full((B, pool, buf_len), pad_token_id, dtype=torch.long, device=device)
                cand_seqs[:, :, :t] = cand_prefixes
                cand_seqs[:, :, t] = tokens
                merged_scores = torch.cat([fin_scores[:, g], cand_scores], dim=1)
                merged_seqs = torch.cat([fin_seqs[:, g], cand_seqs], dim=1)
                merged_lens = torch.cat([fin_lens[:, g], torch.full_like(tokens, t + 1)], dim=1)
                best, keep = merged_scores.topk(n, dim=1)
                fin_scores[:, g] = best
                fin_seqs[:, g] = merged_seqs.gather(1, keep[..., None].expand(-1, -1, buf_len))
                fin_lens[:, g] = merged_lens.gather(1, keep)

            if is_last:
                continue
            # Running beams: the n best candidates (by the diversity-augmented score) that did not end.
            keep_vals = sel_vals.masked_fill(ends, float("-inf"))
            keep = keep_vals.topk(n, dim=1).indices  # (B, n)
            next_prefixes[:, beams, :t] = cand_prefixes.gather(1, keep[..., None].expand(-1, -1, t))
            next_prefixes[:, beams, t] = tokens.gather(1, keep)
            next_cum[:, beams] = true_vals.gather(1, keep)

            # Stop the group once it is full and no running beam can beat its worst finished hypothesis.
            worst_finished = fin_scores[:, g, -1]
            bound_len = max_new_tokens if length_penalty > 0 else gen_len
            best_possible = next_cum[:, beams].max(dim=1).values / (float(bound_len) ** length_penalty)
            done[:, g] |= torch.isfinite(worst_finished) & (best_possible <= worst_finished)

        if is_last or bool(done.all()):
            break
        prefixes, cum = next_prefixes, next_cum

    out_len = int(fin_lens.max().clamp(min=1))
    return fin_seqs.view(B, N, buf_len)[:, :, :out_len].contiguous(), fin_scores.view(B, N)


def _first_id(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return int(value[0]) if value else None
    if isinstance(value, Tensor):
        return int(value.flatten()[0])
    return int(value)


def _config_value(model, name: str):
    generation_config = getattr(model, "generation_config", None)
    value = getattr(generation_config, name, None) if generation_config is not None else None
    if value is None:
        value = getattr(model.config, name, None)
    return value


@torch.no_grad()
def generate_diverse(
    model,
    input_ids: Tensor,
    attention_mask: Tensor | None,
    *,
    num_beams: int,
    num_beam_groups: int,
    diversity_penalty: float,
    max_new_tokens: int,
    length_penalty: float = 1.0,
    num_return_sequences: int = 1,
) -> Tensor:
    """Diverse beam search for a Hugging Face encoder-decoder model (e.g. ``BartForConditionalGeneration``).

    The encoder runs once; each step calls the full model with the encoder outputs of every beam's batch item,
    ``decoder_input_ids`` = the beam prefixes, and takes ``log_softmax`` of the last position (float32).  No
    logits processors are applied (no forced bos/eos, no min length, no n-gram blocking).  The model is used in
    whatever mode it is in: call ``model.eval()`` first for deterministic decoding.

    Args:
        model: encoder-decoder ``PreTrainedModel`` with ``get_encoder()``; start / eos / pad ids are read from
            ``model.generation_config`` and then ``model.config`` (start: ``decoder_start_token_id``, else
            ``bos_token_id``; pad: ``pad_token_id``, else eos).
        input_ids: LongTensor ``(B, S)`` encoder input.
        attention_mask: ``(B, S)`` encoder mask (1 = token, 0 = padding) or ``None``.
        num_beams, num_beam_groups, diversity_penalty, max_new_tokens, length_penalty: see
            :func:`diverse_beam_search`.
        num_return_sequences: how many hypotheses to return per input, ``1 <= r <= num_beams``.

    Returns:
        LongTensor ``(B, r, T)``: the ``r`` best hypotheses of each input by final (length-penalised) score
        across all groups, best first, each starting with the decoder start token and right-padded with the pad
        id; ``T`` is the longest returned sequence.
    """
    if not 1 <= num_return_sequences <= num_beams:
        raise ValueError(f"num_return_sequences must be between 1 and num_beams ({num_beams}), "
                         f"got {num_return_sequences}")
    _validate(input_ids.shape[0], num_beams, num_beam_groups, diversity_penalty, max_new_tokens)
    start_id = _first_id(_config_value(model, "decoder_start_token_id"))
    if start_id is None:
        start_id = _first_id(_config_value(model, "bos_token_id"))
    if start_id is None:
        raise ValueError("the model config defines neither decoder_start_token_id nor bos_token_id")
    eos_ids = _config_value(model, "eos_token_id")
    pad_id = _first_id(_config_value(model, "pad_token_id"))
    if pad_id is None:
        pad_id = _first_id(eos_ids)
    if pad_id is None:
        raise ValueError("the model config defines neither pad_token_id nor eos_token_id")

    from transformers.modeling_outputs import BaseModelOutput

    encoder_hidden = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask,
                                         return_dict=True).last_hidden_state  # (B, S, D)

    def step_log_probs(prefixes: Tensor, beam_rows: Tensor) -> Tensor:
        """``(B*N, t), (B*N,) -> (B*N, V)`` next-token log-probs.

        The decoder is recomputed over the whole prefix at every step (no KV cache): responses are short, so the
        quadratic cost is negligible and beam reordering needs no cache bookkeeping.
        """
        outputs = model(
            encoder_outputs=BaseModelOutput(last_hidden_state=encoder_hidden[beam_rows]),
            attention_mask=None if attention_mask is None else attention_mask[beam_rows],
            decoder_input_ids=prefixes,
            use_cache=False,
            return_dict=True,
        )
        return torch.log_softmax(outputs.logits[:, -1, :].float(), dim=-1)

    sequences, scores = diverse_beam_search(
        step_log_probs,
        input_ids.shape[0],
        num_beams=num_beams,
        num_beam_groups=num_beam_groups,
        diversity_penalty=diversity_penalty,
        bos_token_id=start_id,
        eos_token_id=eos_ids,
        max_new_tokens=max_new_tokens,
        length_penalty=length_penalty,
        pad_token_id=pad_id,
        device=input_ids.device,
    )  # (B, N, T), (B, N)
    order = scores.argsort(dim=1, descending=True, stable=True)[:, :num_return_sequences]  # (B, r)
    best = sequences.gather(1, order[..., None].expand(-1, -1, sequences.shape[2]))  # (B, r, T)
    # Crop to the longest returned hypothesis: a sequence ends at its first eos after the start token, or runs to
    # the full width (it hit max_new_tokens).
    eos_tensor = torch.tensor(_eos_list(eos_ids), dtype=torch.long, device=best.device)
    is_end = torch.isin(best, eos_tensor)
    is_end[:, :, 0] = False
    width = best.shape[2]
    positions = torch.arange(width, device=best.device)
    first_end = torch.where(is_end, positions, width).min(dim=2).values  # (B, r); == width if no eos
    lengths = torch.clamp(first_end + 1, max=width)
    return best[:, :, : int(lengths.max())]
