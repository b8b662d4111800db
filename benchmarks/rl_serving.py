"""How long a learned policy takes per decision, against its heuristic in the same run.

Collects real decisions from a run of the scenario, then times the registered policy
(observation building + onnxruntime on one thread) and the heuristics of its kind on
the same decisions, and prints JSON: p50/p99 per decision (ms), the ratio to the
heuristic, and whether p99 is under the issue's 1 ms. Pin it to one core for the
target (``taskset -c 0``).

    .venv/bin/python benchmarks/rl_serving.py NAME[@VERSION] --registry policies \
        [--scenario demo] [--set path=value]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
from _machine import cpu_name  # benchmarks/ is on sys.path when run as a script

from logitwin.control.policies import KINDS
from logitwin.rl.envs import EnvConfig
from logitwin.rl.registry import PolicyRegistry
from logitwin.rl.serving import measure_latency, policy_from
from logitwin.rl.train import sample_decisions

TARGET_P99_MS = 1.0  # issue #20: p99 under 1 ms per decision on one core


def _time(policy: Any, decisions: list[Any], repeat: int = 3) -> dict[str, float]:
    for d in decisions:
        policy.choose(d)
    ts = []
    for _ in range(repeat):
        for d in decisions:
            t0 = time.perf_counter()
            policy.choose(d)
            ts.append(time.perf_counter() - t0)
    ms = np.asarray(ts) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("policy", help="NAME or NAME@VERSION")
    ap.add_argument("--registry", default=None)
    ap.add_argument("--scenario", default="demo")
    ap.add_argument("--set", dest="overrides", action="append", default=["horizon_h=0.5"])
    ap.add_argument("--decisions", type=int, default=500)
    a = ap.parse_args()
    name, _, v = a.policy.partition("@")
    pv = PolicyRegistry(a.registry).get(name, int(v) if v else None)
    site, decisions = sample_decisions(
        pv.kind, EnvConfig(a.scenario, tuple(a.overrides)), a.decisions
    )
    learned = measure_latency(policy_from(pv, site), decisions)
    heuristics = {
        h: _time(make(site, np.random.default_rng(0)), decisions)
        for h, make in KINDS[pv.kind].items()
    }
    print(
        json.dumps(
            {
                "benchmark": "rl_serving",
                "policy": f"{pv.name}@{pv.version}",
                "kind": pv.kind,
                "scenario": a.scenario,
                "decisions": len(decisions),
                "cpu": cpu_name(),
                "affinity": sorted(os.sched_getaffinity(0)),
                "learned": learned,
                "heuristics": heuristics,
                "p99_ratio_to_heuristics": {
                    h: learned["p99_ms"] / max(1e-9, t["p99_ms"]) for h, t in heuristics.items()
                },
                "target_p99_ms": TARGET_P99_MS,
                "meets_target": learned["p99_ms"] < TARGET_P99_MS,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
