"""Writes the SavedModels the C++ op-library tests load (ctest fixture).

usage: make_op_model.py OUT OP_LIBRARY [PROBE_LIBRARY]

OUT/affine/1: TfiAffine (ops/tfi_affine.cc) in two signatures, serving_default
(x float[?] -> y = 3x + 0.5) and ints (n int64[?,2] -> m = 2n + 1, the op's
default attrs). OUT/probe/1, with PROBE_LIBRARY: TfiProbe
(tests/protobuf_probe_op.cc), whose kernel calls into protobuf.
"""

import sys
from pathlib import Path

import tensorflow as tf


def affine_model(library: str, out: Path) -> None:
    ops = tf.load_op_library(library)

    class Affine(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def serve(self, x):
            return {"y": ops.tfi_affine(x, a=3.0, b=0.5)}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int64, name="n")])
        def ints(self, n):
            return {"m": ops.tfi_affine(n)}

    module = Affine()
    tf.saved_model.save(
        module, str(out), signatures={"serving_default": module.serve, "ints": module.ints}
    )


def probe_model(library: str, out: Path) -> None:
    ops = tf.load_op_library(library)

    class Probe(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="x")])
        def serve(self, x):
            return {"code": ops.tfi_probe(x)}

    module = Probe()
    tf.saved_model.save(module, str(out), signatures={"serving_default": module.serve})


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    if Path(sys.argv[2]).is_file():
        affine_model(sys.argv[2], out / "affine" / "1")
    else:  # the tests that need it skip, saying so
        print(f"{sys.argv[2]} is not built (make ops): no affine model", file=sys.stderr)
    if len(sys.argv) == 4:
        probe_model(sys.argv[3], out / "probe" / "1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
