"""Prepend-1 baselines (Rashkin et al. 2019): prepend a classifier's top label to the text."""

from empathy_suite.prepend.label_prepender import EmoPrepend, LabelPrepender, TopicPrepend, read_fasttext_file

__all__ = ["EmoPrepend", "LabelPrepender", "TopicPrepend", "read_fasttext_file"]
