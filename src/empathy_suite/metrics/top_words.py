"""The most frequent words of the generated responses, stopwords and punctuation excluded.

EmpGAN's Table 4 lists each model's 10 most frequent words to show how many emotion words
it uses. Responses are split by the suite's ``tokenize_words`` (lower-cased Penn Treebank),
so "Happy" and "happy" are one word. A token is dropped when it has no letter or digit
(".", "!", "``", "--") or is a stopword; a trailing period is stripped first ("you." ->
"you": Treebank splits off only a string's final period). The default stopwords are
``DEFAULT_STOPWORDS`` below (nltk's stopword corpus needs a download), Treebank's clitics
("'m", "n't", "ca" of "can't") included. The paper's own list must have been shorter:
its Table 4 keeps "I", "you", "that", "would"; pass ``stopwords=`` to match it.

DDP: every rank must see every word, not just a hash of it, so the states hold the words
themselves. Each update appends its distinct words as UTF-8 bytes, each word ended by a NUL
byte, plus one count per word; the states are concatenated across ranks ("cat") in the same
rank order, so word i of the joined bytes still goes with count i and ``compute`` gives the
same answer on every rank. The bytes and counts are stored in the metric's float dtype
(float32) rather than as integers: torchmetrics stands in for a rank that saw no update with
an empty tensor of that dtype, and all ranks must gather one dtype. Bytes (0-255) and counts
(below 2^24 per word and batch) are exact in float32.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import torch
from torchmetrics import Metric
from torchmetrics.utilities.data import dim_zero_cat

from empathy_suite.text.normalize import tokenize_words

# function words: pronouns, determiners, auxiliaries, prepositions, conjunctions and the
# commonest adverbs, plus the pieces Treebank splits off contractions ("I'm" -> "i", "'m";
# "can't" -> "ca", "n't"; "gonna" -> "gon", "na")
DEFAULT_STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    'm 's 're 've 'll 'd n't ca wo gon na wan ta
    """.split()
)
_END = b"\x00"  # ends each encoded word; no tokenizer output contains it (it is stripped)


def content_words(tokens: Iterable[str], stopwords: frozenset[str]) -> list[str]:
    """``tokens`` without punctuation-only tokens and (case-insensitively) stopwords.

    Trailing periods are stripped: Treebank splits off only a string's final period, so in
    "for you. I can" the token is "you.", which should count (or be dropped) as "you".
    """
    words = []
    for token in tokens:
        token = token.replace("\x00", "")
        if not any(ch.isalnum() for ch in token):
            continue
        token = token.rstrip(".")
        if token.lower() not in stopwords:
            words.append(token)
    return words


def markdown_table(rows: Sequence[tuple[str, int]]) -> str:
    """``| rank | word | count |`` rows for TensorBoard's text tab, which renders Markdown."""
    lines = ["| rank | word | count |", "|---:|---|---:|"]
    for rank, (word, count) in enumerate(rows, 1):
        cell = word.replace("|", "\\|")  # a bare | inside a word would end its cell
        lines.append(f"| {rank} | {cell} | {count} |")
    return "\n".join(lines)


class TopWords(Metric):
    """``compute()``: the ``k`` most frequent content words as [(word, count), ...].

    Sorted by count, ties broken alphabetically so the list does not depend on the order in
    which ranks or batches arrived. See the module docstring for tokens and DDP.
    """

    is_differentiable = False
    higher_is_better = None
    full_state_update = False

    def __init__(
        self,
        k: int = 10,
        stopwords: Iterable[str] | None = None,
        tokenizer: Callable[[str], list[str]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if k < 1:
            raise ValueError(f"TopWords: k must be >= 1, got {k}")
        if isinstance(stopwords, str):
            raise ValueError("TopWords: stopwords must be a collection of words, not a single string")
        self.k = k
        self.stopwords = DEFAULT_STOPWORDS if stopwords is None else frozenset(w.lower() for w in stopwords)
        self.tokenizer = tokenizer or tokenize_words
        self.add_state("word_bytes", default=[], dist_reduce_fx="cat")
        self.add_state("word_counts", default=[], dist_reduce_fx="cat")

    def update(self, responses: Sequence[str]) -> None:
        if isinstance(responses, str):
            raise ValueError("TopWords.update expects a sequence of strings, not a single string")
        counts = Counter(word for text in responses for word in content_words(self.tokenizer(text), self.stopwords))
        encoded = b"".join(word.encode("utf-8") + _END for word in counts)
        self.word_bytes.append(torch.tensor(list(encoded), dtype=self.dtype, device=self.device))
        self.word_counts.append(torch.tensor(list(counts.values()), dtype=self.dtype, device=self.device))

    def counts(self) -> Counter:
        """Every counted word with its total count (this process's states unless synced)."""
        # after a DDP sync the list states are already concatenated tensors
        if isinstance(self.word_bytes, list) and not self.word_bytes:
            return Counter()
        raw = dim_zero_cat(self.word_bytes).round().to(torch.uint8).cpu().numpy().tobytes()
        counts = dim_zero_cat(self.word_counts).round().long().tolist()
        words = [word.decode("utf-8") for word in raw.split(_END)[:-1]]
        if len(words) != len(counts):
            raise RuntimeError(f"TopWords: {len(words)} words but {len(counts)} counts in the state")
        total: Counter = Counter()
        for word, count in zip(words, counts):
            total[word] += count
        return total

    def compute(self) -> list[tuple[str, int]]:
        ranked = sorted(self.counts().items(), key=lambda item: (-item[1], item[0]))
        return ranked[: self.k]

    def as_markdown(self) -> str:
        """``compute()`` as a Markdown table for ``SummaryWriter.add_text``."""
        rows = self.compute()
        return markdown_table(rows) if rows else "*no words counted*"
