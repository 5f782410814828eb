"""tfinterop.golden: independent of the code it judges, and TF Serving's rules, case by case.

The classify tables mirror tensorflow_serving/servables/tensorflow/classifier_test.cc
(ExampleList, ExampleListWithContext, ClassesOnly, ScoresOnly, ValidNamedSignature,
InvalidNamedSignature, MalformedScores, EmptyInput, ...) on a real SavedModel that
computes what that test's FakeSession computes: classes and scores copied from the
"class" and "score" features of each tf.Example.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    inference_pb2,
    predict_pb2,
    regression_pb2,
)

from tfinterop.golden import GoldenError, Reference, producer
from tfinterop.golden.cases.book import CaseBook
from tfinterop.serving import model_config, tensor_codec

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
FORBIDDEN = (
    "tfinterop.server",
    "tfinterop.serving.predict",
    "tfinterop.serving.signature",
    "tfinterop.serving.servable",
    "tfinterop.client",
    "tfinterop.harness",
    "tfinterop.judge",
    "tfinterop.bench",
    "tfinterop.byo",
)
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
PREDICT = "tensorflow/serving/predict"

# Imports every golden module, answers a Predict and a Classify (lazy imports happen
# there too), and prints the tfinterop modules that got loaded.
_AUDIT = """
import importlib, json, pkgutil, sys
from pathlib import Path
import tfinterop.golden as golden
for info in pkgutil.walk_packages(golden.__path__, "tfinterop.golden."):
    importlib.import_module(info.name)
config = Path(sys.argv[1])
if config.exists():
    from tensorflow_serving.apis import predict_pb2, classification_pb2
    ref = golden.Reference(config)
    p = predict_pb2.PredictRequest()
    p.model_spec.name = "no_such_model"
    ref.answer("predict", p)
    c = classification_pb2.ClassificationRequest()
    c.model_spec.name = "examples"
    c.input.example_list.examples.add()
    ref.answer("classify", c, transports=("grpc", "rest"))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("tfinterop"))))
"""


def test_golden_imports_nothing_from_the_code_it_judges() -> None:
    config = BUILD / "models" / "models.config"
    r = subprocess.run(
        [sys.executable, "-c", _AUDIT, str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    loaded = json.loads(r.stdout.strip().splitlines()[-1])
    assert "tfinterop.golden.reference" in loaded
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == [], f"tfinterop.golden pulls in {bad}"


# -- a SavedModel that classifies as classifier_test.cc's FakeSession does --------------


def _build_fake_classifier(path: Path) -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        serialized = v1.placeholder(tf.string, [None], name="input")
        other = v1.placeholder(tf.string, [None], name="other_input")
        spec = {
            "class": tf.io.FixedLenFeature([2], tf.string, default_value=["", ""]),
            "score": tf.io.FixedLenFeature([2], tf.float32, default_value=[0.0, 0.0]),
        }
        feats = tf.io.parse_example(serialized, spec)
        classes, scores = feats["class"], feats["score"]
        other_scores = tf.io.parse_example(other, spec)["score"]
        info = v1.saved_model.utils.build_tensor_info
        build = v1.saved_model.signature_def_utils.build_signature_def

        def sig(outputs: dict[str, Any], method: str = CLASSIFY, inp: Any = serialized) -> Any:
            return build({"inputs": info(inp)}, {k: info(v) for k, v in outputs.items()}, method)

        total = tf.reduce_sum(scores, axis=1)
        signatures = {
            "serving_default": sig({"classes": classes, "scores": scores}),
            "classes_only": sig({"classes": classes}),
            "scores_only": sig({"scores": scores}),
            "output_plus_one": sig({"classes": classes, "scores": scores + 1}),
            "invalid_regression_signature": sig({"outputs": scores}, REGRESS),
            "improperly_sized_scores": sig(
                {"classes": classes, "scores": tf.zeros([tf.shape(scores)[0], 2, 10])}
            ),
            "double_scores": sig({"classes": classes, "scores": tf.cast(scores, tf.float64)}),
            "float_classes": sig({"classes": scores, "scores": scores}),
            "short_classes": sig({"classes": classes[:1], "scores": scores}),
            "short_scores": sig({"classes": classes, "scores": scores[:1]}),
            "three_classes": sig(
                {"classes": tf.concat([classes, classes[:, :1]], 1), "scores": scores}
            ),
            "predict_method_classify": sig({"classes": classes, "scores": scores}, PREDICT),
            "sum": sig({"outputs": total}, REGRESS),
            "sum_2d": sig({"outputs": tf.expand_dims(total, 1)}, REGRESS),
            "sum_double": sig({"outputs": tf.cast(total, tf.float64)}, REGRESS),
            "sum_other_input": sig({"outputs": tf.reduce_sum(other_scores, 1)}, REGRESS, other),
            "predict": build({"x": info(scores)}, {"y": info(scores * 2)}, PREDICT),
        }
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=signatures)
        builder.save()


def _build_rest_probe(path: Path) -> None:
    """Signatures whose REST answers differ from gRPC's by json_tensor.cc's dtype rules."""
    import tensorflow as tf

    class Probe(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def half_out(self, x):  # type: ignore[no-untyped-def]
            return {"h": tf.cast(x, tf.float16)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.uint16, name="u")])
        def uint16_in(self, u):  # type: ignore[no-untyped-def]
            return {"v": tf.cast(u, tf.int32)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def with_scalar(self, x):  # type: ignore[no-untyped-def]
            return {"y": x * 2, "total": tf.reduce_sum(x)}

    m = Probe()
    tf.saved_model.save(
        m,
        str(path),
        signatures={
            "serving_default": m.half_out,
            "uint16_in": m.uint16_in,
            "with_scalar": m.with_scalar,
        },
    )


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    root = tmp_path_factory.mktemp("golden")
    _build_fake_classifier(root / "fake" / "7")
    _build_rest_probe(root / "probe" / "1")
    config = root / "models.config"
    config.write_text(
        model_config.render_config(
            [
                model_config.ModelEntry("fake", root / "fake"),
                model_config.ModelEntry("probe", root / "probe"),
            ]
        )
    )
    return Reference(config)


def example(pairs: list[tuple[str, float]]) -> example_pb2.Example:
    e = example_pb2.Example()
    for label, score in pairs:
        e.features.feature["class"].bytes_list.value.append(label.encode())
        e.features.feature["score"].float_list.value.append(score)
    return e


TWO = [example([("dos", 2), ("uno", 1)]), example([("cuatro", 4), ("tres", 3)])]


def _classify(signature: str = "", rows: list[example_pb2.Example] | None = None) -> Any:
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "fake"
    req.model_spec.signature_name = signature
    req.input.example_list.examples.extend(TWO if rows is None else rows)
    return req


def _pairs(response: Any) -> list[list[tuple[str, float]]]:
    return [[(c.label, c.score) for c in cl.classes] for cl in response.result.classifications]


@pytest.mark.parametrize(
    ("signature", "want"),
    [
        ("", [[("dos", 2), ("uno", 1)], [("cuatro", 4), ("tres", 3)]]),
        ("classes_only", [[("dos", 0), ("uno", 0)], [("cuatro", 0), ("tres", 0)]]),
        ("scores_only", [[("", 2), ("", 1)], [("", 4), ("", 3)]]),
        ("output_plus_one", [[("dos", 3), ("uno", 2)], [("cuatro", 5), ("tres", 4)]]),
        # --enable_signature_method_name_check is off by default: the shape decides.
        ("predict_method_classify", [[("dos", 2), ("uno", 1)], [("cuatro", 4), ("tres", 3)]]),
    ],
    ids=["example-list", "classes-only", "scores-only", "valid-named", "predict-method"],
)
def test_classify_builds_classes_as_classifier_test_expects(
    ref: Reference, signature: str, want: list[list[tuple[str, float]]]
) -> None:
    response = ref.call("classify", _classify(signature))
    assert _pairs(response) == want
    assert response.model_spec.name == "fake"
    assert response.model_spec.signature_name == (signature or "serving_default")
    assert response.model_spec.version.value == 7


def test_context_is_copied_into_each_example_and_examples_override_it(ref: Reference) -> None:
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "fake"
    lc = req.input.example_list_with_context
    lc.context.CopyFrom(example([("uno", 1), ("dos", 2)]))
    lc.examples.add()
    lc.examples.add().CopyFrom(example([("tres", 3), ("cuatro", 4)]))
    assert _pairs(ref.call("classify", req)) == [
        [("uno", 1), ("dos", 2)],
        [("tres", 3), ("cuatro", 4)],
    ]


def _empty_inputs() -> list[Any]:
    untouched = _classify(rows=[])
    untouched.ClearField("input")
    listed = _classify(rows=[])
    listed.input.example_list.SetInParent()
    context_only = _classify(rows=[])
    context_only.input.example_list_with_context.context.CopyFrom(example([("dos", 2)]))
    return [untouched, listed, context_only]


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (_classify("invalid_regression_signature"), "INVALID_ARGUMENT"),
        (_classify("improperly_sized_scores"), "INVALID_ARGUMENT"),
        (_classify("no_such_signature"), "INVALID_ARGUMENT"),  # not Predict's FAILED_PRECONDITION
        (_classify("double_scores"), "INVALID_ARGUMENT"),
        (_classify("float_classes"), "INVALID_ARGUMENT"),
        (_classify("short_classes"), "INVALID_ARGUMENT"),
        (_classify("short_scores"), "INVALID_ARGUMENT"),
        (_classify("three_classes"), "INVALID_ARGUMENT"),
        (_classify("sum"), "INVALID_ARGUMENT"),
        *((r, "INVALID_ARGUMENT") for r in _empty_inputs()),
    ],
    ids=[
        "regression-signature",
        "rank-3-scores",
        "missing-signature",
        "double-scores",
        "float-classes",
        "classes-batch-size",
        "scores-batch-size",
        "classes-scores-k-differ",
        "no-classes-or-scores",
        "empty-input",
        "empty-example-list",
        "empty-list-with-context",
    ],
)
def test_classify_errors_follow_classifier_cc(ref: Reference, request_: Any, code: str) -> None:
    answer = ref.answer("classify", request_, transports=("grpc",))
    assert answer.error is not None and answer.error.code.name == code, answer


def _regress(signature: str, rows: list[example_pb2.Example] | None = None) -> Any:
    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "fake"
    req.model_spec.signature_name = signature
    req.input.example_list.examples.extend(TWO if rows is None else rows)
    return req


@pytest.mark.parametrize("signature", ["sum", "sum_2d"])
def test_regress_takes_batch_or_batch_by_one(ref: Reference, signature: str) -> None:
    response = ref.call("regress", _regress(signature))
    assert [r.value for r in response.result.regressions] == [3.0, 7.0]
    assert response.model_spec.signature_name == signature


@pytest.mark.parametrize(
    "signature", ["invalid_regression_signature", "sum_double", "serving_default", "nope"]
)
def test_regress_refuses_what_regressor_cc_refuses(ref: Reference, signature: str) -> None:
    answer = ref.answer("regress", _regress(signature), transports=("grpc",))
    assert answer.error is not None and answer.error.code.name == "INVALID_ARGUMENT"


def _task(req: Any, signature: str, method: str, model: str = "fake") -> None:
    task = req.tasks.add(method_name=method)
    task.model_spec.name = model
    task.model_spec.signature_name = signature


def test_multi_inference_gives_each_result_its_model_spec(ref: Reference) -> None:
    req = inference_pb2.MultiInferenceRequest()
    _task(req, "sum", REGRESS)
    _task(req, "", CLASSIFY)
    req.input.example_list.examples.extend(TWO)
    response = ref.call("multi_inference", req)
    regression, classification = response.results
    assert [r.value for r in regression.regression_result.regressions] == [3.0, 7.0]
    assert classification.classification_result.classifications[1].classes[0].label == "cuatro"
    assert (regression.model_spec.signature_name, regression.model_spec.version.value) == (
        "sum",
        7,
    )
    assert classification.model_spec.signature_name == "serving_default"


@pytest.mark.parametrize(
    ("tasks", "examples", "code"),
    [
        ([("sum", REGRESS), ("sum", REGRESS)], TWO, "INVALID_ARGUMENT"),
        ([("predict", PREDICT)], TWO, "UNIMPLEMENTED"),
        ([("sum", REGRESS), ("sum_other_input", REGRESS)], TWO, "INVALID_ARGUMENT"),
        ([("nope", REGRESS)], TWO, "INVALID_ARGUMENT"),
        ([("sum", REGRESS)], [], "INVALID_ARGUMENT"),
        ([], TWO, "INVALID_ARGUMENT"),
    ],
    ids=[
        "duplicate",
        "predict-method",
        "different-inputs",
        "unknown-signature",
        "empty",
        "no-tasks",
    ],
)
def test_multi_inference_errors_follow_multi_inference_test(
    ref: Reference, tasks: list[tuple[str, str]], examples: list[Any], code: str
) -> None:
    req = inference_pb2.MultiInferenceRequest()
    for sig, method in tasks:
        _task(req, sig, method)
    req.input.example_list.examples.extend(examples)
    answer = ref.answer("multi_inference", req, transports=("grpc",))
    assert answer.error is not None and answer.error.code.name == code


def test_multi_inference_across_models_is_invalid_argument(ref: Reference) -> None:
    req = inference_pb2.MultiInferenceRequest()
    _task(req, "sum", REGRESS)
    _task(req, "", CLASSIFY, model="probe")
    req.input.example_list.examples.extend(TWO)
    answer = ref.answer("multi_inference", req, transports=("grpc",))
    assert answer.error is not None and answer.error.code.name == "INVALID_ARGUMENT"


def test_server_apis_refuse_inproc_and_multi_inference_refuses_rest(ref: Reference) -> None:
    with pytest.raises(GoldenError, match="server API"):
        ref.answer("classify", _classify())
    req = inference_pb2.MultiInferenceRequest()
    _task(req, "sum", REGRESS)
    req.input.example_list.examples.extend(TWO)
    with pytest.raises(GoldenError, match="no multi_inference endpoint"):
        ref.answer("multi_inference", req, transports=("grpc", "rest"))


# -- error codes on the exported zoo models ---------------------------------------------


@pytest.fixture(scope="module")
def zoo() -> Reference:
    config = BUILD / "models" / "models.config"
    if not config.exists():
        pytest.fail("run `make export` first: build/models/models.config is missing")
    return Reference(config)


def _mnist(
    *,
    name: str = "mnist",
    version: int | None = None,
    label: str | None = None,
    signature: str = "serving_default",
    key: str = "image",
    proto: Any = None,
    output_filter: tuple[str, ...] = (),
) -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = name
    if version is not None:
        req.model_spec.version.value = version
    if label is not None:
        req.model_spec.version_label = label
    req.model_spec.signature_name = signature
    req.inputs[key].CopyFrom(
        proto if proto is not None else tensor_codec.from_ndarray(np.zeros((1, 28, 28), np.float32))
    )
    req.output_filter.extend(output_filter)
    return req


def _short_content() -> Any:
    p = tensor_codec.from_ndarray(np.zeros((1, 28, 28), np.float32), content=True)
    p.tensor_content = p.tensor_content[:-4]
    return p


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (_mnist(name=""), "INVALID_ARGUMENT"),
        (_mnist(name="no_such_model"), "NOT_FOUND"),
        (_mnist(version=99), "NOT_FOUND"),
        (_mnist(label="no_such_label"), "INVALID_ARGUMENT"),
        # The label is looked up before the model: INVALID_ARGUMENT even when unknown.
        (_mnist(name="no_such_model", label="stable"), "INVALID_ARGUMENT"),
        (_mnist(signature="no_such_signature"), "FAILED_PRECONDITION"),
        (_mnist(key="pixels"), "INVALID_ARGUMENT"),
        (
            _mnist(proto=tensor_codec.from_ndarray(np.zeros((1, 28, 28), np.int32))),
            "INVALID_ARGUMENT",
        ),
        (_mnist(proto=_short_content()), "INVALID_ARGUMENT"),
        (
            _mnist(proto=tensor_codec.from_ndarray(np.zeros((1, 28, 27), np.float32))),
            "INVALID_ARGUMENT",
        ),
        (_mnist(output_filter=("nope",)), "INVALID_ARGUMENT"),
        (_mnist(output_filter=("output_0", "output_0")), "INVALID_ARGUMENT"),
    ],
    ids=[
        "empty-name",
        "unknown-model",
        "unknown-version",
        "unknown-label",
        "label-of-unknown-model",
        "unknown-signature",
        "unknown-input",
        "wrong-dtype",
        "content-too-short",
        "kernel-shape-error",
        "unknown-output-filter",
        "duplicate-output-filter",
    ],
)
def test_predict_error_codes_follow_tf_serving(zoo: Reference, request_: Any, code: str) -> None:
    answer = zoo.answer("predict", request_, transports=("inproc", "grpc"))
    assert answer.error is not None and answer.error.code.name == code, answer.response


def test_a_short_typed_list_is_padded_and_a_long_one_cut_as_from_proto_does(
    zoo: Reference,
) -> None:
    base = zoo.call(
        "predict", _mnist(proto=tensor_codec.from_ndarray(np.ones((1, 28, 28), np.float32)))
    )
    short = tensor_codec.from_ndarray(np.ones((1, 28, 28), np.float32))
    del short.float_val[1:]
    long = tensor_codec.from_ndarray(np.ones((1, 28, 28), np.float32))
    long.float_val.append(5.0)
    for proto in (short, long):
        got = zoo.call("predict", _mnist(proto=proto))
        assert got.outputs["output_0"] == base.outputs["output_0"]


def test_predict_response_carries_the_resolved_spec(zoo: Reference) -> None:
    got = zoo.call("predict", _mnist(label="canary", signature=""))
    assert got.model_spec.name == "mnist"
    assert got.model_spec.version.value == 2
    assert got.model_spec.signature_name == "serving_default"


def _metadata(name: str, fields: tuple[str, ...]) -> Any:
    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = name
    req.metadata_field.extend(fields)
    return req


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (_metadata("mnist", ()), "INVALID_ARGUMENT"),
        (_metadata("mnist", ("signature_def", "other")), "INVALID_ARGUMENT"),
        # Fields are checked before the model is looked up.
        (_metadata("no_such_model", ("other",)), "INVALID_ARGUMENT"),
        (_metadata("no_such_model", ("signature_def",)), "NOT_FOUND"),
    ],
    ids=["no-field", "unknown-field", "field-before-model", "unknown-model"],
)
def test_metadata_errors_follow_get_model_metadata_impl(
    zoo: Reference, request_: Any, code: str
) -> None:
    answer = zoo.answer("metadata", request_, transports=("grpc",))
    assert answer.error is not None and answer.error.code.name == code


def test_metadata_packs_every_signature_of_the_served_version(zoo: Reference) -> None:
    got = zoo.call("metadata", _metadata("mnist", ("signature_def",)))
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    assert got.metadata["signature_def"].Unpack(sig_map)
    assert "serving_default" in sig_map.signature_def
    assert (got.model_spec.name, got.model_spec.version.value) == ("mnist", 2)


# -- REST: where the right answer differs per transport ---------------------------------


def _probe(signature: str, inputs: dict[str, tuple[np.ndarray, int]], **kw: Any) -> Any:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "probe"
    req.model_spec.signature_name = signature
    for name, (arr, dtype) in inputs.items():
        req.inputs[name].CopyFrom(tensor_codec.from_ndarray(arr, dtype))
    req.output_filter.extend(kw.get("output_filter", ()))
    return req


X = (np.array([1.0, 2.0], np.float32), types_pb2.DT_FLOAT)


@pytest.mark.parametrize(
    ("request_", "rest_format", "want"),
    [
        # json_tensor.cc AddSingleValueAndAdvance cannot write half: 400.
        (_probe("", {"x": X}), "columnar", {"rest": "INVALID_ARGUMENT"}),
        # ...but an empty tensor writes no value.
        (_probe("", {"x": (np.zeros(0, np.float32), types_pb2.DT_FLOAT)}), "columnar", {}),
        # AddValueToTensor has no uint16 case: UNIMPLEMENTED (501).
        (
            _probe("uint16_in", {"u": (np.array([1, 2], np.uint16), types_pb2.DT_UINT16)}),
            "columnar",
            {"rest": "UNIMPLEMENTED"},
        ),
        (_probe("with_scalar", {"x": X}), "columnar", {}),
        # A row answer needs every output batched: a scalar has no batch dimension.
        (_probe("with_scalar", {"x": X}), "row", {"rest": "INVALID_ARGUMENT"}),
    ],
    ids=["half-output", "empty-half-output", "uint16-input", "scalar-columnar", "scalar-row"],
)
def test_rest_transport_errors_follow_json_tensor(
    ref: Reference, request_: Any, rest_format: str, want: dict[str, str]
) -> None:
    answer = ref.answer("predict", request_, rest_format=rest_format)
    assert answer.error is None
    assert answer.transport_errors == want


def test_unknown_signature_is_invalid_argument_over_rest(zoo: Reference) -> None:
    answer = zoo.answer("predict", _mnist(signature="no_such_signature"))
    assert answer.error is not None and answer.error.code.name == "FAILED_PRECONDITION"
    assert answer.transport_errors == {"rest": "INVALID_ARGUMENT"}


def test_multi_io_float16_inputs_are_unimplemented_over_rest(zoo: Reference) -> None:
    from tfinterop.models.zoo import multi_io

    answer = zoo.answer(
        "predict", multi_io._request("serving_default", multi_io._default_inputs(2))
    )
    assert answer.error is None
    assert answer.transport_errors == {"rest": "UNIMPLEMENTED"}


@pytest.mark.parametrize(
    "request_",
    [
        # REST reads only the signature's keys: the extra input is never seen.
        _probe("with_scalar", {"x": X, "extra": X}),
        # REST has no output_filter: the answer carries every output.
        _probe("with_scalar", {"x": X}, output_filter=["y"]),
        # JSON carries no dtype: int32 values become the float input's values.
        _probe("with_scalar", {"x": (np.array([1, 2], np.int32), types_pb2.DT_INT32)}),
    ],
    ids=["extra-input", "output-filter", "int32-for-float"],
)
def test_a_case_whose_rest_answer_is_another_response_is_refused(
    ref: Reference, request_: Any
) -> None:
    with pytest.raises(GoldenError, match="leave rest out"):
        ref.answer("predict", request_)
    assert ref.answer("predict", request_, transports=("inproc", "grpc")).transport_errors == {}


def test_classify_with_no_examples_fails_over_rest_before_the_model_is_found(
    zoo: Reference,
) -> None:
    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "no_such_model"
    answer = zoo.answer("classify", req, transports=("grpc", "rest"))
    assert answer.error is not None and answer.error.code.name == "NOT_FOUND"
    assert answer.transport_errors == {"rest": "INVALID_ARGUMENT"}


# -- the case book and the producer record ----------------------------------------------


def test_case_book_refuses_an_expectation_tf_serving_does_not_meet(zoo: Reference) -> None:
    book = CaseBook(zoo)
    with pytest.raises(AssertionError, match="answers FAILED_PRECONDITION, want INVALID_ARGUMENT"):
        book.err("x", "", "predict", _mnist(signature="nope"), "INVALID_ARGUMENT")
    with pytest.raises(AssertionError, match="answers with a response"):
        book.err("y", "", "predict", _mnist(), "INVALID_ARGUMENT")
    with pytest.raises(AssertionError, match="transport_errors"):
        book.ok("z", "", "predict", _mnist(), transport_errors={"rest": "UNIMPLEMENTED"})
    book.err("w", "", "predict", _mnist(signature="nope"), "FAILED_PRECONDITION")
    assert book.cases[-1].transport_errors == {"rest": "INVALID_ARGUMENT"}


def test_producer_names_the_runtime_of_each_api_used() -> None:
    import tensorflow as tf

    got = producer(["predict", "classify", "predict"])
    assert set(got["golden_runtimes"]) == {"predict", "classify"}
    assert "classifier.cc" in got["golden_runtimes"]["classify"]
    assert f"tensorflow {tf.__version__}" in got["golden_runtimes"]["predict"]
    assert got["tensorflow_build"] == f"pip:tensorflow=={tf.__version__}"
