"""Tiny named VRP fixtures whose answers are known by hand."""

import pytest

from logitwin.tms.solomon import VrptwData, parse_solomon

# TINY3: depot at (0, 0); c1 (3, 4) and c2 (6, 8) on one ray, 5 apart; c3 (-3, -4) opposite.
# Capacity 10: c1 + c2 = 10 fit together, c2 + c3 = 11 do not, c1 + c3 = 11 do not either.
# Optimum: [1, 2] and [3], distance 5 + 5 + 10 + 5 + 5 = 30, 2 vehicles.
# c1 is due at 12 (visiting c2 first arrives at 16); c3 is ready at 20 (waiting is allowed).
TINY3 = """TINY3

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.   XCOORD.   YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME

    0          0       0           0       0         100           0
    1          3       4           5       0          12           1
    2          6       8           5       0          50           1
    3         -3      -4           6      20          50           1
"""


@pytest.fixture
def tiny3() -> VrptwData:
    return parse_solomon(TINY3, "tiny3.txt")


@pytest.fixture
def tiny3_file(tmp_path):
    p = tmp_path / "TINY3.txt"
    p.write_text(TINY3.replace("\n", "\r\n"))  # CRLF like the Solomon originals
    return p
