"""Small SavedModels the server tests build themselves (not the project's zoo code)."""

from __future__ import annotations

from pathlib import Path


def build_tf1_examples_model(path: Path) -> None:
    """TF1-style graph: classify, regress and predict over serialized tf.Example, predict over x."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        spec = {"x": tf.io.FixedLenFeature([2], tf.float32, default_value=[0.0, 0.0])}
        x = tf.io.parse_example(serialized, spec)["x"]
        w = v1.get_variable("w", initializer=tf.constant([[1.0, -1.0], [0.5, 2.0]]))
        scores = tf.nn.softmax(tf.matmul(x, w))
        classes = tf.tile(tf.constant([["neg", "pos"]]), [tf.shape(x)[0], 1])
        y = tf.reduce_sum(x, axis=1, keepdims=True) * 2.0 + 1.0
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            cls = v1.saved_model.classification_signature_def(serialized, classes, scores)
            reg = v1.saved_model.regression_signature_def(serialized, y)
            pred = v1.saved_model.predict_signature_def({"x": x}, {"scores": scores})
            # As an Estimator exports it: predict over the serialized tf.Examples themselves.
            pred_examples = v1.saved_model.predict_signature_def(
                {"examples": serialized}, {"scores": scores, "classes": classes}
            )
            builder.add_meta_graph_and_variables(
                sess,
                ["serve"],
                signature_def_map={
                    "serving_default": cls,
                    "classify": cls,
                    "regress": reg,
                    "predict_x": pred,
                    "predict": pred_examples,
                },
            )
            builder.save()
