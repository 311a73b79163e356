import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def single_blas_thread():
    """Small matrix products: one BLAS thread avoids oversubscription when tests run in parallel."""
    with threadpool_limits(1):
        yield
