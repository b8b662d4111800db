"""Where a 2026 run's robot-ticks go, read from its result file alone.

    .venv/bin/logitwin mapf run PROBLEM --out result.json
    .venv/bin/python benchmarks/mapf_2026_where.py PROBLEM result.json [--from 1500 --to 4500]

Replays the executed actions and delay intervals and prints JSON: per kind of cell
(one-wide horizontal and vertical lanes, as ``site.guidance.lane_costs`` finds them, and
open cells) the share of robot-ticks spent there and how they split into moves, turns,
waits (at rest or in the middle of an action) and delays; what robots waiting at a
lane's exit cell (the last cell before it opens into a crossing or open cells, in the
lane's one-way direction) wait for; moves against a lane's direction and how many of them
come within 30 ticks of a change of the robot's task; and task changes per planning call.
Used for the fulfill measurements in docs/architecture.md (the LoRR 2026 section).
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.errors import LogitwinError
from logitwin.mapf.paths import decode_path
from logitwin.mapf.planner2026 import Planner2026Params
from logitwin.site.guidance import lane_costs
from logitwin.site.io import load_lorr_problem

_CODES = {"F": 0, "R": 1, "C": 2, "W": 3, "T": 3}


def where(problem_path: Path, result: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    problem = load_lorr_problem(problem_path)
    grid = problem.grid
    width = grid.width
    nb = grid.neighbor_table
    free = grid.free.reshape(-1)
    horizontal = free & (nb[:, 1] < 0) & (nb[:, 3] < 0)
    vertical = free & (nb[:, 0] < 0) & (nb[:, 2] < 0)
    kind = np.where(horizontal, 0, np.where(vertical, 1, 2))
    names = ("horizontal lane", "vertical lane", "open")
    cost = lane_costs(grid, Planner2026Params().lane_penalty)
    # A lane cell's one-way direction: east (south) where going west (north) costs more.
    along = np.where(horizontal, np.where(cost[:, 2] > 1, 0, 2), np.where(cost[:, 3] > 1, 1, 3))
    step = np.array([1, width, -1, -width])
    lane = horizontal | vertical
    ahead = np.where(lane, np.arange(grid.size) + step[along], -1)
    exit_cell = lane & (ahead >= 0) & ~lane[np.maximum(ahead, 0)]

    k = int(result["agentMaxCounter"])
    ticks = int(result["makespan"])
    hi = min(hi, ticks)
    n = len(result["start"])
    acts = np.array(
        [[_CODES[c] for c in decode_path(t)[1]] for t in result["actualPaths"]], dtype=np.int8
    )
    delayed = np.zeros((n, ticks + 1), dtype=bool)
    for r, intervals in enumerate(result["delayIntervals"]):
        for a, b in intervals:
            delayed[r, a:b] = True
    changes: list[list[int]] = []
    for text in result["actualSchedule"]:
        changes.append([int(item.partition(":")[0]) for item in text.split(",")] if text else [])

    cell = np.array([s[0] * width + s[1] for s in result["start"]])
    ori = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    current = np.full(n, -1)
    kinds = ("move", "turn", "wait", "wait_mid", "delay")
    counts = np.zeros((len(names), len(kinds)), dtype=np.int64)
    blocked = Counter[str]()
    back = Counter[str]()
    at = np.full(grid.size, -1)
    for t in range(ticks):
        a = acts[:, t].astype(np.int64)
        a = np.where((current >= 0) & (count > 0) & (a != 3), current, a)
        if lo <= t < hi:
            what = np.where(
                a == 0,
                0,
                np.where(a != 3, 1, np.where(delayed[:, t], 4, np.where(count > 0, 3, 2))),
            )
            np.add.at(counts, (kind[cell], what), 1)
            at[:] = -1
            at[cell] = np.arange(n)
            for r in np.flatnonzero((what == 2) & exit_cell[cell]).tolist():
                j = at[ahead[cell[r]]]
                if j < 0:
                    blocked["crossing empty (a robot moving in)"] += 1
                elif delayed[j, t]:
                    blocked["robot ahead delayed"] += 1
                elif a[j] == 3:
                    blocked["robot ahead waiting"] += 1
                elif a[j] != 0:
                    blocked["robot ahead turning"] += 1
                elif ori[j] == along[cell[r]]:
                    blocked["robot ahead moving on the same way"] += 1
                else:
                    blocked["robot ahead moving across"] += 1
        moving = a != 3
        count = np.where(moving, count + 1, count)
        current = np.where(moving, a, current)
        done = moving & (count == k)
        forward = done & (a == 0)
        if lo <= t < hi:
            for r in np.flatnonzero(forward & lane[cell] & (ori != along[cell])).tolist():
                back["moves against a lane"] += 1
                i = bisect.bisect_right(changes[r], t)
                if i and t - changes[r][i - 1] <= 30:
                    back["of them within 30 ticks of a task change"] += 1
        cell = np.where(forward, cell + step[ori], cell)
        ori = np.where(
            done & (a == 1), (ori + 1) % 4, np.where(done & (a == 2), (ori + 3) % 4, ori)
        )
        count = np.where(done, 0, count)
        current = np.where(done, -1, current)

    total = int(counts.sum()) or 1
    calls = max(1, (hi - lo) // 10)
    waits = sum(blocked.values()) or 1
    return {
        "ticks": [lo, hi],
        "regions": {
            name: {
                "cells": int(((kind == i) & free).sum()),
                "share": round(int(counts[i].sum()) / total, 4),
                **{
                    w: round(int(counts[i, j]) / max(1, int(counts[i].sum())), 4)
                    for j, w in enumerate(kinds)
                },
            }
            for i, name in enumerate(names)
        },
        "lane_exit_waits": {
            "share_of_all_ticks": round(sum(blocked.values()) / total, 4),
            **{w: round(v / waits, 3) for w, v in blocked.most_common()},
        },
        "against_lanes": dict(back),
        "task_changes_per_call": round(
            sum(1 for ch in changes for x in ch if lo <= x < hi) / calls, 1
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem", type=Path)
    ap.add_argument("result", type=Path)
    ap.add_argument("--from", dest="lo", type=int, default=1500)
    ap.add_argument("--to", dest="hi", type=int, default=4500)
    args = ap.parse_args()
    try:
        result = json.loads(args.result.read_text())
        report = where(args.problem, result, args.lo, args.hi)
    except (OSError, LogitwinError) as exc:
        sys.exit(f"error: {exc}")
    except ValueError as exc:
        sys.exit(f"error: {args.result}: {exc}")
    except (KeyError, TypeError, IndexError) as exc:
        sys.exit(f"error: {args.result} is not a 2026 result of {args.problem} ({exc!r})")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
