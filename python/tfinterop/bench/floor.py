"""The floor of any Python gRPC server here: grpcio answering every Predict with one canned
response, and nothing else (`python -m tfinterop.bench.floor --port N --response FILE`).

`make bench` drives it with ghz beside the bundled server, in the same run and with the
same server options (thread pool, message limits, GIL switch interval), so the bundled
server's throughput reads as a share of what grpcio itself allows on this machine.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tfinterop.server.flags import default_grpc_threads
from tfinterop.server.grpc_service import MAX_MESSAGE_BYTES
from tfinterop.util import heap


class CannedPredictions(prediction_service_pb2_grpc.PredictionServiceServicer):  # type: ignore[misc]
    def __init__(self, response: predict_pb2.PredictResponse) -> None:
        self.response = response

    def Predict(self, request: Any, context: grpc.ServicerContext) -> Any:
        return self.response


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tfinterop.bench.floor")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--response", type=Path, required=True, help="a serialized PredictResponse")
    p.add_argument(
        "--threads", type=int, default=default_grpc_threads(), help="as the bundled server's"
    )
    args = p.parse_args(argv)
    sys.setswitchinterval(0.0005)  # as tfinterop serve sets it
    response = predict_pb2.PredictResponse()
    response.ParseFromString(args.response.read_bytes())
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        CannedPredictions(response), server
    )
    if server.add_insecure_port(f"127.0.0.1:{args.port}") == 0:
        print(f"cannot bind 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    heap.settle()  # as tfinterop serve does once its models are loaded
    server.start()
    print(f"Running gRPC floor server at 127.0.0.1:{args.port} ...", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
