"""TF Serving's test models, written as its testdata scripts write them.

Names and version folders are those of tensorflow_serving/servables/tensorflow/testdata
(and of TensorFlow's tensorflow/cc/saved_model/testdata/half_plus_two, which TF
Serving's C++ tests load as `half_plus_two`):

- saved_model_half_plus_two_cpu, saved_model_half_plus_three: the TF1 half-plus-two
  graph of saved_model_half_plus_two.py (y = 0.5x + 2, resp. + 3), five signatures
- half_plus_two: TensorFlow's copy, with the sixth signature classify_x2_to_y3
- saved_model_half_plus_two_2_versions: that model as versions 123 and 124, served as
  `test_model` (server_core_test.cc's kTestModelName)
- saved_model_half_plus_two_tf2_cpu: the TF2 export (tf.Module), every signature
  method predict, as half_plus_two_tf2_2_versions_metadata.json shows it
- saved_model_counter: export_counter.py, TF1 reference variables (DT_FLOAT_REF)

and models standing in for what TF Serving's tests fake or build on the fly:

- fake_classifier, fake_regressor: real graphs doing what the FakeSession and
  MockSession of classifier_test.cc / regressor_test.cc do (copy the class/score or
  output features of each tf.Example; malformed outputs; a failing run)
- tf_saved_model_save, tf_saved_model_save_multiple_signatures,
  keras_sequential_saved_model_save: the models tensorflow_model_server_test.py
  saves in its test methods
- saved_model_half_plus_two_tflite and saved_model_half_plus_two_tflite_with_sigdef
  (model.tflite, the second with its SignatureDef in the model's metadata; not in the
  config: only a server started with --prefer_tflite_model serves them) and TF
  Serving's monitoring_config.txt

good_model_config.txt's `half_plus_three` is saved_model_half_plus_three under that
name, and test_model carries labels stable -> 123 and canary -> 124, so the server
must start with --allow_version_labels_for_unavailable_models.

Every model lives in version folder 00000123 (TF Serving's kTestModelVersion).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tfinterop.models.zoo.half_plus_two import VERSION_FOLDER, write_tf1
from tfinterop.serving import model_config

CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
PREDICT = "tensorflow/serving/predict"
UNSUPPORTED_METHOD = "not/supported/method"
TFLITE = "saved_model_half_plus_two_tflite"
TFLITE_WITH_SIGDEF = "saved_model_half_plus_two_tflite_with_sigdef"
TWO_VERSIONS_MODEL = "test_model"  # server_core_test.cc's name for the 2-version model
MONITORING_CONFIG = "monitoring_config.txt"  # TF Serving's testdata file of that name


def build(root: Path) -> list[model_config.ModelEntry]:
    """Write every model under root; return their config entries."""
    entries = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)

        def tf1(name: str, **kw: object) -> Path:
            base = _fresh(root / name)
            write_tf1(base / VERSION_FOLDER, work, **kw)  # type: ignore[arg-type]
            return base

        for name, kw in (
            ("saved_model_half_plus_two_cpu", {}),
            ("saved_model_half_plus_three", {"b": 3.0}),
            ("half_plus_two", {"classify_x2_to_y3": True}),
        ):
            entries.append(model_config.ModelEntry(name, tf1(name, **kw)))
        # good_model_config.txt serves saved_model_half_plus_three as half_plus_three.
        entries.append(
            model_config.ModelEntry("half_plus_three", root / "saved_model_half_plus_three")
        )
        two = tf1("saved_model_half_plus_two_2_versions", classify_x2_to_y3=True)
        shutil.copytree(two / VERSION_FOLDER, two / "00000124")
        # Served as server_core_test.cc serves it (kTestModelName, both versions); the
        # REST handler test's generator (dtype_models) serves it under its own name.
        entries.append(
            model_config.ModelEntry(
                TWO_VERSIONS_MODEL, two, policy="all", labels={"stable": 123, "canary": 124}
            )
        )
    for name, writer in (
        ("saved_model_half_plus_two_tf2_cpu", _tf2_half_plus_two),
        ("saved_model_counter", _counter),
        ("fake_classifier", _fake_classifier),
        ("fake_regressor", _fake_regressor),
        ("tf_saved_model_save", _tf_saved_model_save),
        ("tf_saved_model_save_multiple_signatures", _tf_saved_model_save_multiple_signatures),
        ("keras_sequential_saved_model_save", _keras_sequential),
    ):
        base = _fresh(root / name)
        writer(base / VERSION_FOLDER)
        entries.append(model_config.ModelEntry(name, base))
    # Served only by a server started with TF Lite enabled, so not in the config.
    _tflite_half_plus_two(_fresh(root / TFLITE) / VERSION_FOLDER)
    _tflite_half_plus_two(_fresh(root / TFLITE_WITH_SIGDEF) / VERSION_FOLDER, with_sigdef=True)
    (root / MONITORING_CONFIG).write_text(
        'prometheus_config: {\n  enable: true,\n  path: "/monitoring/prometheus/metrics"\n}\n'
    )
    return entries


def _tflite_half_plus_two(path: Path, with_sigdef: bool = False) -> None:
    """saved_model_half_plus_two_tflite(_with_sigdef)/model.tflite as the script's
    as_tflite(_with_sigdef) writes it: y = 0.5x + 2 converted from the TF1 session with x
    of shape [1, 1] (named `x`, or `tflite_input` with the SignatureDef), and with_sigdef
    the predict SignatureDef (x -> y) in the model's "signature_defs" metadata, as
    lite/tools/signature's set_signature_defs stores it."""
    import tensorflow as tf

    v1 = tf.compat.v1
    with v1.Session(graph=tf.Graph()) as sess:
        a = v1.Variable(0.5, name="a")
        b = v1.Variable(2.0, name="b")
        x_in = v1.placeholder(tf.float32, shape=[1, 1], name="x_in")
        x = tf.ensure_shape(x_in, (1, 1), name="tflite_input" if with_sigdef else "x")
        y = tf.identity(tf.add(tf.multiply(a, x), b), name="y")
        sess.run(v1.global_variables_initializer())
        model = v1.lite.TFLiteConverter.from_session(sess, [x], [y]).convert()
        if with_sigdef:
            sig = v1.saved_model.signature_def_utils.build_signature_def(
                {"x": v1.saved_model.utils.build_tensor_info(x)},
                {"y": v1.saved_model.utils.build_tensor_info(y)},
                PREDICT,
            )
            model = _with_signature_defs(model, {"serving_default": sig.SerializeToString()})
    path.mkdir(parents=True)
    (path / "model.tflite").write_bytes(model)


def _with_signature_defs(model: bytes, signature_defs: dict[str, bytes]) -> bytes:
    """SetSignatureDefMap: the model with a "signature_defs" metadata entry, a flexbuffer
    map of key -> serialized SignatureDef (as strings, like the C++ writer's fbb.String)."""
    from flatbuffers import flexbuffers
    from tensorflow.lite.tools import flatbuffer_utils

    fbb = flexbuffers.Builder()
    with fbb.Map():
        for key, value in signature_defs.items():
            fbb.Key(key)
            # Builder.String takes text only; the C++ writer stores the proto's bytes.
            fbb._WriteBlob(value, append_zero=True, type_=flexbuffers.Type.STRING)
    data = fbb.Finish()
    mutable = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    from tensorflow.lite.python import schema_py_generated as schema

    buffer = schema.BufferT()
    buffer.data = list(data)
    mutable.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = "signature_defs"
    entry.buffer = len(mutable.buffers) - 1
    mutable.metadata = [*(mutable.metadata or []), entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(mutable))


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder.resolve()


def _tf2_half_plus_two(path: Path) -> None:
    """The TF2 half-plus-two: a tf.Module whose six signatures all have method predict."""
    import tensorflow as tf

    def parse(serialized, feature):  # type: ignore[no-untyped-def]
        spec = {feature: tf.io.FixedLenFeature([1], tf.float32, default_value=[0.0])}
        return tf.io.parse_example(serialized, spec)[feature]

    class HalfPlusTwo(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = tf.Variable(0.5, name="a")
            self.b = tf.Variable(2.0, name="b")
            self.c = tf.Variable(3.0, name="c")

        @tf.function(input_signature=[tf.TensorSpec([1], tf.float32, name="x")])
        def predict(self, x):  # type: ignore[no-untyped-def]
            return {"y": self.a * x + self.b}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
        def regress_x_to_y(self, inputs):  # type: ignore[no-untyped-def]
            return {"outputs": self.a * parse(inputs, "x") + self.b}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
        def regress_x_to_y2(self, inputs):  # type: ignore[no-untyped-def]
            return {"outputs": self.a * parse(inputs, "x") + self.c}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
        def classify_x_to_y(self, inputs):  # type: ignore[no-untyped-def]
            return {"scores": self.a * parse(inputs, "x") + self.b}

        @tf.function(input_signature=[tf.TensorSpec([1], tf.float32, name="inputs")])
        def regress_x2_to_y3(self, inputs):  # type: ignore[no-untyped-def]
            return {"outputs": self.a * inputs + self.c}

        @tf.function(input_signature=[tf.TensorSpec([1], tf.float32, name="inputs")])
        def classify_x2_to_y3(self, inputs):  # type: ignore[no-untyped-def]
            return {"scores": self.a * inputs + self.c}

    m = HalfPlusTwo()
    tf.saved_model.save(
        m,
        str(path),
        signatures={
            "serving_default": m.predict,
            "regress_x_to_y": m.regress_x_to_y,
            "regress_x_to_y2": m.regress_x_to_y2,
            "classify_x_to_y": m.classify_x_to_y,
            "regress_x2_to_y3": m.regress_x2_to_y3,
            "classify_x2_to_y3": m.classify_x2_to_y3,
        },
    )


def _tf1_save(path: Path, build_graph) -> None:  # type: ignore[no-untyped-def]
    """A TF1 SavedModelBuilder export of the signatures `build_graph()` returns."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        signatures = build_graph()
        sess.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=signatures)
        builder.save()


def _signature(inputs: dict, outputs: dict, method: str | None):  # type: ignore[no-untyped-def,type-arg]
    import tensorflow as tf

    v1 = tf.compat.v1
    info = v1.saved_model.utils.build_tensor_info
    return v1.saved_model.signature_def_utils.build_signature_def(
        {k: info(t) for k, t in inputs.items()},
        {k: info(t) for k, t in outputs.items()},
        method,
    )


def _counter(path: Path) -> None:
    """export_counter.py: a reference variable read, incremented and reset by signatures."""
    import tensorflow as tf

    def graph():  # type: ignore[no-untyped-def]
        v1 = tf.compat.v1
        counter = v1.Variable(0.0, dtype=tf.float32, name="counter", use_resource=False)
        with tf.name_scope("incr_counter_op"):
            incr = counter.assign_add(1.0)
        delta = v1.placeholder(dtype=tf.float32, name="delta")
        with tf.name_scope("incr_counter_by_op"):
            incr_by = counter.assign_add(delta)
        with tf.name_scope("reset_counter_op"):
            reset = counter.assign(0.0)
        return {
            "get_counter": _signature({}, {"output": counter}, PREDICT),
            "incr_counter": _signature({}, {"output": incr}, PREDICT),
            "incr_counter_by": _signature({"delta": delta}, {"output": incr_by}, PREDICT),
            "reset_counter": _signature({}, {"output": reset}, PREDICT),
        }

    _tf1_save(path, graph)


def _failing(tensor):  # type: ignore[no-untyped-def]
    """`tensor`, behind an assertion that always fails: MockSession's failed Run."""
    import tensorflow as tf

    check = tf.debugging.Assert(tf.constant(False), ["Run totally failed"])
    with tf.control_dependencies([check]):
        return tf.identity(tensor)


def _fake_classifier(path: Path) -> None:
    """classifier_test.cc's fixture as a graph: each Example's bytes feature "class" and
    float feature "score" become the classes and scores of its row."""
    import tensorflow as tf

    def graph():  # type: ignore[no-untyped-def]
        v1 = tf.compat.v1
        serialized = v1.placeholder(tf.string, [None], name="input")
        parsed = tf.io.parse_example(
            serialized,
            {"class": tf.io.VarLenFeature(tf.string), "score": tf.io.VarLenFeature(tf.float32)},
        )
        classes = tf.identity(tf.sparse.to_dense(parsed["class"], default_value=""), "output")
        scores = tf.identity(tf.sparse.to_dense(parsed["score"]), "score")
        plus_one = tf.identity(scores + 1.0, "outputPlusOne")
        rows = tf.shape(scores)
        improper = tf.zeros(tf.stack([rows[0], rows[1], 10]), name="ImproperlySizedScores")
        wide = tf.concat([scores, tf.zeros_like(scores[:, :1])], axis=1)
        inp = {"inputs": serialized}
        both = {"classes": classes, "scores": scores}
        return {
            "serving_default": _signature(inp, both, CLASSIFY),
            "output_plus_one": _signature(inp, {"classes": classes, "scores": plus_one}, CLASSIFY),
            "invalid_regression_signature": _signature(inp, {"outputs": plus_one}, REGRESS),
            "ImproperlySizedScoresSignature": _signature(
                inp, {"classes": classes, "scores": improper}, CLASSIFY
            ),
            "classes_only": _signature(inp, {"classes": classes}, CLASSIFY),
            "scores_only": _signature(inp, {"scores": scores}, CLASSIFY),
            "empty": _signature({}, {}, None),
            "unsupported_method": _signature(inp, both, UNSUPPORTED_METHOD),
            "no_method": _signature(inp, both, None),
            # What classifier_test.cc's MockSession returns.
            "classes_wrong_batch": _signature(
                inp, {"classes": classes[:1], "scores": scores}, CLASSIFY
            ),
            "classes_wrong_type": _signature(inp, {"classes": scores, "scores": scores}, CLASSIFY),
            "scores_wrong_batch": _signature(
                inp, {"classes": classes, "scores": scores[:1]}, CLASSIFY
            ),
            "scores_wrong_type": _signature(inp, {"classes": classes, "scores": classes}, CLASSIFY),
            "mismatched_classes": _signature(inp, {"classes": classes, "scores": wide}, CLASSIFY),
            "run_fails": _signature(
                inp, {"classes": _failing(classes), "scores": scores}, CLASSIFY
            ),
        }

    _tf1_save(path, graph)


def _fake_regressor(path: Path) -> None:
    """regressor_test.cc's fixture as a graph: each Example's float feature "output" is
    its regression."""
    import tensorflow as tf

    def graph():  # type: ignore[no-untyped-def]
        v1 = tf.compat.v1
        serialized = v1.placeholder(tf.string, [None], name="input")
        feature = tf.io.parse_example(
            serialized, {"output": tf.io.FixedLenFeature([1], tf.float32)}
        )["output"]
        output = tf.reshape(feature, [-1], name="output")  # [batch]
        plus_one = tf.identity(feature + 1.0, "outputPlusOne")  # [batch, 1]
        improper = tf.zeros(tf.stack([tf.shape(output)[0], 1, 10]), name="ImproperlySizedOutput")
        inp = {"inputs": serialized}
        return {
            "serving_default": _signature(inp, {"outputs": output}, REGRESS),
            "output_plus_one": _signature(inp, {"outputs": plus_one}, REGRESS),
            "invalid_classification_signature": _signature(inp, {"classes": plus_one}, CLASSIFY),
            "ImproperlySizedOutputSignature": _signature(inp, {"outputs": improper}, REGRESS),
            "empty": _signature({}, {}, None),
            "unsupported_method": _signature(inp, {"outputs": output}, UNSUPPORTED_METHOD),
            "no_method": _signature(inp, {"outputs": output}, None),
            # What regressor_test.cc's MockSession returns.
            "wrong_batch": _signature(
                inp, {"outputs": tf.zeros([2]) + 0.0 * tf.reduce_sum(output)}, REGRESS
            ),
            "wrong_type": _signature(inp, {"outputs": tf.strings.as_string(output)}, REGRESS),
            "run_fails": _signature(inp, {"outputs": _failing(output)}, REGRESS),
        }

    _tf1_save(path, graph)


def _tf_saved_model_save(path: Path) -> None:
    """test_tf_saved_model_save: y = v1 * v2 * x with v1 = 3, v2 = 2."""
    import tensorflow as tf

    root = tf.train.Checkpoint()
    root.v1 = tf.Variable(3.0)
    root.v2 = tf.Variable(2.0)
    root.f = tf.function(lambda x: {"y": root.v1 * root.v2 * x})
    to_save = root.f.get_concrete_function(tf.TensorSpec(None, tf.float32))
    tf.saved_model.save(root, str(path), to_save)


def _tf_saved_model_save_multiple_signatures(path: Path) -> None:
    """test_tf_saved_model_save_multiple_signatures: serving_default -> 1, custom -> 2."""
    import tensorflow as tf

    root = tf.train.Checkpoint()
    root.f = tf.function(lambda x: {"y": 1.0}, input_signature=[tf.TensorSpec(None, tf.float32)])
    root.g = tf.function(lambda x: {"y": 2.0}, input_signature=[tf.TensorSpec(None, tf.float32)])
    tf.saved_model.save(
        root, str(path), signatures={"serving_default": root.f, "custom_signature_key": root.g}
    )


def _keras_sequential(path: Path) -> None:
    """test_sequential_keras_saved_model_save: Input x, an identity Lambda named y."""
    import keras
    import tensorflow as tf

    model = keras.models.Sequential()
    model.add(keras.layers.Input(dtype="float32", shape=(1,), name="x"))
    model.add(keras.layers.Lambda(lambda x: x, name="y"))
    tf.saved_model.save(model, str(path))
