"""Transformer: attention gradients, causality, decoding, a short training run."""
import numpy as np
import pytest

from neurosim.baselines import autodiff as ad
from neurosim.baselines.losses import cross_entropy
from neurosim.baselines.transformer import (
    Block,
    DecoderTransformer,
    MultiHeadAttention,
    beam_search,
    greedy_decode,
    reversal_batch,
    sinusoidal_encoding,
    train_reversal,
)
from neurosim.errors import ParameterError

from .gradcheck import gradient_error, params


def test_attention_gradient():
    rng = np.random.default_rng(0)
    attention = MultiHeadAttention(4, 2, rng)
    (x,) = params(rng, (2, 3, 4))
    assert gradient_error(lambda x, *_: attention(x), x, *attention.parameters()) < 1e-6


def test_block_gradient():
    rng = np.random.default_rng(0)
    block = Block(4, 2, 6, rng)
    (x,) = params(rng, (1, 3, 4))
    assert gradient_error(lambda x, *_: block(x), x, *block.parameters()) < 1e-6


def test_whole_model_gradient():
    rng = np.random.default_rng(0)
    model = DecoderTransformer(5, 4, 2, 1, 6, 6, rng)
    tokens = rng.integers(5, size=(2, 6))
    assert gradient_error(lambda *_: cross_entropy(model(tokens[:, :-1]), tokens[:, 1:]),
                          *model.parameters()) < 1e-6


def test_causal_mask_hides_future_tokens():
    model = DecoderTransformer(5, 8, 2, 2, 16, 6, np.random.default_rng(0))
    tokens = np.array([[1, 2, 3, 4, 0, 1]])
    changed = tokens.copy()
    changed[0, 4:] = [3, 3]
    np.testing.assert_allclose(model(tokens).data[0, :4], model(changed).data[0, :4], rtol=1e-12)
    assert not np.allclose(model(tokens).data[0, 4:], model(changed).data[0, 4:])
    weights = model.attention_maps()[0]
    np.testing.assert_allclose(np.triu(weights[0, 0], k=1), 0, atol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=-1), 1)


def test_sinusoidal_encoding_values():
    pe = sinusoidal_encoding(5, 4)
    np.testing.assert_allclose(pe[3], [np.sin(3), np.cos(3), np.sin(3 / 100), np.cos(3 / 100)])


def test_beam_width_one_is_greedy_and_scores_are_log_probabilities():
    rng = np.random.default_rng(0)
    model = DecoderTransformer(11, 8, 2, 1, 16, 16, rng)
    prefix = reversal_batch(4, 5, 10, rng)[:, :6]
    greedy = greedy_decode(model, prefix, 4)
    beam, _ = beam_search(model, prefix, 4, width=1)
    np.testing.assert_array_equal(greedy, beam)
    best, score = beam_search(model, prefix, 4, width=3)
    full = np.concatenate([prefix, best], axis=1)
    log_p = ad.log_softmax(model(full[:, :-1]).data).data[:, 5:]
    np.testing.assert_allclose(score, np.take_along_axis(log_p, best[:, :, None], axis=2).sum(axis=(1, 2)))


def test_short_reversal_training_cuts_loss():
    _, losses, accuracy = train_reversal(np.random.default_rng(0), length=5, dim=32, hidden=64, steps=150)
    assert losses[-10:].mean() < 0.25 * losses[:10].mean()
    assert accuracy[-10:].mean() > 0.8


def test_heads_must_divide_dimension():
    with pytest.raises(ParameterError, match="MultiHeadAttention: heads"):
        MultiHeadAttention(6, 4, np.random.default_rng(0))


def test_too_long_input_rejected():
    model = DecoderTransformer(5, 4, 2, 1, 6, 4, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="DecoderTransformer: tokens shape"):
        model(np.zeros((1, 5), dtype=int))
