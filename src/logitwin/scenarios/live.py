"""Live runs: the twin on the wall clock, its robots behind a bridge.

The same actors and controllers as a what-if; only the clock (``simpy.rt``) and the
robot driver differ. A live run is journalled like any other, but it cannot be
re-executed (the robots are real): its journal is sealed at the time reached when the
shift ends or the operator stops it (Ctrl-C), and its KPIs are computed from it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import simpy.rt
import yaml

from logitwin import __version__
from logitwin.actors.journal import Journal
from logitwin.actors.runtime import LocalSystem
from logitwin.actors.traffic import RobotDriver, TrafficController
from logitwin.errors import LogitwinError
from logitwin.robots.fleet import FleetSetup
from logitwin.robots.registry import make_driver
from logitwin.scenarios.build import build_twin
from logitwin.scenarios.kpis import project
from logitwin.scenarios.runner import JOURNAL, RunResult, _prepare_out, write_outputs
from logitwin.scenarios.schema import Scenario

__all__ = ["BACKENDS", "run_live"]

# live --robots NAME -> the driver that talks to them (a PyBullet world in another
# process speaks the zmq link)
BACKENDS = {"zmq": "zmq", "pybullet": "zmq", "ros2": "ros2", "vda5050": "vda5050"}


def run_live(
    scenario: Scenario,
    out_dir: str | Path,
    robots: str,
    options: Mapping[str, str] | None = None,
    until_s: float | None = None,
    connect_s: float = 30.0,
    on_start: Callable[[Any], None] | None = None,
    speedup: float = 1.0,
) -> RunResult:
    """Run ``scenario`` live until ``until_s`` (default its horizon) or Ctrl-C.

    Args:
        scenario: the validated scenario.
        out_dir: output folder (as for a what-if).
        robots: the backend (a key of :data:`BACKENDS`).
        options: the driver's options (``endpoint``, ``broker``, ...).
        until_s: stop after this many seconds (twin time).
        connect_s: how long to wait for every robot to be heard before starting.
        on_start: called with the twin once every robot is connected (tests, tools).
        speedup: twin seconds per wall second (1: real time); the robots must run at
            the same (``robot-sim --speedup``).

    Raises:
        LogitwinError: an unknown backend, robots that never connect (named), an
            output folder that cannot take the run.
    """
    if robots not in BACKENDS:
        raise LogitwinError(f"--robots {robots!r}: expected one of {sorted(BACKENDS)}")
    if not speedup > 0:
        raise LogitwinError(f"--speedup must be > 0, got {speedup}")
    opts = {**dict(options or {}), "speedup": repr(speedup)}
    out = Path(out_dir)
    created = _prepare_out(out)
    resolved = scenario.model_dump(mode="json")
    horizon_s = scenario.horizon_h * 3600.0 if until_s is None else until_s
    journal = Journal(out / JOURNAL, commit_s=1.0)
    journal.set_meta(
        scenario=json.dumps(resolved, sort_keys=True),
        seed=str(scenario.seed),
        horizon_s=repr(horizon_s),
        cell_m=repr(scenario.floor.cell_m),
        mode="live",
        robots=robots,
        logitwin=__version__,
    )

    def driver(setup: FleetSetup) -> RobotDriver:
        return make_driver(BACKENDS[robots], dataclasses.replace(setup, options=opts))

    env = simpy.rt.RealtimeEnvironment(factor=1.0 / speedup, strict=False)

    def runtime(seed: int, lookahead: float, j: Journal | None) -> LocalSystem:
        return LocalSystem(seed, lookahead, j, env=env)

    t0 = time.perf_counter()
    try:
        twin = build_twin(scenario, journal, runtime, driver=driver)
    except BaseException:
        journal.close()
        for f in out.glob(JOURNAL + "*"):
            f.unlink()
        for d in reversed(created):
            d.rmdir()
        raise
    (out / "scenario.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    system = twin.system
    traffic = _traffic(system)
    try:
        _connect(traffic, connect_s)
        env.sync()  # the clock starts now, not when the twin was built
        if on_start is not None:
            on_start(twin)
        with contextlib.suppress(KeyboardInterrupt):  # the operator ends the shift
            system.run(until=horizon_s)
    except Exception as exc:
        system.close()
        traffic.driver.close()
        journal.mark_failed(f"{type(exc).__name__}: {exc}")
        journal.close()
        raise
    system.close()
    traffic.driver.close()
    reached = float(system.now)
    journal.mark_complete(reached)
    rows = journal.rows_written
    proj = project(journal.rows(), reached, scenario.floor.cell_m)
    journal.close()
    write_outputs(proj, out)
    wall = time.perf_counter() - t0
    return RunResult(proj.kpis, out, wall, reached, system.delivered, rows, twin)


def _traffic(system: Any) -> TrafficController:
    actor = system.actor("traffic") if isinstance(system, LocalSystem) else None
    if not isinstance(actor, TrafficController):
        raise LogitwinError("a live run needs the traffic controller in this process")
    return actor


def _connect(traffic: TrafficController, within_s: float) -> None:
    """Wait until every robot has been heard; name those that were not."""
    driver: Any = traffic.driver
    heard = getattr(driver, "heard", None)
    if heard is None:
        return
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        missing = [r for i, r in enumerate(traffic.robot_ids) if not heard(i)]
        if not missing:
            return
        time.sleep(0.05)
    raise LogitwinError(
        f"{len(missing)} robot(s) never connected within {within_s:g} s: "
        f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}; start them "
        "(logitwin robot-sim) or check the endpoint/broker options"
    )
