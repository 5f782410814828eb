"""The one golden reference: what TensorFlow Serving answers, independent of the code it judges.

Values come from the runtime Python users run (tf.saved_model.load, each
signature called directly); responses, errors and per-transport differences
follow TF Serving's own rules, read from its sources and written once here.
Nothing here imports the bundled server, the Python client or their shared
validation (tfinterop.server, tfinterop.client, tfinterop.serving.predict,
.signature, .servable): a golden never comes from the code it judges
(tests/python/test_layers.py, tests/python/test_golden.py). The case format and
the case books live here too (golden.cases).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfinterop.golden.reference import Answer, Reference, metadata_request, producer
    from tfinterop.golden.savedmodel import GoldenError

__all__ = ["Answer", "GoldenError", "Reference", "metadata_request", "producer"]

# Imported on first use (PEP 562): the reference loads TensorFlow (about 5 s), and reading
# a case set (golden.cases) must not, or every command refusing a bad --cases pays it.
_HOME = {
    "Answer": "reference",
    "Reference": "reference",
    "metadata_request": "reference",
    "producer": "reference",
    "GoldenError": "savedmodel",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
