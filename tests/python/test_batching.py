"""The bundled server's batch scheduler (server/batching.py) against TF Serving's rules:
merging, padding, the size limit, large-batch splitting, a full queue, the parameters it
refuses. A fake servable stands in for the session: it records each call's rows."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
import pytest

from tfinterop.server.batching import Batcher, BatchingOptions
from tfinterop.serving.errors import Code, ServingError, ToolError


class Doubler:
    """Output "y" = 2 * input "x"; `calls` holds each run's batch size. Runs wait on
    `gate` (set by default) so a test can let requests pile up."""

    name = "fake"
    version = 1
    meta_graph = None

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def run(
        self,
        signature: str,
        inputs: Mapping[str, np.ndarray],
        outputs: list[str],
        timeout_ms: int = 0,
    ) -> dict[str, np.ndarray]:
        self.gate.wait(10)
        self.calls.append(len(inputs["x"]))
        return {"y": inputs["x"] * 2}


def _rows(n: int, start: float = 0.0) -> dict[str, np.ndarray]:
    return {"x": np.arange(start, start + n, dtype=np.float32).reshape(n, 1)}


@pytest.fixture
def fake() -> Doubler:
    return Doubler()


def _batcher(**options: object) -> Batcher:
    return Batcher(BatchingOptions(**options))  # type: ignore[arg-type]


def test_concurrent_requests_merge_and_each_gets_its_rows(fake: Doubler) -> None:
    b = _batcher(max_batch_size=8, num_batch_threads=1)
    fake.gate.clear()  # the first run holds the thread while the rest queue up
    answers: dict[int, np.ndarray] = {}

    def send(i: int) -> None:
        answers[i] = b.submit(fake, "s", _rows(1, float(i)), ["y"], 0)["y"]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    fake.gate.set()
    for t in threads:
        t.join(10)
    b.stop()
    assert {i: float(a[0, 0]) for i, a in answers.items()} == {i: 2.0 * i for i in range(9)}
    assert sum(fake.calls) == 9 and len(fake.calls) < 9, fake.calls


def test_a_batch_pads_up_to_the_next_allowed_size(fake: Doubler) -> None:
    b = _batcher(max_batch_size=8, allowed_batch_sizes=(4, 8))
    out = b.submit(fake, "s", _rows(3), ["y"], 0)
    b.stop()
    assert fake.calls == [4]
    np.testing.assert_array_equal(out["y"], _rows(3)["x"] * 2)


def test_a_request_over_max_batch_size_is_invalid_argument(fake: Doubler) -> None:
    b = _batcher(max_batch_size=4)
    with pytest.raises(ServingError) as e:
        b.submit(fake, "s", _rows(5), ["y"], 0)
    b.stop()
    assert e.value.code == Code.INVALID_ARGUMENT
    assert e.value.message == "Task size 5 is larger than maximum input batch size 4"
    assert fake.calls == []


def test_large_batch_splitting_runs_pieces_and_joins_them(fake: Doubler) -> None:
    b = _batcher(max_batch_size=10, enable_large_batch_splitting=True, max_execution_batch_size=4)
    out = b.submit(fake, "s", _rows(10), ["y"], 0)
    b.stop()
    assert sorted(fake.calls) == [2, 4, 4]
    np.testing.assert_array_equal(out["y"], _rows(10)["x"] * 2)


def test_a_full_queue_is_unavailable(fake: Doubler) -> None:
    b = _batcher(max_batch_size=1, max_enqueued_batches=1, num_batch_threads=1)
    fake.gate.clear()
    first = threading.Thread(target=b.submit, args=(fake, "s", _rows(1), ["y"], 0))
    first.start()
    while not b._queues or any(q.batches for q in b._queues.values()):
        threading.Event().wait(0.01)  # until the batch thread has taken the first one
    second = threading.Thread(target=b.submit, args=(fake, "s", _rows(1), ["y"], 0))
    second.start()
    while not any(q.batches for q in b._queues.values()):
        threading.Event().wait(0.01)
    with pytest.raises(ServingError) as e:
        b.submit(fake, "s", _rows(1), ["y"], 0)
    fake.gate.set()
    first.join(10)
    second.join(10)
    b.stop()
    assert e.value.code == Code.UNAVAILABLE


def test_inputs_of_different_row_counts_are_invalid_argument(fake: Doubler) -> None:
    b = _batcher()
    with pytest.raises(ServingError) as e:
        b.submit(fake, "s", {"x": np.zeros((2, 1)), "z": np.zeros((3, 1))}, ["y"], 0)
    b.stop()
    assert e.value.code == Code.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"max_batch_size": 8, "allowed_batch_sizes": (4, 6)},
            "Last entry in allowed_batch_sizes must match max_batch_size; last entry was 6; "
            "expected 8",
        ),
        (
            {"max_batch_size": 8, "allowed_batch_sizes": (4, 4, 8)},
            "allowed_batch_sizes entries must be monotonically increasing",
        ),
        (
            {
                "max_batch_size": 8,
                "enable_large_batch_splitting": True,
                "max_execution_batch_size": 4,
                "allowed_batch_sizes": (2, 8),
            },
            "Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; "
            "last entry was 8; expected 4",
        ),
    ],
)
def test_parameters_tf_serving_refuses_are_refused(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ToolError) as e:
        BatchingOptions(**options).validate()  # type: ignore[arg-type]
    assert message in str(e.value)
