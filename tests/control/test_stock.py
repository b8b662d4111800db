"""The stock ledger: reservations, backorders first come first served, cross-docking."""

import pytest

from logitwin.control.stock import StockLedger


def test_lines_reserve_and_picks_take_stock():
    s = StockLedger([5, 0])
    assert s.demand("o1", "st", 0, 3, 0.0)
    assert (s.on_hand[0], s.available(0)) == (5, 2)
    assert not s.demand("o2", "st", 0, 3, 1.0)  # 2 free: it waits
    assert not s.demand("o3", "st", 0, 1, 2.0)  # 1 would fit, but o2 waits first
    assert s.backorders == 2 and s.out(0)
    s.picked(0, 3)
    assert s.on_hand[0] == 2 and s.reserved[0] == 0
    with pytest.raises(ValueError, match="reserved"):
        s.picked(0, 1)


def test_stowed_units_serve_waiting_lines_in_order():
    s = StockLedger([0])
    s.demand("o1", "st", 0, 4, 0.0)
    s.demand("o2", "st", 0, 1, 1.0)
    served = s.stowed(0, 3)
    assert served == []  # o1 needs 4; o2 may not jump the queue
    served = s.stowed(0, 2)
    assert [b.order for b in served] == ["o1", "o2"]
    assert s.on_hand[0] == 5 and s.reserved[0] == 5 and s.out(0)  # all promised


def test_cross_dock_serves_waiting_lines_from_the_dock():
    s = StockLedger([0])
    s.demand("o1", "st", 0, 2, 0.0)
    s.demand("o2", "st", 0, 5, 1.0)
    served, left = s.cross_dock(0, 4)
    assert [b.order for b in served] == ["o1"] and left == 2
    assert s.on_hand[0] == 0 and s.waiting(0) == 1  # cross-docked units never stored


def test_bad_input_names_the_sku():
    with pytest.raises(ValueError, match="SKU 1"):
        StockLedger([1, -2])
    with pytest.raises(ValueError, match="not stocked"):
        StockLedger([1]).demand("o", "st", 3, 1, 0.0)
    with pytest.raises(ValueError, match=">= 1"):
        StockLedger([1]).demand("o", "st", 0, 0, 0.0)
