"""The seed article's MNIST classifier, trained deterministically."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfinterop.models.data import Dataset

log = logging.getLogger(__name__)

SEED = 1234


@dataclass(frozen=True)
class Epochs:
    """Epochs for version 1, and the further epochs that make version 2."""

    v1: int
    v2_extra: int


DEFAULT_EPOCHS = {"mnist": Epochs(2, 2), "digits": Epochs(10, 10)}


def make_deterministic(seed: int = SEED) -> None:
    """Fixed seeds and deterministic kernels: two runs give identical variables."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build_model() -> Any:
    """Flatten 28x28 -> Dense 128 relu -> Dense 10 softmax; adam; sparse CE (the seed)."""
    import keras

    inputs = keras.Input(shape=(28, 28), name="image")
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(128, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="mnist")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, data: Dataset, epochs: int, initial_epoch: int = 0) -> float:  # type: ignore[no-untyped-def]
    """Train (Keras prints one line per epoch) and return held-out accuracy."""
    model.fit(
        data.x_train,
        data.y_train,
        epochs=initial_epoch + epochs,
        initial_epoch=initial_epoch,
        batch_size=32,
        shuffle=True,
        verbose=2,
    )
    _, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    return float(accuracy)


def weights_digest(model) -> str:  # type: ignore[no-untyped-def]
    """sha256 over every variable, to show two trainings are identical."""
    import hashlib

    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()
