"""In-process: the SavedModel loaded with tf.saved_model.load, resolved via the model config."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import Message

from tfinterop.client.object_servable import ObjectServable
from tfinterop.serving import model_config, predict
from tfinterop.serving.errors import Code, ServingError


class InprocTransport:
    name = "inproc"

    def __init__(self, config_path: Path) -> None:
        self._entries = model_config.parse_config(config_path)
        self._loaded: dict[tuple[str, int], ObjectServable | ServingError] = {}

    def _servable(self, spec) -> ObjectServable:  # type: ignore[no-untyped-def]
        resolved = model_config.resolve(self._entries, spec)
        key = (resolved.name, resolved.version)
        if key not in self._loaded:
            try:
                self._loaded[key] = ObjectServable(resolved.name, resolved.version, resolved.path)
            except ServingError as e:
                self._loaded[key] = e
        got = self._loaded[key]
        if isinstance(got, ServingError):
            raise got
        return got

    def call(self, api: str, request: Message, rest_format: str = "columnar") -> Message:
        if api == "predict":
            return predict.run_predict(self._servable(request.model_spec), request)
        if api == "metadata":
            return predict.model_metadata(self._servable(request.model_spec), request)
        raise ServingError(Code.UNIMPLEMENTED, f"{api} is a server API; not available in-process")

    def runtime(self) -> dict[str, str]:
        import tensorflow as tf

        return {
            "tensorflow": tf.__version__,
            "tensorflow_build": f"pip:tensorflow=={tf.__version__}",
            "library": "tensorflow wheel (tf.saved_model.load)",
        }

    def close(self) -> None:
        self._loaded.clear()
