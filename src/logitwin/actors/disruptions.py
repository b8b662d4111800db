"""The disruptions controller: plays a scenario's outages and closures, and breaks robots.

Scheduled events (charger outages, station closures and staffing shifts, dock door
closures) are messages due at given times, built from the scenario; robot breakdowns are
drawn as it goes: each robot fails after an exponential time with mean MTBF of running,
and is repaired after an exponential time with mean MTTR. Every event is journalled here
(``last``, ``fired``, ``breakdowns``), so a run's journal holds its disruption trail.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logitwin.actors.codec import Message
from logitwin.actors.messages import Breakdown, DisruptionDue, RobotFails
from logitwin.actors.runtime import Actor, System, handles

__all__ = ["Disruptions", "ScheduledEvent"]

# (time s, receiver, message, what happened, for the journal)
ScheduledEvent = tuple[float, str, Message, str]


class Disruptions(Actor):
    """Sends each scheduled event at its time and breaks robots at random.

    Args:
        events: scheduled events, any order.
        robots: (robot id, MTBF s, MTTR s) of each robot that can fail (empty: none).
        rngs: each failing robot's own random stream (adding a robot changes no other
            robot's failures).
    """

    kind = "disruptions"

    def __init__(
        self,
        system: System,
        aid: str,
        events: Sequence[ScheduledEvent],
        robots: Sequence[tuple[str, float, float]] = (),
        rngs: Sequence[np.random.Generator] = (),
    ) -> None:
        super().__init__(system, aid)
        if len(rngs) != len(robots):
            raise ValueError(f"{aid}: breakdowns need a random stream per robot")
        for rid, mtbf, mttr in robots:
            if not (mtbf > 0 and mttr > 0):
                raise ValueError(f"{aid}: {rid} needs MTBF and MTTR > 0 s, got {mtbf}, {mttr}")
        self.events = sorted(events, key=lambda e: e[0])
        self.robots = list(robots)
        self.rngs = list(rngs)
        self.count = 0
        self.breakdowns = 0

    def on_start(self) -> None:
        self.set(fired=0, breakdowns=0)
        for k, (t, _, _, _) in enumerate(self.events):
            self.timer(max(0.0, t - self.now), DisruptionDue(k))
        for i, (_, mtbf, _) in enumerate(self.robots):
            self.timer(float(self.rngs[i].exponential(mtbf)), RobotFails(i))

    @handles(DisruptionDue)
    def _due(self, msg: DisruptionDue, sender: str) -> None:
        _, to, event, what = self.events[msg.index]
        self.send(to, event)
        self.count += 1
        self.set(fired=self.count, last=what)

    @handles(RobotFails)
    def _fails(self, msg: RobotFails, sender: str) -> None:
        robot, mtbf, mttr = self.robots[msg.robot]
        rng = self.rngs[msg.robot]
        repair = float(rng.exponential(mttr))
        self.send(robot, Breakdown(repair))
        self.breakdowns += 1
        self.count += 1
        self.set(fired=self.count, breakdowns=self.breakdowns, last=f"{robot} broke down")
        # The next failure counts from the end of this repair (time running).
        self.timer(repair + float(rng.exponential(mtbf)), RobotFails(msg.robot))
