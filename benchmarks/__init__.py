"""Performance and scale benchmarks of the simulator (``python -m benchmarks``; not a test suite).

Cases B1-B5 of the performance issue run in fresh subprocesses (``benchmarks.child``) so that
peak memory and start-up costs are measured per case. ``benchmarks.reference`` keeps a per-agent
Mesa implementation of the core quarterly rules as a reference for the vectorised rules.
"""
