"""One BLAS thread for the baseline tests: their matrices are small, and extra threads only contend."""
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def single_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
