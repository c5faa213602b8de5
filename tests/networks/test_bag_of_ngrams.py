import zlib

import torch

from empathy_suite.networks.bag_of_ngrams import BagOfNgramsClassifier, ngram_bucket, ngram_features

VOCAB = {"i": 1, "got": 2, "promoted": 3}


def test_words_then_bigrams_in_bucket_range():
    features = ngram_features(["i", "got", "promoted"], VOCAB, num_buckets=50)
    assert features[:3] == [1, 2, 3]
    bigrams = features[3:]
    assert len(bigrams) == 2
    offset = len(VOCAB) + 1
    assert all(offset <= f < offset + 50 for f in bigrams)
    assert bigrams[0] == offset + zlib.crc32(b"i got") % 50


def test_oov_words_have_no_word_id_but_join_bigrams():
    features = ngram_features(["i", "xyzzy"], VOCAB, num_buckets=50)
    assert features[0] == 1 and len(features) == 2  # "i" and the bigram "i xyzzy"


def test_word_ngrams_one_or_zero_buckets_means_words_only():
    assert ngram_features(["i", "got"], VOCAB, num_buckets=50, word_ngrams=1) == [1, 2]
    assert ngram_features(["i", "got"], VOCAB, num_buckets=0) == [1, 2]
    assert len(ngram_features(["i", "got", "promoted"], VOCAB, 50, word_ngrams=3)) == 3 + 2 + 1


def test_hash_is_a_fixed_function_not_python_hash():
    # python's hash() of a str is salted per process; pinned values prove the bucket is not
    assert ngram_bucket(("i", "got"), 1000) == 911
    assert ngram_bucket(("i", "got"), 2**18) == 217847
    assert ngram_features(["i", "got"], VOCAB, 1000) == ngram_features(["i", "got"], dict(VOCAB), 1000)


def test_forward_is_mean_of_embeddings_through_linear():
    model = BagOfNgramsClassifier(num_labels=2, vocab_size=3, num_buckets=2, dim=2)
    assert model.embedding.weight.shape == (1 + 3 + 2, 2)
    with torch.no_grad():
        model.embedding.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 6.0], [0.0, 0.0], [0.0, 0.0], [5.0, -1.0]]))
        model.output.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        model.output.bias.copy_(torch.tensor([0.5, -0.5]))
    # bag 1: words 1 and 2 plus padding -> mean (2, 4); bag 2: bucket row 5 alone -> (5, -1)
    logits = model(torch.tensor([[1, 2, 0], [5, 0, 0]]))
    expected = torch.tensor([[2.0 + 0.5, 6.0 - 0.5], [5.0 + 0.5, 4.0 - 0.5]])
    assert torch.allclose(logits, expected)
    # a text with no known features gives only the bias
    assert torch.allclose(model(torch.tensor([[0, 0]])), torch.tensor([[0.5, -0.5]]))


def test_initialisation_matches_fasttext():
    model = BagOfNgramsClassifier(num_labels=3, vocab_size=10, num_buckets=10, dim=8)
    assert model.embedding.weight.abs().max() <= 1 / 8
    assert torch.count_nonzero(model.embedding.weight[0]) == 0
    assert torch.count_nonzero(model.output.weight) == 0
