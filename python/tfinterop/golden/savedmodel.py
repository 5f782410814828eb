"""One model version as Python users run it: tf.saved_model.load, signatures called directly.

The MetaGraphDef (signatures, method names, defaults) is read from the file, as
TF Serving's SavedModelBundle keeps it; the values come from the loaded
signature functions. TF1 SavedModels load the same way (their signatures come
back as pruned functions keyed by alias).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from google.protobuf import text_format
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from tfinterop.serving import op_libraries
from tfinterop.serving.errors import OP_NOT_REGISTERED, Code, ServingError, ToolError

SERVE_TAGS = frozenset({"serve"})


class GoldenError(ToolError):
    """The golden cannot say what TF Serving answers for this case (one line, names the case)."""


def read_meta_graph(model_dir: Path) -> meta_graph_pb2.MetaGraphDef:
    """The MetaGraphDef whose tag set is exactly {"serve"}, as TF Serving's loader picks it."""
    sm = saved_model_pb2.SavedModel()
    pb = model_dir / "saved_model.pb"
    try:
        if pb.exists():
            sm.ParseFromString(pb.read_bytes())
        else:
            text_format.Parse((model_dir / "saved_model.pbtxt").read_text(), sm)
    except (OSError, text_format.ParseError) as e:
        raise GoldenError(f"cannot read the SavedModel in {model_dir}: {e}") from None
    for mg in sm.meta_graphs:
        if set(mg.meta_info_def.tags) == SERVE_TAGS:
            return mg
    raise GoldenError(f"SavedModel {model_dir} has no MetaGraph tagged exactly {{serve}}")


def error_from_tf(e: Exception, what: str) -> ServingError | GoldenError:
    """A TensorFlow runtime error keeps TF's own code (TF_Code numbers are gRPC's); any other
    failure (a Python-side refusal) is not something TF Serving would answer: GoldenError."""
    import tensorflow as tf

    if isinstance(e, tf.errors.OpError):
        lines = [ln.strip() for ln in e.message.splitlines() if ln.strip()]
        text = " ".join(ln for ln in lines if not ln.startswith(("File ", "Detected at node")))
        return ServingError(Code(e.error_code), f"{what}: {text[:1000]}")
    if isinstance(e, RuntimeError) and str(e).startswith(OP_NOT_REGISTERED):
        # tf.saved_model.load's RuntimeError for what the session loader of the same build
        # (TF Serving's) reports as NotFoundError.
        return ServingError(Code.NOT_FOUND, f"{what}: {' '.join(str(e).split())[:1000]}")
    first = str(e).splitlines()[0][:300] if str(e) else ""
    return GoldenError(f"{what}: {type(e).__name__}: {first}")


class Version:
    """A loaded model version: name, number, MetaGraphDef and the loaded object.

    `unavailable_ops` are ops registered in this process that the runtime being
    modelled lacks (a custom op whose library the case set does not load): a graph
    using one fails to load with NOT_FOUND, as TensorFlow's importer answers where
    the op is not registered.
    """

    def __init__(
        self, name: str, version: int, path: Path, unavailable_ops: frozenset[str] = frozenset()
    ) -> None:
        import tensorflow as tf

        self.name = name
        self.version = version
        self.path = path
        self.meta_graph = read_meta_graph(path)
        missing = sorted(op_libraries.graph_ops(self.meta_graph) & unavailable_ops)
        if missing:
            e = op_libraries.not_registered(missing[0])
            raise ServingError(e.code, f"loading {path}: {e.message}")
        try:
            self._loaded = tf.saved_model.load(str(path), tags=sorted(SERVE_TAGS))
        except Exception as e:
            raise error_from_tf(e, f"loading {path}") from None

    def run(self, signature: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Call the signature with tensors keyed by input alias; outputs (tf.Tensor) by alias.

        The tensors go in as they are: a dtype the signature does not take, or a
        shape its graph cannot compute, fails in TensorFlow's runtime with
        TensorFlow's code, as the same request fails in TF Serving's Session::Run.
        """
        fn = self._loaded.signatures.get(signature)
        if fn is None:
            raise GoldenError(
                f"{self.path}: signature {signature!r} is in the MetaGraphDef but "
                "tf.saved_model.load does not expose it"
            )
        try:
            result = fn(**dict(inputs))
        except Exception as e:
            raise error_from_tf(e, f"running signature {signature}") from None
        return dict(result)
