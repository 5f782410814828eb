"""Builders of the bring-your-own test models: SavedModels of the kinds teams export.

Each builder writes one SavedModel the way its kind is written in the wild
(Keras 3 `model.export`, `keras.export.ExportArchive`, `tf.Module` with
`tf.saved_model.save`, a TF1 `SavedModelBuilder`, and the seed article's
`tf.saved_model.save(keras_model)`), small enough to build in seconds.
Weights are untrained: the suite compares clients with each other, not with a label.

`python -m tests.byo.build_models OUT` builds every kind into OUT/<kind>/1/ in
this one process (TensorFlow and Keras import once); `tests.byo.models.built()`
runs it and caches the result.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.server.models import build_tf1_examples_model

SEED = 1234


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


def build_two_tower(path: Path, workdir: Path) -> None:
    """Keras 3 functional retrieval model: a user tower and an item embedding, dot product."""
    import keras

    user = keras.Input(shape=(4,), name="user_features", dtype="float32")
    item = keras.Input(shape=(), name="item_id", dtype="int32")
    user_vec = keras.layers.Dense(8, name="user_tower")(user)
    # 1000 ids: synthesized ids (0..9) and a team's small test ids stay in range, as
    # an embedding lookup on CPU refuses an id beyond its table.
    item_vec = keras.layers.Embedding(1000, 8, name="item_tower")(item)
    score = keras.layers.Dot(axes=1, name="affinity")([user_vec, item_vec])
    model = keras.Model({"user_features": user, "item_id": item}, score, name="two_tower")
    model.export(str(path), format="tf_saved_model", verbose=False)


def build_string_lookup(path: Path, workdir: Path) -> None:
    """Keras 3 string classifier: StringLookup over a vocabulary file -> embedding -> softmax."""
    import keras

    vocab = workdir / "colors.txt"
    vocab.write_text("red\ngreen\nblue\nyellow\nblack\n")
    text = keras.Input(shape=(), dtype="string", name="color")
    ids = keras.layers.StringLookup(vocabulary=str(vocab), name="lookup")(text)
    vec = keras.layers.Embedding(8, 4, name="embed")(ids)  # 5 words + 1 OOV bucket
    probs = keras.layers.Dense(3, activation="softmax", name="classes")(vec)
    keras.Model(text, probs, name="color_classifier").export(
        str(path), format="tf_saved_model", verbose=False
    )
    vocab.unlink()  # the copy under assets/ must be what serves


def build_conv_gru(path: Path, workdir: Path) -> None:
    """Keras 3 sequence model: Conv1D then GRU over [batch, time, 8], time dynamic."""
    import keras

    seq = keras.Input(shape=(None, 8), name="sequence")
    x = keras.layers.Conv1D(16, 3, padding="causal", activation="relu", name="conv")(seq)
    x = keras.layers.GRU(12, name="gru")(x)
    probs = keras.layers.Dense(2, activation="softmax", name="probabilities")(x)
    keras.Model(seq, probs, name="conv_gru").export(
        str(path), format="tf_saved_model", verbose=False
    )


def build_archive_topk(path: Path, workdir: Path) -> None:
    """keras.export.ExportArchive: one endpoint answering top-3 ids, labels and scores."""
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [keras.Input(shape=(6,)), keras.layers.Dense(5, name="logits")], name="ranker"
    )
    labels = tf.constant(["news", "sports", "music", "movies", "games"])
    archive = keras.export.ExportArchive()
    archive.track(model)

    def top_k(features):  # type: ignore[no-untyped-def]
        scores, indices = tf.math.top_k(tf.nn.softmax(model(features)), k=3)
        indices = tf.cast(indices, tf.int64)
        return {"indices": indices, "labels": tf.gather(labels, indices), "scores": scores}

    archive.add_endpoint(
        "top_k", top_k, input_signature=[tf.TensorSpec([None, 6], tf.float32, name="features")]
    )
    archive.write_out(str(path), verbose=False)


def build_tf1_examples(path: Path, workdir: Path) -> None:
    build_tf1_examples_model(path)


def build_non_default_only(path: Path, workdir: Path) -> None:
    """tf.Module whose only signature is 'scores': a request must name it."""
    import tensorflow as tf

    class Logistic(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[0.75], [-0.5]])
            self.b = tf.Variable([0.1])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="query")])
        def scores(self, query):  # type: ignore[no-untyped-def]
            logit = tf.squeeze(tf.matmul(query, self.w) + self.b, axis=1)
            return {"probability": tf.sigmoid(logit)}

    m = Logistic()
    tf.saved_model.save(m, str(path), signatures={"scores": m.scores})


def build_two_signatures(path: Path, workdir: Path) -> None:
    """tf.Module with serving_default (float features) and 'embed' (int64 token ids)."""
    import tensorflow as tf

    class Ranker(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [-2.0], [0.5]])
            self.table = tf.Variable(tf.random.stateless_normal([20, 4], seed=[SEED, 0]))

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def score(self, x):  # type: ignore[no-untyped-def]
            return {"y": tf.squeeze(tf.matmul(x, self.w), axis=1)}

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int64, name="tokens")])
        def embed(self, tokens):  # type: ignore[no-untyped-def]
            vectors = tf.gather(self.table, tf.math.floormod(tokens, 20))
            return {
                "embedding": tf.reduce_sum(vectors, axis=1),
                "length": tf.reduce_sum(tf.cast(tokens > 0, tf.int32), axis=1),
            }

    m = Ranker()
    tf.saved_model.save(m, str(path), signatures={"serving_default": m.score, "embed": m.embed})


def build_quantized_dtypes(path: Path, workdir: Path) -> None:
    """tf.Module over quantized data: int8 activations, uint16 sensor counts, float64 gain."""
    import tensorflow as tf

    class Dequantizer(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = tf.Variable(0.05, dtype=tf.float64)
            self.zero_point = tf.Variable(-3.0, dtype=tf.float64)
            self.weights = tf.Variable([0.5, -1.0, 2.0, 0.25], dtype=tf.float64)
            self.out_scale = tf.Variable(0.1, dtype=tf.float64)

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.int8, name="activations"),
                tf.TensorSpec([None, 4], tf.uint16, name="counts"),
                tf.TensorSpec([None], tf.float64, name="gain"),
            ]
        )
        def serve(self, activations, counts, gain):  # type: ignore[no-untyped-def]
            real = (tf.cast(activations, tf.float64) - self.zero_point) * self.scale
            level = tf.cast(counts, tf.float64) / 65535.0
            value = tf.reduce_sum(real * self.weights + level, axis=1) * gain
            # Clip before the cast: casting an out-of-range float to int8 is undefined.
            q = tf.round(real * gain[:, None] / self.out_scale)
            requantized = tf.cast(tf.clip_by_value(q, -128.0, 127.0), tf.int8)
            return {"value": value, "requantized": requantized}

    m = Dequantizer()
    tf.saved_model.save(m, str(path), signatures={"serving_default": m.serve})


def build_scalar_fixed(path: Path, workdir: Path) -> None:
    """tf.Module with a scalar input (temperature) and a fixed-batch [4, 3] input."""
    import tensorflow as tf

    class Calibrated(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = tf.Variable([0.1, 0.0, -0.1])

        @tf.function(
            input_signature=[
                tf.TensorSpec([], tf.float32, name="temperature"),
                tf.TensorSpec([4, 3], tf.float32, name="logits"),
            ]
        )
        def serve(self, temperature, logits):  # type: ignore[no-untyped-def]
            probs = tf.nn.softmax((logits + self.bias) / temperature)
            return {"probabilities": probs, "best": tf.argmax(probs, axis=1)}

    m = Calibrated()
    tf.saved_model.save(m, str(path), signatures={"serving_default": m.serve})


def build_seed_keras_save(path: Path, workdir: Path) -> None:
    """The seed article's export: keras.Sequential saved with tf.saved_model.save (Keras 3)."""
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    tf.saved_model.save(model, str(path))


BUILDERS: dict[str, Callable[[Path, Path], None]] = {
    "two_tower": build_two_tower,
    "string_lookup": build_string_lookup,
    "conv_gru": build_conv_gru,
    "archive_topk": build_archive_topk,
    "tf1_examples": build_tf1_examples,
    "non_default_only": build_non_default_only,
    "two_signatures": build_two_signatures,
    "quantized_dtypes": build_quantized_dtypes,
    "scalar_fixed": build_scalar_fixed,
    "seed_keras_save": build_seed_keras_save,
    "module_scorer": lambda path, workdir: build_module_model(path),
    "string_asset": build_string_asset_model,
}


def build_all(out: Path) -> None:
    """Every kind into out/<kind>/1/; the same seeds before each, so builds repeat exactly."""
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    for name, build in BUILDERS.items():
        # Fresh Keras names and seeds per kind: a kind's bytes do not depend on the others.
        keras.utils.clear_session()
        keras.utils.set_random_seed(SEED)
        with tempfile.TemporaryDirectory(prefix=f"byo-{name}-") as workdir:
            build(out / name / "1", Path(workdir))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.byo.build_models OUT", file=sys.stderr)
        return 2
    out = Path(argv[0])
    for name in BUILDERS:  # only the kinds' own folders: OUT may hold other things
        shutil.rmtree(out / name, ignore_errors=True)
    build_all(out)
    print(f"{len(BUILDERS)} models in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
