import pytest

from logitwin.actors.codec import Message, message
from logitwin.actors.journal import Journal, JournalReader
from logitwin.actors.runtime import URGENT, Actor, LocalSystem, handles
from logitwin.errors import ActorError, LogitwinError, ProtocolError


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
    with pytest.raises(ActorError, match="a failed handling Unhandled from a at t=0") as info:
        sys.run(until=1)
    assert isinstance(info.value.cause, ProtocolError)
    assert "no handler for Unhandled" in str(info.value)


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
    r1 = LocalSystem(seed=42).rng("robot:1").random(3)
    other = LocalSystem(seed=42)
    other.rng("robot:0")  # streams are keyed, not handed out in call order
    assert (other.rng("robot:1").random(3) == r1).all()
    assert (other.rng("robot:2").random(3) != r1).all()
    assert (LocalSystem(seed=43).rng("robot:1").random(3) != r1).all()


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


def test_outside_input_from_other_threads_is_checked_journalled_and_delivered(tmp_path):
    import threading

    journal = Journal(tmp_path / "j.sqlite")
    log: list = []
    sys = LocalSystem(seed=1, lookahead=0.5, journal=journal)
    sys.spawn(Recorder, "a", log)
    with pytest.raises(LogitwinError, match="unknown actor 'b'"):
        sys.inject("b", Ping(1))
    with pytest.raises(LogitwinError, match="'a' is an actor of the twin"):
        sys.inject("a", Ping(1), sender="a")
    with pytest.raises(LogitwinError, match="negative delay -1"):
        sys.inject("a", Ping(1), delay=-1)
    with pytest.raises(ProtocolError, match=r"Ping\.n: expected int"):
        sys.inject("a", Ping("x"))  # type: ignore[arg-type]
    times = []
    workers = [
        threading.Thread(target=lambda k=k: times.append(sys.inject("a", Ping(k), sender="wms")))
        for k in range(8)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    # Accepted input is committed before inject returns: another connection sees it.
    with JournalReader(tmp_path / "j.sqlite") as r:
        assert r._db.execute("SELECT count(*) FROM inputs").fetchone() == (8,)
    sys.run(until=2)
    assert sorted(n for *_, n in log) == list(range(8))
    assert all(t == 0.5 for t in times) and {s for _, _, s, _ in log} == {"wms"}
    sys.close()
    with pytest.raises(LogitwinError, match="closed"):
        sys.inject("a", Ping(9))
    journal.close()


def test_a_live_twin_takes_input_while_it_waits_for_the_wall_clock():
    import threading
    import time

    import simpy.rt

    log: list = []
    sys = LocalSystem(seed=1, env=simpy.rt.RealtimeEnvironment(factor=0.01, strict=False))
    sys.spawn(Recorder, "a", log)
    # Nothing is scheduled; the input arrives 0.2 s of wall time (20 s simulated) in.
    threading.Timer(0.2, lambda: sys.inject("a", Ping(7), sender="op")).start()
    t0 = time.perf_counter()
    sys.run(until=60)
    assert [(n, s) for _, _, s, n in log] == [(7, "op")]
    assert 19.0 <= log[0][0] <= 30.0  # delivered about when sent, not at the end
    assert time.perf_counter() - t0 >= 0.55


def test_outside_input_is_delivered_again_when_an_interrupted_run_resumes(tmp_path):
    path = tmp_path / "j.sqlite"

    def twin(journal):
        sys = LocalSystem(seed=1, lookahead=0.5, journal=journal)
        a = sys.spawn(Recorder, "a", [])
        a.timer(0.75, Ping(-1))
        return sys

    journal = Journal(path, batch=1)
    sys = twin(journal)
    sys.run(until=1)
    sys.inject("a", Ping(1), sender="op")
    sys.inject("a", Ping(2), sender="op", delay=2)
    sys.run(until=2)  # the second input is not delivered yet when the run "dies"
    journal.close()
    resumed = Journal.resume(path, batch=1)
    sys = twin(resumed)
    sys.run(until=4)
    resumed.mark_complete(4.0)
    resumed.close()
    with JournalReader(path) as r:
        rows = [(row.time, row.type, row.sender, row.body) for row in r.rows()]
    assert [x for x in rows if x[1] == "Ping"] == [
        (0.75, "Ping", "a", [-1]),
        (1.5, "Ping", "op", [1]),
        (3.0, "Ping", "op", [2]),
    ]
