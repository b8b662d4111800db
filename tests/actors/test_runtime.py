import pytest

from logitwin.actors.codec import Message, message
from logitwin.actors.journal import Journal
from logitwin.actors.runtime import URGENT, Actor, LocalSystem, handles
from logitwin.errors import LogitwinError, ProtocolError


@message
class Ping(Message):
    n: int


@message
class Unhandled(Message):
    pass


class Recorder(Actor):
    kind = "recorder"

    def __init__(self, system, aid, log):
        super().__init__(system, aid)
        self.log = log

    @handles(Ping)
    def _ping(self, msg, sender):
        self.log.append((self.now, self.id, sender, msg.n))
        self.set(last=msg.n)


def test_lookahead_applies_between_entities_not_to_own_timers():
    log = []
    sys = LocalSystem(seed=1, lookahead=0.5)
    a = sys.spawn(Recorder, "a", log)
    sys.spawn(Recorder, "b", log)
    a.send("b", Ping(1))  # delay 0 → lookahead
    a.timer(0.1, Ping(2))  # own timer keeps its delay
    sys.run(until=10)
    assert log == [(0.1, "a", "a", 2), (0.5, "b", "a", 1)]


def test_delivery_order_is_time_priority_sender_seq():
    log = []
    sys = LocalSystem(seed=1, lookahead=1.0)
    for aid in ("z", "a", "sink"):
        sys.spawn(Recorder, aid, log)
    sys.send("z", "sink", Ping(1), delay=2)
    sys.send("a", "sink", Ping(2), delay=2)
    sys.send("a", "sink", Ping(3), delay=2)
    sys.send("z", "sink", Ping(4), delay=2, priority=URGENT)
    sys.run(until=5)
    assert [n for *_, n in log] == [4, 2, 3, 1]


def test_errors_are_clear():
    sys = LocalSystem(seed=1)
    sys.spawn(Recorder, "a", [])
    with pytest.raises(ValueError, match="negative delay -1"):
        sys.send("a", "a", Ping(1), delay=-1)
    with pytest.raises(LogitwinError, match="unknown actor 'nobody'"):
        sys.send("a", "nobody", Ping(1))
    with pytest.raises(LogitwinError, match="already taken"):
        sys.spawn(Recorder, "a", [])
    sys.send("a", "a", Unhandled())
    with pytest.raises(ProtocolError, match="no handler for Unhandled"):
        sys.run(until=1)


def test_journal_records_messages_and_state_and_rng_is_seeded():
    journal = Journal(None)
    sys = LocalSystem(seed=42, journal=journal)
    a = sys.spawn(Recorder, "a", [])
    a.timer(1.0, Ping(9))
    sys.run(until=2)
    rows = list(journal.rows())
    assert [(r.kind, r.entity, r.type) for r in rows] == [
        ("message", "a", "Ping"),
        ("state", "a", "recorder"),
    ]
    assert rows[0].body == [9] and rows[0].sender == "a" and rows[0].sender_seq == 1
    assert rows[1].body == {"last": 9}
    r1 = LocalSystem(seed=42).rng().random(3)
    r2 = LocalSystem(seed=42).rng().random(3)
    assert (r1 == r2).all()
    other = LocalSystem(seed=42)
    other.rng()
    assert (other.rng().random(3) != r1).all()


def test_runs_on_a_realtime_environment():
    import time

    import simpy.rt

    log = []
    sys = LocalSystem(seed=1, env=simpy.rt.RealtimeEnvironment(factor=0.01, strict=False))
    a = sys.spawn(Recorder, "a", log)
    sys.spawn(Recorder, "b", log)
    a.send("b", Ping(1), delay=5)
    t0 = time.perf_counter()
    sys.run(until=10)
    assert log == [(5.0, "b", "a", 1)]
    assert time.perf_counter() - t0 >= 0.09  # 10 sim seconds at 1/100 speed
