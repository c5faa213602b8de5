"""Emotion lexicons in their official formats and the vocabularies built from them.

``nrc_emolex``: NRC Emotion Lexicon readers; ``pos``: offline POS tagging (adjectives);
``emotion_words``: EmpGAN's emotion vocabulary and per-turn emotion-word sequences.
"""
