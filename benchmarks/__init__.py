"""Benchmarks, run by hand (see README.md): ``python -m benchmarks.bench_indexing`` and friends."""
