"""Benchmarks: `tfinterop bench-suite` (every client, with references) and `bench-server`."""
