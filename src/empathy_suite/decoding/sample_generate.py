"""Sampled decoding from a ``PrefixSeq2SeqLM``, with or without the decoder's key/value cache."""

from __future__ import annotations

import torch

from empathy_suite.decoding.sampling import sample_next


@torch.no_grad()
def sample_responses(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    eos_token_id: int,
    pad_token_id: int,
    max_new_tokens: int = 30,
    top_k: int = 20,
    top_p: float = 1.0,
    temperature: float = 0.9,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample one response per context. input_ids, attention_mask (B, S) ->
    response ids (B, T) with pad after each row's EOS, and their mask (B, T) (EOS included).

    Without the cache the whole decoder reruns every step (the benchmark's baseline)."""
    encoded, encoder_mask = model.encode(input_ids, attention_mask)
    batch = input_ids.size(0)
    tokens = input_ids.new_full((batch, 1), model.start_token_id)
    finished = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
    masks, cache = [], None
    for _ in range(max_new_tokens):
        if use_cache:
            step_ids = tokens if cache is None else tokens[:, -1:]
            logits, _, cache = model.decode(encoded, encoder_mask, step_ids, cache, use_cache=True)
        else:
            logits, _, _ = model.decode(encoded, encoder_mask, tokens)
        next_ids = sample_next(logits[:, -1].float(), generator, top_k=top_k, top_p=top_p, temperature=temperature)
        next_ids = next_ids.masked_fill(finished, pad_token_id)
        masks.append(~finished)
        tokens = torch.cat([tokens, next_ids[:, None]], dim=1)
        finished = finished | (next_ids == eos_token_id)
        if finished.all():
            break
    return tokens[:, 1:], torch.stack(masks, dim=1).long()
