"""Simulation processes: order demand (disruptions and the PyBullet world come later)."""

from logitwin.sim.demand import Demand, DemandParams, zipf_weights

__all__ = ["Demand", "DemandParams", "zipf_weights"]
