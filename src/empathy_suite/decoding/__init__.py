"""Decoding algorithms for the generative models (diverse beam search, as used by Rashkin et al. 2019)."""

from empathy_suite.decoding.diverse_beam_search import diverse_beam_search, generate_diverse

__all__ = ["diverse_beam_search", "generate_diverse"]
