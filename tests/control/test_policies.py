"""Every registered policy passes the conformance check; each heuristic does what it says."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from logitwin.control.dispatch import (
    AssignmentDispatch,
    DispatchDecision,
    FifoDispatch,
    NearestIdleDispatch,
)
from logitwin.control.policies import (
    KINDS,
    PolicyCheckError,
    PolicySpec,
    check_policy,
    parse_spec,
)
from logitwin.control.slotting import (
    ClassBasedSlotting,
    NearestFreeSlotting,
    SiteView,
    SlottingDecision,
)


# A corridor of 10 cells; the station is at cell 0; storage 1..9.
def _line(c: int) -> Sequence[int]:
    return [abs(c - x) for x in range(10)]


SITE = SiteView(_line, tuple(range(1, 10)), (0,), (0.5, 0.3, 0.1, 0.05, 0.05), robots=4)


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, t in KINDS.items() for n in t])
def test_every_registered_heuristic_passes_the_check(kind: str, name: str) -> None:
    stats = check_policy(kind, KINDS[kind][name], SITE)
    assert stats["p99_ms"] >= 0


def test_the_check_catches_a_policy_that_answers_outside_its_options() -> None:
    class Off:
        def __init__(self, site: SiteView, rng: np.random.Generator) -> None:
            pass

        def choose(self, d: SlottingDecision) -> int:
            return 0  # the station, never a free storage cell

    with pytest.raises(PolicyCheckError, match="not one of"):
        check_policy("slotting", Off, SITE)


def test_the_check_catches_an_irreproducible_policy() -> None:
    class Coin:
        def __init__(self, site: SiteView, rng: np.random.Generator) -> None:
            self.rng = np.random.default_rng()  # not the stream it was given

        def choose(self, d: SlottingDecision) -> int:
            if not d.free:
                raise ValueError("none")
            return d.free[int(self.rng.integers(len(d.free)))]

    with pytest.raises(PolicyCheckError, match="reproducible"):
        check_policy("slotting", Coin, SITE)


def test_nearest_free_and_class_based_slotting() -> None:
    d = SlottingDecision(0.0, pod=0, origin=0, free=(3, 7, 9))
    assert NearestFreeSlotting(SITE).choose(d) == 3
    # pod 4 is a slow mover (class C): the far third of storage
    assert ClassBasedSlotting(SITE).choose(SlottingDecision(0.0, 4, 0, (1, 2, 8, 9))) == 8
    # pod 0 is the fastest: nearest the station
    assert ClassBasedSlotting(SITE).choose(SlottingDecision(0.0, 0, 0, (2, 8))) == 2
    with pytest.raises(ValueError, match="no free storage cell for pod 1"):
        NearestFreeSlotting(SITE).choose(SlottingDecision(0.0, 1, 0, ()))


def test_dispatch_heuristics() -> None:
    idle = ((1, 9, 5.0), (2, 4, 1.0), (3, 5, 3.0))
    d = DispatchDecision(10.0, pod=0, pod_cell=5, station=0, lines=2, idle=idle)
    assert NearestIdleDispatch(SITE).choose(d) == 3  # at the pod
    assert FifoDispatch(SITE).choose(d) == 2  # idle since t=1
    # Two tasks, two robots near them: the assignment leaves the nearer robot to the
    # task it suits best.
    d2 = DispatchDecision(10.0, 0, 5, 0, 1, ((1, 6, 0.0), (2, 4, 0.0)), others=((3, 0),))
    assert AssignmentDispatch(SITE).choose(d2) == 1
    assert NearestIdleDispatch(SITE).choose(d2) in (1, 2)
    with pytest.raises(ValueError, match="no idle robot"):
        FifoDispatch(SITE).choose(DispatchDecision(0.0, 0, 5, 0, 1, ()))


def test_policy_names_parse_and_bad_ones_are_named() -> None:
    assert parse_spec("slotting", "class_based") == PolicySpec("slotting", heuristic="class_based")
    assert parse_spec("dispatch", "policy:disp-1@3") == PolicySpec("dispatch", None, "disp-1", 3)
    assert str(parse_spec("dispatch", "policy:disp")) == "policy:disp"
    with pytest.raises(ValueError, match="nearest_idle"):
        parse_spec("dispatch", "closest")
    with pytest.raises(ValueError, match="decision kind"):
        parse_spec("routing", "x")
