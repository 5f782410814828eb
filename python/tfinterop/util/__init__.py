"""Small helpers with no serving knowledge: atomic writes, progress lines, quiet TensorFlow,
nearest-rank latency percentiles. Imports nothing else of tfinterop.
"""
