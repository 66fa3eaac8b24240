"""Experiments over many runs: reports, comparisons, sweeps."""
