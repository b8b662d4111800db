import numpy as np
import pytest

from logitwin.control.inventory import spread_skus
from logitwin.sim.demand import zipf_weights


def test_fast_movers_get_copies_in_distinct_pods():
    pop = zipf_weights(1000, 1.0)
    placement = spread_skus(pop.tolist(), 200, 0.01, np.random.default_rng(0))
    assert len(placement) == 1000
    top = placement[0]
    assert len(top) == int(np.ceil(pop[0] / 0.01))
    assert len(set(top)) == len(top)
    assert all(len(p) == 1 for p in placement[100:])
    load = np.bincount([p for pods in placement for p in pods], minlength=200)
    assert load.max() - load.min() <= 1  # dealt evenly


def test_bad_params():
    with pytest.raises(ValueError, match="n_pods"):
        spread_skus([1.0], 0, 0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_share"):
        spread_skus([1.0], 3, 0.0, np.random.default_rng(0))
