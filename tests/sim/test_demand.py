import numpy as np

from logitwin.actors.messages import NewOrder
from logitwin.actors.runtime import Actor, LocalSystem, handles
from logitwin.sim.demand import Demand, DemandParams, zipf_weights


class Sink(Actor):
    kind = "sink"

    def __init__(self, system, aid):
        super().__init__(system, aid)
        self.orders: list[NewOrder] = []

    @handles(NewOrder)
    def _new(self, msg, sender):
        self.orders.append(msg)


def _run(rates, hours, seed=0):
    system = LocalSystem(seed)
    sink = system.spawn(Sink, "release")
    params = DemandParams(
        orders_per_hour=rates,
        mean_lines=2.0,
        max_lines=6,
        n_skus=500,
        zipf_s=1.0,
        min_lead_s=1800,
        pack_s=60,
        stop_s=hours * 3600,
    )
    system.spawn(
        Demand, "demand", params=params, cutoffs=[3600.0, 7200.0], rng=system.rng("demand")
    )
    system.run(until=hours * 3600 + 10)
    return sink.orders


def test_rate_profile_and_lines():
    orders = _run((100.0, 400.0), 2)
    n = len(orders)
    assert 400 < n < 600  # 100 + 400 expected
    lines = [len(o.skus) for o in orders]
    assert min(lines) >= 1 and max(lines) <= 6
    assert 1.6 < np.mean(lines) < 2.2
    assert all(len(set(o.skus)) == len(o.skus) for o in orders)
    # Popular SKUs (low ids) dominate.
    skus = np.concatenate([o.skus for o in orders])
    assert np.mean(skus < 50) > 0.4
    # Promised cutoff: first one at least 30 min after arrival; inf when none is left.
    assert {o.cutoff for o in orders} <= {3600.0, 7200.0, float("inf")}


def test_seeded():
    a = [(o.order, o.skus) for o in _run((200.0,), 1, seed=5)]
    b = [(o.order, o.skus) for o in _run((200.0,), 1, seed=5)]
    c = [(o.order, o.skus) for o in _run((200.0,), 1, seed=6)]
    assert a == b and a != c


def test_zipf_weights():
    w = zipf_weights(4, 1.0)
    assert np.isclose(w.sum(), 1) and w[0] == 2 * w[1]
    assert np.allclose(zipf_weights(3, 0.0), 1 / 3)
