"""SavedModels built by the tests, not by the project's zoo: what users bring."""

from __future__ import annotations

from pathlib import Path

from tests.server.models import build_tf1_examples_model

__all__ = ["build_module_model", "build_string_asset_model", "build_tf1_examples_model"]


def build_module_model(path: Path) -> None:
    """A tf.Module with a custom tf.function input signature: two inputs, fixed inner shapes."""
    import tensorflow as tf

    class Scorer(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[0.5], [-1.0], [2.0]], dtype=tf.float32)

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 3], tf.float32, name="features"),
                tf.TensorSpec([None], tf.int32, name="bucket"),
            ]
        )
        def score(self, features, bucket):  # type: ignore[no-untyped-def]
            raw = tf.squeeze(tf.matmul(features, self.w), axis=1)
            return {"score": raw + tf.cast(bucket, tf.float32), "positive": raw > 0}

    m = Scorer()
    tf.saved_model.save(
        m, str(path), signatures={"serving_default": m.score, "score_again": m.score}
    )


def build_string_asset_model(path: Path, workdir: Path) -> None:
    """A label lookup through a string asset: string in, int64 id and string label out."""
    import tensorflow as tf

    labels = workdir / "labels.txt"
    labels.write_text("apple\nbanana\ncherry\n")

    class Labels(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            init = tf.lookup.TextFileInitializer(
                str(labels),
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticHashTable(init, default_value=-1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="fruit")])
        def lookup(self, fruit):  # type: ignore[no-untyped-def]
            return {"id": self.table.lookup(fruit), "upper": tf.strings.upper(fruit)}

    m = Labels()
    tf.saved_model.save(m, str(path), signatures={"serving_default": m.lookup})
    labels.unlink()  # the asset copy inside the SavedModel must be what serves
