"""The bundled server's session call on its own: CPU per batch-1 MNIST call and per row of a
batch-32 call (`python -m tfinterop.bench.session_cpu MODEL_DIR`; one JSON line).

CPU, not wall time: the session's inter-op threads count as much as the caller's, and
they compete with gRPC for the same cores. It is the session's share of a request; what
batching saves in the server is measured there (bench.cpu), hand-offs included.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cpu_us_per_call(run: Callable[[], object], n: int) -> float:
    for _ in range(200):
        run()
    start = time.process_time()
    for _ in range(n):
        run()
    return (time.process_time() - start) * 1e6 / n


def main(argv: list[str]) -> int:
    from tfinterop.server.session_servable import SessionServable

    servable = SessionServable("mnist", 1, Path(argv[0]))
    rng = np.random.default_rng(0)
    one = {"image": rng.random((1, 28, 28), dtype=np.float32)}
    many = {"image": rng.random((32, 28, 28), dtype=np.float32)}
    b1 = cpu_us_per_call(lambda: servable.run("serving_default", one, ["output_0"]), 3000)
    b32 = cpu_us_per_call(lambda: servable.run("serving_default", many, ["output_0"]), 300)
    print(json.dumps({"b1_cpu_us": round(b1, 1), "b32_cpu_us_per_row": round(b32 / 32, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
