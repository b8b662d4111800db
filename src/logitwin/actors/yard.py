"""The yard: trucks check in, wait, and are sent to a door one at a time.

The yard controller starts from the day's dock plan
(:class:`logitwin.scenarios.dock_plan.YardPlan`) and knows only what it has seen: which
trucks have checked in (and when), which door each truck stands at, and which doors
are free. It hands the doors out by its scheduler:

* ``fcfs``: the baseline. Whenever a truck checks in or a door frees, the waiting trucks
  in check-in order each take the first free door that takes them: first come, first
  served, with the arrivals as they actually are.
* ``cpsat``: each door serves the trucks the plan puts on it, in the plan's order; a
  door whose next truck has not come waits for it until the time the plan expects it,
  and after that serves the next truck of its queue that is here (a late truck does
  not hold a door). When a truck is more than
  ``resolve_after_s`` late and has not come, the yard re-plans
  (:func:`logitwin.control.docks_cpsat.resolve`) from now with every truck not yet at a
  door, assuming the late one comes ``resolve_after_s`` later (and again if it does not);
  when a truck comes later than the plan assumed (overdue, or late by more than a slot),
  it re-plans with its real arrival.

A door holds one truck at a time: a truck is sent to a door only when the door's
previous truck has left (:class:`DoorFree` from the dock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from logitwin.actors.messages import DoorAssigned, DoorFree, YardArrive, YardCheck
from logitwin.actors.runtime import Actor, System, handles
from logitwin.control.docks import Assignment, DockProblem, DockSchedule
from logitwin.control.docks_cpsat import CpSatParams, resolve

__all__ = ["Yard", "YardPlan"]


@dataclass(frozen=True, slots=True)
class YardPlan:
    """The day's dock problem and its planned schedule: what the yard starts from.

    Attributes:
        problem: doors (ids are the dock actors'), truck visits at their planned
            arrivals, horizon, slot.
        schedule: the scheduler's plan for it.
        scheduler: ``"fcfs"`` or ``"cpsat"``.
        resolve_after_s: the yard re-plans when a truck is this late (s), > 0.
    """

    problem: DockProblem
    schedule: DockSchedule
    scheduler: str
    resolve_after_s: float


class Yard(Actor):
    """The yard controller (see the module docstring).

    Its rows: ``waiting`` (trucks in the yard), ``resolves`` (re-plans so far) and
    ``moved`` (trucks whose door or start the last re-plan changed).

    Args:
        plan: the day's dock problem and planned schedule; door ids are the dock actors'.
        params: CP-SAT settings for re-plans (``cpsat`` only).
    """

    kind = "yard"

    def __init__(
        self, system: System, aid: str, plan: YardPlan, params: CpSatParams | None = None
    ) -> None:
        super().__init__(system, aid)
        if plan.scheduler not in ("fcfs", "cpsat"):
            raise ValueError(f"{aid}: scheduler={plan.scheduler!r}; use 'fcfs' or 'cpsat'")
        if plan.resolve_after_s <= 0:
            raise ValueError(f"{aid}: resolve_after_s={plan.resolve_after_s}; use a value > 0 s")
        self.problem: DockProblem = plan.problem
        self.schedule: DockSchedule = plan.schedule
        self.scheduler = plan.scheduler
        self.after = plan.resolve_after_s
        self.params = params or CpSatParams()
        self.busy: dict[str, str | None] = {d.id: None for d in self.problem.doors}
        self.arrived: dict[str, float] = {}  # checked in, at
        self.started: dict[str, tuple[str, float]] = {}  # at a door: (door, since)
        self.done: dict[str, float] = {}  # left its door, at
        self.overdue: dict[str, int] = {}  # late, not come: assumed arrival (s)
        self._waiting: list[str] = []  # in the yard, in check-in order
        self._queues: dict[str, list[str]] = {}
        self._requeue()

    def on_start(self) -> None:
        self.resolves = 0
        self.waiting = 0
        self.set(scheduler=self.scheduler, waiting=0, resolves=0)
        if self.scheduler == "cpsat":
            for t in self.problem.trucks:
                # A second after the threshold, so a truck exactly on time has checked in.
                due = t.arrive_s + self.after + 1.0
                self.timer(max(0.0, due - self.now), YardCheck(t.id))

    @handles(YardArrive)
    def _arrive(self, msg: YardArrive, sender: str) -> None:
        if msg.truck in self.arrived:
            raise ValueError(f"{self.id}: {msg.truck} checked in twice")
        self.problem.index(msg.truck)  # an unknown truck is an error
        self.arrived[msg.truck] = self.now
        self._waiting.append(msg.truck)
        overdue = self.overdue.pop(msg.truck, None) is not None
        planned = self._arrive_s(msg.truck)
        # A truck that comes later than the plan assumed (overdue, or late by more than a
        # slot) may leave its door idle and the trucks behind it waiting: re-plan.
        if self.scheduler == "cpsat" and (overdue or self.now > planned + self.problem.slot_s):
            self._replan()
        self._dispatch()

    @handles(YardCheck)
    def _check(self, msg: YardCheck, sender: str) -> None:
        if msg.truck in self.arrived:
            return
        self.overdue[msg.truck] = math.floor(self.now + self.after)
        self._replan()
        self.timer(self.after, YardCheck(msg.truck))
        self._dispatch()

    @handles(DoorFree)
    def _free(self, msg: DoorFree, sender: str) -> None:
        if self.busy.get(msg.door) != msg.truck:
            raise ValueError(f"{self.id}: {msg.truck} left {msg.door}, where it was not")
        self.busy[msg.door] = None
        self.done[msg.truck] = self.now
        self._dispatch()

    # --- handing out doors --------------------------------------------------------------
    def _dispatch(self) -> None:
        if self.scheduler == "fcfs":
            for truck in list(self._waiting):
                i = self.problem.index(truck)
                door = next(
                    (
                        self.problem.doors[d].id
                        for d in self.problem.compatible[i]
                        if self.busy[self.problem.doors[d].id] is None
                    ),
                    None,
                )
                if door is not None:
                    self._grant(truck, door)
        else:
            for door, queue in self._queues.items():
                if self.busy[door] is not None:
                    continue
                for truck in queue:
                    if truck in self.arrived:
                        self._grant(truck, door)
                        break
                    if self._arrive_s(truck) >= self.now:
                        break  # the plan holds the door for it: not late yet
        if len(self._waiting) != self.waiting:
            self.set(waiting=len(self._waiting))

    def _arrive_s(self, truck: str) -> int:
        """When the current plan expects ``truck`` (s)."""
        return self.problem.trucks[self.problem.index(truck)].arrive_s

    def _grant(self, truck: str, door: str) -> None:
        self.busy[door] = truck
        self._waiting.remove(truck)
        self.started[truck] = (door, self.now)
        queue = self._queues.get(door)
        if queue and truck in queue:
            queue.remove(truck)
        self.send(truck, DoorAssigned(door))

    def _requeue(self) -> None:
        """Each door's trucks not yet at a door, in the current plan's start order."""
        queues: dict[str, list[tuple[int, int, str]]] = {d.id: [] for d in self.problem.doors}
        for k, a in enumerate(self.schedule.assignments):
            if a.truck not in self.started:
                queues[a.door].append((a.start_s, k, a.truck))
        self._queues = {d: [t for *_, t in sorted(q)] for d, q in queues.items()}

    # --- re-planning ----------------------------------------------------------------------
    def _replan(self) -> None:
        """Re-plan every truck not yet at a door from now (:func:`resolve`), with the
        arrivals seen so far and the assumed ones of overdue trucks."""
        now_s = math.floor(self.now) + 1  # trucks at a door started before it
        current = []
        for t, a in zip(self.problem.trucks, self.schedule.assignments, strict=True):
            if t.id in self.started:
                door, since = self.started[t.id]
                start = min(math.floor(since), now_s - 1)
                end = max(start + t.service_s, now_s) if t.id not in self.done else start + 1
                current.append(Assignment(t.id, door, start, end))
            else:
                start = max(a.start_s, now_s)
                current.append(Assignment(t.id, a.door, start, start + t.service_s))
        schedule = DockSchedule.build(self.problem, current, self.scheduler, "observed")
        updates = {
            t: math.floor(at) for t, at in self.arrived.items() if t not in self.started
        } | self.overdue
        out = resolve(self.problem, schedule, now_s, updates, self.params)
        self.problem, self.schedule = out.problem, out.schedule
        self._requeue()
        self.resolves += 1
        self.set(resolves=self.resolves, moved=len(out.changed))
