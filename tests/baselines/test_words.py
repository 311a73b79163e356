"""Grammar corpus and its exact ceiling; skip-gram embeddings, analogies; next-word recurrent models."""
import numpy as np
import pytest
from scipy.special import expit

from neurosim.baselines import grammar
from neurosim.baselines.embeddings import (
    SkipGram,
    analogy,
    analogy_questions,
    nearest_neighbours,
    skipgram_pairs,
    train_skipgram,
)
from neurosim.baselines.losses import cross_entropy
from neurosim.baselines.recurrent import NextWordModel, stream_windows, train_next_word
from neurosim.errors import ParameterError

from .gradcheck import gradient_error

VOCAB = grammar.vocabulary()
INDEX = {w: i for i, w in enumerate(VOCAB)}


def test_grammar_probabilities_and_sentences():
    table = grammar.sentences()
    assert sum(p for _, p in table) == pytest.approx(1.0, abs=1e-12)
    assert len(table) == 6 * 2 * 2 * 3 + 6 * 2 + 2 * 6  # people, places, actions
    assert all(s[-1] == grammar.END and grammar.END not in s[:-1] for s, _ in table)
    assert len({s for s, _ in table}) == len(table)


def test_ceiling_equals_the_hand_derived_value():
    # expected correct guesses per sentence (first word: max P = 1/3 for 'the' or 'we'):
    # people  'the' 1/3, noun 1/12, role verb 1/2, 'and' 1, pronoun 1 (agrees), end verb 1/3, '.' 1 -> 4.25 of 7
    # places  1/3, 'visit' 1, 'the' 1, type 1/2, 'of' 1, place 1/6, 'and' 1, 'speak' 1, language 1, '.' 1 -> 8 of 10
    # actions 1/3, 'we' 1, verb 1/6, 'the' 1, object 1, '.' 1 -> 4.5 of 6
    assert grammar.ceiling_accuracy() == pytest.approx((4.25 + 8 + 4.5) / (7 + 10 + 6), rel=1e-12)


def test_ceiling_predictor_on_a_sampled_stream():
    stream = grammar.encode(grammar.sample_sentences(2000, np.random.default_rng(0)), VOCAB)
    accuracy = (grammar.ceiling_predictions(stream, VOCAB) == stream[1:]).mean()
    # about 15 000 tokens: binomial standard deviation 0.0036, tolerance 4 of them
    assert accuracy == pytest.approx(grammar.ceiling_accuracy(), abs=0.015)


def test_skipgram_pairs_and_subsampling():
    pairs = skipgram_pairs(np.array([0, 1, 2]), window=1)
    assert sorted(map(tuple, pairs)) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert len(skipgram_pairs(np.arange(10), window=3)) == 2 * (9 + 8 + 7)
    stream = np.array([0] * 900 + list(range(1, 101)))  # word 0: frequency 0.9, the others 0.001
    kept = skipgram_pairs(stream, 1, np.random.default_rng(0), subsample=0.001)
    assert len(kept) < 0.3 * len(skipgram_pairs(stream, 1))
    with pytest.raises(ParameterError, match="window"):
        skipgram_pairs(stream, 0)


def test_skipgram_loss_value_and_gradient():
    rng = np.random.default_rng(0)
    model = SkipGram(6, 3, rng)
    model.output_vectors.data = rng.standard_normal((6, 3))
    centres, contexts, negatives = np.array([0, 2, 2]), np.array([1, 3, 0]), np.array([[4, 5], [1, 1], [3, 0]])
    v, u = model.input_vectors.data, model.output_vectors.data
    direct = -np.mean(np.log(expit((v[centres] * u[contexts]).sum(1)))
                      + np.log(expit(-np.einsum("bkd,bd->bk", u[negatives], v[centres]))).sum(1))
    assert model.loss(centres, contexts, negatives).item() == pytest.approx(direct, rel=1e-12)
    assert gradient_error(lambda *_: model.loss(centres, contexts, negatives), *model.parameters()) < 1e-6


def test_analogy_on_an_exact_parallelogram():
    vectors = np.array([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, -1, 0.2]])
    assert analogy(vectors, 0, 1, 2) == 3
    assert len(analogy_questions(grammar.GRIDS)) == 3 * (6 * 5) * 2 * 2


def test_short_skipgram_recovers_categories_and_analogies():
    rng = np.random.default_rng(0)
    stream = grammar.encode(grammar.sample_sentences(1500, rng), VOCAB)
    model, losses = train_skipgram(stream, len(VOCAB), rng, dim=20, window=3, epochs=2, learning_rate=0.03)
    vectors = model.input_vectors.data
    category = {w: c for c, words in grammar.CATEGORIES.items() for w in words}
    neighbour = nearest_neighbours(vectors, 1)[:, 0]
    words = [w for w in VOCAB if w in category]
    assert np.mean([category.get(VOCAB[neighbour[INDEX[w]]]) == category[w] for w in words]) >= 0.95
    correct = [analogy(vectors, INDEX[a], INDEX[b], INDEX[c]) == INDEX[d]
               for _, a, b, c, d in analogy_questions(grammar.GRIDS)]
    assert np.mean(correct) >= 0.9  # chance: 1 in 73 candidates
    # output vectors start at zero: every logistic is 1/2, so the first loss is (1 + 5 negatives) ln 2
    assert losses[0] == pytest.approx(6 * np.log(2), rel=1e-12)
    assert losses[-20:].mean() < 0.6 * losses[0]


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_next_word_model_gradient(kind):
    rng = np.random.default_rng(0)
    model = NextWordModel(kind, rng.standard_normal((7, 3)), 4, rng)
    tokens = rng.integers(7, size=(2, 5))
    assert gradient_error(lambda *_: cross_entropy(model(tokens[:, :-1]), tokens[:, 1:]), *model.parameters()) < 1e-6


def test_short_srn_learns_the_next_word():
    rng = np.random.default_rng(0)
    stream = grammar.encode(grammar.sample_sentences(1000, rng), VOCAB)
    vectors = np.eye(len(VOCAB))  # one-hot (localist) inputs, as in Elman (1990)
    starts = np.flatnonzero(stream == INDEX[grammar.END])
    model, _ = train_next_word("rnn", stream, vectors, starts, rng, hidden=24, steps=150, length=16)
    test = grammar.encode(grammar.sample_sentences(200, np.random.default_rng(1)), VOCAB)
    test_starts = np.flatnonzero(test == INDEX[grammar.END])
    windows = stream_windows(test, test_starts[test_starts + 16 < len(test)], 16)
    accuracy = (model(windows[:, :-1]).data.argmax(-1) == windows[:, 1:]).mean()
    # always guessing the most frequent word ('.' or 'the') gives about 0.13; the ceiling is 0.728
    assert 0.55 < accuracy <= grammar.ceiling_accuracy() + 0.03
