"""Training data: Keras MNIST when cached or reachable, else scikit-learn's digits at 28x28.

The fallback is a real handwritten-digit data set shipped inside a package
(1,797 8x8 scans from UCI), resampled like MNIST (digit in a 20x20 box, centred
in 28x28), so offline machines and CI train on real data, never on noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from tfinterop.serving.errors import ToolError, UsageError

log = logging.getLogger(__name__)

CHOICES = ("auto", "mnist", "digits")


@dataclass(frozen=True)
class Dataset:
    name: str  # "mnist" or "digits"
    source: str  # where it came from, for the manifest
    x_train: np.ndarray  # float32 [N, 28, 28] in [0, 1]
    y_train: np.ndarray  # int64 [N]
    x_test: np.ndarray
    y_test: np.ndarray


def check_choice(choice: str) -> None:
    if choice not in CHOICES:
        raise UsageError(f"unknown --dataset {choice!r}; choose one of {', '.join(CHOICES)}")


def load(choice: str) -> Dataset:
    """Load the data set `choice`; 'auto' falls back to digits with one line on stderr."""
    check_choice(choice)
    if choice == "digits":
        return load_digits()
    try:
        return load_mnist()
    except Exception as e:
        if choice == "mnist":
            raise ToolError(f"MNIST could not be loaded: {_first_line(e)}") from None
        log.warning(
            "MNIST not cached and not reachable (%s); using scikit-learn digits resampled "
            "to 28x28 instead (--dataset digits)",
            _first_line(e),
        )
        return load_digits()


def load_mnist() -> Dataset:
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return Dataset(
        name="mnist",
        source="keras.datasets.mnist",
        x_train=(x_train.astype(np.float32) / 255.0),
        y_train=y_train.astype(np.int64),
        x_test=(x_test.astype(np.float32) / 255.0),
        y_test=y_test.astype(np.int64),
    )


def load_digits() -> Dataset:
    import sklearn
    from sklearn.datasets import load_digits as sk_digits

    digits = sk_digits()
    images = np.stack([to_mnist_frame(img / 16.0) for img in digits.images])
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(20240611).permutation(len(labels))
    split = int(len(order) * 0.8)
    train, test = order[:split], order[split:]
    return Dataset(
        name="digits",
        source=f"sklearn.datasets.load_digits (scikit-learn {sklearn.__version__}), 28x28",
        x_train=images[train],
        y_train=labels[train],
        x_test=images[test],
        y_test=labels[test],
    )


def to_mnist_frame(image: np.ndarray) -> np.ndarray:
    """Bilinear-resample a square image to 20x20 and centre it in a 28x28 float32 frame."""
    inner = _resize_bilinear(image.astype(np.float64), 20)
    frame = np.zeros((28, 28), dtype=np.float32)
    frame[4:24, 4:24] = np.clip(inner, 0.0, 1.0)
    return frame


def _resize_bilinear(image: np.ndarray, size: int) -> np.ndarray:
    src = image.shape[0]
    # Pixel-centre alignment, as image libraries do.
    coords = (np.arange(size) + 0.5) * src / size - 0.5
    coords = np.clip(coords, 0, src - 1)
    rows = np.array([np.interp(coords, np.arange(src), r) for r in image])
    return np.array([np.interp(coords, np.arange(src), c) for c in rows.T]).T


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
