"""The day's trucks as a dock-scheduling problem, and the plan's doors from its solution.

With a ``docks:`` section, :func:`logitwin.scenarios.plan.plan_day` no longer hands the
doors out in turn: it turns the day's outbound and inbound trucks into a
:class:`~logitwin.control.docks.DockProblem` (planned arrival = the start of the truck's
window, service = its dwell at the door for an outbound truck, pallets x unload time for
an inbound one, due = its departure, or for an inbound truck ``inbound_window_min`` after
its unloading could end), solves it with the scenario's scheduler and writes each trip's
door and planned door start into its frozen record. The yard actor
(:mod:`logitwin.actors.yard`) starts from that problem and schedule.

The plan knows each truck's planned times only; the delays it will have are learnt at
run time, so neither scheduler sees them here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from logitwin.actors.shipping import InboundTrip, TruckTrip
from logitwin.actors.yard import YardPlan
from logitwin.control.docks import DockProblem, Door, TruckVisit, fcfs
from logitwin.control.docks_cpsat import CpSatParams, cpsat
from logitwin.errors import ScenarioError
from logitwin.scenarios.schema import DocksSpec

__all__ = ["YardPlan", "cpsat_params", "dock_problem", "schedule_docks"]


def cpsat_params(spec: DocksSpec, seed: int) -> CpSatParams:
    """CP-SAT settings for the twin: one worker and a deterministic work limit per
    sub-solve, so a plan depends on the scenario, not on the machine (as long as the
    wall-clock cap ``time_limit_s`` does not bind), and few LNS passes, since the yard
    re-plans many times a day."""
    return CpSatParams(
        time_limit_s=spec.time_limit_s,
        seed=seed % (2**31),
        workers=1,
        deterministic_limit=spec.work_limit,
        passes=3,
    )


def dock_problem(
    spec: DocksSpec,
    doors: Sequence[str],
    trucks: Sequence[TruckTrip],
    inbound: Sequence[InboundTrip],
) -> DockProblem:
    """The day's trucks as a dock-scheduling problem (whole seconds).

    Args:
        spec: the scenario's ``docks:`` section.
        doors: the door actor ids, in layout order.
        trucks: the outbound trips (their ``dock`` is ignored).
        inbound: the inbound trips (their ``dock`` is ignored).
    """
    kinds = spec.door_kinds(len(doors))
    door_list = tuple(
        Door(d, k.kind, frozenset(k.accepts) if k.accepts is not None else None)
        for d, k in zip(doors, kinds, strict=True)
    )
    window = round(spec.inbound_window_min * 60.0)
    visits = [
        TruckVisit(
            t.id,
            "outbound",
            spec.outbound_class,
            round(t.arrive),
            round(t.depart),
            max(1, round(t.depart - t.arrive)),
        )
        for t in trucks
    ] + [
        TruckVisit(
            t.id,
            "inbound",
            spec.inbound_class,
            round(t.arrive),
            round(t.arrive) + max(1, round(t.pallets * t.unload_s)) + window,
            max(1, round(t.pallets * t.unload_s)),
        )
        for t in inbound
    ]
    visits.sort(key=lambda v: (v.arrive_s, v.id))
    slot = max(1, round(spec.slot_min * 60.0))
    # Room for every truck on one door after the last arrival, and for re-plans of trucks
    # that come later still: the plan never runs out of horizon.
    last = max((v.arrive_s for v in visits), default=0)
    horizon = math.ceil((last + sum(v.service_s for v in visits) + 86_400) / slot) * slot
    try:
        return DockProblem(door_list, tuple(visits), horizon, slot, spec.lateness_weight)
    except ValueError as exc:
        raise ScenarioError(f"docks: {exc}") from None


def schedule_docks(
    spec: DocksSpec,
    seed: int,
    doors: Sequence[str],
    trucks: Sequence[TruckTrip],
    inbound: Sequence[InboundTrip],
) -> tuple[list[TruckTrip], list[InboundTrip], YardPlan]:
    """Solve the day's dock problem with ``spec.scheduler`` and put each trip at its
    planned door and start. Returns the outbound trips, the inbound trips and the plan
    the yard actor starts from."""
    problem = dock_problem(spec, doors, trucks, inbound)
    if spec.scheduler == "cpsat":
        schedule = cpsat(problem, cpsat_params(spec, seed))
    else:
        schedule = fcfs(problem)
    at = {a.truck: a for a in schedule.assignments}

    def placed(trip: TruckTrip | InboundTrip) -> dict[str, object]:
        a = at[trip.id]
        return {"dock": a.door, "door_start": float(a.start_s)}

    out = [dataclasses.replace(t, **placed(t)) for t in trucks]  # type: ignore[arg-type]
    inb = [dataclasses.replace(t, **placed(t)) for t in inbound]  # type: ignore[arg-type]
    plan = YardPlan(problem, schedule, spec.scheduler, spec.resolve_after_min * 60.0)
    return out, inb, plan
