"""Tiny build folders for the judge's tests: case sets, client results, run.json, server.json."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from google.protobuf.message import Message
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import get_model_metadata_pb2, predict_pb2
from tritonclient.grpc import service_pb2

from tfinterop.judge import matrix
from tfinterop.judge.matrix import Judgement, Row
from tfinterop.serving import tensor_codec, v2

PRODUCER_BUILD = "pip:tensorflow==2.21.0"
CLIENT = "c"


def tensor(values: Any, dtype: Any = None, content: bool = False) -> tensor_pb2.TensorProto:
    """A TensorProto of `values`; tensor_content keeps every bit (NaN payloads included)."""
    array = values if isinstance(values, np.ndarray) else np.array(values, dtype=dtype)
    return tensor_codec.from_ndarray(array, content=content)


def predict(
    outputs: dict[str, Any], model: str = "m", version: int = 1, signature: str = "serving_default"
) -> predict_pb2.PredictResponse:
    resp = predict_pb2.PredictResponse()
    resp.model_spec.name = model
    resp.model_spec.version.value = version
    resp.model_spec.signature_name = signature
    for name, value in outputs.items():
        resp.outputs[name].CopyFrom(
            value if isinstance(value, tensor_pb2.TensorProto) else tensor(value, np.float32)
        )
    return resp


def infer(
    outputs: dict[str, Any], model: str = "m", version: str = "1", raw: bool = False
) -> service_pb2.ModelInferResponse:
    """A v2 ModelInferResponse of float32 arrays (or (array, TF dtype) pairs), in the order
    given: typed contents, or raw contents when `raw`."""
    resp = service_pb2.ModelInferResponse(model_name=model, model_version=version)
    v2.infer_outputs(
        resp,
        [
            (
                name,
                *(
                    value
                    if isinstance(value, tuple)
                    else (np.asarray(value, np.float32), types_pb2.DT_FLOAT)
                ),
            )
            for name, value in outputs.items()
        ],
        raw=raw,
    )
    return resp


def metadata(model: str = "m", version: int = 1) -> get_model_metadata_pb2.GetModelMetadataResponse:
    resp = get_model_metadata_pb2.GetModelMetadataResponse()
    resp.model_spec.name = model
    resp.model_spec.version.value = version
    sigs = get_model_metadata_pb2.SignatureDefMap()
    sigs.signature_def["serving_default"].method_name = "tensorflow/serving/predict"
    resp.metadata["signature_def"].Pack(sigs)
    return resp


class Build:
    """A build folder: build/cases/<model>/, build/results/<client>/<mode>/<model>/."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def case_set(
        self, model: str, cases: list[dict[str, Any]], producer_build: str | None = PRODUCER_BUILD
    ) -> None:
        """Cases as dicts: id, response (a Message) or error, optional manifest fields, and
        `v2`: {"response": a ModelInferResponse} or {"error": code} for the v2 form."""
        folder = self.root / "cases" / model
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for spec in cases:
            spec = dict(spec)
            response: Message | None = spec.pop("response", None)
            v2_form: dict[str, Any] | None = spec.pop("v2", None)
            entry: dict[str, Any] = {
                "id": spec["id"],
                "api": spec.get("api", "predict"),
                "transports": spec.get("transports", ["inproc", "grpc", "rest"]),
                "request": f"{spec['id']}.request.pb",
                **{k: v for k, v in spec.items() if k not in ("id", "api", "transports")},
            }
            files = {entry["request"]: predict_pb2.PredictRequest().SerializeToString()}
            if response is not None:
                entry["response"] = f"{spec['id']}.response.pb"
                files[entry["response"]] = response.SerializeToString(deterministic=True)
            if v2_form is not None:
                entry["v2"] = {"request": f"{spec['id']}.v2.request.pb"}
                files[entry["v2"]["request"]] = service_pb2.ModelInferRequest().SerializeToString()
                if "response" in v2_form:
                    entry["v2"]["response"] = f"{spec['id']}.v2.response.pb"
                    files[entry["v2"]["response"]] = v2_form["response"].SerializeToString()
                else:
                    entry["v2"]["error"] = v2_form["error"]
            entry["sha256"] = {}
            for name, data in files.items():
                (folder / name).write_bytes(data)
                entry["sha256"][name] = hashlib.sha256(data).hexdigest()
            entries.append(entry)
        producer: dict[str, str] = {"tensorflow": "2.21.0"}
        if producer_build is not None:
            producer["tensorflow_build"] = producer_build
        manifest = {
            "format": 1,
            "model": {"name": model, "config": "../../models/models.config"},
            "producer": producer,
            "cases": entries,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))

    def results(self, mode: str, model: str = "m", client: str = CLIENT) -> Path:
        folder = self.root / "results" / client / mode / model
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def response(
        self, mode: str, case: str, message: Message, model: str = "m", client: str = CLIENT
    ) -> None:
        path = self.results(mode, model, client) / f"{case}.response.pb"
        path.write_bytes(message.SerializeToString())

    def error(
        self,
        mode: str,
        case: str,
        code: str,
        message: str = "",
        http_status: int | None = None,
        model: str = "m",
        client: str = CLIENT,
    ) -> None:
        body: dict[str, Any] = {"code": code, "message": message}
        if http_status is not None:
            body["http_status"] = http_status
        (self.results(mode, model, client) / f"{case}.error.json").write_text(json.dumps(body))

    def skipped(self, mode: str, case: str, model: str = "m", client: str = CLIENT) -> None:
        path = self.results(mode, model, client) / f"{case}.skipped.json"
        path.write_text(json.dumps({"reason": f"case does not apply to {mode}"}))

    def run_json(
        self, mode: str, runtime: dict[str, str], model: str = "m", client: str = CLIENT
    ) -> None:
        run = {"client": client, "mode": mode, "model": model, "runtime": runtime, "cases": {}}
        (self.results(mode, model, client) / "run.json").write_text(json.dumps(run))

    def server_json(self, info: dict[str, str]) -> None:
        (self.root / "results").mkdir(parents=True, exist_ok=True)
        (self.root / "results" / "server.json").write_text(json.dumps(info))

    def expected(self, text: str, client: str = CLIENT) -> Path:
        folder = self.root / "expected"
        folder.mkdir(exist_ok=True)
        (folder / f"{client}.txt").write_text(text)
        return folder

    def judge(
        self, models: list[str] | None = None, clients: tuple[str, ...] = (CLIENT,)
    ) -> Judgement:
        """Judge with this folder's expected-failure lists (none unless written)."""
        return matrix.judge(self.root, list(clients), models, self.root / "expected")

    def row(self, mode: str, case: str, model: str = "m") -> Row:
        rows = [r for r in self.judge().rows if (r.mode, r.model, r.case) == (mode, model, case)]
        assert len(rows) == 1, f"no single row {mode}/{model}/{case}: {rows}"
        return rows[0]
