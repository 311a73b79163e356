"""Data sets shared by the model families (learning, baselines): the scikit-learn 8x8 digits, on
one fixed split so that accuracies of local learning and of the deep-learning baselines compare."""
from __future__ import annotations

import numpy as np

DIGITS_SPLIT_SEED = 0  # random_state of the fixed 80/20 stratified split


def load_digits_split(test_size: float = 0.2, random_state: int = DIGITS_SPLIT_SEED):
    """8x8 digits scaled to [0, 1]: (X_train, X_test, y_train, y_test), stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    return train_test_split(digits.data / 16.0, digits.target, test_size=test_size,
                            stratify=digits.target, random_state=random_state)


def load_digits_levels(random_state: int = DIGITS_SPLIT_SEED):
    """Digits as integer pixel levels 0..16, split 1000/350/447 (train/validation/test)."""
    from sklearn.datasets import load_digits

    data = load_digits().data.astype(int)
    order = np.random.default_rng(random_state).permutation(len(data))
    return data[order[:1000]], data[order[1000:1350]], data[order[1350:]]
