"""KServe's own ModelServer serving SavedModels with TensorFlow: a third-party v2 peer.

Runs in build/venvs/kserve (`make kserve-venv`: kserve 0.21 with its protobuf 6.33;
TensorFlow from the main .venv through a path entry), never in the main venv, and
imports nothing of tfinterop: what answers is KServe's REST and gRPC front end, its
request decoding, its error handlers and its response encoding, around one small
kserve.Model per served model. The model applies the contract's v2 rules
(docs/CONTRACT.md "v2 transports"): the signature is serving_default unless the string
parameter signature_name names another, tensor names are the signature's aliases, the
datatypes are the contract's table. What it refuses it refuses with KServe's own
exceptions (InvalidInput for the request, ModelNotFound for a version it does not
serve, InferenceError for a run that fails, as KServe's sklearn and xgboost servers
do), so the HTTP and gRPC codes are the ones KServe maps them to.

    python kserve_tf.py --model_config_file FILE --served_models a,b \
        --http_port N --grpc_port N [--op_library LIB ...]
    python kserve_tf.py --check     # TensorFlow saves, loads and runs a SavedModel here

Every other flag goes to KServe's ModelServer (it parses sys.argv itself).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import kserve
import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from kserve.errors import InferenceError, InvalidInput, ModelNotFound
from kserve.protocol.infer_type import InferInput, InferOutput, InferRequest, InferResponse
from kserve.utils.utils import generate_uuid
from tensorflow_serving.config import model_server_config_pb2

DEFAULT_SIGNATURE = "serving_default"

# The contract's datatype table (TF dtype -> v2 datatype); other dtypes have none.
DATATYPES: dict[tf.dtypes.DType, str] = {
    tf.bool: "BOOL",
    tf.uint8: "UINT8",
    tf.uint16: "UINT16",
    tf.uint32: "UINT32",
    tf.uint64: "UINT64",
    tf.int8: "INT8",
    tf.int16: "INT16",
    tf.int32: "INT32",
    tf.int64: "INT64",
    tf.float16: "FP16",
    tf.bfloat16: "BF16",
    tf.float32: "FP32",
    tf.float64: "FP64",
    tf.string: "BYTES",
}


def version_folders(base: Path) -> dict[int, Path]:
    """The numbered versions under a model's base path (TF Serving reads `00000123` as 123)."""
    return {int(p.name): p for p in base.iterdir() if p.is_dir() and p.name.isdigit()}


def served_versions(config: Any, base: Path) -> list[int]:
    """The versions the model's version policy serves (default: the latest one)."""
    found = sorted(version_folders(base))
    policy = config.model_version_policy
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return found
    if choice == "specific":
        return sorted(v for v in policy.specific.versions if v in found)
    keep = policy.latest.num_versions if choice == "latest" else 1
    return found[-max(keep, 1) :]


def _string_parameter(parameters: Any, key: str) -> str | None:
    """A request parameter as text: REST gives plain values, gRPC InferParameter messages."""
    if not parameters or key not in parameters:
        return None
    value = parameters[key]
    if hasattr(value, "WhichOneof"):
        kind = value.WhichOneof("parameter_choice")
        if kind != "string_param":
            raise InvalidInput(f"parameter {key!r} must be a string, got {kind}")
        return str(value.string_param)
    if not isinstance(value, str):
        raise InvalidInput(f"parameter {key!r} must be a string, got {value!r}")
    return value


class SavedModelServable(kserve.Model):
    """One model of the model config: the versions its policy serves, each a SavedModel
    loaded with tf.saved_model.load, answering v2 infer requests."""

    def __init__(self, name: str, base_path: Path, versions: list[int]) -> None:
        super().__init__(name)
        self.base_path = base_path
        self.versions = versions
        self.loaded: dict[int, Any] = {}

    def load(self) -> bool:
        folders = version_folders(self.base_path)
        for version in self.versions:
            self.loaded[version] = tf.saved_model.load(str(folders[version]))
        self.ready = bool(self.loaded)
        return self.ready

    def _signature(self, version: int, name: str) -> Any:
        signatures = self.loaded[version].signatures
        if name not in signatures:
            raise InvalidInput(
                f"model {self.name} version {version} has no signature {name!r} "
                f"(it has {', '.join(sorted(signatures))})"
            )
        return signatures[name]

    def _version(self, requested: str | None) -> int:
        """The version a request names; "" is the highest served (the policy's choice)."""
        if not requested:
            return max(self.loaded)
        if not requested.isdigit() or int(requested) not in self.loaded:
            raise ModelNotFound(f"{self.name} version {requested}")
        return int(requested)

    def _metadata_tensors(self, specs: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "name": alias,
                "datatype": DATATYPES.get(spec.dtype, spec.dtype.name),
                "shape": [-1 if d is None else d for d in spec.shape.as_list()]
                if spec.shape.rank is not None
                else [-1],
            }
            for alias, spec in sorted(specs.items())
        ]

    def get_input_types(self) -> list[dict[str, Any]]:
        fn = self._signature(max(self.loaded), DEFAULT_SIGNATURE)
        return self._metadata_tensors(fn.structured_input_signature[1])

    def get_output_types(self) -> list[dict[str, Any]]:
        fn = self._signature(max(self.loaded), DEFAULT_SIGNATURE)
        return self._metadata_tensors(fn.structured_outputs)

    def predict(self, payload: Any, headers: dict[str, str] | None = None) -> InferResponse:
        if not isinstance(payload, InferRequest):
            raise InvalidInput(f"model {self.name} answers v2 infer requests only")
        version = self._version(payload.model_version)
        name = _string_parameter(payload.parameters, "signature_name") or DEFAULT_SIGNATURE
        fn = self._signature(version, name)
        feeds = self._feeds(fn.structured_input_signature[1], payload.inputs)
        aliases = sorted(fn.structured_outputs)
        wanted = [o.name for o in payload.request_outputs or []] or aliases
        unknown = [o for o in wanted if o not in fn.structured_outputs]
        if unknown:
            raise InvalidInput(
                f"signature {name!r} has no output {', '.join(map(repr, unknown))} "
                f"(it has {', '.join(aliases)})"
            )
        try:
            result = fn(**feeds)
        except tf.errors.OpError as e:
            # KServe's own model servers report a model that fails to run this way.
            raise InferenceError(e.message) from None
        binary = payload.use_binary_outputs
        return InferResponse(
            response_id=payload.id or generate_uuid(),
            model_name=self.name,
            model_version=str(version),
            infer_outputs=[self._output(o, result[o], binary) for o in dict.fromkeys(wanted)],
            use_binary_outputs=binary,
            requested_outputs=payload.request_outputs,
        )

    def _feeds(self, specs: dict[str, Any], inputs: list[InferInput]) -> dict[str, tf.Tensor]:
        names = [i.name for i in inputs]
        unknown = sorted({n for n in names if n not in specs})
        missing = sorted(set(specs) - set(names))
        repeated = sorted({n for n in names if names.count(n) > 1})
        for problem, which in (("unknown", unknown), ("missing", missing), ("repeated", repeated)):
            if which:
                raise InvalidInput(
                    f"{problem} input {', '.join(map(repr, which))} for model {self.name} "
                    f"(the signature's inputs are {', '.join(sorted(specs))})"
                )
        return {i.name: self._tensor(i, specs[i.name]) for i in inputs}

    def _tensor(self, given: InferInput, spec: Any) -> tf.Tensor:
        want = DATATYPES.get(spec.dtype)
        if given.datatype != want:
            raise InvalidInput(
                f"input {given.name!r} has datatype {given.datatype}, the signature wants "
                f"{want or spec.dtype.name}"
            )
        try:
            array = given.as_numpy()
        except ValueError as e:  # numpy's reshape: the element count is not the shape's
            raise InvalidInput(f"input {given.name!r}: {e}") from None
        if not spec.shape.is_compatible_with(array.shape):
            raise InvalidInput(
                f"input {given.name!r} has shape {list(array.shape)}, the signature wants "
                f"{spec.shape}"
            )
        return tf.constant(array, dtype=spec.dtype)

    def _output(self, alias: str, tensor: tf.Tensor, binary: bool) -> InferOutput:
        # A scalar's numpy() is a numpy scalar; KServe's codec takes arrays only.
        array = np.asarray(tensor.numpy(), dtype=np.object_ if tensor.dtype == tf.string else None)
        out = InferOutput(
            name=alias,
            shape=list(array.shape),
            datatype=DATATYPES.get(tensor.dtype, tensor.dtype.name),
        )
        # KServe's codec: typed data, or raw bytes when the request asked for binary outputs.
        out.set_data_from_numpy(array, binary_data=binary)
        return out


def servables(config_file: Path, names: list[str]) -> list[SavedModelServable]:
    """The named models of a ModelServerConfig text file, each with its policy's versions."""
    config = text_format.Parse(
        config_file.read_text(encoding="utf-8"), model_server_config_pb2.ModelServerConfig()
    )
    entries = {c.name: c for c in config.model_config_list.config}
    lacking = [n for n in names if n not in entries]
    if lacking:
        raise SystemExit(f"{config_file} has no model {', '.join(lacking)}")
    out = []
    for name in names:
        base = Path(entries[name].base_path)
        if not base.is_absolute():
            base = config_file.parent / base
        out.append(SavedModelServable(name, base, served_versions(entries[name], base)))
    return out


def check() -> None:
    """TensorFlow imports here, beside KServe's protobuf, and saves, loads and runs a
    SavedModel: the venv's own check at the end of `make kserve-venv`."""
    import tempfile

    import google.protobuf

    class HalfPlusTwo(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": x * 0.5 + 2.0}

    with tempfile.TemporaryDirectory() as folder:
        module = HalfPlusTwo()
        tf.saved_model.save(module, folder, signatures={DEFAULT_SIGNATURE: module.serve})
        fn = tf.saved_model.load(folder).signatures[DEFAULT_SIGNATURE]
        got = fn(x=tf.constant([1.0, 4.0]))["y"].numpy().tolist()
    if got != [2.5, 4.0]:
        raise SystemExit(f"half_plus_two gave {got}, not [2.5, 4.0]")
    print(
        f"build/venvs/kserve: kserve {kserve_version()}, protobuf {google.protobuf.__version__}, "
        f"TensorFlow {tf.__version__} ({tf.__file__}): a SavedModel runs"
    )


def kserve_version() -> str:
    from importlib import metadata

    return metadata.version("kserve")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    parser.add_argument("--model_config_file", type=Path)
    parser.add_argument("--served_models", default="")
    parser.add_argument("--op_library", type=Path, action="append", default=[])
    parser.add_argument("--check", action="store_true")
    args, _ = parser.parse_known_args(argv)
    if args.check:
        check()
        return 0
    if args.model_config_file is None or not args.served_models:
        parser.error("--model_config_file and --served_models are required")
    for library in args.op_library:
        tf.load_op_library(str(library))
    models = servables(args.model_config_file, args.served_models.split(","))
    for model in models:
        model.load()
    # ModelServer reads --http_port, --grpc_port and its other flags from sys.argv.
    kserve.ModelServer().start(models)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
