"""Policies by name, and the conformance check every policy passes.

A scenario's ``policies:`` section names one policy per decision kind: a heuristic
(``slotting: nearest_free | random | class_based``, ``dispatch: nearest_idle | fifo |
assignment``) or a learned policy from the registry (``policy:NAME@VERSION``, or
``policy:NAME`` for its promoted version). Adding a policy means one class meeting
:class:`~logitwin.control.slotting.SlottingPolicy` or
:class:`~logitwin.control.dispatch.DispatchPolicy`, one line here, and passing
:func:`check_policy`.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from logitwin.control.dispatch import (
    AssignmentDispatch,
    DispatchDecision,
    FifoDispatch,
    NearestIdleDispatch,
)
from logitwin.control.slotting import (
    ClassBasedSlotting,
    NearestFreeSlotting,
    RandomSlotting,
    SiteView,
    SlottingDecision,
)

__all__ = [
    "DISPATCH",
    "KINDS",
    "SLOTTING",
    "PolicyCheckError",
    "PolicySpec",
    "check_policy",
    "make_policy",
    "parse_spec",
]

Factory = Callable[[SiteView, np.random.Generator], Any]

SLOTTING: dict[str, Factory] = {
    "nearest_free": NearestFreeSlotting,
    "random": RandomSlotting,
    "class_based": ClassBasedSlotting,
}
DISPATCH: dict[str, Factory] = {
    "nearest_idle": NearestIdleDispatch,
    "fifo": FifoDispatch,
    "assignment": AssignmentDispatch,
}
KINDS: dict[str, dict[str, Factory]] = {"slotting": SLOTTING, "dispatch": DISPATCH}

# Learned policies come from the policy registry, imported only when one is named.
_LEARNED = "logitwin.rl.serving:load_policy"
_SPEC = re.compile(r"^policy:(?P<name>[A-Za-z0-9_.-]+)(?:@(?P<version>[0-9]+))?$")


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A parsed policy name: a heuristic, or a learned ``NAME`` at ``version`` (``None``:
    the promoted one)."""

    kind: str
    heuristic: str | None = None
    name: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.heuristic is not None:
            return self.heuristic
        return f"policy:{self.name}" + (f"@{self.version}" if self.version is not None else "")


def parse_spec(kind: str, text: str) -> PolicySpec:
    """Parse ``text`` as a policy of ``kind`` (``slotting`` or ``dispatch``).

    Raises:
        ValueError: an unknown kind or name (the message lists the allowed ones).
    """
    table = KINDS.get(kind)
    if table is None:
        raise ValueError(f"unknown decision kind {kind!r}; expected one of {sorted(KINDS)}")
    if text in table:
        return PolicySpec(kind, heuristic=text)
    m = _SPEC.match(text)
    if m is None:
        raise ValueError(
            f"{kind} policy {text!r}: expected one of {sorted(table)} or policy:NAME@VERSION"
        )
    v = m.group("version")
    return PolicySpec(kind, name=m.group("name"), version=None if v is None else int(v))


def make_policy(spec: PolicySpec, site: SiteView, rng: np.random.Generator) -> Any:
    """The policy object for ``spec`` on ``site``, drawing from ``rng`` if it draws."""
    if spec.heuristic is not None:
        return KINDS[spec.kind][spec.heuristic](site, rng)
    module, attr = _LEARNED.split(":")
    load = getattr(importlib.import_module(module), attr)
    return load(spec.kind, spec.name, spec.version, site, rng)


class PolicyCheckError(AssertionError):
    """A policy broke a promise of its Protocol."""


def _decisions(kind: str, site: SiteView, rng: np.random.Generator, n: int) -> list[Any]:
    """``n`` valid decisions of ``kind`` on ``site``, some with a single option."""
    storage = np.asarray(site.storage)
    stations = site.stations
    out: list[Any] = []
    for k in range(n):
        if kind == "slotting":
            m = 1 if k % 7 == 0 else int(rng.integers(1, max(2, len(storage) // 2 + 1)))
            free = tuple(sorted(int(c) for c in rng.choice(storage, m, replace=False)))
            pod = int(rng.integers(len(site.pod_turnover)))
            out.append(SlottingDecision(float(k), pod, stations[k % len(stations)], free))
        else:
            m = 1 if k % 7 == 0 else int(rng.integers(1, site.robots + 1))
            robots = sorted(int(r) for r in rng.choice(site.robots, m, replace=False))
            cells = rng.choice(storage, m + 3, replace=False)
            idle = tuple((r, int(cells[j]), float(rng.uniform(0, k + 1)))
                         for j, r in enumerate(robots))  # fmt: skip
            others = tuple((int(c), stations[0]) for c in rng.choice(storage, k % 4))
            pods = len(site.pod_turnover)
            alt = () if k % 3 == 0 else tuple(
                (int(rng.integers(pods)), int(c), stations[j % len(stations)],
                 int(rng.integers(1, 5))) for j, c in enumerate(rng.choice(storage, k % 5))
            )  # fmt: skip
            out.append(DispatchDecision(float(k), int(rng.integers(pods)),
                                        int(cells[-1]), stations[k % len(stations)],
                                        int(rng.integers(1, 5)), idle, others, alt))  # fmt: skip
    return out


def _dispatch_options(d: DispatchDecision) -> tuple[Any, ...]:
    """A dispatch decision's answers: an idle robot (this task), or (robot, task j)."""
    robots = tuple(r for r, _, _ in d.idle)
    pairs = tuple((r, j) for r in robots for j in range(len(d.alternatives) + 1))
    return robots + pairs


def check_policy(kind: str, make: Factory, site: SiteView, n: int = 200) -> dict[str, float]:
    """Check that ``make(site, rng)`` is a correct policy of ``kind``.

    Promises: every answer is one of the decision's options (a free cell; an idle
    robot, or an idle robot and one of the decision's tasks); a decision with one option
    gets it; an empty decision raises ``ValueError``; two policies made with equal random
    streams answer the same decisions alike (reproducible runs). Returns decision latency
    (p50, p99, in ms) for the record.

    Raises:
        PolicyCheckError: the first broken promise, with the decision.
    """
    decisions = _decisions(kind, site, np.random.default_rng(12345), n)
    a = make(site, np.random.default_rng(7))
    b = make(site, np.random.default_rng(7))
    times = []
    for d in decisions:
        t0 = time.perf_counter()
        got = a.choose(d)
        times.append(time.perf_counter() - t0)
        options = d.free if kind == "slotting" else _dispatch_options(d)
        if got not in options:
            raise PolicyCheckError(f"{kind} policy answered {got!r}, not one of {options}: {d}")
        if b.choose(d) != got:
            raise PolicyCheckError(f"{kind} policy is not reproducible for equal streams: {d}")
    empty: Any = (
        SlottingDecision(0.0, 0, site.stations[0], ())
        if kind == "slotting"
        else DispatchDecision(0.0, 0, site.storage[0], site.stations[0], 1, ())
    )
    try:
        a.choose(empty)
    except ValueError:
        pass
    else:
        raise PolicyCheckError(
            f"{kind} policy answered a decision with no option; raise ValueError"
        )
    ms = np.asarray(times) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}
