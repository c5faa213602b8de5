"""EmpGAN's empathetic generator (Sec. "Empathetic generator", eqs 1-9) and its baselines.

    turns U_1..U_M --word GRU--> h_utt --context GRU--> h_dlg_utt (B, M, H)      semantic
    emotion words E_1..E_M --emo-word GRU--> h_emo --GRU--> h_dlg_emo (B, M, H)  fine-grained
    labels e_1..e_M --label emb--> GRU (init: last h_dlg_emo) --> h_dlg_lab (B, M, H)  coarse
    g_i = [h_dlg_utt; h_dlg_emo; h_dlg_lab]                                      eq 2
    decoder GRU (eq 1) + additive attention over g_1..g_M (eqs 3-5) -> W_o, W_v (eqs 6-7)
    emotion-word decoder from h_dlg_emo (eq 8); label predictor from h_dlg_lab (Psi_lab)

Switches give the baselines without a model-name switch: HRED (no emotion words, no labels),
Emo-HRED (labels only), Emo-S2S (``hierarchical=False``: one GRU over the concatenated
context, labels), EmpG (everything).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


def encode_sequences(gru: nn.GRU, embeds: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """GRU over padded sequences. embeds (N, L, E), mask (N, L) -> states (N, L, H), last (N, H).
    Rows without any token get zero states (an utterance without emotion words)."""
    lengths = mask.sum(1)
    states = embeds.new_zeros(embeds.size(0), embeds.size(1), gru.hidden_size)
    last = embeds.new_zeros(embeds.size(0), gru.hidden_size)
    rows = lengths.nonzero().squeeze(1)
    if rows.numel():
        packed = nn.utils.rnn.pack_padded_sequence(embeds[rows], lengths[rows].cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, hidden = gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=embeds.size(1))
        states = states.index_copy(0, rows, out)
        last = last.index_copy(0, rows, hidden[-1])
    return states, last


class HierarchicalEncoder(nn.Module):
    """Token GRU per turn, then a turn GRU: (B, M, L) ids -> (B, M, H) turn-level context states."""

    def __init__(self, embedding: nn.Embedding, hidden: int, dropout: float) -> None:
        super().__init__()
        self.embedding = embedding
        self.turn_gru = nn.GRU(embedding.embedding_dim, hidden, batch_first=True)
        self.context_gru = nn.GRU(hidden, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, turn_mask: torch.Tensor) -> torch.Tensor:
        batch, turns, length = ids.shape
        embeds = self.dropout(self.embedding(ids.view(-1, length)))
        _, turn_vectors = encode_sequences(self.turn_gru, embeds, mask.view(-1, length))
        states, _ = encode_sequences(self.context_gru, turn_vectors.view(batch, turns, -1), turn_mask)
        return states


@dataclass
class GeneratorOutput:
    logits: torch.Tensor  # (B, T, V) next-token logits, teacher forced
    memory: torch.Tensor  # (B, M, G) the g_i the decoder attends to
    memory_mask: torch.Tensor  # (B, M)
    summary: torch.Tensor  # (B, G) last real g_i: the dialogue state h_dlg parts for the discriminators
    emotion_word_logits: torch.Tensor | None  # (B, Te, V_e)
    label_logits: torch.Tensor | None  # (B, num_labels)


class EmpatheticGenerator(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        emotion_vocab_size: int,
        num_labels: int = 7,
        hidden: int = 400,
        word_dim: int = 300,
        emotion_word_dim: int = 200,
        label_dim: int = 100,
        dropout: float = 0.4,
        hierarchical: bool = True,
        use_emotion_words: bool = True,
        use_labels: bool = True,
    ) -> None:
        super().__init__()
        self.hierarchical, self.use_emotion_words, self.use_labels = hierarchical, use_emotion_words, use_labels
        self.word_embedding = nn.Embedding(vocab_size, word_dim, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        if hierarchical:
            self.semantic = HierarchicalEncoder(self.word_embedding, hidden, dropout)
        else:
            self.flat_gru = nn.GRU(word_dim, hidden, batch_first=True)
        memory = hidden
        if use_emotion_words:
            self.emotion_embedding = nn.Embedding(emotion_vocab_size, emotion_word_dim, padding_idx=0)
            self.emotional = HierarchicalEncoder(self.emotion_embedding, hidden, dropout)
            self.emotion_word_decoder = nn.GRU(emotion_word_dim, hidden, batch_first=True)
            self.emotion_word_out = nn.Linear(hidden, emotion_vocab_size)
            memory += hidden
        if use_labels:
            self.label_embedding = nn.Embedding(num_labels, label_dim)
            self.label_gru = nn.GRU(label_dim, hidden, batch_first=True)
            self.label_out = nn.Linear(hidden, num_labels)
            memory += hidden
        self.memory_dim = memory
        self.init_state = nn.Linear(memory, hidden)
        self.decoder = nn.GRU(word_dim, hidden, batch_first=True)
        self.attn_memory = nn.Linear(memory, hidden, bias=False)  # W_s
        self.attn_state = nn.Linear(hidden, hidden)  # W_d
        self.attn_score = nn.Linear(hidden, 1, bias=False)  # z
        self.output = nn.Linear(hidden + memory, hidden)  # W_o, b_o
        self.vocab_out = nn.Linear(hidden, vocab_size)  # W_v, b_v

    # -- context ------------------------------------------------------------------------------
    def encode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """-> memory g (B, M, G), its mask (B, M), the last fine-grained emotional state (B, H)."""
        turn_mask = batch["turn_mask"]
        if self.hierarchical:
            parts = [self.semantic(batch["context_ids"], batch["context_mask"], turn_mask)]
            memory_mask = turn_mask
        else:
            # Emo-S2S: one sequence over the concatenated turns; memory = its token states
            ids, mask = batch["flat_context_ids"], batch["flat_context_mask"]
            states, _ = encode_sequences(self.flat_gru, self.dropout(self.word_embedding(ids)), mask)
            parts, memory_mask = [states], mask
        emotional_last = None
        if self.use_emotion_words:
            emotional = self.emotional(batch["emotion_ids"], batch["emotion_mask"], turn_mask)
            emotional_last = last_real(emotional, turn_mask)
            parts.append(emotional)
        if self.use_labels:
            labels = self.dropout(self.label_embedding(batch["turn_labels"]))
            # the coarse-grained label GRU starts from the fine-grained emotional context
            init = emotional_last.unsqueeze(0) if emotional_last is not None else None
            lengths = turn_mask.sum(1).clamp_min(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(labels, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.label_gru(packed, init)
            label_states, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=labels.size(1))
            parts.append(label_states)
        if not self.hierarchical and len(parts) > 1:
            # turn-level parts are summarised to one vector and broadcast over the token memory
            parts = [parts[0], *(last_real(p, turn_mask).unsqueeze(1).expand(-1, parts[0].size(1), -1)
                                 for p in parts[1:])]
        return torch.cat(parts, dim=-1), memory_mask, emotional_last

    # -- decoding -----------------------------------------------------------------------------
    def attend(self, state: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor) -> torch.Tensor:
        """Eqs 3-5. state (B, T, H), memory (B, M, G) -> context vectors (B, T, G)."""
        scores = self.attn_score(torch.tanh(self.attn_memory(memory).unsqueeze(1) + self.attn_state(state).unsqueeze(2)))
        scores = scores.squeeze(-1).masked_fill(~memory_mask.bool().unsqueeze(1), float("-inf"))
        return torch.softmax(scores, dim=-1) @ memory

    def initial_state(self, memory: torch.Tensor, memory_mask: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.init_state(last_real(memory, memory_mask))).unsqueeze(0)

    def decode(self, decoder_input: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor,
               state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Eqs 1, 6, 7. decoder_input (B, T) ids -> logits (B, T, V), last GRU state (1, B, H)."""
        if state is None:
            state = self.initial_state(memory, memory_mask)
        states, state = self.decoder(self.dropout(self.word_embedding(decoder_input)), state)
        context = self.attend(states, memory, memory_mask)
        return self.vocab_out(self.output(torch.cat([states, context], dim=-1))), state

    def forward(self, batch: dict) -> GeneratorOutput:
        memory, memory_mask, emotional_last = self.encode(batch)
        logits, _ = self.decode(batch["decoder_input"], memory, memory_mask)
        emotion_word_logits = label_logits = None
        if self.use_emotion_words and "emotion_decoder_input" in batch:
            # eq 8: a separate RNN from h_dlg_emo predicts the response's emotion words
            embeds = self.dropout(self.emotion_embedding(batch["emotion_decoder_input"]))
            states, _ = self.emotion_word_decoder(embeds, emotional_last.unsqueeze(0).contiguous())
            emotion_word_logits = self.emotion_word_out(states)
        if self.use_labels:
            label_logits = self.label_out(last_real(memory[..., -self.label_gru.hidden_size:], memory_mask)
                                          if self.hierarchical else memory[:, 0, -self.label_gru.hidden_size:])
        return GeneratorOutput(logits, memory, memory_mask, last_real(memory, memory_mask), emotion_word_logits,
                               label_logits)


def last_real(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The state at each row's last real position. states (B, M, D), mask (B, M) -> (B, D)."""
    index = (mask.long().cumsum(1).argmax(1)).clamp_min(0)
    return states[torch.arange(states.size(0), device=states.device), index]


def generator_loss(out: GeneratorOutput, batch: dict, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Psi_g (eq 9) = NLL of the response + Psi_emo + Psi_lab, each a mean over its tokens/rows;
    the terms are returned separately too."""
    nll = F.cross_entropy(out.logits.transpose(1, 2), batch["targets"], ignore_index=pad_id)
    terms = {"nll": nll}
    if out.emotion_word_logits is not None:
        targets = batch["emotion_targets"]
        terms["emo"] = (F.cross_entropy(out.emotion_word_logits.transpose(1, 2), targets, ignore_index=pad_id)
                        if (targets != pad_id).any() else nll.new_zeros(()))
    if out.label_logits is not None:
        terms["lab"] = F.cross_entropy(out.label_logits, batch["response_label"])
    terms["total"] = sum(terms.values())
    return terms


def never_pad(logits: torch.Tensor, pad_id: int) -> torch.Tensor:
    """(B, V) logits with padding made impossible: a padding id inside a response would end it."""
    return logits.index_fill(-1, torch.tensor([pad_id], device=logits.device), float("-inf"))


@torch.no_grad()
def greedy_decode(generator: EmpatheticGenerator, batch: dict, sos_id: int, eos_id: int, pad_id: int,
                  max_len: int) -> torch.Tensor:
    """Greedy decoding. -> (B, max_len) ids, pad after each row's EOS (EOS kept)."""
    memory, memory_mask, _ = generator.encode(batch)
    batch_size = memory.size(0)
    token = memory.new_full((batch_size, 1), sos_id, dtype=torch.long)
    state, out = None, []
    finished = torch.zeros(batch_size, dtype=torch.bool, device=memory.device)
    for _ in range(max_len):
        logits, state = generator.decode(token, memory, memory_mask, state)
        token = never_pad(logits[:, -1], pad_id).argmax(-1, keepdim=True)
        token = token.masked_fill(finished.unsqueeze(1), pad_id)
        out.append(token)
        finished |= token.squeeze(1) == eos_id
        if finished.all():
            break
    return torch.cat(out, dim=1)


def sample_with_logprobs(generator: EmpatheticGenerator, batch: dict, sos_id: int, eos_id: int, pad_id: int,
                         max_len: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample responses keeping the graph (SeqGAN's policy gradient).
    -> ids (B, T), log-probs of the sampled ids (B, T) with gradient, mask (B, T) (EOS included)."""
    memory, memory_mask, _ = generator.encode(batch)
    batch_size = memory.size(0)
    token = memory.new_full((batch_size, 1), sos_id, dtype=torch.long)
    state, ids, logprobs, masks = None, [], [], []
    finished = torch.zeros(batch_size, dtype=torch.bool, device=memory.device)
    for _ in range(max_len):
        logits, state = generator.decode(token, memory, memory_mask, state)
        log_dist = torch.log_softmax(never_pad(logits[:, -1].float(), pad_id), dim=-1)
        token = torch.multinomial(log_dist.exp().detach(), 1)
        token = token.masked_fill(finished.unsqueeze(1), pad_id)
        masks.append(~finished)
        ids.append(token)
        logprobs.append(log_dist.gather(1, token).squeeze(1))
        finished = finished | (token.squeeze(1) == eos_id)
        if finished.all():
            break
    return torch.cat(ids, 1), torch.stack(logprobs, 1), torch.stack(masks, 1).long()


@torch.no_grad()
def beam_decode(generator: EmpatheticGenerator, batch: dict, sos_id: int, eos_id: int, pad_id: int, max_len: int,
                num_beams: int = 5, length_penalty: float = 1.0) -> torch.Tensor:
    """Beam search. -> (B, T) ids of each row's best hypothesis, pad after its EOS (EOS kept).

    Finished hypotheses stay in the beam with a frozen score (only padding, at log-prob 0,
    may follow them), so they compete with the running ones; the winner is chosen by
    summed log-prob / length ** ``length_penalty``."""
    memory, memory_mask, _ = generator.encode(batch)
    batch_size, k = memory.size(0), num_beams
    memory, memory_mask = memory.repeat_interleave(k, 0), memory_mask.repeat_interleave(k, 0)
    rows = batch_size * k
    seqs = memory.new_full((rows, 1), sos_id, dtype=torch.long)
    scores = memory.new_zeros(batch_size, k)
    scores[:, 1:] = float("-inf")  # all beams start identical: expand only the first
    finished = torch.zeros(rows, dtype=torch.bool, device=memory.device)
    lengths = torch.zeros(rows, device=memory.device)
    state = None
    for _ in range(max_len):
        logits, state = generator.decode(seqs[:, -1:], memory, memory_mask, state)
        logp = torch.log_softmax(never_pad(logits[:, -1].float(), pad_id), dim=-1)
        frozen = torch.full_like(logp, float("-inf"))
        frozen[:, pad_id] = 0.0
        logp = torch.where(finished.unsqueeze(1), frozen, logp)
        vocab = logp.size(-1)
        top_scores, top_index = (scores.view(-1, 1) + logp).view(batch_size, k * vocab).topk(k, dim=-1)
        source = (torch.arange(batch_size, device=memory.device).unsqueeze(1) * k + top_index // vocab).view(-1)
        token = (top_index % vocab).view(-1, 1)
        lengths = lengths[source] + (~finished[source]).float()
        finished = finished[source] | (token.squeeze(1) == eos_id)
        seqs = torch.cat([seqs[source], token], dim=1)
        state = state[:, source]
        scores = top_scores
        if finished.all():
            break
    normalised = scores / lengths.view(batch_size, k).clamp_min(1) ** length_penalty
    best = torch.arange(batch_size, device=memory.device) * k + normalised.argmax(-1)
    return seqs[best, 1:]
