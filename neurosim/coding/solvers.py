"""Decoder solvers: regularised least squares, as Nengo's ``LstsqL2`` with its ``Cholesky`` subsolver.

Given activities ``A`` (M evaluation points x N neurons, Hz) and targets ``Y`` (M x D), the
decoders ``X`` (N x D) minimise ``|A X - Y|^2 + M sigma^2 |X|^2`` with ``sigma = reg * max(A)``:
the course notes' noise argument (activities perturbed by noise of variance ``sigma^2``, summed over
the M points). Normal equations: ``(A^T A + M sigma^2 I) X = A^T Y``; when M < N the dual form
``X = A^T (A A^T + M sigma^2 I)^-1 Y`` is solved instead (same solution, smaller system). This is
Nengo's convention exactly (``nengo.utils.least_squares_solvers.cholesky``: ``reglambda = sigma**2 * m``
with ``m`` the number of evaluation points).

The system is solved by Cholesky (``scipy.linalg.cho_factor``); if the factorisation fails or the
factor is numerically singular (e.g. ``reg = 0`` with silent neurons), the equivalent stacked
problem ``[A; sqrt(M) sigma I] X = [Y; 0]`` is solved by ``scipy.linalg.lstsq`` (SVD based).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from ..errors import ParameterError

#: Smallest accepted ratio of the Cholesky factor's extreme diagonal entries, squared (an estimate
#: of the reciprocal condition number of the Gram matrix); below it the solve falls back to lstsq.
MIN_RCOND = 1e-13


def rmses(A: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Root-mean-square error of ``A X`` against ``Y`` per target dimension."""
    return np.sqrt(np.mean((A @ X - Y) ** 2, axis=0))


class LstsqL2:
    """L2-regularised least squares; ``reg`` is the noise level as a fraction of the largest activity."""

    def __init__(self, reg: float = 0.1):
        if isinstance(reg, bool) or not isinstance(reg, (int, float)) or not np.isfinite(reg) or reg < 0:
            raise ParameterError("solver: reg", reg, "a regularisation >= 0 (fraction of the max rate)")
        self.reg = float(reg)

    def __call__(self, A, Y) -> tuple[np.ndarray, dict]:
        """Decoders ``X`` (N x D) and ``info`` with ``rmses`` (per dimension), ``sigma`` and ``method``."""
        A, Y = np.asarray(A, float), np.asarray(Y, float)
        vector = Y.ndim == 1
        Y = Y[:, None] if vector else Y
        if A.ndim != 2 or Y.shape[0] != A.shape[0]:
            raise ParameterError("solver: targets", f"shape {Y.shape}", f"one row per evaluation point ({A.shape[0]})")
        m, n = A.shape
        sigma = self.reg * float(A.max()) if A.size else 0.0
        lam = m * sigma**2
        dual = m < n
        gram = A @ A.T if dual else A.T @ A
        gram[np.diag_indices_from(gram)] += lam
        rhs = Y if dual else A.T @ Y
        method = "cholesky"
        try:
            factor = scipy.linalg.cho_factor(gram, lower=False, check_finite=False)
            diag = np.abs(np.diag(factor[0]))
            if diag.min() ** 2 < MIN_RCOND * diag.max() ** 2:
                raise np.linalg.LinAlgError("numerically singular Gram matrix")
            solution = scipy.linalg.cho_solve(factor, rhs, check_finite=False)
            X = A.T @ solution if dual else solution
        except np.linalg.LinAlgError:
            method = "lstsq"
            stacked = np.vstack([A, np.sqrt(lam) * np.eye(n)])
            X = scipy.linalg.lstsq(stacked, np.vstack([Y, np.zeros((n, Y.shape[1]))]))[0]
        info = {"rmses": rmses(A, X, Y), "sigma": sigma, "method": method}
        return (X[:, 0] if vector else X), info
