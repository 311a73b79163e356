import inspect

import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.learning import rules


def test_rules_receive_only_local_quantities():
    assert list(inspect.signature(rules.hebbian).parameters) == ["pre", "post"]
    assert list(inspect.signature(rules.contrastive_divergence).parameters) == [
        "pre_data", "post_data", "pre_model", "post_model"]
    assert list(inspect.signature(rules.predictive_coding).parameters) == ["pre_activity", "post_error"]


def test_rules_are_sample_means_of_outer_products():
    rng = np.random.default_rng(0)
    a, b, c, d = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    expected = sum(np.outer(a[k], b[k]) for k in range(5)) / 5
    np.testing.assert_allclose(rules.hebbian(a, b), expected)
    np.testing.assert_allclose(rules.predictive_coding(a, b), expected)
    model = sum(np.outer(c[k], d[k]) for k in range(5)) / 5
    np.testing.assert_allclose(rules.contrastive_divergence(a, b, c, d), expected - model)


def test_mismatched_samples_raise_parameter_error():
    with pytest.raises(ParameterError, match="post_error shape"):
        rules.predictive_coding(np.ones((4, 3)), np.ones((5, 2)))
