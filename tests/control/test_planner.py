"""Every FleetPlanner in ``logitwin.control`` against the LoRR rules it does not share.

Each planner drives a small random fleet to new goals for a few dozen steps; every step
is checked with ``logitwin.mapf.actions.check_step``, pinned robots must keep their cells,
and two runs from the same seed must act alike.
"""

import importlib
import inspect
import pkgutil
import time
from collections.abc import Callable

import numpy as np
import pytest

import logitwin.control
from logitwin.control.epibt import EPIBT
from logitwin.control.lns import RefinedPIBT, WindowedLNS
from logitwin.control.pibt import PIBT, RotationDistances
from logitwin.control.planner import FleetPlanner, FleetView
from logitwin.mapf.actions import check_step
from logitwin.site import DistanceOracle, Grid
from tests.control.fleet import random_fleet

Factory = Callable[[Grid, int, int], FleetPlanner]

# name -> (make(grid, robots, seed), tables by (cell, orientation) state or by cell).
# Refinement runs under work caps far inside its time, so a step depends on the seed alone.
PLANNERS: dict[str, tuple[Factory, bool]] = {
    "pibt": (lambda g, n, s: PIBT(g, n, np.random.default_rng(s), state_tables=True), True),
    "pibt-cell-tables": (lambda g, n, s: PIBT(g, n, np.random.default_rng(s)), False),
    "pibt+lns": (
        lambda g, n, s: RefinedPIBT(
            PIBT(g, n, np.random.default_rng(s), state_tables=True),
            WindowedLNS(g, 5, np.random.default_rng(s + 1), neighbourhood=3),
            refine_s=30.0,
            refine_tries=20,
        ),
        True,
    ),
    "epibt": (lambda g, n, s: EPIBT(g, n, np.random.default_rng(s)), True),
    "epibt+refine": (
        lambda g, n, s: EPIBT(
            g, n, np.random.default_rng(s), depth=3, refine_s=30.0, refine_rounds=3
        ),
        True,
    ),
}


def _rollout(name: str, seed: int, robots: int = 24, steps: int = 40) -> list[list[str]]:
    """Drive a random fleet with planner ``name``; return every step's actions."""
    make, state_tables = PLANNERS[name]
    rng = np.random.default_rng(seed)
    grid, comp, cells, orients, goals = random_fleet(rng, robots)
    goals[-1] = -1  # one robot without a goal: it moves only to make way
    rot, oracle = RotationDistances(grid), DistanceOracle(grid)
    planner = make(grid, robots, seed)
    assert isinstance(planner, FleetPlanner)
    history = []
    for t in range(steps):
        pinned = [k == t % 5 for k in range(robots)] if t % 3 == 0 else None
        tables = [
            None if g < 0 else rot.table(g) if state_tables else oracle.dist_list(g) for g in goals
        ]
        urgency = [float(k) for k in range(robots)]
        view = FleetView(cells, orients, tables, goals, urgency, pinned)
        actions = planner.plan(view, time.perf_counter() + 60)
        before = cells
        cells, orients, errors = check_step(grid, cells, orients, actions, t)
        assert errors == [], f"{name}, step {t}: {errors}"
        if pinned is not None:
            assert cells[t % 5] == before[t % 5], f"{name}, step {t}: a pinned robot moved"
        history.append(actions)
        for k, g in enumerate(goals):
            if g >= 0 and cells[k] == g:
                goals[k] = comp[int(rng.integers(len(comp)))]
    return history


@pytest.mark.parametrize("name", sorted(PLANNERS))
def test_planner_steps_are_valid_and_repeat_for_a_seed(name):
    first = _rollout(name, seed=7)
    assert any("F" in step for step in first)  # the fleet gets somewhere
    assert _rollout(name, seed=7) == first


def test_every_fleet_planner_in_control_is_checked():
    """A new class with a ``plan`` method in ``logitwin.control`` must join PLANNERS."""
    found = set()
    for info in pkgutil.iter_modules(logitwin.control.__path__):
        module = importlib.import_module(f"logitwin.control.{info.name}")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and callable(getattr(cls, "plan", None)):
                found.add(cls_name)
    found.discard("FleetPlanner")
    made = {type(make(Grid.from_strings(["..."]), 1, 0)).__name__ for make, _ in PLANNERS.values()}
    assert found == made


@pytest.mark.parametrize("followed", [True, False])
def test_a_carried_plan_is_dropped_when_the_fleet_did_not_follow_it(followed):
    grid = Grid.from_strings(["......"])
    planner = EPIBT(grid, 1, np.random.default_rng(0), depth=3)
    deadline = time.perf_counter() + 60
    first = FleetView([0], [0], [RotationDistances(grid).table(5)], [5])
    assert planner.plan(first, deadline) == ["F"]
    # Now without a goal: the robot follows the operation it carries, unless the step
    # was not executed (it still stands on cell 0); then it drops it and waits.
    later = FleetView([1 if followed else 0], [0], [None], [-1], followed=followed)
    assert planner.plan(later, deadline) == (["F"] if followed else ["W"])


def test_a_view_with_entries_for_too_few_robots_is_refused():
    with pytest.raises(ValueError, match=r"FleetView\.goals has 1 entries for 2 robots"):
        FleetView([0, 1], [0, 0], [None, None], [-1])
    with pytest.raises(ValueError, match=r"FleetView\.pinned"):
        FleetView([0], [0], [None], [-1], pinned=[True, False])
