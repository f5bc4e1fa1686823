"""Reproducible throughput and memory benchmarks of `etl` against named baselines.

Run `python -m benchmarks --help` from the project root; see benchmarks/README.md.
"""
