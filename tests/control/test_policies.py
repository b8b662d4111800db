import pytest

from logitwin.control.allocation import NearestRobotAllocator
from logitwin.control.slotting import NearestFreeSlotting


def test_nearest_robot_with_deterministic_ties():
    dist = [5, 1, 1, 3]
    assert NearestRobotAllocator().choose({7: 0, 3: 2, 2: 1}, dist) == 2
    with pytest.raises(ValueError, match="no idle robot"):
        NearestRobotAllocator().choose({}, dist)


def test_nearest_free_slot():
    tables = {0: [0, 1, 2, 3], 3: [3, 2, 1, 0]}
    slotting = NearestFreeSlotting(tables.__getitem__)
    assert slotting.choose(pod=1, origin=0, free={2, 3}) == 2
    assert slotting.choose(pod=1, origin=3, free={0, 1, 2}) == 2
    with pytest.raises(ValueError, match="no free storage cell for pod 1"):
        slotting.choose(pod=1, origin=0, free=set())
