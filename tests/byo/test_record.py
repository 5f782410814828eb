"""`tfinterop record` and its inputs, without clients: what cases a model gets and why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tensorflow.core.example import example_pb2

from tests.byo.models import build_module_model, build_tf1_examples_model
from tfinterop.byo import feature_spec, inputs, record
from tfinterop.golden.cases.manifest import Case
from tfinterop.serving import signature, tensor_codec
from tfinterop.serving.errors import ToolError

NO_VALUES = "No values in 'instances' array"


def _build_probe_model(path: Path) -> None:
    """One tf.Module, one signature per thing a probe must find: a dynamic inner dimension
    (seq), inputs the synthesizer gets wrong (lookup: every id lands past its 3-row table), and a TF2
    predict signature over serialized tf.Examples (parse)."""
    import tensorflow as tf

    class Probed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, 2], tf.float32, name="x")])
        def seq(self, x):  # type: ignore[no-untyped-def]
            return {"total": tf.reduce_sum(x, axis=[1, 2])}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="ids")])
        def lookup(self, ids):  # type: ignore[no-untyped-def]
            return {"value": tf.gather(tf.constant([1.0, 2.0, 3.0]), ids + 10)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
        def parse(self, examples):  # type: ignore[no-untyped-def]
            spec = {"v": tf.io.FixedLenFeature([3], tf.int64)}
            return {"sum": tf.reduce_sum(tf.io.parse_example(examples, spec)["v"], axis=1)}

    m = Probed()
    tf.saved_model.save(
        m, str(path), signatures={"seq": m.seq, "lookup": m.lookup, "parse": m.parse}
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("record_models")
    build_tf1_examples_model(root / "tf1_examples" / "1")
    build_module_model(root / "module_scorer" / "1")
    _build_probe_model(root / "probed" / "1")
    return {name: root / name for name in ("tf1_examples", "module_scorer", "probed")}


@pytest.fixture(scope="module")
def probed(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> record.Recorded:
    return record.record(models["probed"], tmp_path_factory.mktemp("probed_out"))


def _meta(model: Path):  # type: ignore[no-untyped-def]
    return signature.read_meta_graph(model / "1")


def _cases(rec: record.Recorded) -> dict[str, Case]:
    return {c.id: c for c in rec.cases}


def _shape(case: Case, alias: str) -> list[int]:
    return [d.size for d in case.request.inputs[alias].tensor_shape.dim]  # type: ignore[attr-defined]


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


# -- --inputs files -------------------------------------------------------------------------
def test_instances_with_one_input_are_that_inputs_rows(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    doc = {"signature_name": "seq", "instances": [[[1.0, 2.0]], [[3.0, 4.5]]]}
    user = inputs.load(_write(tmp_path / "rows.json", doc))
    meta = _meta(models["probed"])
    inputs.check_keys(user, meta)
    arrays = inputs.arrays_for(user["seq"], meta.signature_def["seq"], "seq")
    assert list(arrays) == ["x"]
    assert arrays["x"].dtype == np.float32
    np.testing.assert_array_equal(arrays["x"], [[[1.0, 2.0]], [[3.0, 4.5]]])


def test_instances_of_objects_give_each_input_its_column(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    doc = {
        "instances": [
            {"features": [1.0, 2.0, 3.0], "bucket": 1},
            {"features": [0.5, 0.0, -1.0], "bucket": 2},
        ]
    }
    user = inputs.load(_write(tmp_path / "rows.json", doc))
    assert set(user) == {"serving_default"}
    meta = _meta(models["module_scorer"])
    arrays = inputs.arrays_for(user["serving_default"], meta.signature_def["serving_default"])
    assert arrays["features"].shape == (2, 3) and arrays["features"].dtype == np.float32
    np.testing.assert_array_equal(arrays["bucket"], np.array([1, 2], np.int32))


def test_instances_rows_must_name_the_same_inputs(tmp_path: Path) -> None:
    doc = {"instances": [{"features": [1.0, 2.0, 3.0], "bucket": 1}, {"features": [1.0, 2.0, 3.0]}]}
    with pytest.raises(ToolError, match=r"instances\[1\] has inputs \['features'\]"):
        inputs.load(_write(tmp_path / "rows.json", doc))


def test_columnar_and_row_documents_in_one_list(tmp_path: Path) -> None:
    docs = [
        {"signature_name": "seq", "inputs": {"x": [[[1.0, 2.0]]]}},
        {"signature_name": "lookup", "instances": [0, 2]},
    ]
    user = inputs.load(_write(tmp_path / "docs.json", docs))
    assert user == {"seq": {"x": [[[1.0, 2.0]]]}, "lookup": {"": [0, 2]}}
    with pytest.raises(ToolError, match="second document for signature 'seq'"):
        inputs.load(_write(tmp_path / "twice.json", [docs[0], docs[0]]))


def test_unreadable_json_names_the_file_and_the_offset_in_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"inputs": [1.0,]}]')
    with pytest.raises(ToolError, match=r"bad.json is not readable JSON: .* at offset: 1[0-9]$"):
        inputs.load(bad)


def test_misspelt_signature_is_refused_with_the_models_inputs(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    path = tmp_path / "typo.npz"
    np.savez(path, **{"serving_defualt/x": np.zeros((1, 3), np.float32)})
    out = tmp_path / "out"
    with pytest.raises(ToolError) as e:
        record.record(models["module_scorer"], out, inputs=path)
    message = str(e.value)
    assert "'serving_defualt'" in message
    assert "serving_default/bucket, serving_default/features" in message
    assert "score_again/bucket" in message
    assert not out.exists(), "nothing is written before the inputs are known to fit"


def test_misspelt_input_alias_is_refused(tmp_path: Path, models: dict[str, Path]) -> None:
    user = inputs.load(_write(tmp_path / "a.json", {"inputs": {"featurez": [[1.0, 2.0, 3.0]]}}))
    with pytest.raises(ToolError, match="serving_default/featurez, which the model does not have"):
        inputs.check_keys(user, _meta(models["module_scorer"]))


def test_unnamed_input_for_a_signature_with_two_is_refused(
    tmp_path: Path, models: dict[str, Path]
) -> None:
    user = inputs.load(_write(tmp_path / "a.json", {"instances": [[1.0, 2.0, 3.0]]}))
    with pytest.raises(ToolError, match="one unnamed input, but it takes 2"):
        inputs.check_keys(user, _meta(models["module_scorer"]))


# -- synthesized probes ----------------------------------------------------------------------
def test_dynamic_batch_is_probed_at_one_three_and_empty(probed: record.Recorded) -> None:
    cases = _cases(probed)
    assert {i for i in cases if i.startswith("predict-seq")} == {
        "predict-seq-batch1",
        "predict-seq-batch3",
        "predict-seq-inner5",
        "predict-seq-empty",
    }
    assert _shape(cases["predict-seq-batch1"], "x") == [1, 3, 2]
    assert _shape(cases["predict-seq-batch3"], "x") == [3, 3, 2]
    assert _shape(cases["predict-seq-inner5"], "x") == [2, 5, 2]
    assert _shape(cases["predict-seq-empty"], "x") == [0, 3, 2]
    assert probed.coverage[("seq", "predict")] == [
        "predict-seq-batch1",
        "predict-seq-batch3",
        "predict-seq-inner5",
    ], "an empty batch's outputs hold no values: it covers nothing"


def test_empty_batch_states_tf_servings_rest_answer(probed: record.Recorded) -> None:
    empty = _cases(probed)["predict-seq-empty"]
    # gRPC and in-process run the [0, 3, 2] tensor; REST sends {"instances": []}, which
    # json_tensor.cc FillPredictRequestFromJson refuses before the model runs.
    assert empty.error is None and empty.response is not None
    assert [d.size for d in empty.response.outputs["total"].tensor_shape.dim] == [0]  # type: ignore[attr-defined]
    assert empty.rest_format == "row"
    assert empty.transport_errors == {"rest": "INVALID_ARGUMENT"}
    assert NO_VALUES in empty.description
    assert "rest" in empty.transports


def test_signature_refusing_its_synthesized_inputs_is_not_covered(
    probed: record.Recorded,
) -> None:
    cases = _cases(probed)
    lookup = [c for i, c in cases.items() if i.startswith("predict-lookup-")]
    assert lookup and all(c.error == "INVALID_ARGUMENT" for c in lookup if "empty" not in c.id)
    assert ("lookup", "predict") not in probed.coverage
    reason = probed.uncovered[("lookup", "predict")]
    assert reason.startswith("only error cases ran it: TF Serving refuses the synthesized inputs")
    assert f"signature 'lookup': {reason}" in probed.not_covered
    note = next(n for n in probed.notes if n.startswith("signature 'lookup'"))
    assert "the synthesized inputs were refused (INVALID_ARGUMENT" in note
    assert "give real ones with --inputs" in note
    assert not any("the your" in n for n in probed.notes + probed.not_covered)


def test_tf2_signature_over_examples_gets_examples_from_its_spec(
    probed: record.Recorded,
) -> None:
    case = _cases(probed)["predict-parse-batch3"]
    values = case.request.inputs["examples"].string_val  # type: ignore[attr-defined]
    assert len(values) == 3
    example = example_pb2.Example.FromString(values[0])
    assert len(example.features.feature["v"].int64_list.value) == 3
    assert case.error is None
    assert probed.coverage[("parse", "predict")] == ["predict-parse-batch1", "predict-parse-batch3"]


def test_tf1_predict_signature_over_examples_expects_outputs(
    models: dict[str, Path], tmp_path: Path
) -> None:
    rec = record.record(models["tf1_examples"], tmp_path)
    cases = _cases(rec)
    batch3 = cases["predict-predict-batch3"]
    serialized = batch3.request.inputs["examples"].string_val  # type: ignore[attr-defined]
    assert [
        len(example_pb2.Example.FromString(s).features.feature["x"].float_list.value)
        for s in serialized
    ] == [2, 2, 2]
    assert batch3.error is None and set(batch3.response.outputs) == {"classes", "scores"}  # type: ignore[union-attr]
    assert rec.coverage[("predict", "predict")] == [
        "predict-predict-batch1",
        "predict-predict-batch3",
    ]
    assert rec.coverage[("classify", "classify")] == ["classify-classify"]
    assert rec.coverage[("regress", "regress")] == ["regress-regress"]
    assert rec.uncovered == {} and rec.not_covered == []


def test_feature_spec_is_the_one_the_signature_input_feeds() -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        first = v1.placeholder(tf.string, [None], name="first")
        second = v1.placeholder(tf.string, [None], name="second")
        tf.io.parse_example(first, {"a": tf.io.FixedLenFeature([1], tf.float32)})
        tf.io.parse_example(
            tf.identity(second),
            {"b": tf.io.FixedLenFeature([2], tf.int64), "c": tf.io.VarLenFeature(tf.string)},
        )
        meta = v1.train.export_meta_graph(graph=graph)
    assert [f.name for f in feature_spec.read(meta, "second:0")] == ["b", "c"]
    assert [f.name for f in feature_spec.read(meta, "first:0")] == ["a"]
    assert [f.name for f in feature_spec.read(meta)] == ["a"]
    with pytest.raises(LookupError, match="feeds no ParseExample"):
        feature_spec.read(meta, "nothing:0")


# -- the user's inputs -----------------------------------------------------------------------
def test_user_rows_are_recorded_with_the_probes_their_rows_give(
    models: dict[str, Path], tmp_path: Path
) -> None:
    doc = {
        "instances": [
            {"features": [1.0, 2.0, 3.0], "bucket": 1},
            {"features": [0.5, 0.0, -1.0], "bucket": 2},
        ]
    }
    rec = record.record(
        models["module_scorer"], tmp_path / "out", inputs=_write(tmp_path / "rows.json", doc)
    )
    cases = _cases(rec)
    mine = sorted(i for i in cases if i.startswith("predict-serving_default"))
    assert mine == [
        "predict-serving_default",
        "predict-serving_default-batch1",
        "predict-serving_default-batch3",
        "predict-serving_default-empty",
    ]
    assert "your inputs" in cases["predict-serving_default"].description
    batch3 = tensor_codec.to_ndarray(
        cases["predict-serving_default-batch3"].request.inputs["bucket"]  # type: ignore[attr-defined]
    )
    np.testing.assert_array_equal(batch3, [1, 2, 1])
    assert _shape(cases["predict-serving_default-batch1"], "features") == [1, 3]
    assert cases["predict-serving_default-empty"].transport_errors == {"rest": "INVALID_ARGUMENT"}
    # The other signature still gets synthesized probes.
    assert "predict-score_again-batch1" in cases


def test_user_inputs_the_model_refuses_are_named_as_yours(
    models: dict[str, Path], tmp_path: Path
) -> None:
    doc = {"signature_name": "lookup", "instances": [0, 1]}
    rec = record.record(models["probed"], tmp_path / "out", inputs=_write(tmp_path / "a.json", doc))
    assert _cases(rec)["predict-lookup"].error == "INVALID_ARGUMENT"
    note = next(n for n in rec.notes if n.startswith("signature 'lookup'"))
    assert note.startswith("signature 'lookup': your inputs were refused (INVALID_ARGUMENT: ")
    assert rec.uncovered[("lookup", "predict")].startswith(
        "only error cases ran it: TF Serving refuses your inputs"
    )


def test_regress_signature_over_plain_tensors_is_covered_through_predict(tmp_path: Path) -> None:
    """TF Serving's own half_plus_two: regress_x2_to_y3 takes a float tensor, not tf.Examples,
    so Regress refuses it; Predict serves a signature of any method, and record uses it."""
    model = Path(__file__).resolve().parents[2] / "build" / "models" / "half_plus_two"
    rec = record.record(model, tmp_path)
    ids = rec.coverage[("regress_x2_to_y3", "regress")]
    assert ids and all(i.startswith("predict-regress_x2_to_y3-") for i in ids)
    assert ("regress_x2_to_y3", "regress") not in rec.uncovered
    # A signature that does read tf.Examples is covered by its own API, with no predict case.
    assert rec.coverage[("regress_x_to_y", "regress")] == ["regress-regress_x_to_y"]
