"""Run a twin until its next decision of one kind, and stop there.

The twin runs on its own thread; the decisions of one kind go to a policy that hands
each one over and waits for the answer. Nothing else changes: the same build, the same
keyed streams and the same journal as a normal run, so answering every decision as a
heuristic would reproduces that heuristic's run exactly.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy as np

from logitwin.actors.journal import Journal
from logitwin.control.slotting import SiteView
from logitwin.scenarios.build import Twin, build_twin, site_view
from logitwin.scenarios.schema import Scenario
from logitwin.sim.demand import zipf_weights
from logitwin.sim.orders_csv import load_orders_csv

__all__ = ["DecisionStepper"]

_STOP = object()


class _Stopped(BaseException):
    """Raised inside the twin to unwind it when the stepper is closed mid-run."""


class _Handover:
    """The policy for the stepped kind: hands each decision over and waits."""

    def __init__(self, out: queue.Queue[tuple[str, Any]], inbox: queue.Queue[Any]) -> None:
        self._out, self._in = out, inbox

    def choose(self, decision: Any) -> Any:
        self._out.put(("decision", decision))
        action = self._in.get()
        if action is _STOP:
            raise _Stopped
        # A dispatch answer may be (robot, task): it goes through as it is.
        return tuple(int(x) for x in action) if isinstance(action, tuple) else int(action)


class DecisionStepper:
    """A twin of ``scenario`` stepped decision by decision of ``kind``.

    Use: :meth:`start` returns the first decision (``None``: the run ended without
    one); :meth:`step` answers it and returns the next; :attr:`twin` is the running
    twin (read it between steps: the twin's thread is waiting then). :meth:`close`
    stops a run not finished.

    Args:
        scenario: the scenario (its other decisions use its own policies).
        kind: ``slotting`` or ``dispatch``.
        until_s: where the run ends (default the horizon).
        journal: where the run's events go (``None``: not journalled).
    """

    def __init__(
        self,
        scenario: Scenario,
        kind: str,
        until_s: float | None = None,
        journal: Journal | None = None,
    ) -> None:
        if kind not in ("slotting", "dispatch"):
            raise ValueError(f"decision kind {kind!r}: expected slotting or dispatch")
        self.kind = kind
        self._out: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._in: queue.Queue[Any] = queue.Queue()
        self.twin: Twin = build_twin(
            scenario, journal, policies={kind: _Handover(self._out, self._in)}
        )
        self.scenario = scenario
        self.until_s = scenario.horizon_h * 3600.0 if until_s is None else until_s
        self._thread: threading.Thread | None = None
        self.done = False
        self.decisions = 0

    def view(self) -> SiteView:
        """What a policy of this twin knows of the site: the :class:`SiteView` the build
        gives the scenario's own policies (each pod's demand share from the same SKU
        popularity as the build's: the order file's mix, else the Zipf weights)."""
        allocator: Any = self.twin.system.actor("allocator")  # type: ignore[attr-defined]
        sc = self.scenario
        if sc.demand.orders_csv is not None:
            orders = load_orders_csv(sc.demand.orders_csv, sc.horizon_h * 3600.0, sc.inventory.skus)
            counts = np.bincount([k for o in orders for k in o.skus], minlength=sc.inventory.skus)
            popularity = counts / counts.sum()
        else:
            popularity = zipf_weights(sc.inventory.skus, sc.demand.zipf_s)
        return site_view(self.twin.site, allocator._dist_from, allocator.sku_pods, popularity,
                         len(allocator.pod_cell), len(allocator.robot_ids))  # fmt: skip

    def start(self) -> Any:
        """Run to the first decision; return it (``None`` if the run ended first)."""
        if self._thread is not None:
            raise RuntimeError("the stepper was started already")
        self._thread = threading.Thread(target=self._run, name="twin", daemon=True)
        self._thread.start()
        return self._next()

    def step(self, action: Any) -> Any:
        """Answer the pending decision with ``action`` (a cell, a robot, or a dispatch
        ``(robot, task)``); run to the next one."""
        if self.done or self._thread is None:
            raise RuntimeError("no decision is pending (start first; the run may be over)")
        self._in.put(action)
        return self._next()

    def close(self) -> None:
        """Stop the run if it is not over (the journal keeps what was done)."""
        if self._thread is not None and not self.done:
            self._in.put(_STOP)
            self._thread.join(timeout=30)
        self.done = True

    def _next(self) -> Any:
        what, value = self._out.get()
        if what == "decision":
            self.decisions += 1
            return value
        self.done = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if what == "error":
            raise value
        return None

    def _run(self) -> None:
        try:
            self.twin.system.run(until=self.until_s)
        except _Stopped:
            self._out.put(("end", None))
            return
        except BaseException as exc:  # handed to the caller's thread
            if isinstance(exc.__cause__, _Stopped) or isinstance(exc.__context__, _Stopped):
                self._out.put(("end", None))
                return
            self._out.put(("error", exc))
            return
        self._out.put(("end", None))
