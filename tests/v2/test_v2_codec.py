"""serving.v2, the v2 tensor codec the golden, the bundled server and the judge share, held
to tritonclient's own encoders (tritonclient.utils) and to the protocol's rules."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from tritonclient.grpc import service_pb2
from tritonclient.utils import (
    deserialize_bytes_tensor,
    np_to_triton_dtype,
    serialize_byte_tensor,
    triton_to_np_dtype,
)

from tfinterop.serving import tensor_codec, v2
from tfinterop.serving.errors import ServingError

STRINGS = np.array([b"", b"a\x00b", b"\xff\xfe", "日本".encode()], dtype=object)
NUMBERS = {
    "BOOL": np.array([True, False, True]),
    "UINT8": np.array([0, 255, 7], np.uint8),
    "UINT16": np.array([0, 65535, 7], np.uint16),
    "UINT32": np.array([0, 2**32 - 1, 7], np.uint32),
    "UINT64": np.array([0, 2**64 - 1, 7], np.uint64),
    "INT8": np.array([-128, 127, 0], np.int8),
    "INT16": np.array([-(2**15), 2**15 - 1, 0], np.int16),
    "INT32": np.array([-(2**31), 2**31 - 1, 0], np.int32),
    "INT64": np.array([-(2**63), 2**63 - 1, 2**53 + 1], np.int64),
    "FP16": np.array([0.1, -0.0, np.inf], np.float16),
    "BF16": np.array([0.1, -0.0, np.nan], ml_dtypes.bfloat16),
    "FP32": np.array([0.1, 1e-45, np.nan], np.float32),
    "FP64": np.array([0.1, 5e-324, -np.inf], np.float64),
}


@pytest.mark.parametrize(("enum", "datatype"), sorted(v2.DATATYPES.items()))
def test_datatype_names_are_tritonclients(enum: int, datatype: str) -> None:
    numpy = tensor_codec.DTYPES[enum].numpy
    assert np_to_triton_dtype(numpy) == datatype
    if datatype != "BYTES":
        assert np.dtype(triton_to_np_dtype(datatype)) == numpy


@pytest.mark.parametrize("datatype", sorted(NUMBERS))
def test_raw_numbers_are_tritonclients_bytes_and_read_back(datatype: str) -> None:
    arr = NUMBERS[datatype].reshape(3, 1)
    raw = v2.raw_bytes(arr, datatype)
    assert raw == arr.tobytes()  # what tritonclient's set_data_from_numpy sends
    back = v2.from_raw(datatype, [3, 1], raw, "t")
    assert back.dtype == arr.dtype and back.tobytes() == arr.tobytes()


def test_raw_bytes_are_length_prefixed_as_tritonclient_writes_them() -> None:
    raw = v2.raw_bytes(STRINGS, "BYTES")
    assert raw == serialize_byte_tensor(STRINGS).item()
    assert list(v2.from_raw("BYTES", [4], raw, "t")) == list(deserialize_bytes_tensor(raw))


@pytest.mark.parametrize("datatype", sorted(d for d in NUMBERS if v2.CONTENTS_FIELDS[d]))
def test_typed_contents_round_trip(datatype: str) -> None:
    contents = service_pb2.InferTensorContents()
    v2.put_contents(NUMBERS[datatype], datatype, contents)
    back = v2.from_contents(datatype, [3], contents, "t")
    assert back.tobytes() == NUMBERS[datatype].tobytes()


def test_fp16_and_bf16_have_no_typed_field_so_messages_go_raw() -> None:
    assert v2.needs_raw(["FP32", "FP16"]) and v2.needs_raw(["BF16"])
    assert not v2.needs_raw(["FP32", "BYTES", "BOOL"])
    with pytest.raises(ServingError, match="FP16 data cannot be in typed contents"):
        v2.from_contents("FP16", [1], service_pb2.InferTensorContents(), "t")


# (id, datatype, shape, contents, message)
REFUSED = [
    ("too few", "FP32", [2], {"fp32_contents": [1.0]}, "1 values in fp32_contents, shape [2]"),
    ("too many", "INT32", [1], {"int_contents": [1, 2]}, "2 values in int_contents"),
    ("another field", "INT64", [1], {"int_contents": [1]}, "INT64 data cannot be in int_contents"),
    ("out of range", "INT8", [1], {"int_contents": [300]}, "out of range for INT8"),
    ("unknown datatype", "COMPLEX64", [1], {}, "datatype 'COMPLEX64' is not one of"),
    ("negative size", "FP32", [-1], {}, "has a negative size"),
]


@pytest.mark.parametrize(
    ("datatype", "shape", "fields", "message"),
    [c[1:] for c in REFUSED],
    ids=[c[0] for c in REFUSED],
)
def test_contents_that_do_not_fit_are_invalid_argument(
    datatype: str, shape: list[int], fields: dict[str, list[float]], message: str
) -> None:
    contents = service_pb2.InferTensorContents(**fields)
    with pytest.raises(ServingError, match="INVALID_ARGUMENT") as e:
        v2.from_contents(datatype, shape, contents, "t")
    assert message in e.value.message


@pytest.mark.parametrize(
    ("datatype", "raw", "message"),
    [
        ("FP32", b"\0" * 7, "7 raw bytes, FP32[2] needs 8"),
        ("BYTES", b"\x05\0\0\0ab", "element 0 is cut short"),
        ("BYTES", b"\x01\0\0\0a\x01\0\0\0bX", "1 raw bytes beyond its 2 elements"),
        ("BYTES", b"\x01\0\0\0a", "end before element 1"),
    ],
)
def test_raw_contents_that_do_not_fit_are_invalid_argument(
    datatype: str, raw: bytes, message: str
) -> None:
    with pytest.raises(ServingError) as e:
        v2.from_raw(datatype, [2], raw, "t")
    assert message in e.value.message


def test_a_response_mixing_raw_and_typed_outputs_does_not_decode() -> None:
    resp = service_pb2.ModelInferResponse()
    v2.infer_outputs(resp, [("a", NUMBERS["FP32"], 1), ("b", NUMBERS["FP32"], 1)], raw=True)
    resp.outputs[0].contents.fp32_contents.append(1.0)
    with pytest.raises(ServingError, match="both contents and raw contents"):
        v2.output_arrays(resp)
