"""`text`: sentences in, token ids (vocabulary asset), a score and the normalized bytes out.

Exercises string tensors (TF_TString / TString in every client), a vocabulary
file in assets/ that must resolve wherever the model folder is copied, and a
`_bytes` output that TF Serving's REST API returns base64-encoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import predict_pb2

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.serving import tensor_codec

NAME = "text"
VOCAB = ["<pad>", "<unk>", "the", "cat", "sat", "on", "mat", "héllo", "wörld", "日本語"]
MAX_TOKENS = 8


def export(path: Path, workdir: Path) -> None:
    import tensorflow as tf

    vocab = workdir / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")

    class Text(tf.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            init = tf.lookup.TextFileInitializer(
                str(vocab),
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticHashTable(init, default_value=1)  # 1 = <unk>

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])  # type: ignore[untyped-decorator]
        def serve(self, sentences: tf.Tensor) -> dict[str, tf.Tensor]:
            norm = tf.strings.strip(tf.strings.lower(sentences))
            words = tf.strings.split(norm)
            ids = self.table.lookup(words)
            known = tf.reduce_sum(tf.cast(ids > 1, tf.float32), axis=1)
            count = tf.cast(words.row_lengths(), tf.float32)
            return {
                "token_ids": ids.to_tensor(default_value=0, shape=[None, MAX_TOKENS]),
                "score": tf.math.divide_no_nan(known, count),
                "normalized_bytes": norm,
            }

    module = Text()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})


def _request(sentences: list[bytes], version: int = 1) -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = NAME
    req.model_spec.version.value = version
    req.model_spec.signature_name = "serving_default"
    arr = np.empty(len(sentences), dtype=object)
    arr[:] = sentences
    req.inputs["sentences"].CopyFrom(tensor_codec.from_ndarray(arr, types_pb2.DT_STRING))
    return req


def cases(book: CaseBook) -> None:
    book.ok("plain", "known words, mixed case", "predict", _request([b"The cat SAT on the mat"]))
    book.ok("empty-string", "an empty sentence", "predict", _request([b""]))
    book.ok(
        "utf8",
        "non-ASCII UTF-8 words in the vocabulary",
        "predict",
        _request(["héllo wörld 日本語".encode()]),
    )
    book.ok(
        "invalid-utf8",
        "bytes that are not UTF-8 (sent as b64 over REST)",
        "predict",
        _request([b"\xff\xfe the \xc3\x28"]),
    )
    book.ok("oov", "out-of-vocabulary words", "predict", _request([b"zebra quokka the"]))
    book.ok("nul-bytes", "embedded NUL bytes", "predict", _request([b"the\x00cat mat\x00"]))
    book.ok(
        "batch",
        "a batch mixing all of the above",
        "predict",
        _request(
            [
                b"the cat",
                b"",
                b"\xff",
                "wörld".encode(),
                b"a\x00b",
                b"one two three four five six seven eight nine",
            ]
        ),
        rest_format="row",
    )
    book.err(
        "wrong-dtype",
        "floats sent to the string input",
        "predict",
        _float_request(),
        "INVALID_ARGUMENT",
    )
    book.ok("metadata", "signatures of the text model", "metadata", metadata_request(NAME, 1))


def _float_request() -> predict_pb2.PredictRequest:
    req = predict_pb2.PredictRequest()
    req.model_spec.name = NAME
    req.inputs["sentences"].CopyFrom(tensor_codec.from_ndarray(np.zeros(2, np.float32)))
    return req
