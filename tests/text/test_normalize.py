from empathy_suite.text.normalize import tokenize_words


def test_lowercases_and_splits_punctuation():
    # by hand, Penn Treebank rules: punctuation becomes its own token
    assert tokenize_words("Hello, World!") == ["hello", ",", "world", "!"]
    assert tokenize_words("I'm SO happy.") == ["i", "'m", "so", "happy", "."]


def test_splits_contractions_the_treebank_way():
    # "can't" -> "ca" + "n't" (Treebank), not "can" + "'t"
    assert tokenize_words("I can't go") == ["i", "ca", "n't", "go"]


def test_treebank_quotes_and_whitespace():
    # double quotes become `` and '' ; runs of spaces, tabs and newlines separate like one space
    assert tokenize_words('she said "hi"') == ["she", "said", "``", "hi", "''"]
    assert tokenize_words("  a \t b\n") == ["a", "b"]


def test_empty_text_has_no_tokens():
    assert tokenize_words("") == []
    assert tokenize_words("   ") == []
