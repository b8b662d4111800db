"""The 2026 path strings: run-length actions in segments with the state at each start."""

import pytest

from logitwin.mapf.paths import decode_path, encode_path


def test_segments_and_runs_round_trip():
    letters = "WWWWFFFFFFRRR" + "F" * 90 + "CCCW"
    snaps = [(31, 13, 0, 0), (30, 20, 1, 2)]
    text = encode_path(letters, snaps, 100)
    assert text == ("[(0,31,13,0,0):(W 4,F 6,R 3,F 87)][(100,30,20,1,2):(F 3,C 3,W 1)]")
    headers, back = decode_path(text)
    assert back == letters and headers == [(0, 31, 13, 0, 0), (100, 30, 20, 1, 2)]
    assert encode_path("", [(0, 0, 0, 0)], 100) == "[(0,0,0,0,0):()]"


@pytest.mark.parametrize(
    "bad", ["[(0,1,1,0,0):(F 3,X 2)]", "[(0,1,1,0,0):(F3)]", "junk", "[(0,1,1,0,0):(F 1)]x"]
)
def test_malformed_paths_are_refused(bad):
    with pytest.raises(ValueError):
        decode_path(bad)
