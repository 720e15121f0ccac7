"""Benchmark and load test for a province-scale deployment (``python -m benchmarks --help``).

Timings are measured here, never asserted in tests: CI only checks that the
benchmark still runs and reports every key (tests/test_benchmark_smoke.py).
"""
