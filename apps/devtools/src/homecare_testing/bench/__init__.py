"""Benchmarks behind `make bench`: `bench.sse` (backend SSE fan-out), `bench.matching`."""
