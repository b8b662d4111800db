"""The scenario's policies section: every heuristic runs the twin, shadows are journalled,
unknown names are refused by name."""

from __future__ import annotations

import pytest

from logitwin.actors.journal import Journal
from logitwin.errors import ScenarioError
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import build_twin
from logitwin.scenarios.kpis import project


@pytest.mark.parametrize(
    ("slotting", "dispatch"),
    [("random", "fifo"), ("class_based", "assignment"), ("nearest_free", "nearest_idle")],
)
def test_each_heuristic_runs_the_twin(slotting: str, dispatch: str) -> None:
    sc = load_scenario("tiny", ["horizon_h=0.3", f"policies.slotting={slotting}",
                                f"policies.dispatch={dispatch}"])  # fmt: skip
    j = Journal(None)
    twin = build_twin(sc, j)
    twin.system.run(until=1080)
    j.flush()
    rows = list(j.rows())
    names = next(r.body for r in rows if r.entity == "allocator" and r.kind == "state")
    assert names["policy_slotting"] == slotting and names["policy_dispatch"] == dispatch
    assert project(rows, 1080, sc.floor.cell_m).kpis["orders_picked"] >= 5


def test_a_shadow_policy_is_journalled_beside_the_active_one() -> None:
    sc = load_scenario("tiny", ["horizon_h=0.3", "policies.shadow.slotting=random",
                                "policies.shadow.dispatch=fifo"])  # fmt: skip
    j = Journal(None)
    build_twin(sc, j).system.run(until=1080)
    j.flush()
    states = [r.body for r in j.rows() if r.entity == "allocator" and r.kind == "state"]
    assert states[0]["policy_shadow_slotting"] == "random"
    slot = [s["shadow_slotting"] for s in states if "shadow_slotting" in s]
    disp = [s["shadow_dispatch"] for s in states if "shadow_dispatch" in s]
    assert slot and disp
    # the shadow's extra travel against the active (nearest) choices is never negative
    assert all(extra >= 0 for *_, extra in slot)
    assert any(active != shadow for _, active, shadow, _ in slot)


def test_unknown_policy_names_are_refused_naming_the_choices() -> None:
    with pytest.raises(ScenarioError, match="nearest_free"):
        load_scenario("tiny", ["policies.slotting=closest"])
    with pytest.raises(ScenarioError, match="policy:NAME@VERSION"):
        load_scenario("tiny", ["policies.dispatch=policy:bad name"])
