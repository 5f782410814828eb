"""tensorflow_serving/util/json_tensor_test.cc (and json_tensor.cc's rules), black-box.

TF Serving's test calls the codec directly: FillPredictRequestFromJson with a
TensorInfo map, MakeJsonFromTensors with TensorProtos. Here each expectation
goes through a served model of tests/conformance/models/dtype_models.py: an
identity signature per dtype echoes the tensor a JSON request became (so the
request side shows in the answer), and signatures named after a MakeJsonFromTensors
test answer that test's TensorProtos as constants (so the JSON written for exactly
those tensors can be compared). Number formatting is compared token by token
where TF Serving's test does (CompareJsonAllValuesAsStrings).

Not observable from outside: TensorFromNonNullTerminatedBuffer (a C++ buffer
detail), FromJsonSingleTensorErrors' empty tensor map and JsonFromResultErrors
(a signature always has outputs, and an empty example list is refused before),
MakeJsonFromTensors.StatusOK (an OK status writes nothing).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import grpc
import numpy as np
import pytest
import requests
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.conformance.conftest import Target
from tests.conformance.models import dtype_models as dm
from tfinterop.serving import tensor_codec

TEST = "tensorflow_serving/util/json_tensor_test.cc"
SOURCE = "tensorflow_serving/util/json_tensor.cc"  # rules no test of TF Serving asserts

FLT_MAX_DOUBLE = 1.79769e308  # absl::Substitute("$0", numeric_limits<double>::max())


@pytest.fixture(scope="module")
def http() -> Any:
    with requests.Session() as s:
        yield s


def _post(http: Any, target: Target, verb: str, body: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    return http.post(f"{target.rest}/v1/models/{dm.DTYPES}:{verb}", data=data, timeout=30)


def predict(http: Any, target: Target, body: Any) -> requests.Response:
    return _post(http, target, "predict", body)


def ok(r: requests.Response) -> Any:
    """The answer as JSON (NaN/Infinity allowed); fails unless 200 application/json."""
    assert r.status_code == 200, (r.status_code, r.content)
    assert r.headers["Content-Type"] == "application/json"
    return json.loads(r.content)


def tokens(r: requests.Response) -> Any:
    """The answer with every number as its text (CompareJsonAllValuesAsStrings)."""
    assert r.status_code == 200, (r.status_code, r.content)
    return json.loads(r.content, parse_float=str, parse_int=str, parse_constant=str)


def error(r: requests.Response, status: int, *parts: str) -> str:
    """The {"error": ...} message; fails unless the HTTP status and every part match."""
    assert r.status_code == status, (r.status_code, r.content)
    message = json.loads(r.content)["error"]
    for part in parts:
        assert part in message, (part, message)
    return message


def grpc_predict(target: Target, signature: str, x: np.ndarray, dtype: int) -> Any:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = dm.DTYPES
    req.model_spec.signature_name = signature
    req.inputs["x"].CopyFrom(tensor_codec.from_ndarray(x, dtype))
    with grpc.insecure_channel(target.grpc) as channel:
        return prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(req, timeout=30)


# -- FillPredictRequestFromJson ---------------------------------------------------------
@pytest.mark.tfserving(TEST, "SingleUnnamedTensor")
def test_single_unnamed_tensor(http: Any, target: Target) -> None:
    r = predict(http, target, {"signature_name": "int32", "instances": [[1, 2], [3, 4], [5, 6]]})
    assert tokens(r) == {"predictions": [["1", "2"], ["3", "4"], ["5", "6"]]}


@pytest.mark.tfserving(TEST, "MixedInputForFloatTensor")
def test_mixed_input_for_float_tensor(http: Any, target: Target) -> None:
    body = b'{"signature_name": "float", "instances": [1, 2.0, 3, 4, 5.003, 0.007, 0.0]}'
    assert tokens(predict(http, target, body))["predictions"] == [
        "1.0",
        "2.0",
        "3.0",
        "4.0",
        "5.003",
        "0.007",
        "0.0",
    ]


@pytest.mark.tfserving(TEST, "MixedInputForDoubleTensor")
def test_mixed_input_for_double_tensor(http: Any, target: Target) -> None:
    body = b'{"signature_name": "double", "instances": [1.0, 2, 3, 4, 0.662, 0, 0.0]}'
    assert tokens(predict(http, target, body))["predictions"] == [
        "1.0",
        "2.0",
        "3.0",
        "4.0",
        "0.662",
        "0.0",
        "0.0",
    ]


@pytest.mark.tfserving(TEST, "SingleUnnamedTensorWithSignature")
def test_single_unnamed_tensor_with_signature(http: Any, target: Target) -> None:
    r = predict(http, target, {"signature_name": "predict_images", "instances": [[1, 2]]})
    assert ok(r) == {"predictions": [[1, 2]]}


@pytest.mark.tfserving(TEST, "SingleUnnamedTensorBase64Scalars")
def test_single_unnamed_tensor_base64_scalars(http: Any, target: Target) -> None:
    body = {"signature_name": "string", "instances": [{"b64": "aGVsbG8="}, {"b64": "d29ybGQ="}]}
    assert ok(predict(http, target, body)) == {"predictions": ["hello", "world"]}


@pytest.mark.tfserving(TEST, "SingleUnnamedTensorBase64Lists")
def test_single_unnamed_tensor_base64_lists(http: Any, target: Target) -> None:
    body = {
        "signature_name": "string",
        "instances": [[{"b64": "aGVsbG8="}], [{"b64": "d29ybGQ="}]],
    }
    assert ok(predict(http, target, body)) == {"predictions": [["hello"], ["world"]]}


@pytest.mark.tfserving(TEST, "SingleNamedTensorBase64")
def test_single_named_tensor_base64(http: Any, target: Target) -> None:
    body = {
        "signature_name": "string",
        "instances": [{"x": [[{"b64": "aGVsbG8="}], [{"b64": "d29ybGQ="}]]}],
    }
    assert ok(predict(http, target, body)) == {"predictions": [[["hello"], ["world"]]]}


@pytest.mark.tfserving(TEST, "MultipleNamedTensor")
def test_multiple_named_tensor(http: Any, target: Target) -> None:
    body = b"""{"signature_name": "multi4", "instances": [
        {"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"],
         "float_tensor": [1.0, NaN], "dbl_tensor": [NaN]},
        {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"],
         "float_tensor": [2.0, Infinity], "dbl_tensor": [2.0]}]}"""
    assert tokens(predict(http, target, body)) == {
        "predictions": [
            {
                "int_tensor": [["1", "2"], ["3", "4"], ["5", "6"]],
                "str_tensor": ["foo", "bar"],
                "float_tensor": ["1.0", "NaN"],
                "dbl_tensor": ["NaN"],
            },
            {
                "int_tensor": [["7", "8"], ["9", "0"], ["1", "2"]],
                "str_tensor": ["baz", "bat"],
                "float_tensor": ["2.0", "Infinity"],
                "dbl_tensor": ["2.0"],
            },
        ]
    }


@pytest.mark.tfserving(TEST, "SingleUnnamedTensorColumnarFormat")
@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_single_unnamed_tensor_columnar_format(http: Any, target: Target, named: bool) -> None:
    value = [[[1, 2], [3, 4], [5, 6]]]
    body = {"signature_name": "int32", "inputs": {"x": value} if named else value}
    assert ok(predict(http, target, body)) == {"outputs": value}


@pytest.mark.tfserving(TEST, "MultipleNamedTensorColumnarFormat")
def test_multiple_named_tensor_columnar_format(http: Any, target: Target) -> None:
    body = {
        "signature_name": "multi3",
        "inputs": {
            "int_tensor": [[[1, 2], [3, 4], [5, 6]]],
            "str_tensor": ["foo", "bar"],
            "bin_tensor": {"b64": "aGVsbG8="},
        },
    }
    assert ok(predict(http, target, body)) == {
        "outputs": {
            "int_tensor": [[[1, 2], [3, 4], [5, 6]]],
            "str_tensor": ["foo", "bar"],
            "bin_tensor": "hello",  # tensor_shape {}: a scalar
        }
    }


SINGLE_UNNAMED_ERRORS = [
    (b"", "document is empty"),
    (
        b'{"signature_name": 5, "instances": [[1,2],[3,4],[5,6,7]]}',
        "must be a string value",
    ),
    (
        b'{"signature_name": "int32", "instances": [[1,2],[3,4],[5,6,7]],'
        b' "inputs": [[1,2],[3,4],[5,6,7]]}',
        "Not formatted correctly",
    ),
    (b'{"signature_name": "int32", "instances": [[1,2],[3,4],[5,6,7]]}', "Expecting tensor size"),
    (b'{"signature_name": "int32", "instances": [[1,2],[3,4],[[5,6]]]}', "Expecting shape"),
    (b'{"signature_name": "int32", "instances": [1, [1]]}', "Expecting shape"),
    (b'{"signature_name": "int32", "instances": [[1,2],["a", "b"]]}', "not of expected type"),
    (b'{"signature_name": "float", "instances": [1.79769e+308]}', "loss of precision"),
    (b'{"signature_name": "float", "instances": [16777217]}', "loss of precision"),
    (b'{"signature_name": "double", "instances": [9007199254740993]}', "loss of precision"),
]


@pytest.mark.tfserving(TEST, "SingleUnnamedTensorErrors")
@pytest.mark.parametrize(
    ("body", "part"),
    SINGLE_UNNAMED_ERRORS,
    ids=[
        "empty",
        "signature-not-string",
        "both-keys",
        "size",
        "shape",
        "scalar-then-list",
        "type",
        "double-max-to-float",
        "2pow24-plus-1-to-float",
        "2pow53-plus-1-to-double",
    ],
)
def test_single_unnamed_tensor_errors(http: Any, target: Target, body: bytes, part: str) -> None:
    error(predict(http, target, body), 400, part)


_MULTI2 = '{"signature_name": "multi2", "instances": [%s]}'


@pytest.mark.tfserving(TEST, "MultipleNamedTensorErrors")
@pytest.mark.parametrize(
    ("body", "part"),
    [
        (
            _MULTI2
            % """{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
                 {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}""",
            "Expecting shape",
        ),
        (
            _MULTI2
            % """{"int_tensor": [[1,2],[3,4],[5,6],[7,8]], "str_tensor": ["foo", "bar"]},
                 {"int_tensor": [[7,8],[9,0],[1,2]], "str_tensor": ["baz", "bat"]}""",
            "Expecting tensor size",
        ),
        (
            _MULTI2
            % """{"int_tensor": [[1,2],[3,4],[5,6]], "str_tensor": ["foo", "bar"]},
                 [1, 20, 30],
                 {"int_tensor": [[[7,8],[9,0],[1,2]]], "str_tensor": ["baz", "bat"]}""",
            "Expecting object but got list",
        ),
        (
            '{"signature_name": "string", "instances": [["baz", "bar"], {"x": ["baz", "bat"]}]}',
            "Expecting value/list but got object",
        ),
    ],
    ids=["shape", "size", "object-then-list", "list-then-object"],
)
def test_multiple_named_tensor_errors(http: Any, target: Target, body: str, part: str) -> None:
    error(predict(http, target, body.encode()), 400, part)


# -- MakeJsonFromTensors ------------------------------------------------------------------
def constant(http: Any, target: Target, test: str, fmt: str) -> requests.Response:
    """The answer of the signature that returns `test`'s TensorProtos, in row or columnar."""
    key = "instances" if fmt == "row" else "inputs"
    return predict(http, target, {"signature_name": test, key: [0.0]})


_INT = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 0], [1, 2]]]
_B64 = [
    [{"b64": "aGVsbG8="}, {"b64": "d29ybGQ="}],
    [{"b64": "dGY="}, {"b64": "c2VydmluZw=="}],
]


@pytest.mark.tfserving(TEST, "FromJsonSingleTensor")
@pytest.mark.parametrize(("fmt", "key"), [("row", "predictions"), ("columnar", "outputs")])
def test_from_json_single_tensor(http: Any, target: Target, fmt: str, key: str) -> None:
    assert ok(constant(http, target, "FromJsonSingleTensor", fmt)) == {key: _INT}


@pytest.mark.tfserving(TEST, "FromJsonSingleScalarTensor")
@pytest.mark.parametrize(("fmt", "key"), [("row", "predictions"), ("columnar", "outputs")])
def test_from_json_single_scalar_tensor(http: Any, target: Target, fmt: str, key: str) -> None:
    assert ok(constant(http, target, "FromJsonSingleScalarTensor", fmt)) == {key: [1, 2, 3, 4, 5]}


@pytest.mark.tfserving(TEST, "FromJsonSingleBytesTensor")
def test_from_json_single_bytes_tensor(http: Any, target: Target) -> None:
    assert ok(constant(http, target, "FromJsonSingleBytesTensor", "row")) == {"predictions": _B64}


@pytest.mark.tfserving(TEST, "FromJsonSingleFloatTensorSixDigitPrecision")
def test_from_json_single_float_tensor_six_digit_precision(http: Any, target: Target) -> None:
    r = constant(http, target, "FromJsonSingleFloatTensorSixDigitPrecision", "row")
    assert tokens(r) == {
        "predictions": [["9e+06", "999999.0", "0.5"], ["0.0003", "3e-05", "555557.5"]]
    }


@pytest.mark.tfserving(TEST, "FromJsonSingleFloatTensorNonFinite")
def test_from_json_single_float_tensor_non_finite(http: Any, target: Target) -> None:
    r = constant(http, target, "FromJsonSingleFloatTensorNonFinite", "row")
    assert tokens(r) == {"predictions": [["NaN", "Infinity"], ["3.0", "-Infinity"]]}


@pytest.mark.tfserving(TEST, "FromJsonSingleTensorErrors")
@pytest.mark.parametrize(
    ("signature", "part"),
    [
        ("FromJsonSingleTensorErrors_complex64", "tensor type: complex64"),
        ("FromJsonSingleTensorErrors_no_shape", "no shape information"),
    ],
    ids=["complex64", "no-shape"],
)
def test_from_json_single_tensor_errors(
    http: Any, target: Target, signature: str, part: str
) -> None:
    error(constant(http, target, signature, "row"), 400, part)


@pytest.mark.tfserving(TEST, "FromJsonMultipleNamedTensors")
@pytest.mark.parametrize("fmt", ["row", "columnar"])
def test_from_json_multiple_named_tensors(http: Any, target: Target, fmt: str) -> None:
    answer = ok(constant(http, target, "FromJsonMultipleNamedTensors", fmt))
    strs = [["foo", "bar"], ["baz", "bat"]]
    if fmt == "row":
        assert answer == {
            "predictions": [
                {
                    "double_scalar_tensor": 8.0 + i,
                    "float_tensor": [1.0 + i],
                    "int_tensor": _INT[i],
                    "str_tensor": strs[i],
                    "str_tensor_bytes": _B64[i],
                }
                for i in range(2)
            ]
        }
    else:
        assert answer == {
            "outputs": {
                "double_scalar_tensor": [8.0, 9.0],
                "float_tensor": [[1.0], [2.0]],
                "int_tensor": _INT,
                "str_tensor": strs,
                "str_tensor_bytes": _B64,
            }
        }


@pytest.mark.tfserving(TEST, "FromJsonMultipleNamedTensorsErrors")
def test_from_json_multiple_named_tensors_errors(http: Any, target: Target) -> None:
    r = constant(http, target, "FromJsonMultipleNamedTensorsErrors", "row")
    error(r, 400, "inconsistent batch size")


@pytest.mark.tfserving(TEST, "FromJsonSingleZeroBatchTensor")
def test_from_json_single_zero_batch_tensor(http: Any, target: Target) -> None:
    assert ok(constant(http, target, "FromJsonSingleZeroBatchTensor", "row")) == {"predictions": []}


@pytest.mark.tfserving(TEST, "FromJsonMultipleZeroBatchTensors")
def test_from_json_multiple_zero_batch_tensors(http: Any, target: Target) -> None:
    assert ok(constant(http, target, "FromJsonMultipleZeroBatchTensors", "row")) == {
        "predictions": []
    }


@pytest.mark.tfserving(TEST, "FromJsonMultipleZeroBatchTensorsErrors")
def test_from_json_multiple_zero_batch_tensors_errors(http: Any, target: Target) -> None:
    r = constant(http, target, "FromJsonMultipleZeroBatchTensorsErrors", "row")
    error(r, 400, "inconsistent batch size")


# -- FillClassificationRequestFromJson / FillRegressionRequestFromJson ---------------------
NO_CONTEXT = {
    "examples": [
        {"names": ["foo", "bar"], "ratings": [8.0, 9.0], "age": 20},
        {"names": ["baz"], "ratings": 6.0},
    ]
}
WITH_CONTEXT = (
    b'{"context": {"query": "pizza", "location": [ "sfo" ]}, "examples": ['
    b'{"names": ["foo", "bar"], "ratings": [8.0, 9.0, NaN, Infinity], "age": 20},'
    b'{"names": ["baz", {"b64": "aGVsbG8="}], "ratings": 6.0, "intboolmix": [1, true, false]},'
    b'{"names": "bar", "ratings": -Infinity}]}'
)
NAN = float("nan")
INF = float("inf")


def _features(example: example_pb2.Example) -> dict[str, tuple[str, list[Any]]]:
    """Feature name -> (kind, values), floats as float32 text so NaN compares equal."""
    out = {}
    for name, f in example.features.feature.items():
        kind = f.WhichOneof("kind")
        values = list(getattr(f, kind).value) if kind else []
        if kind == "float_list":
            values = [repr(np.float32(v)) for v in values]
        out[name] = (kind, values)
    return out


def _expected(**features: Any) -> dict[str, tuple[str, list[Any]]]:
    e = example_pb2.Example()
    for name, values in features.items():
        values = values if isinstance(values, list) else [values]
        f = e.features.feature[name]
        if isinstance(values[0], bytes):
            f.bytes_list.value.extend(values)
        elif isinstance(values[0], float):
            f.float_list.value.extend(values)
        else:
            f.int64_list.value.extend(values)
    return _features(e)


def _echoed(answer: Any) -> list[dict[str, tuple[str, list[Any]]]]:
    """The Examples classify_echo got: each result's one label, web-safe base64."""
    out = []
    for (label, _score), *rest in answer["results"]:
        assert not rest
        blob = base64.urlsafe_b64decode(label + "=" * (-len(label) % 4))
        out.append(_features(example_pb2.Example.FromString(blob)))
    return out


@pytest.mark.tfserving(TEST, "ClassifyRegressRequestTest/RequestNoContext")
def test_classify_request_no_context(http: Any, target: Target) -> None:
    r = _post(http, target, "classify", {"signature_name": "classify_echo", **NO_CONTEXT})
    assert _echoed(ok(r)) == [
        _expected(names=[b"foo", b"bar"], ratings=[8.0, 9.0], age=20),
        _expected(names=[b"baz"], ratings=6.0),
    ]


@pytest.mark.tfserving(TEST, "ClassifyRegressRequestTest/RequestNoContext")
def test_regress_request_no_context(http: Any, target: Target) -> None:
    r = _post(http, target, "regress", {"signature_name": "regress_ratings", **NO_CONTEXT})
    assert tokens(r) == {"results": ["17.0", "6.0"]}  # each example's sum of ratings


@pytest.mark.tfserving(TEST, "ClassifyRegressRequestTest/RequestWithContextAndSignature")
def test_classify_request_with_context_and_signature(http: Any, target: Target) -> None:
    body = b'{"signature_name": "classify_echo", ' + WITH_CONTEXT[1:]
    context = {"query": [b"pizza"], "location": [b"sfo"]}
    assert _echoed(ok(_post(http, target, "classify", body))) == [
        _expected(**context, names=[b"foo", b"bar"], ratings=[8.0, 9.0, NAN, INF], age=20),
        _expected(**context, names=[b"baz", b"hello"], ratings=6.0, intboolmix=[1, 1, 0]),
        _expected(**context, names=[b"bar"], ratings=-INF),
    ]


@pytest.mark.tfserving(TEST, "ClassifyRegressRequestTest/RequestWithContextAndSignature")
def test_regress_request_with_context_and_signature(http: Any, target: Target) -> None:
    body = b'{"signature_name": "regress_ratings", ' + WITH_CONTEXT[1:]
    assert tokens(_post(http, target, "regress", body)) == {"results": ["NaN", "6.0", "-Infinity"]}


CLASSIFY_REGRESS_ERRORS = [
    (
        b'{"signature_name": [ "hello" ], "examples": [ { "names": [ "foo", "bar" ] } ]}',
        "'signature_name' key must be a string",
    ),
    (b'{"context": [ { "names": [ "foo", "bar" ] } ]}', "Example must be JSON object"),
    (b'{"examples": { "names": [ "foo", "bar" ] }}', "list/array"),
    (b'{"examples": [ [ { "names": [ "foo", "bar" ] } ] ]}', "Example must be JSON object"),
    (
        b'{"examples": [ { "names": [ 10, null ] } ]}',
        "names has element with unexpected JSON type: Null",
    ),
    (b'{"examples": [ { "names": [ 10, 10.0 ] } ]}', "feature: names expecting type: int64"),
    (
        b'{"examples": [ { "names": [ 10, { "test": 10 } ] } ]}',
        "names has element with unexpected JSON type: Object",
    ),
    (
        b'{"examples": [ { "names": [ [10], 20 ] } ]}',
        "names has element with unexpected JSON type: Array",
    ),
    (b'{"examples": [ { "names": [ 20, 18446744073709551603 ] } ]}', "Only int64 is supported"),
    (b'{ "examples": [ { "names": 1.79769e+308 } ] }', "loss of precision"),
]


@pytest.mark.tfserving(TEST, "ClassifyRegressRequestTest/JsonErrors")
@pytest.mark.parametrize("verb", ["classify", "regress"])
@pytest.mark.parametrize(
    ("body", "part"),
    CLASSIFY_REGRESS_ERRORS,
    ids=[
        "signature-not-string",
        "context-not-object",
        "examples-not-list",
        "example-not-object",
        "null",
        "int-then-float",
        "object",
        "array",
        "uint64",
        "double-max-to-float",
    ],
)
def test_classify_regress_json_errors(
    http: Any, target: Target, verb: str, body: bytes, part: str
) -> None:
    error(_post(http, target, verb, body), 400, part)


# -- MakeJsonFromClassificationResult / MakeJsonFromRegressionResult ----------------------
TWO_EXAMPLES = {"examples": [{"x": 1.0}, {"x": 2.0}]}


@pytest.mark.tfserving(TEST, "ClassifyRegressnResultTest/JsonFromClassificationResult")
def test_json_from_classification_result(http: Any, target: Target) -> None:
    r = _post(http, target, "classify", {"signature_name": "classify_cars", **TWO_EXAMPLES})
    assert tokens(r) == {
        "results": [
            [["car", "0.2"], ["bike", "0.7"], ["bus", "0.1"]],
            [["car", "0.7"], ["bike", "0.1"], ["bus", "0.2"]],
        ]
    }


@pytest.mark.tfserving(TEST, "ClassifyRegressnResultTest/JsonFromRegressionResult")
def test_json_from_regression_result(http: Any, target: Target) -> None:
    body = {"signature_name": "regress_three", "examples": [{"x": 1.0}] * 3}
    assert tokens(_post(http, target, "regress", body)) == {"results": ["0.2", "0.9", "1.0"]}


@pytest.mark.tfserving(TEST, "ClassifyRegressnResultTest/JsonFromRegressionResultWithNonFinite")
def test_json_from_regression_result_with_non_finite(http: Any, target: Target) -> None:
    body = {"signature_name": "regress_nonfinite", "examples": [{"x": 1.0}] * 5}
    assert tokens(_post(http, target, "regress", body)) == {
        "results": ["0.2", "Infinity", "1.0", "-Infinity", "NaN"]
    }


# -- MakeJsonFromStatus ---------------------------------------------------------------
@pytest.mark.tfserving(TEST, "MakeJsonFromTensors/StatusError")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"signature_name": "nope", "inputs": [1.0]},
            'Serving signature name: "nope" not found in signature def',
        ),
        ({"signature_name": "float"}, "Missing 'inputs' or 'instances' key"),
    ],
    ids=["double-quotes", "single-quotes"],
)
def test_status_error_json(http: Any, target: Target, body: Any, message: str) -> None:
    assert error(predict(http, target, body), 400) == message


# -- json_tensor.cc rules that no TF Serving test asserts ---------------------------------
@pytest.mark.tfserving(SOURCE, "AddValueToTensor")
@pytest.mark.parametrize(
    ("signature", "values", "answer"),
    [
        ("int8", "[127, -128, 300]", ["127", "-128", "44"]),  # int_val, narrowed by TF
        ("int16", "[70000]", ["4464"]),
        ("uint8", "[-1, 256]", ["255", "0"]),
        (
            "int64",
            "[9007199254740993, -9223372036854775808]",
            ["9007199254740993", "-9223372036854775808"],
        ),
        ("uint32", "[4294967295]", ["4294967295"]),
        ("uint64", "[18446744073709551615]", ["18446744073709551615"]),
        ("bool", "[true, false]", [True, False]),
        ("double", "[0.1, 0.3333333333333333]", ["0.1", "0.33333333333333331"]),
        (
            "float",
            "[0.1, 16777215, 3.4028234e+38]",
            ["0.1", "16777215.0", "3.40282347e+38"],
        ),
        ("float", "[100000000000000000000]", ["1e+20"]),  # beyond uint64: a double
        ("float", "[-9223372036854775808]", ["-9.22337204e+18"]),  # std::abs(INT64_MIN) < 0
        ("float", "[1e-400, -0]", ["0.0", "0.0"]),
    ],
    ids=[
        "int8-wraps",
        "int16-wraps",
        "uint8-wraps",
        "int64-exact",
        "uint32-max",
        "uint64-max",
        "bool",
        "double",
        "float",
        "float-from-huge-integer",
        "float-from-int64-min",
        "float-underflow-and-minus-zero-integer",
    ],
)
def test_json_values_accepted(
    http: Any, target: Target, signature: str, values: str, answer: list[Any]
) -> None:
    body = f'{{"signature_name": "{signature}", "inputs": {values}}}'.encode()
    assert tokens(predict(http, target, body))["outputs"] == answer


@pytest.mark.tfserving(SOURCE, "AddValueToTensor")
@pytest.mark.parametrize(
    ("signature", "value", "part"),
    [
        ("int32", "1.0", "JSON Value: 1.0 Type: Number is not of expected type: int32"),
        ("int32", "2147483648", "is not of expected type: int32"),
        ("int64", "9223372036854775808", "is not of expected type: int64"),
        ("uint32", "-1", "JSON Value: -1 Type: Number is not of expected type: uint32"),
        ("uint64", "-1", "is not of expected type: uint64"),
        ("bool", "1", "JSON Value: 1 Type: Number is not of expected type: bool"),
        ("string", "1", "JSON Value: 1 Type: Number is not of expected type: string"),
        ("float", "true", "JSON Value: true Type: True is not of expected type: float"),
        ("float", '{"b64": "AA=="}', "Type: Object is not of expected type: float"),
        # rapidjson's normal-precision strtod reads FLT_MAX's shortest double text one ULP
        # above FLT_MAX.
        (
            "float",
            "3.4028234663852886e+38",
            "Cannot convert JSON value: 3.402823466385289e+38 to float without loss",
        ),
        # Above 3.4028234e38 rapidjson's IsFloat() is false: the text is the double's.
        (
            "float",
            "3.4028235e+38",
            "Cannot convert JSON value: 3.4028234999999999e+38 to float without loss",
        ),
    ],
    ids=[
        "decimal-to-int32",
        "int32-overflow",
        "int64-overflow",
        "negative-uint32",
        "negative-uint64",
        "number-to-bool",
        "number-to-string",
        "bool-to-float",
        "b64-to-float",
        "float-max-read-above-float-max",
        "above-float-max",
    ],
)
def test_json_values_refused(
    http: Any, target: Target, signature: str, value: str, part: str
) -> None:
    body = f'{{"signature_name": "{signature}", "inputs": [{value}]}}'.encode()
    error(predict(http, target, body), 400, part)


NO_JSON_INPUT = [("half", "half"), ("bfloat16", "bfloat16"), ("uint16", "uint16")]
NO_JSON_INPUT += [("complex64", "complex64"), ("complex128", "complex128")]


@pytest.mark.tfserving(SOURCE, "AddValueToTensor")
@pytest.mark.parametrize(
    ("signature", "dtype_name"), NO_JSON_INPUT, ids=[s for s, _ in NO_JSON_INPUT]
)
def test_dtype_without_json_case_is_unimplemented(
    http: Any, target: Target, signature: str, dtype_name: str
) -> None:
    r = predict(http, target, {"signature_name": signature, "inputs": [1]})
    assert error(r, 501) == f"Conversion of JSON Value: 1 to type: {dtype_name}"


@pytest.mark.tfserving(SOURCE, "FillTensorMapFromInstancesList")
@pytest.mark.parametrize(
    ("signature", "dtype_name"), NO_JSON_INPUT, ids=[s for s, _ in NO_JSON_INPUT]
)
def test_row_format_reports_any_element_error_as_invalid_argument(
    http: Any, target: Target, signature: str, dtype_name: str
) -> None:
    r = predict(http, target, {"signature_name": signature, "instances": [1]})
    assert error(r, 400) == (
        "Failed to process element: 0 of 'instances' list. Error: "
        f"UNIMPLEMENTED: Conversion of JSON Value: 1 to type: {dtype_name}"
    )


UNWRITABLE = [("to_half", "half"), ("to_bfloat16", "bfloat16"), ("to_uint16", "uint16")]
UNWRITABLE += [("to_complex128", "complex128")]


@pytest.mark.tfserving(SOURCE, "AddSingleValueAndAdvance")
@pytest.mark.parametrize(("signature", "dtype_name"), UNWRITABLE, ids=[s for s, _ in UNWRITABLE])
def test_output_dtype_without_json_case_fails_to_write(
    http: Any, target: Target, signature: str, dtype_name: str
) -> None:
    # The model answers over gRPC: it is the JSON writer that has no case for the dtype.
    src = types_pb2.DT_INT32 if signature == "to_uint16" else types_pb2.DT_FLOAT
    x = np.array([1, 2], tensor_codec.dtype_info(src).numpy)
    answer = grpc_predict(target, signature, x, src).outputs["y"]
    assert answer.dtype == types_pb2.DataType.Value("DT_" + dtype_name.upper())
    for key in ("inputs", "instances"):
        r = predict(http, target, {"signature_name": signature, key: [1, 2]})
        assert error(r, 400) == f"Failed to write JSON value for tensor type: {dtype_name}"


@pytest.mark.tfserving(SOURCE, "AddSingleValueAndAdvance")
def test_unwritable_dtype_with_no_values_writes_an_empty_list(http: Any, target: Target) -> None:
    assert ok(predict(http, target, {"signature_name": "to_half", "inputs": []})) == {"outputs": []}


@pytest.mark.tfserving(SOURCE, "IsNamedTensorBytes")
def test_bytes_output_is_base64_and_other_strings_are_raw(http: Any, target: Target) -> None:
    r = predict(http, target, {"signature_name": "bytes", "inputs": [{"b64": "/wA="}]})
    assert ok(r) == {"outputs": [{"b64": "/wA="}]}
    r = predict(http, target, b'{"signature_name": "string", "inputs": [{"b64": "/wA="}, "\\n"]}')
    assert r.status_code == 200 and b'"\xff\\u0000"' in r.content
    assert json.loads(r.content.decode("latin-1"))["outputs"] == ["\xff\x00", "\n"]


@pytest.mark.tfserving(SOURCE, "JsonDecodeBase64Object")
@pytest.mark.parametrize(
    ("b64", "answer"),
    [("aGVsbG8=", "hello"), ("aGVsbG8", "hello"), ("aGVs-G8=", None), ("aGVsbG8==", None)],
    ids=["padded", "unpadded", "web-safe-alphabet", "wrong-padding"],
)
def test_base64_is_absl_unescape(http: Any, target: Target, b64: str, answer: str | None) -> None:
    r = predict(http, target, {"signature_name": "string", "inputs": {"b64": b64}})
    if answer is None:
        assert error(r, 400) == "Unable to base64 decode"
    else:
        assert ok(r) == {"outputs": answer}


@pytest.mark.tfserving(SOURCE, "ParseJson")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"instances = [1, 2]", "JSON Parse error: Invalid value. at offset: 0"),
        (b'{"inputs": [1, 2,]}', "JSON Parse error: Invalid value. at offset: 17"),
        (
            b'{"inputs": [1] x',
            "JSON Parse error: Missing a comma or '}' after an object member. at offset: 15",
        ),
        (
            b'{"inputs": [1]} {}',
            "JSON Parse error: The document root must not be followed by other values. at offset: 16",
        ),
        (
            b'{"inputs": [1e400]}',
            "JSON Parse error: Number too big to be stored in double. at offset: 12",
        ),
        (
            b'{"inputs": ["\xff',
            "JSON Parse error: Missing a closing quotation mark in string. at offset: 14",
        ),
        (b"   ", "JSON Parse error: The document is empty. at offset: 3"),
        (b"[1]", "JSON Value: [\n    1\n] Is not object"),
    ],
    ids=[
        "not-json",
        "trailing-comma",
        "no-comma",
        "two-roots",
        "1e400",
        "raw-byte-offset",
        "blank",
        "not-object",
    ],
)
def test_parse_errors_are_rapidjson_words(
    http: Any, target: Target, body: bytes, message: str
) -> None:
    assert error(predict(http, target, body), 400) == message


@pytest.mark.tfserving(SOURCE, "ParseJson")
def test_rapidjson_document_semantics(http: Any, target: Target) -> None:
    # FindMember finds the first of two equal keys; a UTF-8 BOM is skipped;
    # bytes that are not UTF-8 pass through a string unchanged.
    r = predict(http, target, b'{"signature_name": "float", "inputs": [1], "inputs": [2]}')
    assert ok(r) == {"outputs": [1.0]}
    r = predict(http, target, b'\xef\xbb\xbf{"signature_name": "float", "inputs": [3]}')
    assert ok(r) == {"outputs": [3.0]}
    r = predict(http, target, b'{"signature_name": "string", "inputs": ["\xff\xfeok"]}')
    assert r.status_code == 200 and b'"\xff\xfeok"' in r.content


@pytest.mark.tfserving(SOURCE, "MakeJsonFromTensors")
def test_response_layout_is_rapidjson_pretty_writer(http: Any, target: Target) -> None:
    r = predict(http, target, {"signature_name": "int32", "instances": [[1, 2], [3, 4]]})
    assert r.content == b'{\n    "predictions": [[1, 2], [3, 4]\n    ]\n}'
    r = predict(http, target, {"signature_name": "int32", "inputs": [[1, 2]]})
    assert r.content == (
        b'{\n    "outputs": [\n        [\n            1,\n            2\n        ]\n    ]\n}'
    )
    r = predict(http, target, {"signature_name": "float"})
    assert r.content == b"{\n    \"error\": \"Missing 'inputs' or 'instances' key\"\n}"
