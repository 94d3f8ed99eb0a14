"""Benchmark scenarios (measurements, not tests): ``tokenradar bench ...``."""
