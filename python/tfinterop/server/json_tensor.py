"""TF Serving's REST JSON <-> tensors, following tensorflow_serving/util/json_tensor.cc.

Parsing is RapidJSON's own (python-rapidjson wraps RapidJSON 1.1.0, the library
TF Serving builds on): the same number model (int32/int64/uint64 or double, a
double read with RapidJSON's normal precision), NaN/Infinity as bare tokens,
the same parse error words and byte offsets, the first of two equal keys wins
(RapidJSON's FindMember), a UTF-8 BOM is skipped and bytes that are not UTF-8
pass through strings unchanged, as RapidJSON passes them.

Requests: "instances" (row) or "inputs" (columnar), typed by the signature's
TensorInfo; integers are never coerced from decimals, floats are refused when
they cannot be held without loss, {"b64": ...} carries binary strings. Dtypes
without a JSON case (half, bfloat16, uint16, complex) are UNIMPLEMENTED.
Responses are written as RapidJSON's PrettyWriter writes them: floats by
WriteDecimal (six significant digits if they round-trip, else max_digits10),
bare NaN/Infinity, "_bytes" outputs base64-encoded, other strings byte for byte;
an output dtype without a JSON case is "Failed to write JSON value" (400).

Text written out is built as the latin-1 view of the bytes on the wire.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import decimal
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import rapidjson
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import types_pb2

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError, invalid_argument

ROW = "row"
COLUMNAR = "columnar"
MAX_RANK = 254  # TensorShape's limit; deeper nesting is refused before recursing
FLT_MAX = float(np.finfo(np.float32).max)
# rapidjson's Value::IsFloat(): a double this close to zero is written as a float.
_ISFLOAT_LIMIT = 3.4028234e38
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# AddValueToTensor's integer cases: rapidjson's IsInt / IsInt64 / IsUint / IsUint64.
_INT_RANGES = {
    types_pb2.DT_INT32: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT16: (-(2**31), 2**31 - 1),  # IsInt(); TensorFlow narrows later
    types_pb2.DT_INT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_UINT8: (-(2**31), 2**31 - 1),
    types_pb2.DT_INT64: (INT64_MIN, INT64_MAX),
    types_pb2.DT_UINT32: (0, 2**32 - 1),
    types_pb2.DT_UINT64: (0, 2**64 - 1),
}
# Stored in int_val: TensorFlow narrows them when it builds the tensor (256 as uint8 is 0).
_WRAPPING = (types_pb2.DT_INT8, types_pb2.DT_INT16, types_pb2.DT_UINT8)


# -- parsing ---------------------------------------------------------------------------
class _Decoder(rapidjson.Decoder):
    """Objects keep the first of duplicate keys, as rapidjson's FindMember finds it."""

    def start_object(self) -> list[tuple[str, Any]]:
        return []

    def end_object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in pairs:
            obj.setdefault(key, value)
        return obj


# NM_NATIVE: rapidjson's own number parsing (not Python's), so a double reads as in TF Serving.
_DECODE = _Decoder(number_mode=rapidjson.NM_NATIVE | rapidjson.NM_NAN)
_RAPIDJSON_ERROR = re.compile(r"Parse error at offset (\d+): (.*)", re.S)
# Bytes that are not UTF-8 stand in the text as these code points while rapidjson parses.
_RAW_BASE = 0x10FF00
_RAW_CHARS = re.compile("[\U0010ff80-\U0010ffff]")
_RAW_UTF8 = re.compile(b"\xf4\x8f[\xbe\xbf][\x80-\xbf]")


def parse(body: bytes) -> dict[str, Any]:
    """Parse a request body as TF Serving's ParseJson does; INVALID_ARGUMENT unless an object."""
    if not body:
        raise invalid_argument("JSON Parse error: The document is empty")
    # EncodedInputStream<UTF8<>, MemoryStream> drops the bytes of a UTF-8 BOM.
    skip = 0
    for b in b"\xef\xbb\xbf":
        if skip < len(body) and body[skip] == b:
            skip += 1
    raw = False
    try:
        text = body[skip:].decode("utf-8")
    except UnicodeDecodeError:
        text = body[skip:].decode("utf-8", errors="surrogateescape")
        if _RAW_CHARS.search(text):
            raise invalid_argument(
                f"JSON Parse error: Invalid encoding in string. at offset: {skip}"
            ) from None
        text = re.sub("[\udc80-\udcff]", lambda m: chr(_RAW_BASE + ord(m[0]) - 0xDC00), text)
        raw = True
    try:
        doc = _DECODE(text)
    except rapidjson.JSONDecodeError as e:
        m = _RAPIDJSON_ERROR.match(str(e))
        what, offset = (m[2], int(m[1])) if m else (str(e), 0)
        if raw:  # each stand-in is 4 UTF-8 bytes for 1 byte of the body
            offset -= 3 * len(_RAW_UTF8.findall(text.encode("utf-8")[:offset]))
        raise invalid_argument(f"JSON Parse error: {what} at offset: {offset + skip}") from None
    except RecursionError:
        # RapidJSON recurses on the C++ stack and would crash; refuse instead.
        raise invalid_argument("JSON Parse error: nesting too deep") from None
    if raw:
        doc = _restore_raw(doc)
    if not isinstance(doc, dict):
        raise _format_error(doc, "Is not object")
    return doc


def _restore_raw(v: Any) -> Any:
    """Strings that held stand-ins become the bytes the body carried (keys stay text)."""
    if isinstance(v, str):
        if not _RAW_CHARS.search(v):
            return v
        out = bytearray()
        for ch in v:
            o = ord(ch)
            out += bytes([o - _RAW_BASE]) if o >= _RAW_BASE + 0x80 else ch.encode("utf-8")
        return bytes(out)
    if isinstance(v, list):
        return [_restore_raw(x) for x in v]
    if isinstance(v, dict):
        return {k: _restore_raw(x) for k, x in v.items()}
    return v


def _is_str(v: Any) -> bool:
    return isinstance(v, (str, bytes))


def _str_bytes(v: str | bytes) -> bytes:
    return v if isinstance(v, bytes) else v.encode("utf-8", errors="surrogatepass")


def signature_name(doc: Mapping[str, Any]) -> str:
    """FillSignature: the optional "signature_name", which must be a string."""
    name = doc.get("signature_name", "")
    if not _is_str(name):
        raise invalid_argument(
            f"JSON Value: {_value_text(doc)} not formatted correctly. "
            "'signature_name' key must be a string value."
        )
    return name if isinstance(name, str) else name.decode("utf-8", errors="surrogateescape")


def bool_free(body: bytes) -> bool:
    """Whether a request body holds no `true` or `false` token (nor that text anywhere):
    numpy then reads its numbers in bulk without checking each value's JSON type."""
    return b"true" not in body and b"false" not in body


def predict_inputs(
    doc: Mapping[str, Any],
    input_dtypes: Mapping[str, int],
    signature: str = "",
    no_bools: bool = False,
) -> tuple[dict[str, np.ndarray], str]:
    """The request's tensors (alias -> array) and its format (row or columnar). `no_bools`:
    the body holds no JSON true/false (bool_free), so bulk reading may skip the type check."""
    if not input_dtypes:
        raise invalid_argument(f"Failed to get input map for signature: {signature or 'DEFAULT'}")
    has_instances = "instances" in doc
    has_inputs = "inputs" in doc
    if has_instances:
        if has_inputs:
            raise _format_error(
                doc,
                "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ",
            )
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise _format_error(doc, "Excepting 'instances' to be an list/array")
        if not instances:
            raise _format_error(doc, "No values in 'instances' array")
        return _from_instances(instances, input_dtypes, no_bools), ROW
    if has_inputs:
        return _from_inputs(doc["inputs"], input_dtypes, no_bools), COLUMNAR
    raise invalid_argument("Missing 'inputs' or 'instances' key")


def _is_b64(val: Any) -> bool:
    return isinstance(val, dict) and len(val) == 1 and _is_str(val.get("b64"))


def _from_inputs(
    val: Any, dtypes: Mapping[str, int], no_bools: bool = False
) -> dict[str, np.ndarray]:
    if not isinstance(val, dict) or _is_b64(val):
        if len(dtypes) > 1:
            raise invalid_argument(
                "inputs is a plain value/list, but expecting an object as multiple "
                "input tensors required as per tensorinfo_map"
            )
        name, dtype = next(iter(dtypes.items()))
        return {name: to_array(val, dtype, no_bools)}
    out = {}
    for name in sorted(dtypes):
        if name not in val:
            raise invalid_argument(f"Missing named input: {name} in 'inputs' object.")
        out[name] = to_array(val[name], dtypes[name], no_bools)
    return out


def _status_text(e: ServingError) -> str:
    return f"{e.code.name}: {e.message}"


def _from_instances(
    instances: list[Any], dtypes: Mapping[str, int], no_bools: bool = False
) -> dict[str, np.ndarray]:
    def is_obj(v: Any) -> bool:
        return isinstance(v, dict) and not _is_b64(v)

    if not isinstance(instances[0], dict) and len(dtypes) > 1:
        raise invalid_argument(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    objects = is_obj(instances[0])
    if not objects and len(dtypes) == 1:
        # Every instance the same shape of plain numbers: one bulk conversion is what the
        # per-instance path below would stack (anything else takes it, for its errors).
        name, dtype = next(iter(dtypes.items()))
        whole = _numeric_array(instances, dtype, no_bools)
        if whole is not None:
            return {name: whole}
    rows: dict[str, list[np.ndarray]] = {}
    for i, elem in enumerate(instances):
        if objects:
            if not is_obj(elem):
                raise invalid_argument(f"Expecting object but got list at item {i} of input list")
            for key, item in elem.items():
                try:
                    _add_instance_item(item, key, dtypes, rows)
                except ServingError as e:
                    raise invalid_argument(
                        f"Failed to process element: {i} key: {key} of 'instances' list. "
                        f"Error: {_status_text(e)}"
                    ) from None
            if set(elem) != set(dtypes):
                raise invalid_argument(
                    f"Failed to process element: {i} of 'instances' list. JSON object: "
                    f"{_value_text(elem)} keys must be equal to: {','.join(sorted(dtypes))}"
                )
        else:
            if is_obj(elem):
                raise invalid_argument(
                    f"Expecting value/list but got object at item {i} of input list"
                )
            try:
                _add_instance_item(elem, next(iter(dtypes)), dtypes, rows)
            except ServingError as e:
                # AddInstanceItem's status, whatever its code, becomes INVALID_ARGUMENT here.
                raise invalid_argument(
                    f"Failed to process element: {i} of 'instances' list. Error: {_status_text(e)}"
                ) from None
    return {name: np.stack(items) for name, items in rows.items()}


def _add_instance_item(
    item: Any, name: str, dtypes: Mapping[str, int], rows: dict[str, list[np.ndarray]]
) -> None:
    if name not in dtypes:
        raise invalid_argument(f"JSON object: does not have named input: {name}")
    arr = to_array(item, dtypes[name])
    previous = rows.setdefault(name, [])
    if previous:
        first = previous[0]
        if first.size != arr.size:
            raise invalid_argument(f"Expecting tensor size: {first.size} but got: {arr.size}")
        if first.shape != arr.shape:
            raise invalid_argument(
                f"Expecting shape {_shape(first.shape)} but got: {_shape(arr.shape)}"
            )
    previous.append(arr)


def to_array(val: Any, dtype: int, no_bools: bool = False) -> np.ndarray:
    """One JSON value (scalar or nested list) as a tensor of `dtype` (FillTensorProto)."""
    fast = _numeric_array(val, dtype, no_bools)
    if fast is not None:
        return fast
    shape: list[int] = []
    probe = val
    while isinstance(probe, list):
        shape.append(len(probe))
        if len(shape) > MAX_RANK:
            raise invalid_argument(f"JSON list nesting deeper than {MAX_RANK}")
        if not probe:
            break
        probe = probe[0]
    convert = _converter(dtype)
    flat: list[Any] = []
    _fill(val, 0, shape, dtype, convert, flat)
    info = tensor_codec.dtype_info(dtype)
    if info.enum == types_pb2.DT_STRING:
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        return arr.reshape(shape)
    if info.enum in _WRAPPING:
        return np.array(flat, dtype=np.int64).astype(info.numpy).reshape(shape)
    return np.array(flat, dtype=info.numpy).reshape(shape)


# The numeric dtypes the fast path reads: JSON number types each accepts, and its numpy type.
_FAST_FLOATS = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64}
_FAST_INTS = {types_pb2.DT_INT32: np.int32, types_pb2.DT_INT64: np.int64}


def _numeric_array(val: Any, dtype: int, no_bools: bool = False) -> np.ndarray | None:
    """A regular nested list of plain numbers as a float or int tensor, converted by numpy
    in bulk (a batch-32 MNIST request is 25,088 numbers: per-number Python is most of the
    request's time); None for anything else or anything doubtful (ragged, a bool, a string,
    an object, a lossy or out-of-range number, empty), which then takes the exact path
    below and gets TF Serving's error for it.

    Only accepts what the exact path accepts, with the same values: a float tensor from
    JSON numbers read as doubles (rapidjson's reader, json_tensor.parse) narrowed to float,
    ints within IsLosslessDecimal; an int tensor from JSON integers in range.

    `no_bools` (the body holds no true/false token) lets numpy infer the element type
    (_inferred) instead of a check of every value's type, about 3x faster on batch 32.
    """
    if not isinstance(val, list) or not val:
        return None
    floats = _FAST_FLOATS.get(dtype)
    ints = _FAST_INTS.get(dtype)
    if floats is None and ints is None:
        return None
    shape: list[int] = []
    probe = val
    while isinstance(probe, list):
        if not probe or len(shape) >= 32:
            return None
        shape.append(len(probe))
        probe = probe[0]
    if no_bools:
        return _inferred(val, tuple(shape), dtype, floats, ints)
    try:
        obj = np.array(val, dtype=object)
    except ValueError:
        return None
    if obj.shape != tuple(shape):
        return None  # ragged: the exact path names the level and size
    flat = obj.ravel().tolist()
    kinds = set(map(type, flat))
    if floats is not None:
        if not kinds <= {float, int}:
            return None
        if int in kinds:
            limit = (1 << (24 if floats is np.float32 else 53)) - 1
            if any(abs(v) > limit and v != INT64_MIN for v in flat if type(v) is int):
                return None
        doubles = np.array(flat, dtype=np.float64)
        if floats is np.float32:
            finite = doubles[np.isfinite(doubles)]
            if finite.size and np.abs(finite).max() > FLT_MAX:
                return None
        return doubles.astype(floats).reshape(shape)
    if kinds != {int}:
        return None
    lo, hi = _INT_RANGES[dtype]
    try:
        wide = np.array(flat, dtype=np.int64)
    except OverflowError:
        return None
    if wide.min() < lo or wide.max() > hi:
        return None
    return wide.astype(ints).reshape(shape)


def _inferred(
    val: list[Any], shape: tuple[int, ...], dtype: int, floats: Any, ints: Any
) -> np.ndarray | None:
    """_numeric_array for a body without true/false: numpy's inferred dtype says what the
    values are. float64 holds floats (and ints among them), int64 only ints that fit, and
    anything else (strings, null, objects, ints beyond int64, ragged lists) is not a number
    array; in a body without true/false no value is a bool. Doubtful values go back to the
    exact path (None): in a float tensor, an integral value beyond float's exact integers
    (it may have been a lossy JSON integer); in an int tensor, a value out of range."""
    try:
        arr = np.array(val)
    except (ValueError, OverflowError):
        return None
    if arr.shape != shape:
        return None
    if floats is not None:
        limit = (1 << (24 if floats is np.float32 else 53)) - 1
        if arr.dtype == np.int64:  # every value a JSON integer
            return None if arr.max() > limit or arr.min() < -limit else arr.astype(floats)
        if arr.dtype != np.float64:
            return None
        magnitude = np.abs(arr)
        big = np.isfinite(arr) & (magnitude > limit)  # no JSON integer is NaN or infinite
        if big.any():
            wide = arr[big]
            if np.any(wide == np.trunc(wide)):
                return None
        if floats is np.float32 and np.any(magnitude[np.isfinite(magnitude)] > FLT_MAX):
            return None
        return arr.astype(floats)
    if arr.dtype != np.int64:
        return None
    lo, hi = _INT_RANGES[dtype]
    if arr.min() < lo or arr.max() > hi:
        return None
    return arr.astype(ints)


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
                f"JSON Value: {_value_text(val)} found at incorrect level: {level + 1} "
                f"in the JSON DOM. Expected at level: {rank}"
            )
        out.append(_leaf(val, dtype, convert))
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
            out.append(_leaf(v, dtype, convert))
        return
    for v in val:
        _fill(v, level + 1, shape, dtype, convert, out)


def _leaf(v: Any, dtype: int, convert: Callable[[Any], Any]) -> Any:
    if isinstance(v, dict):
        if dtype != types_pb2.DT_STRING:
            raise _type_error(v, dtype)
        return _decode_b64(v)
    return convert(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _lossless(v: int | float, is_float: bool) -> bool:
    """IsLosslessDecimal<float|double>."""
    if isinstance(v, float):
        if not math.isfinite(v):
            return True
        return not is_float or abs(v) <= FLT_MAX
    max_int = (1 << (24 if is_float else 53)) - 1
    # std::abs(INT64_MIN) overflows to INT64_MIN itself, which passes the check.
    return v == INT64_MIN or abs(v) <= max_int


def _converter(dtype: int) -> Callable[[Any], Any]:
    if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
        is_float = dtype == types_pb2.DT_FLOAT

        def number(v: Any) -> float:
            if not _is_number(v):
                raise _type_error(v, dtype)
            if not _lossless(v, is_float):
                raise _lossy(v, "float" if is_float else "double")
            return float(v)

        return number
    if dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[dtype]

        def integer(v: Any) -> int:
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
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
            if not _is_str(v):
                raise _type_error(v, dtype)
            return _str_bytes(v)

        return string

    def unsupported(v: Any) -> Any:
        raise ServingError(
            Code.UNIMPLEMENTED,
            f"Conversion of JSON Value: {_value_text(v)} to type: {tensor_codec.dtype_name(dtype)}",
        )

    return unsupported


def _decode_b64(val: Any) -> bytes:
    if not _is_b64(val):
        raise invalid_argument(
            f"JSON Value: {_value_text(val)} not formatted correctly for base64 data"
        )
    text = re.sub(rb"[ \t\n\r\f\v]", b"", _str_bytes(val["b64"]))
    # absl::Base64Unescape: the standard alphabet, whitespace skipped, padding absent or exact.
    data = text.rstrip(b"=")
    pad = len(text) - len(data)
    if len(data) % 4 == 1 or pad not in (0, -len(data) % 4):
        raise invalid_argument("Unable to base64 decode")
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4), validate=True)
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
    if _is_str(v):
        return "String"
    return "Number"


def _type_error(v: Any, dtype: int) -> ServingError:
    return invalid_argument(
        f"JSON Value: {_value_text(v)} Type: {_json_type(v)} is not of expected type: "
        f"{tensor_codec.dtype_name(dtype)}"
    )


def _lossy(v: Any, target: str) -> ServingError:
    return invalid_argument(
        f"Cannot convert JSON value: {_value_text(v)} to {target} without loss of precision."
    )


def _format_error(doc: Any, what: str) -> ServingError:
    return invalid_argument(f"JSON Value: {_value_text(doc)} {what}")


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- RapidJSON's PrettyWriter ----------------------------------------------------------
INDENT = "    "  # PrettyWriter's default: four spaces


class _Truncated(Exception):
    """Writer::Double refuses NaN/Infinity nested in a value: the text stops there."""


class _Pretty:
    """The calls of rapidjson::PrettyWriter that TF Serving makes, writing latin-1 text."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.levels: list[list[Any]] = []  # [in_array, value_count]
        self.single_line = False  # kFormatSingleLineArray

    def _prefix(self) -> None:
        if not self.levels:
            return
        level = self.levels[-1]
        depth = len(self.levels)
        if level[0]:
            if level[1] > 0:
                self.out.append(", " if self.single_line else ",")
            if not self.single_line:
                self.out.append("\n" + INDENT * depth)
        else:
            if level[1] > 0:
                self.out.append(",\n" if level[1] % 2 == 0 else ": ")
            else:
                self.out.append("\n")
            if level[1] % 2 == 0:
                self.out.append(INDENT * depth)
        level[1] += 1

    def raw(self, text: str) -> None:
        """A value already rendered (RawValue), written at the current position."""
        self._prefix()
        self.out.append(text)

    def start(self, array: bool) -> None:
        self._prefix()
        self.levels.append([array, 0])
        self.out.append("[" if array else "{")

    def end(self) -> None:
        array, count = self.levels.pop()
        if count and (not array or not self.single_line):
            self.out.append("\n" + INDENT * len(self.levels))
        self.out.append("]" if array else "}")

    @property
    def depth(self) -> int:
        return len(self.levels)

    def text(self) -> str:
        return "".join(self.out)


def _escape_bytes(data: bytes) -> str:
    """A JSON string literal of raw bytes as rapidjson writes it (latin-1 view)."""
    text = data.decode("latin-1")
    if _PLAIN.fullmatch(text):
        return '"' + text + '"'
    return '"' + _SPECIAL.sub(lambda m: _ESCAPES[m[0]], text) + '"'


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
_SPECIAL = re.compile(r'["\\\x00-\x1f]')
_ESCAPES = {chr(o): f"\\u{o:04X}" for o in range(0x20)}
_ESCAPES.update({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"})
_ESCAPES.update({'"': '\\"', "\\": "\\\\"})


def _text_bytes(s: str) -> bytes:
    try:
        return s.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", errors="replace")


def _escape_text(s: str | bytes) -> str:
    return _escape_bytes(s if isinstance(s, bytes) else _text_bytes(s))


def _grisu_text(d: float) -> str:
    """Writer::Double: shortest digits, laid out by rapidjson's Prettify."""
    if d == 0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    t = decimal.Decimal(repr(abs(d))).normalize().as_tuple()
    digits = "".join(str(x) for x in t.digits)
    k = int(t.exponent)
    length = len(digits)
    kk = length + k
    if k >= 0 and kk <= 21:
        body = digits + "0" * k + ".0"
    elif 0 < kk <= 21:
        body = digits[:kk] + "." + digits[kk:]
    elif -6 < kk <= 0:
        body = "0." + "0" * -kk + digits
    elif length == 1:
        body = digits + "e" + str(kk - 1)
    else:
        body = digits[0] + "." + digits[1:] + "e" + str(kk - 1)
    return sign + body


def _accept(w: _Pretty, v: Any) -> None:
    """GenericValue::Accept(writer)."""
    if isinstance(v, dict):
        w.start(array=False)
        for key, item in v.items():
            w.raw(_escape_text(key))
            _accept(w, item)
        w.end()
    elif isinstance(v, list):
        w.start(array=True)
        for item in v:
            _accept(w, item)
        w.end()
    elif v is None:
        w.raw("null")
    elif isinstance(v, bool):
        w.raw("true" if v else "false")
    elif isinstance(v, int):
        w.raw(str(v))
    elif isinstance(v, float):
        w._prefix()
        if not math.isfinite(v):
            raise _Truncated
        w.out.append(_grisu_text(v))
    else:
        w.raw(_escape_text(v))


def _value_text(v: Any) -> str:
    """JsonValueToString: what TF Serving's error messages quote (PrettyWriter, no limit)."""
    if isinstance(v, float):
        if -_ISFLOAT_LIMIT <= v <= _ISFLOAT_LIMIT:  # IsFloat(): written as the float it is
            return format_float(float(np.float32(v)), double=False)
        return format_float(v, double=True)
    w = _Pretty()
    with contextlib.suppress(_Truncated):
        _accept(w, v)
    return w.text().encode("latin-1").decode("utf-8", errors="surrogateescape")


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
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def _scalar_writer(dtype: int, name: str) -> Callable[[Any], str]:
    if dtype == types_pb2.DT_FLOAT:
        return lambda v: format_float(float(v), double=False)
    if dtype == types_pb2.DT_DOUBLE:
        return lambda v: format_float(float(v), double=True)
    if dtype == types_pb2.DT_BOOL:
        return lambda v: "true" if v else "false"
    if dtype == types_pb2.DT_STRING:
        if name.endswith("_bytes"):  # IsNamedTensorBytes
            return lambda v: '{"b64": "' + base64.b64encode(bytes(v)).decode("ascii") + '"}'
        return lambda v: _escape_bytes(bytes(v))
    if dtype in _INT_RANGES:
        return lambda v: str(int(v))

    def unwritable(v: Any) -> str:
        # AddSingleValueAndAdvance has no case: the first value written fails.
        raise invalid_argument(
            f"Failed to write JSON value for tensor type: {tensor_codec.dtype_name(dtype)}"
        )

    return unwritable


def _nested(
    flat: list[str], shape: tuple[int, ...], depth: int, single_line: bool, start: int = 0
) -> str:
    """AddTensorValues from dimension `start`: the text of one value at writer depth `depth`."""
    if len(shape) == start:
        return flat[0]
    pos = [0]

    def walk(dim: int, level: int) -> str:
        n = shape[dim]
        if n == 0:
            return "[]"
        if dim == len(shape) - 1:
            items = flat[pos[0] : pos[0] + n]
            pos[0] += n
        else:
            items = [walk(dim + 1, level + 1) for _ in range(n)]
        if single_line:
            return "[" + ", ".join(items) + "]"
        inner = "\n" + INDENT * (level + 1)
        return "[" + inner + ("," + inner).join(items) + "\n" + INDENT * level + "]"

    return walk(start, depth)


def _flat_text(arr: np.ndarray, dtype: int, name: str) -> list[str]:
    write = _scalar_writer(dtype, name)
    if dtype in _INT_RANGES:
        return [str(v) for v in arr.reshape(-1).tolist()]
    if dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE):
        return float_texts(arr, double=dtype == types_pb2.DT_DOUBLE)
    return [write(v) for v in arr.reshape(-1)]


_SPECIAL_TEXT = {"nan": "NaN", "-nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def float_texts(arr: np.ndarray, double: bool) -> list[str]:
    """format_float over a whole array, with the round-trip check done by numpy in one
    pass: the same text for every value (a unit test holds the two to it), a few times
    faster on the thousands of floats a batched response carries."""
    narrow = arr.reshape(-1).astype(np.float64 if double else np.float32)
    values = narrow.astype(np.float64).tolist()
    texts = ["%g" % v for v in values]
    back = np.array(texts, dtype=np.float64)
    if not double:
        back = back.astype(np.float32)
    with np.errstate(invalid="ignore"):
        lossy = np.flatnonzero((back != narrow) & ~np.isnan(narrow))
    wide = "%.17g" if double else "%.9g"
    for i in lossy.tolist():
        texts[i] = wide % values[i]
    return [
        _SPECIAL_TEXT.get(t, t) if t[-1] in "nf" else t if "." in t or "e" in t else t + ".0"
        for t in texts
    ]


def tensors_json(outputs: Mapping[str, tuple[np.ndarray, int]], fmt: str) -> bytes:
    """MakeJsonFromTensors: {"predictions": ...} for row, {"outputs": ...} for columnar."""
    if not outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    multi = len(names) > 1
    w = _Pretty()
    w.start(array=False)
    if fmt == ROW:
        w.raw('"predictions"')
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
        rows: dict[str, list[list[str]]] = {}
        for n in names:
            arr, dtype = outputs[n]
            per_row = int(np.prod(arr.shape[1:], dtype=np.int64))
            flat = _flat_text(arr, dtype, n) if arr.size else []
            rows[n] = [flat[i * per_row : (i + 1) * per_row] for i in range(batch)]
        w.start(array=True)
        for i in range(batch):
            if multi:
                w.start(array=False)
            w.single_line = True
            for n in names:
                arr = outputs[n][0]
                if multi:
                    w.raw(_escape_text(n))
                w.raw(_nested(rows[n][i], arr.shape[1:], w.depth, True))
            w.single_line = False
            if multi:
                w.end()
        w.end()
    else:
        w.raw('"outputs"')
        if multi:
            w.start(array=False)
        for n in names:
            arr, dtype = outputs[n]
            if multi:
                w.raw(_escape_text(n))
            flat = _flat_text(arr, dtype, n) if arr.size else []
            w.raw(_nested(flat, arr.shape, w.depth, False))
        if multi:
            w.end()
    w.end()
    return w.text().encode("latin-1")


def error_json(message: str) -> bytes:
    """MakeJsonFromStatus: {"error": message} through the PrettyWriter."""
    return ('{\n    "error": ' + _escape_text(message) + "\n}").encode("latin-1")


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
        raise _format_error(
            doc, "When method is classify, key 'examples' is expected and was not found"
        )
    examples = doc["examples"]
    if not isinstance(examples, list):
        raise _format_error(doc, "Expecting 'examples' value to be an list/array")
    if not examples:
        raise _format_error(doc, "'examples' value is an empty array")
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
    elif _is_str(v):
        need("bytes_list")
        feature.bytes_list.value.append(_str_bytes(v))
    elif isinstance(v, float):  # rapidjson IsDouble()
        need("float_list")
        if not _lossless(v, is_float=True):
            raise _lossy(v, "float")
        feature.float_list.value.append(v)
    else:
        need("int64_list")
        if v > INT64_MAX:  # an integer rapidjson holds only as uint64
            raise invalid_argument(f"Feature: {name} has uint64 element. Only int64 is supported.")
        feature.int64_list.value.append(v)


def classification_json(result: Any) -> bytes:
    """MakeJsonFromClassificationResult: {"results": [[[label, score], ...], ...]}."""
    if not result.classifications:
        raise invalid_argument("Cannot convert empty ClassificationResults to JSON")
    rows = []
    for c in result.classifications:
        pairs = [
            "[" + _escape_text(cls.label) + ", " + format_float(cls.score, False) + "]"
            for cls in c.classes
        ]
        rows.append("[" + ", ".join(pairs) + "]")
    return ('{\n    "results": [' + ", ".join(rows) + "\n    ]\n}").encode("latin-1")


def regression_json(result: Any) -> bytes:
    """MakeJsonFromRegressionResult: {"results": [value, ...]} on one line."""
    if not result.regressions:
        raise invalid_argument("Cannot convert empty RegressionResults to JSON")
    values = ", ".join(format_float(r.value, False) for r in result.regressions)
    return ('{\n    "results": [' + values + "]\n}").encode("latin-1")
