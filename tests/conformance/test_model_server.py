"""tensorflow_serving/model_servers/tensorflow_model_server_test.py, against a server.

TF Serving's integration test starts tensorflow_model_server per set of flags and
talks gRPC and REST to it. Here the shared server (every conformance model, under
the testdata names; `default` becomes saved_model_half_plus_two_cpu) answers the
tests that need no special flag; tests that need one get a dedicated server
(tests/conformance/servers.py). Also here: the version-label expectations of
tensorflow_serving/model_servers/server_core_test.cc that a client can observe, and
main.cc's refusal of labels at start-up.

Not portable: testPredictSessionBundle, testPredictBatchingSessionBundle and
testPredictUpconvertedSavedModel (SessionBundle exports: no TensorFlow since 2.0
writes or loads them); test_distrat_sequential_keras_saved_model_save (Keras 3's
tf.saved_model.save of a model with variables is what no session-based loader
serves, keras-team/keras#19274; MirroredStrategy over virtual CPUs needs its own
process); test_tf_text (needs tensorflow-text ops in the server).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import grpc
import pytest
import requests
from google.protobuf import text_format
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    predict_pb2,
    regression_pb2,
)
from tensorflow_serving.config import model_server_config_pb2

from tests.conformance.conftest import Target
from tests.conformance.servers import (
    RPC_TIMEOUT,
    STRICT_MODELS,
    dedicated_server,
    failed_start,
    flags_entries,
    flags_server,
    model_stub,
    models,
    prediction_stub,
    strict_server,
    write_config,
)
from tfinterop.harness.server_process import RunningServer
from tfinterop.serving import model_config

FILE = "tensorflow_serving/model_servers/tensorflow_model_server_test.py"
SERVER_CORE = "tensorflow_serving/model_servers/server_core_test.cc"
TF1 = "saved_model_half_plus_two_cpu"  # _GetSavedModelBundlePath
TF2 = "saved_model_half_plus_two_tf2_cpu"  # _GetSavedModelHalfPlusTwoTf2
VERSION = 123  # _GetModelVersion of every testdata model
TWO_VERSIONS = "test_model"  # saved_model_half_plus_two_2_versions, server_core_test.cc's name


def tfserving(test: str, file: str = FILE) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(file, test)


@pytest.fixture(scope="module")
def stub(target: Target):  # type: ignore[no-untyped-def]
    return prediction_stub(target.grpc)


def verify_predict_request(
    address: str,
    expected_output: float,
    expected_version: int,
    model_name: str = TF1,
    specify_output: bool = True,
    batch_input: bool = False,
    signature_name: str = "serving_default",
    input_name: str = "x",
    output_name: str = "y",
) -> None:
    """The test's VerifyPredictRequest: x = [2.0], y = expected_output, model_spec checked."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    request.inputs[input_name].dtype = types_pb2.DT_FLOAT
    request.inputs[input_name].float_val.append(2.0)
    request.inputs[input_name].tensor_shape.dim.add().size = 1
    if batch_input:
        request.inputs[input_name].tensor_shape.dim.add().size = 1
    if specify_output:
        request.output_filter.append(output_name)
    result = prediction_stub(address).Predict(request, RPC_TIMEOUT)
    assert output_name in result.outputs
    assert result.outputs[output_name].dtype == types_pb2.DT_FLOAT
    assert list(result.outputs[output_name].float_val) == [expected_output]
    verify_model_spec(result.model_spec, model_name, signature_name, expected_version)


def verify_model_spec(spec, name: str, signature_name: str, version: int) -> None:  # type: ignore[no-untyped-def]
    assert (spec.name, spec.signature_name, spec.version.value) == (name, signature_name, version)


def _examples_request(cls, signature: str, model: str):  # type: ignore[no-untyped-def]
    request = cls()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    example = request.input.example_list.examples.add()
    example.features.feature["x"].float_list.value.extend([2.0])
    return request


# -- gRPC on the shared server ---------------------------------------------------------


@tfserving("testGetModelStatus")
def test_get_model_status(target: Target) -> None:
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = TF1
    result = model_stub(target.grpc).GetModelStatus(request, RPC_TIMEOUT)
    assert len(result.model_version_status) == 1
    assert result.model_version_status[0].version == VERSION
    assert result.model_version_status[0].status.error_code == 0


@tfserving("testGetModelMetadata")
def test_get_model_metadata(stub) -> None:  # type: ignore[no-untyped-def]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = TF1
    request.metadata_field.append("signature_def")
    result = stub.GetModelMetadata(request, RPC_TIMEOUT)
    assert result.model_spec.name == TF1
    assert result.model_spec.version.value == VERSION
    assert len(result.metadata) == 1
    assert "signature_def" in result.metadata


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(TF1, marks=tfserving("testClassify")),
        pytest.param(TF2, marks=tfserving("testClassifyTf2")),
    ],
)
def test_classify(stub, model: str) -> None:  # type: ignore[no-untyped-def]
    request = _examples_request(classification_pb2.ClassificationRequest, "classify_x_to_y", model)
    result = stub.Classify(request, RPC_TIMEOUT)
    assert len(result.result.classifications) == 1
    assert len(result.result.classifications[0].classes) == 1
    assert result.result.classifications[0].classes[0].score == 3.0
    verify_model_spec(result.model_spec, model, "classify_x_to_y", VERSION)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(TF1, marks=tfserving("testRegress")),
        pytest.param(TF2, marks=tfserving("testRegressTf2")),
    ],
)
def test_regress(stub, model: str) -> None:  # type: ignore[no-untyped-def]
    request = _examples_request(regression_pb2.RegressionRequest, "regress_x_to_y", model)
    result = stub.Regress(request, RPC_TIMEOUT)
    assert len(result.result.regressions) == 1
    assert result.result.regressions[0].value == 3.0
    verify_model_spec(result.model_spec, model, "regress_x_to_y", VERSION)


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(TF1, marks=tfserving("testMultiInference")),
        pytest.param(TF2, marks=tfserving("testMultiInferenceTf2")),
    ],
)
def test_multi_inference(stub, model: str) -> None:  # type: ignore[no-untyped-def]
    request = inference_pb2.MultiInferenceRequest()
    for signature, method in (
        ("regress_x_to_y", "tensorflow/serving/regress"),
        ("classify_x_to_y", "tensorflow/serving/classify"),
    ):
        task = request.tasks.add(method_name=method)
        task.model_spec.name = model
        task.model_spec.signature_name = signature
    request.input.example_list.examples.add().features.feature["x"].float_list.value.extend([2.0])
    result = stub.MultiInference(request, RPC_TIMEOUT)
    assert len(result.results) == 2
    assert result.results[0].regression_result.regressions[0].value == 3.0
    assert result.results[1].classification_result.classifications[0].classes[0].score == 3.0
    for i in range(2):
        verify_model_spec(
            result.results[i].model_spec, model, request.tasks[i].model_spec.signature_name, VERSION
        )


@tfserving("testPredictSavedModel")
def test_predict_saved_model(target: Target) -> None:
    verify_predict_request(target.grpc, 3.0, VERSION)
    verify_predict_request(target.grpc, 3.0, VERSION, specify_output=False)


@tfserving("testGoodModelConfig")
def test_good_model_config(target: Target) -> None:
    """good_model_config.txt's two models, by its names (half_plus_two, half_plus_three)."""
    for name, value in (("half_plus_two", 3.0), ("half_plus_three", 4.0)):
        verify_predict_request(target.grpc, value, VERSION, model_name=name)
        verify_predict_request(target.grpc, value, VERSION, model_name=name, specify_output=False)


@tfserving("test_tf_saved_model_save")
def test_tf_saved_model_save(target: Target) -> None:
    verify_predict_request(
        target.grpc, 12.0, VERSION, model_name="tf_saved_model_save", specify_output=False
    )


@tfserving("test_tf_saved_model_save_multiple_signatures")
def test_tf_saved_model_save_multiple_signatures(target: Target) -> None:
    name = "tf_saved_model_save_multiple_signatures"
    verify_predict_request(
        target.grpc, 2.0, VERSION, model_name=name, signature_name="custom_signature_key"
    )
    verify_predict_request(target.grpc, 1.0, VERSION, model_name=name)


@tfserving("test_sequential_keras_saved_model_save")
def test_sequential_keras_saved_model_save(target: Target) -> None:
    # Keras 3 names the signature's tensors inputs/output_0 where Keras 2 used the
    # layer names x/y the original sends; what is tested, the server loading and
    # running a Keras Sequential export, is the same.
    verify_predict_request(
        target.grpc,
        2.0,
        VERSION,
        model_name="keras_sequential_saved_model_save",
        batch_input=True,
        specify_output=False,
        input_name="inputs",
        output_name="output_0",
    )


# -- REST on the shared server ---------------------------------------------------------


def call_rest(url: str, body: object | None) -> object:
    """CallREST: POST the JSON body (GET without one); the decoded JSON answer."""
    if body is None:
        response = requests.get(url, timeout=RPC_TIMEOUT)
    else:
        response = requests.post(url, data=json.dumps(body), timeout=RPC_TIMEOUT)
    assert response.status_code == 200, response.text
    return json.loads(response.content.decode())


@tfserving("testClassifyREST")
def test_classify_rest(target: Target) -> None:
    body = {"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}
    got = call_rest(f"{target.rest}/v1/models/{TF1}:classify", body)
    assert got == {"results": [[["", 3.0]]]}


@tfserving("testRegressREST")
def test_regress_rest(target: Target) -> None:
    body = {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}
    assert call_rest(f"{target.rest}/v1/models/{TF1}:regress", body) == {"results": [3.0]}


@tfserving("testPredictREST")
def test_predict_rest(target: Target) -> None:
    got = call_rest(f"{target.rest}/v1/models/{TF1}:predict", {"instances": [2.0, 3.0, 4.0]})
    assert got == {"predictions": [3.0, 3.5, 4.0]}


@tfserving("testPredictColumnarREST")
def test_predict_columnar_rest(target: Target) -> None:
    got = call_rest(f"{target.rest}/v1/models/{TF1}:predict", {"inputs": [2.0, 3.0, 4.0]})
    assert got == {"outputs": [3.0, 3.5, 4.0]}


@tfserving("testGetStatusREST")
def test_get_status_rest(target: Target) -> None:
    assert call_rest(f"{target.rest}/v1/models/{TF1}", None) == {
        "model_version_status": [
            {
                "version": "123",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def sorted_object(obj: object) -> object:
    """SortedObject: JSON with every list sorted (metadata has no meaningful order)."""
    if isinstance(obj, dict):
        return sorted((k, sorted_object(v)) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return sorted(sorted_object(x) for x in obj)  # type: ignore[type-var]
    return obj


def _drop_empty_defaults(obj: object) -> object:
    # TensorFlow 2.x's SignatureDef gained a `defaults` map after
    # half_plus_two_model_metadata.json was written; TF Serving now prints it empty.
    if isinstance(obj, dict):
        return {
            k: _drop_empty_defaults(v) for k, v in obj.items() if not (k == "defaults" and v == {})
        }
    return obj


def _tensor(dtype: str, name: str, dims: list[int] | None) -> dict[str, object]:
    shape: dict[str, object] = (
        {"dim": [], "unknown_rank": True}
        if dims is None
        else {"dim": [{"size": str(d), "name": ""} for d in dims], "unknown_rank": False}
    )
    return {"dtype": dtype, "tensor_shape": shape, "name": name}


def _half_plus_two_metadata(model: str) -> dict[str, object]:
    """What testdata/half_plus_two_model_metadata.json holds, for `model`."""
    batch = [-1, 1]
    examples = _tensor("DT_STRING", "tf_example:0", None)

    def sig(inputs: dict, outputs: dict, method: str) -> dict:  # type: ignore[type-arg]
        return {"inputs": inputs, "outputs": outputs, "method_name": f"tensorflow/serving/{method}"}

    signatures = {
        "regress_x2_to_y3": sig(
            {"inputs": _tensor("DT_FLOAT", "x2:0", batch)},
            {"outputs": _tensor("DT_FLOAT", "y3:0", batch)},
            "regress",
        ),
        "serving_default": sig(
            {"x": _tensor("DT_FLOAT", "x:0", batch)},
            {"y": _tensor("DT_FLOAT", "y:0", batch)},
            "predict",
        ),
        "classify_x_to_y": sig(
            {"inputs": examples}, {"scores": _tensor("DT_FLOAT", "y:0", batch)}, "classify"
        ),
        "regress_x_to_y2": sig(
            {"inputs": examples}, {"outputs": _tensor("DT_FLOAT", "y2:0", batch)}, "regress"
        ),
        "regress_x_to_y": sig(
            {"inputs": examples}, {"outputs": _tensor("DT_FLOAT", "y:0", batch)}, "regress"
        ),
    }
    return {
        "model_spec": {"name": model, "signature_name": "", "version": "123"},
        "metadata": {"signature_def": {"signature_def": signatures}},
    }


@tfserving("testGetModelMetadataREST")
def test_get_model_metadata_rest(target: Target) -> None:
    got = call_rest(f"{target.rest}/v1/models/{TF1}/metadata", None)
    expected = _half_plus_two_metadata(TF1)
    assert sorted_object(_drop_empty_defaults(got)) == sorted_object(expected)


@tfserving("testPrometheusEndpoint")
def test_prometheus_endpoint(target: Target) -> None:
    # The shared server runs with TF Serving's monitoring_config.txt (models/__init__.py).
    response = requests.get(f"{target.rest}/monitoring/prometheus/metrics", timeout=RPC_TIMEOUT)
    assert "# TYPE" in response.text


# -- Servers with flags ----------------------------------------------------------------


def _flags_server() -> RunningServer:
    return flags_server()[0]


def _socket(server: RunningServer) -> str:
    for arg in server.process.args:  # type: ignore[union-attr]
        if str(arg).startswith("--grpc_socket_path="):
            return str(arg).split("=", 1)[1]
    raise AssertionError("the server has no --grpc_socket_path")


@tfserving("testPredictUDS")
def test_predict_uds() -> None:
    server = _flags_server()
    verify_predict_request(
        f"unix:{_socket(server)}", 3.0, VERSION, model_name="default", specify_output=False
    )


@tfserving("testGoodGrpcChannelArgs")
def test_good_grpc_channel_args() -> None:
    server = _flags_server()
    verify_predict_request(server.target, 3.0, VERSION, model_name="default", specify_output=False)


@tfserving("testPredictBatching")
def test_predict_batching() -> None:
    server = _flags_server()
    verify_predict_request(server.target, 3.0, VERSION, model_name="default")
    verify_predict_request(server.target, 3.0, VERSION, model_name="default", specify_output=False)


@tfserving("testModelConfigReloadWithZeroPollPeriod")
def test_model_config_is_read_once_by_default() -> None:
    """--model_config_file_poll_wait_seconds defaults to 0: a rewritten file is ignored."""
    server = _flags_server()
    verify_predict_request(server.target, 3.0, VERSION, model_name="default", specify_output=False)
    config = server.log_path.parent / "models.config"
    three = models()["saved_model_half_plus_three"]
    write_config(config, [model_config.ModelEntry("half_plus_three", three.base_path)])
    poll_period = 0
    time.sleep(poll_period + 1)  # as the original waits
    verify_predict_request(server.target, 3.0, VERSION, model_name="default", specify_output=False)


@tfserving("testModelConfigReload")
def test_model_config_reload(tmp_path: Path) -> None:
    known = models()
    config = write_config(
        tmp_path / "model_config.txt",
        [model_config.ModelEntry("half_plus_two", known["half_plus_two"].base_path)],
    )
    poll_period = 1
    with dedicated_server(
        config,
        ["half_plus_two"],
        tmp_path / "server.log",
        [f"--model_config_file_poll_wait_seconds={poll_period}"],
    ) as server:
        verify_predict_request(
            server.target, 3.0, VERSION, model_name="half_plus_two", specify_output=False
        )
        three = known["saved_model_half_plus_three"].base_path
        write_config(config, [model_config.ModelEntry("half_plus_three", three)])
        time.sleep(poll_period + 1)
        verify_predict_request(
            server.target, 4.0, VERSION, model_name="half_plus_three", specify_output=False
        )


@tfserving("testBadModelConfig")
def test_bad_model_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad_model_config.txt"
    bad.write_text("improperly formatted file")  # testdata/bad_model_config.txt
    output = failed_start(bad)
    assert "Error parsing text-format tensorflow.serving.ModelServerConfig" in output


# -- Version labels (server_core_test.cc, main.cc) -------------------------------------


def _reload(target: str, entries: list[model_config.ModelEntry]) -> None:
    config = text_format.Parse(
        model_config.render_config(entries), model_server_config_pb2.ModelServerConfig()
    )
    model_stub(target).HandleReloadConfigRequest(
        model_management_pb2.ReloadConfigRequest(config=config), 120
    )


def _served_version(target: str, **spec: object) -> int:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = TWO_VERSIONS
    if "version" in spec:
        request.model_spec.version.value = spec["version"]  # type: ignore[assignment]
    if "label" in spec:
        request.model_spec.version_label = spec["label"]  # type: ignore[assignment]
    request.inputs["x"].dtype = types_pb2.DT_FLOAT
    request.inputs["x"].float_val.append(2.0)
    request.inputs["x"].tensor_shape.dim.add().size = 1
    return int(prediction_stub(target).Predict(request, RPC_TIMEOUT).model_spec.version.value)


@tfserving("AssignLabelToUnavailableVersionAllowed", SERVER_CORE)
def test_labels_at_startup_with_the_flag(target: Target) -> None:
    """main.cc's --allow_version_labels_for_unavailable_models: the shared server started
    on a config labelling versions that could not be loaded yet, and the labels resolve."""
    assert _served_version(target.grpc, label="stable") == 123
    assert _served_version(target.grpc, label="canary") == 124


@tfserving("AssignLabelToUnavailableVersion", SERVER_CORE)
def test_labels_at_startup_without_the_flag_refuse_to_start(tmp_path: Path) -> None:
    """Without the flag, the label check runs before any version is loaded: the server
    does not start (main.cc: "Failed to start server. Error: FAILED_PRECONDITION ...")."""
    entry = models()[TWO_VERSIONS]
    config = write_config(tmp_path / "models.config", [entry])
    assert "not currently available for inference" in failed_start(config)


@tfserving("ModelSpecMultipleVersionsAvailable", SERVER_CORE)
def test_latest_specific_and_labelled_versions() -> None:
    server = _flags_server()
    assert _served_version(server.target) == 124
    assert _served_version(server.target, version=123) == 123
    try:
        _reload(server.target, flags_entries({"A": 123, "B": 124}))
        assert _served_version(server.target, label="A") == 123
        assert _served_version(server.target, label="B") == 124
        with pytest.raises(grpc.RpcError) as e:
            _served_version(server.target, label="nonexistent label")
        assert "Unrecognized servable version label" in e.value.details()
    finally:
        _reload(server.target, flags_entries())


@tfserving("AssignLabelToUnavailableVersion", SERVER_CORE)
def test_reload_labelling_an_unloaded_version_fails() -> None:
    server = strict_server()  # started without --allow_version_labels_for_unavailable_models
    known = models()
    entries = [dataclasses.replace(known[n], labels={}) for n in STRICT_MODELS]
    entries = [
        dataclasses.replace(e, labels={"nice try": 777}) if e.name == TWO_VERSIONS else e
        for e in entries
    ]
    with pytest.raises(grpc.RpcError) as e:
        _reload(server.target, entries)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not currently available for inference" in e.value.details()


@tfserving("AssignLabelToUnavailableVersionAllowed", SERVER_CORE)
def test_reload_labelling_an_unloaded_version_with_the_flag() -> None:
    server = _flags_server()
    try:
        _reload(server.target, flags_entries({"nice try": 777}))
        # Resolves, to a version that is not loaded: Servable not found.
        with pytest.raises(grpc.RpcError) as e:
            _served_version(server.target, label="nice try")
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        _reload(server.target, flags_entries())


@tfserving("AssignExistingLabelToUnavailableVersion", SERVER_CORE)
def test_moving_a_label_to_an_unloaded_version_fails() -> None:
    server = _flags_server()
    try:
        _reload(server.target, flags_entries({"A": 123, "B": 124}))
        with pytest.raises(grpc.RpcError) as e:
            _reload(server.target, flags_entries({"A": 777, "B": 124}))
        assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "not currently available for inference" in e.value.details()
        assert _served_version(server.target, label="A") == 123
    finally:
        _reload(server.target, flags_entries())


# -- TF Lite models (--prefer_tflite_model) ------------------------------------------------


@pytest.mark.parametrize(
    ("test", "model"),
    [
        pytest.param("testPredictOnTfLite", "TFLITE", marks=tfserving("testPredictOnTfLite")),
        pytest.param(
            "testPredictWithSignatureDefOnTfLite",
            "TFLITE_WITH_SIGDEF",
            marks=tfserving("testPredictWithSignatureDefOnTfLite"),
        ),
    ],
)
def test_predict_on_tflite(tmp_path: Path, test: str, model: str) -> None:
    from tests.conformance.conftest import MODELS
    from tests.conformance.models import tfserving_testdata

    models()  # builds the TF Lite models too
    folder = MODELS / getattr(tfserving_testdata, model)
    config = write_config(tmp_path / "models.config", [model_config.ModelEntry("default", folder)])
    with dedicated_server(
        config, ["default"], tmp_path / "server.log", ["--prefer_tflite_model=true"]
    ) as server:
        verify_predict_request(
            server.target, 3.0, VERSION, model_name="default", specify_output=False
        )
