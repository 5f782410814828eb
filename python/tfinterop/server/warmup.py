"""Replay assets.extra/tf_serving_warmup_requests at load, as TF Serving does."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tfinterop.serving.errors import Code, ServingError

log = logging.getLogger(__name__)

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_RECORDS = 1000


def replay_warmup(servable: Any, model_dir: Path) -> int:
    """Run each PredictRequest of the warmup TFRecord; returns how many ran."""
    path = model_dir / WARMUP_FILE
    if not path.exists():
        return 0
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    from tfinterop.serving import predict

    count = 0
    for record in tf.compat.v1.io.tf_record_iterator(str(path)):
        if count >= MAX_RECORDS:
            raise ServingError(
                Code.INVALID_ARGUMENT, f"{path}: more than {MAX_RECORDS} warmup records"
            )
        entry = prediction_log_pb2.PredictionLog.FromString(record)
        if entry.WhichOneof("log_type") == "predict_log":
            predict.run_predict(servable, entry.predict_log.request)
        count += 1
    log.info("replayed %d warmup requests from %s", count, path)
    return count
