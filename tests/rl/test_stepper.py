"""The twin stepped decision by decision is the twin: same journal as a normal run."""

from __future__ import annotations

from typing import Any

import pytest

from logitwin.actors.journal import Journal
from logitwin.control.dispatch import NearestIdleDispatch
from logitwin.control.slotting import NearestFreeSlotting
from logitwin.rl import DecisionStepper
from logitwin.scenarios import load_scenario
from logitwin.scenarios.build import build_twin

SC = load_scenario("tiny", ["horizon_h=0.3"])


def _rows(j: Journal) -> list[tuple[Any, ...]]:
    out = []
    for r in j.rows():
        body = r.body
        if r.kind == "state" and isinstance(body, dict):  # the policy names differ
            body = {k: v for k, v in body.items() if not k.startswith("policy_")}
        out.append((r.time, r.kind, r.entity, r.type, r.sender, repr(body)))
    return out


@pytest.mark.parametrize(("kind", "heuristic"), [("slotting", NearestFreeSlotting),
                                                 ("dispatch", NearestIdleDispatch)])  # fmt: skip
def test_stepping_with_the_heuristics_answers_is_the_normal_run(kind: str, heuristic: Any) -> None:
    normal = Journal(None)
    twin = build_twin(SC, normal)
    twin.system.run(until=SC.horizon_h * 3600)
    normal.flush()

    stepped = Journal(None)
    st = DecisionStepper(SC, kind, journal=stepped)
    allocator = st.twin.system._actors["allocator"]  # type: ignore[attr-defined]
    policy = heuristic(_view(allocator, st), None)
    d = st.start()
    while d is not None:
        d = st.step(policy.choose(d))
    stepped.flush()
    assert st.decisions > 5
    assert _rows(stepped) == _rows(normal)


def _view(allocator: Any, st: DecisionStepper) -> Any:
    from logitwin.control.slotting import SiteView

    site = st.twin.site
    return SiteView(allocator._dist_from, tuple(site.storage),
                    tuple(s.pick_cell for s in site.stations), (1.0,), 4)  # fmt: skip


def test_a_stepper_closed_mid_run_stops_its_twin() -> None:
    st = DecisionStepper(SC, "slotting")
    d = st.start()
    assert d is not None and d.free
    st.step(d.free[-1])
    st.close()
    assert st.done
    with pytest.raises(RuntimeError, match="no decision is pending"):
        st.step(0)


def test_a_bad_answer_is_an_error_naming_it() -> None:
    st = DecisionStepper(SC, "dispatch")
    d = st.start()
    assert d is not None
    with pytest.raises(Exception, match="not idle"):
        st.step(999)
    assert st.done
