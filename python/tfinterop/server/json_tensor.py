"""TF Serving's REST JSON <-> tensors, following tensorflow_serving/util/json_tensor.cc.

Requests: "instances" (row) or "inputs" (columnar), typed by the signature's
TensorInfo; integers are never coerced from decimals, floats are refused when
they cannot be held without loss, {"b64": ...} carries binary strings, NaN and
Infinity are accepted as bare tokens. Responses: floats in the shortest form
that parses back to the same value (else max_digits10), bare NaN/Infinity,
"_bytes" outputs base64-encoded, other strings written byte for byte.

All text is handled as the latin-1 view of UTF-8 bytes, so string tensors that
are not valid UTF-8 pass through unchanged, as rapidjson passes them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import types_pb2

from tfinterop import tensor_codec
from tfinterop.errors import Code, ServingError, invalid_argument

ROW = "row"
COLUMNAR = "columnar"
MAX_RANK = 254  # TensorShape's limit; deeper nesting is refused before recursing
FLT_MAX = float(np.finfo(np.float32).max)

_INT_RANGES = {
    types_pb2.DT_INT32: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT16: (-(2**31), 2**31 - 1),  # rapidjson IsInt(); TF casts later
    types_pb2.DT_INT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_UINT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_UINT16: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT64: (-(2**63), 2**63 - 1),
    types_pb2.DT_UINT32: (0, 2**32 - 1),
    types_pb2.DT_UINT64: (0, 2**64 - 1),
}


# -- parsing ---------------------------------------------------------------------------
def parse(body: bytes) -> dict[str, Any]:
    """Parse a request body; INVALID_ARGUMENT for anything but a JSON object."""
    if not body:
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise invalid_argument(
            f"JSON Parse error: Invalid encoding in string. at offset: {e.start}"
        ) from None
    try:
        doc = json.loads(text, parse_float=_float_token)
    except json.JSONDecodeError as e:
        raise invalid_argument(f"JSON Parse error: {e.msg} at offset: {e.pos}") from None
    except RecursionError:
        raise invalid_argument("JSON Parse error: nesting too deep") from None
    except ValueError as e:  # from _float_token
        raise invalid_argument(f"JSON Parse error: {e}") from None
    if not isinstance(doc, dict):
        raise invalid_argument(f"JSON Value: {_brief(doc)} Is not object")
    return doc


def _float_token(text: str) -> float:
    """rapidjson refuses decimals beyond the double range; Python would read them as inf."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"Number too big to be stored in double: {text[:40]}")
    return value


def signature_name(doc: Mapping[str, Any]) -> str:
    name = doc.get("signature_name", "")
    if not isinstance(name, str):
        raise invalid_argument(
            f"JSON Value: {_brief(doc)} not formatted correctly. "
            "'signature_name' key must be a string value."
        )
    return name


def predict_inputs(
    doc: Mapping[str, Any], input_dtypes: Mapping[str, int]
) -> tuple[dict[str, np.ndarray], str]:
    """The request's tensors (alias -> array) and its format (row or columnar)."""
    if not input_dtypes:
        raise invalid_argument("Failed to get input map for signature")
    has_instances = "instances" in doc
    has_inputs = "inputs" in doc
    if has_instances and has_inputs:
        raise invalid_argument(
            f"JSON Value: {_brief(doc)} Not formatted correctly expecting only one of "
            "'inputs' or 'instances' keys to exist "
        )
    if has_instances:
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise invalid_argument(
                f"JSON Value: {_brief(doc)} Excepting 'instances' to be an list/array"
            )
        if not instances:
            raise invalid_argument(f"JSON Value: {_brief(doc)} No values in 'instances' array")
        return _from_instances(instances, input_dtypes), ROW
    if has_inputs:
        return _from_inputs(doc["inputs"], input_dtypes), COLUMNAR
    raise invalid_argument("Missing 'inputs' or 'instances' key")


def _is_b64(val: Any) -> bool:
    return isinstance(val, dict) and len(val) == 1 and isinstance(val.get("b64"), str)


def _from_inputs(val: Any, dtypes: Mapping[str, int]) -> dict[str, np.ndarray]:
    if not isinstance(val, dict) or _is_b64(val):
        if len(dtypes) > 1:
            raise invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple "
                "input tensors required as per tensorinfo_map"
            )
        name, dtype = next(iter(dtypes.items()))
        return {name: to_array(val, dtype)}
    out = {}
    for name in sorted(dtypes):
        if name not in val:
            raise invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        out[name] = to_array(val[name], dtypes[name])
    return out


def _from_instances(instances: list[Any], dtypes: Mapping[str, int]) -> dict[str, np.ndarray]:
    def is_obj(v: Any) -> bool:
        return isinstance(v, dict) and not _is_b64(v)

    if not isinstance(instances[0], dict) and len(dtypes) > 1:
        raise invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    objects = is_obj(instances[0])
    rows: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
    for i, elem in enumerate(instances):
        if objects:
            if not is_obj(elem):
                raise invalid_argument(f"Expecting object but got list at item {i} of input list")
            for key, item in elem.items():
                if key not in dtypes:
                    raise invalid_argument(
                        f"Failed to process element: {i} key: {key} of 'instances' list. Error: "
                        f"INVALID_ARGUMENT: JSON object: does not have named input: {key}"
                    )
                rows[key].append(_instance_item(item, dtypes[key], i, key, rows[key]))
            if set(elem) != set(dtypes):
                raise invalid_argument(
                    f"Failed to process element: {i} of 'instances' list. JSON object: "
                    f"{_brief(elem)} keys must be equal to: {','.join(sorted(dtypes))}"
                )
        else:
            if is_obj(elem):
                raise invalid_argument(
                    f"Expecting value/list but got object at item {i} of input list"
                )
            name = next(iter(dtypes))
            rows[name].append(_instance_item(elem, dtypes[name], i, None, rows[name]))
    return {name: np.stack(items) if items else np.zeros((0,)) for name, items in rows.items()}


def _instance_item(
    item: Any, dtype: int, index: int, key: str | None, previous: list[np.ndarray]
) -> np.ndarray:
    where = f"element: {index}" + (f" key: {key}" if key else "")
    try:
        arr = to_array(item, dtype)
    except ServingError as e:
        raise ServingError(
            e.code,
            f"Failed to process {where} of 'instances' list. Error: {e.code.name}: {e.message}",
        ) from None
    if previous and previous[0].shape != arr.shape:
        first, got = previous[0], arr
        if first.size != got.size:
            msg = f"Expecting tensor size: {first.size} but got: {got.size}"
        else:
            msg = f"Expecting shape {_shape(first.shape)} but got: {_shape(got.shape)}"
        raise invalid_argument(
            f"Failed to process {where} of 'instances' list. Error: INVALID_ARGUMENT: {msg}"
        )
    return arr


def to_array(val: Any, dtype: int) -> np.ndarray:
    """One JSON value (scalar or nested list) as a tensor of `dtype`."""
    shape: list[int] = []
    probe = val
    while isinstance(probe, list):
        shape.append(len(probe))
        if len(shape) > MAX_RANK:
            raise invalid_argument(f"JSON list nesting deeper than {MAX_RANK}")
        if not probe:
            break
        probe = probe[0]
    info = tensor_codec.dtype_info(dtype)
    convert = _converter(dtype)
    flat: list[Any] = []
    _fill(val, 0, shape, dtype, convert, flat)
    if info.enum == types_pb2.DT_STRING:
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        return arr.reshape(shape)
    if info.enum in _WRAPPING:
        # TF Serving stores these in int_val and TensorFlow narrows them when it
        # builds the tensor (256 as uint8 is 0); numpy would refuse, so narrow here.
        return np.array(flat, dtype=np.int64).astype(info.numpy).reshape(shape)
    return np.array(flat, dtype=info.numpy).reshape(shape)


_WRAPPING = (types_pb2.DT_INT8, types_pb2.DT_INT16, types_pb2.DT_UINT8, types_pb2.DT_UINT16)


def _fill(
    val: Any,
    level: int,
    shape: list[int],
    dtype: int,
    convert: Callable[[Any], Any],
    out: list[Any],
) -> None:
    rank = len(shape)
    if not isinstance(val, list):
        if level != rank:
            raise invalid_argument(
                f"JSON Value: {_brief(val)} found at incorrect level: {level + 1} in the JSON DOM. "
                f"Expected at level: {rank}"
            )
        if isinstance(val, dict):
            if dtype != types_pb2.DT_STRING:
                raise _type_error(val, dtype)
            out.append(_decode_b64(val))
            return
        out.append(convert(val))
        return
    if level >= rank:
        raise invalid_argument(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(val) != shape[level]:
        raise invalid_argument(
            f"Encountered list at unexpected size: {len(val)} at level: {level} "
            f"expected size: {shape[level]}"
        )
    if level == rank - 1:
        for v in val:
            if isinstance(v, list):
                raise invalid_argument(
                    f"Encountered list at unexpected level: {level + 1} expected < {rank}"
                )
            if isinstance(v, dict):
                if dtype != types_pb2.DT_STRING:
                    raise _type_error(v, dtype)
                out.append(_decode_b64(v))
            else:
                out.append(convert(v))
        return
    for v in val:
        _fill(v, level + 1, shape, dtype, convert, out)


def _converter(dtype: int) -> Callable[[Any], Any]:
    if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
        is_float = dtype == types_pb2.DT_FLOAT
        max_int = (1 << (24 if is_float else 53)) - 1

        def number(v: Any) -> float:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _type_error(v, dtype)
            if isinstance(v, int) and not -(2**63) <= v <= 2**64 - 1:
                v = float(v)  # rapidjson holds integers beyond 64 bits as doubles
            if isinstance(v, int):
                if abs(v) > max_int:
                    raise _lossy(v, "float" if is_float else "double")
                return float(v)
            if is_float and math.isfinite(v) and abs(v) > FLT_MAX:
                raise _lossy(v, "float")
            return v

        return number
    if dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[dtype]

        def integer(v: Any) -> int:
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise _type_error(v, dtype)
            return v

        return integer
    if dtype == types_pb2.DT_BOOL:

        def boolean(v: Any) -> bool:
            if not isinstance(v, bool):
                raise _type_error(v, dtype)
            return v

        return boolean
    if dtype == types_pb2.DT_STRING:

        def string(v: Any) -> bytes:
            if not isinstance(v, str):
                raise _type_error(v, dtype)
            return v.encode("utf-8", errors="surrogatepass")

        return string

    def unsupported(v: Any) -> Any:
        raise ServingError(
            Code.UNIMPLEMENTED,
            f"Conversion of JSON Value: {_brief(v)} to type: {tensor_codec.dtype_name(dtype)}",
        )

    return unsupported


def _decode_b64(val: Any) -> bytes:
    if not _is_b64(val):
        raise invalid_argument(f"JSON Value: {_brief(val)} not formatted correctly for base64 data")
    try:
        return base64.b64decode(val["b64"], validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(val["b64"])
        except (binascii.Error, ValueError):
            raise invalid_argument("Unable to base64 decode") from None


def _json_type(v: Any) -> str:
    if v is None:
        return "Null"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, dict):
        return "Object"
    if isinstance(v, list):
        return "Array"
    if isinstance(v, str):
        return "String"
    return "Number"


def _type_error(v: Any, dtype: int) -> ServingError:
    name = types_pb2.DataType.Name(dtype) if dtype in types_pb2.DataType.values() else str(dtype)
    return invalid_argument(
        f"JSON Value: {_brief(v)} Type: {_json_type(v)} is not of expected type: {_short(name)}"
    )


def _lossy(v: Any, target: str) -> ServingError:
    return invalid_argument(
        f"Cannot convert JSON value: {_brief(v)} to {target} without loss of precision."
    )


def _short(dt_name: str) -> str:
    return dt_name[3:].lower() if dt_name.startswith("DT_") else dt_name


def _brief(v: Any) -> str:
    text = json.dumps(v, allow_nan=True, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- writing ---------------------------------------------------------------------------
def format_float(value: float, double: bool) -> str:
    """WriteDecimal: six significant digits if they round-trip, else max_digits10."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    text = "%g" % value
    back = float(text) if double else float(np.float32(float(text)))
    if back != value:
        text = "%.17g" % value if double else "%.9g" % value
    if "." not in text and "e" not in text and "n" not in text:
        text += ".0"
    return text


def _escape_bytes(data: bytes) -> str:
    """A JSON string literal of raw bytes as rapidjson writes it (latin-1 view)."""
    out = ['"']
    for ch in data.decode("latin-1"):
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, f"\\u{o:04X}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar_writer(dtype: int, as_bytes: bool) -> Callable[[Any], str]:
    if dtype == types_pb2.DT_FLOAT or dtype == types_pb2.DT_HALF:
        return lambda v: format_float(float(v), double=False)
    if dtype == types_pb2.DT_DOUBLE:
        return lambda v: format_float(float(v), double=True)
    if dtype == types_pb2.DT_BOOL:
        return lambda v: "true" if v else "false"
    if dtype == types_pb2.DT_STRING:
        if as_bytes:
            return lambda v: '{"b64": "' + base64.b64encode(bytes(v)).decode("ascii") + '"}'
        return lambda v: _escape_bytes(bytes(v))
    if dtype in _INT_RANGES:
        return lambda v: str(int(v))
    name = tensor_codec.dtype_name(dtype)
    raise invalid_argument(f"Failed to write JSON value for tensor type: {name}")


def _render(arr: np.ndarray, write: Callable[[Any], str], start_dim: int = 0) -> list[str]:
    """Render `arr` as nested JSON lists; returns one string per index of dim start_dim-1."""
    flat = [write(v) for v in arr.reshape(-1)]
    shape = arr.shape

    def build(dim: int, offset: int) -> tuple[str, int]:
        if dim == len(shape):
            return flat[offset], offset + 1
        parts = []
        for _ in range(shape[dim]):
            text, offset = build(dim + 1, offset)
            parts.append(text)
        return "[" + ", ".join(parts) + "]", offset

    if start_dim == 0:
        return [build(0, 0)[0]]
    rows, offset = [], 0
    for _ in range(shape[0]):
        text, offset = build(1, offset)
        rows.append(text)
    return rows


def tensors_json(outputs: Mapping[str, tuple[np.ndarray, int]], fmt: str) -> bytes:
    """MakeJsonFromTensors: {"predictions": ...} for row, {"outputs": ...} for columnar."""
    if not outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    writers = {
        n: _scalar_writer(
            outputs[n][1], outputs[n][1] == types_pb2.DT_STRING and n.endswith("_bytes")
        )
        for n in names
    }
    multi = len(names) > 1
    key = lambda n: _escape_bytes(n.encode("utf-8"))  # noqa: E731
    if fmt == ROW:
        batch = -1
        for n in names:
            arr = outputs[n][0]
            if arr.ndim == 0:
                raise invalid_argument(f"Tensor name: {n} has no shape information ")
            if batch >= 0 and arr.shape[0] != batch:
                raise invalid_argument(
                    f"Tensor name: {n} has inconsistent batch size: {arr.shape[0]} expecting: {batch}"
                )
            batch = arr.shape[0]
        rendered = {n: _render(outputs[n][0], writers[n], start_dim=1) for n in names}
        items = []
        for i in range(batch):
            if multi:
                items.append("{" + ", ".join(f"{key(n)}: {rendered[n][i]}" for n in names) + "}")
            else:
                items.append(rendered[names[0]][i])
        text = '{\n    "predictions": [' + ",\n        ".join(items) + "]\n}"
    else:
        rendered0 = {n: _render(outputs[n][0], writers[n])[0] for n in names}
        if multi:
            body = "{" + ", ".join(f"{key(n)}: {rendered0[n]}" for n in names) + "}"
        else:
            body = rendered0[names[0]]
        text = '{\n    "outputs": ' + body + "\n}"
    return text.encode("latin-1")


def error_json(message: str) -> bytes:
    return ('{ "error": ' + _escape_bytes(message.encode("utf-8", errors="replace")) + " }").encode(
        "latin-1"
    )


# -- classify / regress ----------------------------------------------------------------
def examples_input(doc: Mapping[str, Any], inp: Any) -> None:
    """Fill a tensorflow.serving.Input from {"context": {...}, "examples": [...]}."""
    if "context" in doc:
        target = inp.example_list_with_context
        _example(doc["context"], target.context)
        add = target.examples.add
    else:
        add = inp.example_list.examples.add
    if "examples" not in doc:
        raise invalid_argument(
            f"JSON Value: {_brief(doc)} When method is classify, key 'examples' is expected and was not found"
        )
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise invalid_argument(
            f"JSON Value: {_brief(doc)} Expecting 'examples' value to be an list/array"
        )
    if not examples:
        raise invalid_argument(f"JSON Value: {_brief(doc)} 'examples' value is an empty array")
    for e in examples:
        _example(e, add())


def _example(val: Any, example: example_pb2.Example) -> None:
    if not isinstance(val, dict):
        raise invalid_argument(f"Example must be JSON object but got JSON {_json_type(val)}")
    for name, content in val.items():
        feature = feature_pb2.Feature()
        for v in content if isinstance(content, list) else [content]:
            _add_feature_value(v, name, feature)
        example.features.feature[name].CopyFrom(feature)


def _add_feature_value(v: Any, name: str, feature: feature_pb2.Feature) -> None:
    kind = feature.WhichOneof("kind")

    def need(k: str) -> None:
        if kind not in (None, k):
            label = {"bytes_list": "bytes", "float_list": "float", "int64_list": "int64"}[kind]
            raise invalid_argument(
                f"Unexpected element type in feature: {name} expecting type: {label}"
            )

    if v is None or isinstance(v, list):
        raise invalid_argument(
            f"Feature: {name} has element with unexpected JSON type: {_json_type(v)}"
        )
    if isinstance(v, bool):
        need("int64_list")
        feature.int64_list.value.append(1 if v else 0)
    elif isinstance(v, dict):
        if not _is_b64(v):
            raise invalid_argument(f"Feature: {name} has element with unexpected JSON type: Object")
        need("bytes_list")
        feature.bytes_list.value.append(_decode_b64(v))
    elif isinstance(v, str):
        need("bytes_list")
        feature.bytes_list.value.append(v.encode("utf-8", errors="surrogatepass"))
    elif isinstance(v, float):
        need("float_list")
        if math.isfinite(v) and abs(v) > FLT_MAX:
            raise _lossy(v, "float")
        feature.float_list.value.append(v)
    else:
        need("int64_list")
        if v > 2**63 - 1:
            raise invalid_argument(f"Feature: {name} has uint64 element. Only int64 is supported.")
        if v < -(2**63):
            raise _type_error(v, types_pb2.DT_INT64)
        feature.int64_list.value.append(v)


def classification_json(result: Any) -> bytes:
    if not result.classifications:
        raise invalid_argument("Cannot convert empty ClassificationResults to JSON")
    rows = []
    for c in result.classifications:
        pairs = [
            "["
            + _escape_bytes(cls.label.encode("utf-8"))
            + ", "
            + format_float(cls.score, False)
            + "]"
            for cls in c.classes
        ]
        rows.append("[" + ", ".join(pairs) + "]")
    return ('{\n    "results": [' + ",\n        ".join(rows) + "]\n}").encode("latin-1")


def regression_json(result: Any) -> bytes:
    if not result.regressions:
        raise invalid_argument("Cannot convert empty RegressionResults to JSON")
    values = ", ".join(format_float(r.value, False) for r in result.regressions)
    return ('{\n    "results": [' + values + "]\n}").encode("latin-1")
