"""Run `tfinterop serve` and, at exit, write the names of every imported module.

Proves the mission's claim that serving needs no training code: the test reads
the list and checks no training or model-definition module was loaded.
Usage: audit_serve.py OUT_FILE serve [flags...]
"""

import atexit
import sys


def _dump(path: str) -> None:
    with open(path, "w") as f:
        f.write("\n".join(sorted(sys.modules)) + "\n")


def main() -> int:
    out = sys.argv[1]
    atexit.register(_dump, out)
    from tfinterop.cli import main as cli_main

    return cli_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
