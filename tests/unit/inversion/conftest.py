import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """Unit tests run single-threaded: deterministic and fast on a shared machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(old)
