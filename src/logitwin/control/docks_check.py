"""An independent checker for dock schedules.

It reads only the problem's and the schedule's fields and shares no code with the
solvers (:func:`logitwin.control.docks.fcfs`, :mod:`logitwin.control.docks_cpsat`), so a
bug in their shared helpers cannot hide from it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

from logitwin.control.docks import DockProblem, DockSchedule

__all__ = ["check"]


def check(problem: DockProblem, schedule: DockSchedule) -> list[str]:
    """Every broken schedule constraint, one message each (empty when the schedule holds).

    Checks: every truck scheduled exactly once and nothing else; a known door whose kind
    serves the truck's direction and whose ``accepts`` holds its class; start at or after
    arrival and on the slot grid; end = start + service; no two trucks overlapping on a
    door; the end within the horizon; and the schedule's KPIs equal to the ones recomputed
    here.
    """
    out: list[str] = []
    trucks = {t.id: t for t in problem.trucks}
    doors = {d.id: d for d in problem.doors}
    seen = Counter(a.truck for a in schedule.assignments)
    for tid in trucks:
        if seen[tid] == 0:
            out.append(f"truck {tid!r} is not scheduled")
        elif seen[tid] > 1:
            out.append(f"truck {tid!r} is scheduled {seen[tid]} times")
    for tid in seen:
        if tid not in trucks:
            out.append(f"truck {tid!r} is scheduled but not in the problem")

    per_door: defaultdict[str, list[tuple[int, int, str]]] = defaultdict(list)
    wait_total = wait_max = weighted_wait = weighted_late = 0
    for a in schedule.assignments:
        t = trucks.get(a.truck)
        if t is None:
            continue
        door = doors.get(a.door)
        if door is None:
            out.append(f"truck {t.id!r} is at door {a.door!r}, which does not exist")
        else:
            if door.kind not in ("both", t.direction):
                out.append(f"truck {t.id!r} ({t.direction}) is at {door.kind} door {door.id!r}")
            if door.accepts is not None and t.truck_class not in door.accepts:
                out.append(
                    f"truck {t.id!r} (class {t.truck_class!r}) is at door {door.id!r}, which "
                    f"accepts only {sorted(door.accepts)}"
                )
        if a.start_s < t.arrive_s:
            out.append(
                f"truck {t.id!r} starts at {a.start_s} s, before it arrives at {t.arrive_s} s"
            )
        if a.start_s % problem.slot_s:
            out.append(f"truck {t.id!r} starts at {a.start_s} s, off the {problem.slot_s} s grid")
        if a.end_s != a.start_s + t.service_s:
            out.append(
                f"truck {t.id!r} ends at {a.end_s} s, not start {a.start_s} + service {t.service_s}"
            )
        if a.end_s > problem.horizon_s:
            out.append(
                f"truck {t.id!r} ends at {a.end_s} s, past the horizon {problem.horizon_s} s"
            )
        per_door[a.door].append((a.start_s, a.end_s, t.id))
        wait = a.start_s - t.arrive_s
        wait_total += wait
        wait_max = max(wait_max, wait)
        weighted_wait += t.weight * wait
        weighted_late += t.weight * max(0, a.end_s - t.due_s)

    for door_id, visits in per_door.items():
        visits.sort()
        for (s1, e1, t1), (s2, _, t2) in pairwise(visits):
            if s2 < e1:
                out.append(
                    f"trucks {t1!r} [{s1}, {e1}) and {t2!r} (from {s2}) overlap at door {door_id!r}"
                )

    if not out:
        claimed = {
            "total_wait_s": schedule.total_wait_s,
            "max_wait_s": schedule.max_wait_s,
            "weighted_wait": schedule.weighted_wait,
            "weighted_lateness": schedule.weighted_lateness,
            "objective": schedule.objective,
        }
        actual = {
            "total_wait_s": wait_total,
            "max_wait_s": wait_max,
            "weighted_wait": weighted_wait,
            "weighted_lateness": weighted_late,
            "objective": weighted_wait + problem.lateness_weight * weighted_late,
        }
        for k, v in actual.items():
            if claimed[k] != v:
                out.append(f"KPI {k} claims {claimed[k]}, the schedule gives {v}")
    return out
