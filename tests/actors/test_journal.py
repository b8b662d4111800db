import pytest

from logitwin.actors.journal import Journal, JournalReader
from logitwin.errors import JournalError


def test_write_read_and_fingerprint(tmp_path):
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch=2)
    j.set_meta(seed="1")
    j.message(0.5, 1, "a", 1, "b", "Ping", [1])
    j.state(0.5, "b", "thing", {"x": 1})
    j.state(1.0, "b", "thing", {"x": 2})
    j.close()
    with JournalReader(path) as r:
        rows = list(r.rows())
        assert r.meta() == {"seed": "1"}
        fp = r.fingerprint()
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[2].body == {"x": 2}
    with JournalReader(path) as r:
        assert r.fingerprint() == fp


def test_refuses_to_overwrite_and_bad_files(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    with pytest.raises(JournalError, match="already exists"):
        Journal(path)
    with pytest.raises(JournalError, match="does not exist"):
        JournalReader(tmp_path / "missing.sqlite")
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_text("not a database at all")
    with pytest.raises(JournalError, match="not a logitwin journal"):
        JournalReader(bogus)
