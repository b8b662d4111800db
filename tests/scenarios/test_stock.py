"""Stock, backorders, replenishment, put-away and cross-docking in a real twin: `tiny`
with an inbound truck every 15 minutes and half an hour of stock, so SKUs run out."""

import pytest

from logitwin.actors.journal import Journal, JournalReader
from logitwin.control.slotting import NearestFreeSlotting, SlottingDecision
from logitwin.errors import ScenarioError
from logitwin.scenarios.build import build_twin, site_view
from logitwin.scenarios.kpis import project
from logitwin.scenarios.loader import load_scenario
from logitwin.scenarios.plan import plan_day
from logitwin.site import DistanceOracle

STOCK = [
    "inbound={every_h: 0.25, first_arrival_h: 0.25, pallets: 4, unload_min: 0.5}",
    "stock={initial_cover_h: 0.5, lead_time_h: 0.25, review_min: 5, bucket_min: 15, "
    "case_units: 4, cases_per_pallet: 10}",
    "horizon_h=2",
]


class _Recording:
    """Nearest-free slotting that remembers which pods it placed."""

    def __init__(self, inner):
        self.inner, self.pods = inner, []

    def choose(self, decision: SlottingDecision) -> int:
        self.pods.append(decision.pod)
        return self.inner.choose(decision)


def _run(tmp_path, name, overrides=STOCK):
    sc = load_scenario("tiny", overrides)
    path = tmp_path / f"{name}.sqlite"
    plan = plan_day(sc)
    oracle = DistanceOracle(plan.site.grid)
    view = site_view(plan.site, oracle.dist_list, plan.sku_pods, plan.popularity,
                     len(plan.pod_cells), len(plan.robots))  # fmt: skip
    rec = _Recording(NearestFreeSlotting(view))
    twin = build_twin(sc, Journal(path), policies={"slotting": rec})
    twin.system.run(until=twin.horizon_s)
    twin.system.close()
    with JournalReader(path) as r:
        rows = list(r.rows())
    return twin, rows, rec


@pytest.fixture(scope="module")
def stock_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("stock"), "a")


def _states(rows, entity, field):
    return [(r.time, r.body[field]) for r in rows
            if r.kind == "state" and r.entity == entity and field in r.body]  # fmt: skip


def test_stock_accounting_is_exact(stock_run):
    twin, rows, _ = stock_run
    plan, ledger = twin.plan, twin.system.actor("allocator").stock
    k = project(rows, twin.horizon_s, 1.25).kpis
    assert k["lines_backordered"] > 0 and k["stockout_sku_hours"] > 0  # it does run out
    initial = sum(plan.stock.initial)
    assert initial + k["units_put_away"] - k["units_picked"] == k["stock_on_hand_end"]
    assert sum(ledger.on_hand) == k["stock_on_hand_end"]
    in_putaway = k["units_received"] - k["units_cross_docked"] - k["units_put_away"]
    assert in_putaway >= 0
    assert all(0 <= r <= h for r, h in zip(ledger.reserved, ledger.on_hand, strict=True))
    assert all(v >= 0 for _, v in _states(rows, "allocator", "on_hand"))
    assert 0 < k["fill_rate"] < 1


def test_backordered_lines_are_picked_after_their_stock_arrives(stock_run):
    _, rows, _ = stock_run
    since = {}
    for t, ev in _states(rows, "allocator", "backordered"):
        for i in range(0, len(ev), 3):
            since[(ev[i], ev[i + 1])] = t
    receipts = [(t, ev[2]) for t, ev in _states(rows, "receiving", "receipt")]
    served = 0
    for t, ev in _states(rows, "allocator", "backorder_served"):
        for i in range(0, len(ev), 2):
            key = (ev[i], ev[i + 1])
            assert t >= since[key]
            assert any(rt <= t and sku == key[1] for rt, sku in receipts)  # stock came in
            served += 1
    assert served > 0
    picked_at = {e: t for t, e in ((r.time, r.entity) for r in rows
                 if r.kind == "state" and r.body.get("status") == "picked")}  # fmt: skip
    late = [o for o, _ in since if o in picked_at]
    assert late and all(picked_at[o] > since[(o, s)] for o, s in since if o in picked_at)


def test_purchase_orders_ride_only_feasible_trips(stock_run):
    twin, rows, _ = stock_run
    trips = {t.id: t for t in twin.plan.inbound}
    lead = twin.scenario.stock.lead_time_h * 3600
    per_trip = {}
    pos = _states(rows, "receiving", "po")
    assert pos
    for t, (_, _, units, trip) in pos:
        assert trips[trip].arrive >= t + lead - 1e-6
        per_trip[trip] = per_trip.get(trip, 0) + units
    st = twin.scenario.stock
    for trip, units in per_trip.items():
        assert units <= trips[trip].pallets * st.cases_per_pallet * st.case_units


def test_put_away_uses_robots_and_the_slotting_policy(stock_run):
    _, rows, rec = stock_run
    tasks = [r for r in rows if r.kind == "message" and r.type == "PodTask"]
    putaway_pods = {r.body[1] for r in tasks if "receiving" in r.body[4]}
    stowed = _states(rows, "allocator", "stowed")
    assert putaway_pods and stowed
    stowed_pods = {ev[i + 2] for _, ev in stowed for i in range(0, len(ev), 3)}
    assert stowed_pods <= putaway_pods
    assert stowed_pods <= set(rec.pods)  # each went back where slotting chose


def test_cross_docked_lines_skip_storage(stock_run):
    _, rows, _ = stock_run
    crossed = {(ev[i], ev[i + 1]) for _, ev in _states(rows, "allocator", "cross_docked")
               for i in range(0, len(ev), 3)}  # fmt: skip
    assert crossed
    picked_at_stations = {(o, s) for r in rows if r.kind == "message" and r.type == "PodTask"
                          for o, s in zip(r.body[4], r.body[5], strict=True)}  # fmt: skip
    assert not crossed & picked_at_stations


def test_same_seed_same_journal(tmp_path, stock_run):
    _, rows, _ = stock_run
    _, again, _ = _run(tmp_path, "b")
    key = [(r.time, r.kind, r.entity, r.type, r.body) for r in rows]
    assert key == [(r.time, r.kind, r.entity, r.type, r.body) for r in again]


def test_without_a_stock_section_nothing_changes(tmp_path):
    twin, rows, _ = _run(tmp_path, "plain", ["horizon_h=0.5"])
    assert twin.plan.stock is None and twin.system.actor("allocator").stock is None
    assert "fill_rate" not in project(rows, twin.horizon_s, 1.25).kpis


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("stock={service_level: 1.5}", "stock.service_level"),
        ("stock={case_units: 0}", "stock.case_units"),
        ("stock={forecast: arima}", "stock.forecast"),
        ("stock={lead_tme_h: 1}", "lead_tme_h"),
    ],
)
def test_bad_stock_input_names_the_field(override, names):
    with pytest.raises(ScenarioError, match=names.replace(".", r"\.")):
        load_scenario("tiny", [STOCK[0], override])


def test_stock_needs_inbound_trucks():
    with pytest.raises(ScenarioError, match="inbound.every_h"):
        load_scenario("tiny", ["stock={}"])
