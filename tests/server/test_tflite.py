"""TF Lite models as TF Serving serves them with --prefer_tflite_model (tflite_session.cc):
signatures from the model's metadata or its tensor names, inputs resized per request, the
loader's and the run's errors, and the server choosing model.tflite only with the flag."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import requests

from tests.conformance.models.tfserving_testdata import _tflite_half_plus_two, _with_signature_defs
from tfinterop.harness.server_process import bundled_server
from tfinterop.server.tflite_servable import TfLiteServable, metadata_signature_defs
from tfinterop.serving import model_config
from tfinterop.serving.errors import Code, ServingError


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """saved_model_half_plus_two_tflite/00000123: tensors x and y, no SignatureDef."""
    path = tmp_path_factory.mktemp("tflite") / "plain" / "00000123"
    _tflite_half_plus_two(path)
    return path


@pytest.fixture(scope="module")
def with_sigdef(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """..._with_sigdef/00000123: tensor tflite_input, SignatureDef x -> tflite_input:0."""
    path = tmp_path_factory.mktemp("tflite") / "sigdef" / "00000123"
    _tflite_half_plus_two(path, with_sigdef=True)
    return path


def test_without_metadata_one_predict_signature_is_made_of_the_tensor_names(plain: Path) -> None:
    servable = TfLiteServable("m", 123, plain)
    sigs = servable.meta_graph.signature_def
    assert list(sigs) == ["serving_default"]
    sig = sigs["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert {a: i.name for a, i in sig.inputs.items()} == {"x": "x"}
    assert {a: i.name for a, i in sig.outputs.items()} == {"y": "y"}
    assert [d.size for d in sig.inputs["x"].tensor_shape.dim] == [1, 1]


def test_metadata_signatures_keep_their_aliases_with_names_fixed_to_the_model(
    with_sigdef: Path,
) -> None:
    raw = metadata_signature_defs((with_sigdef / "model.tflite").read_bytes())
    assert raw["serving_default"].inputs["x"].name == "tflite_input:0"  # as the script wrote it
    sig = TfLiteServable("m", 123, with_sigdef).meta_graph.signature_def["serving_default"]
    assert sig.inputs["x"].name == "tflite_input"  # FixTfLiteTensorName's legacy form
    assert sig.outputs["y"].name == "y"


def test_an_input_of_another_shape_is_resized_and_each_request_gets_its_own_answer(
    plain: Path,
) -> None:
    servable = TfLiteServable("m", 123, plain, interpreters=2)
    one = servable.run("serving_default", {"x": np.array([2.0], np.float32)}, ["y"])
    two = servable.run("serving_default", {"x": np.array([[2.0], [4.0]], np.float32)}, ["y"])
    again = servable.run("serving_default", {"x": np.array([[6.0]], np.float32)}, ["y"])
    assert one["y"].tolist() == [3.0]
    assert two["y"].tolist() == [[3.0], [4.0]]
    assert again["y"].tolist() == [[5.0]]


def test_a_feed_of_the_wrong_type_is_invalid_argument(plain: Path) -> None:
    servable = TfLiteServable("m", 123, plain)
    with pytest.raises(ServingError) as e:
        servable.run("serving_default", {"x": np.array([[2]], np.int32)}, ["y"])
    assert e.value.code == Code.INVALID_ARGUMENT
    assert "DT_FLOAT" in str(e.value)


def test_a_metadata_signature_naming_a_missing_tensor_does_not_load(
    plain: Path, tmp_path: Path
) -> None:
    from tensorflow.core.protobuf import meta_graph_pb2

    sig = meta_graph_pb2.SignatureDef(method_name="tensorflow/serving/predict")
    sig.inputs["x"].name = "nowhere:0"
    sig.outputs["y"].name = "y:0"
    model = _with_signature_defs(
        (plain / "model.tflite").read_bytes(), {"serving_default": sig.SerializeToString()}
    )
    folder = tmp_path / "00000123"
    folder.mkdir()
    (folder / "model.tflite").write_bytes(model)
    with pytest.raises(ServingError) as e:
        TfLiteServable("m", 123, folder)
    assert e.value.code == Code.INTERNAL
    assert "Unknown tensor 'nowhere:0'" in str(e.value)


def test_the_server_serves_model_tflite_only_with_prefer_tflite_model(
    plain: Path, tmp_path: Path
) -> None:
    config = tmp_path / "models.config"
    config.write_text(model_config.render_config([model_config.ModelEntry("lite", plain.parent)]))
    with bundled_server(config, ["lite"], tmp_path / "lite.log", ["--prefer_tflite_model"]) as s:
        r = requests.post(f"{s.rest_url}/v1/models/lite:predict", json={"instances": [[2.0]]})
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": [[3.0]]}
        meta = requests.get(f"{s.rest_url}/v1/models/lite/metadata").json()
        sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert sig["inputs"]["x"]["name"] == "x"
        assert meta["model_spec"]["version"] == "123"
    # Without the flag the folder's SavedModel is loaded, and it has none.
    with bundled_server(config, ["lite"], tmp_path / "saved.log") as s:
        r = requests.post(f"{s.rest_url}/v1/models/lite:predict", json={"instances": [[2.0]]})
        assert r.status_code != 200, r.text
        status = requests.get(f"{s.rest_url}/v1/models/lite").json()["model_version_status"]
        assert status[0]["status"]["error_code"] != "OK", status
        assert "SavedModel file does not exist" in status[0]["status"]["error_message"]
