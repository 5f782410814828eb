"""Load and run a SavedModel through the TensorFlow C API (ctypes over the wheel's library).

The same loader TF Serving, the Go client and the C++ client use
(TF_LoadSessionFromSavedModel, TF_SessionRun), reached from Python without
building a client. Numeric and bool inputs only; strings need TF_TString.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from tfinterop import tensor_codec
from tfinterop.errors import Code, ServingError


class _Output(ctypes.Structure):
    _fields_ = [("oper", ctypes.c_void_p), ("index", ctypes.c_int)]


def _lib() -> ctypes.CDLL:
    import tensorflow as tf

    path = Path(tf.__file__).parent / "libtensorflow_cc.so.2"
    lib = ctypes.CDLL(str(path))
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sigs = {
        "TF_NewStatus": ([], vp),
        "TF_DeleteStatus": ([vp], None),
        "TF_GetCode": ([vp], i),
        "TF_Message": ([vp], cp),
        "TF_NewGraph": ([], vp),
        "TF_DeleteGraph": ([vp], None),
        "TF_NewSessionOptions": ([], vp),
        "TF_DeleteSessionOptions": ([vp], None),
        "TF_LoadSessionFromSavedModel": ([vp, vp, cp, ctypes.POINTER(cp), i, vp, vp, vp], vp),
        "TF_GraphOperationByName": ([vp, cp], vp),
        "TF_AllocateTensor": ([i, ctypes.POINTER(ctypes.c_int64), i, ctypes.c_size_t], vp),
        "TF_TensorData": ([vp], vp),
        "TF_TensorByteSize": ([vp], ctypes.c_size_t),
        "TF_NumDims": ([vp], i),
        "TF_Dim": ([vp, i], ctypes.c_int64),
        "TF_TensorType": ([vp], i),
        "TF_DeleteTensor": ([vp], None),
        "TF_SessionRun": (
            [
                vp,
                vp,
                ctypes.POINTER(_Output),
                ctypes.POINTER(vp),
                i,
                ctypes.POINTER(_Output),
                ctypes.POINTER(vp),
                i,
                vp,
                i,
                vp,
                vp,
            ],
            None,
        ),
        "TF_CloseSession": ([vp, vp], None),
        "TF_DeleteSession": ([vp, vp], None),
    }
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    return lib


def _check(lib: ctypes.CDLL, status: int, what: str) -> None:
    code = lib.TF_GetCode(status)
    if code != 0:
        raise ServingError(Code(code), f"{what}: {lib.TF_Message(status).decode(errors='replace')}")


def _split(name: str) -> tuple[bytes, int]:
    op, _, idx = name.partition(":")
    return op.encode(), int(idx or 0)


def load_and_run(
    model_dir: Path, feeds: dict[str, np.ndarray], fetches: list[str]
) -> dict[str, np.ndarray]:
    """Load with the C API and run tensor names `feeds` -> `fetches`; ServingError with TF's code."""
    lib = _lib()
    status, graph, opts = lib.TF_NewStatus(), lib.TF_NewGraph(), lib.TF_NewSessionOptions()
    session = None
    owned: list[int] = []
    try:
        tags = (ctypes.c_char_p * 1)(b"serve")
        session = lib.TF_LoadSessionFromSavedModel(
            opts, None, str(model_dir).encode(), tags, 1, graph, None, status
        )
        _check(lib, status, "TF_LoadSessionFromSavedModel")
        ins = (_Output * len(feeds))()
        vals = (ctypes.c_void_p * len(feeds))()
        for k, (name, arr) in enumerate(feeds.items()):
            op, idx = _split(name)
            ins[k] = _Output(lib.TF_GraphOperationByName(graph, op), idx)
            if not ins[k].oper:
                raise ServingError(Code.NOT_FOUND, f"operation {op.decode()} not in the graph")
            arr = np.ascontiguousarray(arr)
            dtype = next(
                d.enum for d in tensor_codec.DTYPES.values() if d.numpy == arr.dtype and d.enum != 7
            )
            dims = (ctypes.c_int64 * arr.ndim)(*arr.shape)
            t = lib.TF_AllocateTensor(dtype, dims, arr.ndim, arr.nbytes)
            owned.append(t)
            ctypes.memmove(lib.TF_TensorData(t), arr.ctypes.data, arr.nbytes)
            vals[k] = t
        outs = (_Output * len(fetches))()
        for k, name in enumerate(fetches):
            op, idx = _split(name)
            outs[k] = _Output(lib.TF_GraphOperationByName(graph, op), idx)
        results = (ctypes.c_void_p * len(fetches))()
        lib.TF_SessionRun(
            session, None, ins, vals, len(feeds), outs, results, len(fetches), None, 0, None, status
        )
        owned.extend(r for r in results if r)
        _check(lib, status, "TF_SessionRun")
        out = {}
        for name, t in zip(fetches, results, strict=True):
            info = tensor_codec.DTYPES.get(lib.TF_TensorType(t))
            shape = tuple(lib.TF_Dim(t, d) for d in range(lib.TF_NumDims(t)))
            if info is None or info.enum == 7:
                out[name] = np.array([])  # strings are not decoded here
                continue
            size = lib.TF_TensorByteSize(t)
            buf = ctypes.string_at(lib.TF_TensorData(t), size)
            out[name] = np.frombuffer(buf, dtype=info.numpy).reshape(shape).copy()
        return out
    finally:
        for t in owned:
            lib.TF_DeleteTensor(t)
        if session:
            lib.TF_CloseSession(session, status)
            lib.TF_DeleteSession(session, status)
        lib.TF_DeleteSessionOptions(opts)
        lib.TF_DeleteGraph(graph)
        lib.TF_DeleteStatus(status)
