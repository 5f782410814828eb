"""`custom_op_unloaded`: the `custom_op` SavedModel loaded without its op library.

The matrix's "without it" row: the same version folder under a second name in
the model config, in a case set that lists no op library, so an in-process
client that loads nothing fails to load the model with NOT_FOUND "Op type not
registered 'TfiAffine' in binary running on ...", the answer TensorFlow's
importer gives (and TF Serving's loader, whose version then never becomes
available). In-process only: a server is started with the union of every case
set's libraries, so over grpc and rest this name serves. Its clients run in
their own processes (tfinterop.harness.run_clients): a loaded library cannot be
unloaded.
"""

from __future__ import annotations

from tfinterop.golden import metadata_request
from tfinterop.golden.cases.book import CaseBook
from tfinterop.models.zoo import custom_op

NAME = "custom_op_unloaded"
SAVED_MODEL = custom_op.NAME  # serves that zoo model's folder; exports nothing itself
OP_LIBRARIES: tuple[str, ...] = ()
NOT_REGISTERED = f"Op type not registered '{custom_op.OP}'"


def cases(book: CaseBook) -> None:
    inproc = ("inproc",)
    for case_id, signature, name, values in (
        ("predict", "", "x", custom_op.FLOATS),
        ("predict-ints", "ints", "n", custom_op.INTS),
    ):
        book.err(
            case_id,
            f"{signature or 'serving_default'} without the op library: the model does not load",
            "predict",
            custom_op.predict(NAME, signature, name, values),
            "NOT_FOUND",
            transports=inproc,
            error_message=NOT_REGISTERED,
        )
    book.err(
        "metadata",
        "metadata needs the loaded model too",
        "metadata",
        metadata_request(NAME, 1),
        "NOT_FOUND",
        transports=inproc,
        error_message=NOT_REGISTERED,
    )
