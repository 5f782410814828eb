"""Load and run a SavedModel through the TensorFlow C API (ctypes over the wheel's library).

The same loader TF Serving, the Go client and the C++ client use
(TF_LoadSessionFromSavedModel, TF_SessionRun), reached from Python without
building a client. Every dtype the serving APIs carry, strings included
(TF_TString, tensorflow/c/tf_tstring.h).
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path
from types import TracebackType

import numpy as np

from tfinterop.serving import tensor_codec
from tfinterop.serving.errors import Code, ServingError

TF_STRING = 7


class _Output(ctypes.Structure):
    _fields_ = [("oper", ctypes.c_void_p), ("index", ctypes.c_int)]


class _TString(ctypes.Structure):
    # tensorflow/core/platform/ctstring_internal.h: a union of 24 bytes on every 64-bit target
    # (large, offset, view and small forms); only the C API's functions read or write it.
    _fields_ = [("raw", ctypes.c_uint8 * 24)]


@functools.lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    import tensorflow as tf

    path = Path(tf.__file__).parent / "libtensorflow_cc.so.2"
    lib = ctypes.CDLL(str(path))
    vp, cp, i, size = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t
    ts = ctypes.POINTER(_TString)
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
        "TF_AllocateTensor": ([i, ctypes.POINTER(ctypes.c_int64), i, size], vp),
        "TF_TensorData": ([vp], vp),
        "TF_TensorByteSize": ([vp], size),
        "TF_NumDims": ([vp], i),
        "TF_Dim": ([vp, i], ctypes.c_int64),
        "TF_TensorType": ([vp], i),
        "TF_DeleteTensor": ([vp], None),
        "TF_StringInit": ([ts], None),
        "TF_StringCopy": ([ts, ctypes.c_void_p, size], None),
        "TF_StringGetDataPointer": ([ts], ctypes.c_void_p),
        "TF_StringGetSize": ([ts], size),
        "TF_StringDealloc": ([ts], None),
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


def _dtype_enum(arr: np.ndarray) -> int:
    if arr.dtype.kind in "OSU":
        return TF_STRING
    for d in tensor_codec.DTYPES.values():
        if d.enum != TF_STRING and d.numpy == arr.dtype:
            return d.enum
    raise ServingError(Code.INVALID_ARGUMENT, f"no TensorFlow dtype for numpy {arr.dtype}")


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise ServingError(Code.INVALID_ARGUMENT, f"a string tensor holds {type(value).__name__}")


def _strings(t: int, n: int) -> ctypes.Array[_TString] | list[_TString]:
    # An empty tensor may have no buffer at all.
    return (_TString * n).from_address(_lib().TF_TensorData(t)) if n else []


class Session:
    """One SavedModel version loaded with TF_LoadSessionFromSavedModel (tag "serve").

    ServingError with TensorFlow's code when it does not load; close() (or `with`) frees it.
    """

    def __init__(self, model_dir: Path) -> None:
        lib = self._lib = _lib()
        self._status, self._graph = lib.TF_NewStatus(), lib.TF_NewGraph()
        self._session = None
        opts = lib.TF_NewSessionOptions()
        try:
            tags = (ctypes.c_char_p * 1)(b"serve")
            self._session = lib.TF_LoadSessionFromSavedModel(
                opts, None, str(model_dir).encode(), tags, 1, self._graph, None, self._status
            )
            _check(lib, self._status, "TF_LoadSessionFromSavedModel")
        except BaseException:
            self.close()
            raise
        finally:
            lib.TF_DeleteSessionOptions(opts)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        lib = self._lib
        if self._session:
            lib.TF_CloseSession(self._session, self._status)
            lib.TF_DeleteSession(self._session, self._status)
            self._session = None
        if self._graph:
            lib.TF_DeleteGraph(self._graph)
            self._graph = None
        if self._status:
            lib.TF_DeleteStatus(self._status)
            self._status = None

    def _output(self, name: str) -> _Output:
        op, idx = _split(name)
        oper = self._lib.TF_GraphOperationByName(self._graph, op)
        if not oper:
            raise ServingError(Code.NOT_FOUND, f"operation {op.decode()} not in the graph")
        return _Output(oper, idx)

    def _tensor(self, arr: np.ndarray, owned: list[tuple[int, int]]) -> int:
        lib = self._lib
        dtype = _dtype_enum(arr)
        # C order without np.ascontiguousarray, which turns a scalar into shape [1].
        arr = np.require(arr, requirements="C")
        dims = (ctypes.c_int64 * arr.ndim)(*arr.shape)
        n = int(arr.size)
        if dtype == TF_STRING:
            t = lib.TF_AllocateTensor(dtype, dims, arr.ndim, n * ctypes.sizeof(_TString))
            strings = _strings(t, n)
            # Every element initialised before any copy, so the release below may free them all.
            for s in strings:
                lib.TF_StringInit(s)
            owned.append((t, n))
            for s, value in zip(strings, arr.reshape(-1), strict=True):
                data = _as_bytes(value)
                lib.TF_StringCopy(s, data, len(data))
            return int(t)
        t = lib.TF_AllocateTensor(dtype, dims, arr.ndim, arr.nbytes)
        owned.append((t, 0))
        if arr.nbytes:
            ctypes.memmove(lib.TF_TensorData(t), arr.ctypes.data, arr.nbytes)
        return int(t)

    def _array(self, t: int) -> np.ndarray:
        lib = self._lib
        dtype = lib.TF_TensorType(t)
        shape = tuple(lib.TF_Dim(t, d) for d in range(lib.TF_NumDims(t)))
        if dtype == TF_STRING:
            n = int(np.prod(shape, dtype=np.int64))
            out = np.empty(n, dtype=object)
            for k, s in enumerate(_strings(t, n)):
                out[k] = ctypes.string_at(lib.TF_StringGetDataPointer(s), lib.TF_StringGetSize(s))
            return out.reshape(shape)
        info = tensor_codec.DTYPES.get(dtype)
        if info is None:
            raise ServingError(Code.UNIMPLEMENTED, f"output of TensorFlow dtype {dtype}")
        buf = ctypes.string_at(lib.TF_TensorData(t), lib.TF_TensorByteSize(t))
        return np.frombuffer(buf, dtype=info.numpy).reshape(shape).copy()

    def run(self, feeds: dict[str, np.ndarray], fetches: list[str]) -> dict[str, np.ndarray]:
        """Run tensor names `feeds` -> `fetches` (at least one); ServingError with TF's code."""
        if not fetches:
            # TF_SessionRun refuses it ("Must specify at least one target to fetch or execute").
            raise ValueError("nothing to fetch")
        lib = self._lib
        owned: list[tuple[int, int]] = []  # tensors this call allocated, and their string count
        results = (ctypes.c_void_p * len(fetches))()
        try:
            ins = (_Output * len(feeds))(*(self._output(name) for name in feeds))
            vals = (ctypes.c_void_p * len(feeds))(
                *(self._tensor(np.asarray(arr), owned) for arr in feeds.values())
            )
            outs = (_Output * len(fetches))(*(self._output(name) for name in fetches))
            lib.TF_SessionRun(
                self._session,
                None,
                ins,
                vals,
                len(feeds),
                outs,
                results,
                len(fetches),
                None,
                0,
                None,
                self._status,
            )
            _check(lib, self._status, "TF_SessionRun")
            return {name: self._array(t) for name, t in zip(fetches, results, strict=True)}
        finally:
            for t, n in owned:
                for s in _strings(t, n):
                    lib.TF_StringDealloc(s)
                lib.TF_DeleteTensor(t)
            for r in results:
                if r:
                    lib.TF_DeleteTensor(r)


def load_and_run(
    model_dir: Path, feeds: dict[str, np.ndarray], fetches: list[str]
) -> dict[str, np.ndarray]:
    """Load with the C API and run tensor names `feeds` -> `fetches`; ServingError with TF's code."""
    with Session(model_dir) as session:
        return session.run(feeds, fetches)
