"""The models TF Serving's tests use, built by generators in this repository.

`build_all(root)` writes every model under `root` (once: a stamp keyed by the
generators' source skips the work when nothing changed) and returns the model
config path, the model names the server must load, and the server flags the
tests assume. `python -m tests.conformance.models OUT` does the same for running
the suite against another server.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from tfinterop.serving import model_config
from tfinterop.util import atomic

# Server flags the ported tests assume (the same ones a real tensorflow_model_server needs):
# the config assigns version labels, which TF Serving refuses at start-up without the first.
# build_all adds --monitoring_config_file with TF Serving's monitoring_config.txt.
FLAGS: list[str] = ["--allow_version_labels_for_unavailable_models"]


def _generators() -> list:  # type: ignore[type-arg]
    from tests.conformance.models import dtype_models, tfserving_testdata

    return [tfserving_testdata, dtype_models]


def _digest() -> str:
    h = hashlib.sha256()
    from tfinterop.models.zoo import half_plus_two

    # The half-plus-two generator lives in the package (the zoo model shares it).
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(half_plus_two.__file__)]:
        h.update(path.read_bytes())
    return h.hexdigest()


def build_all(root: Path) -> tuple[Path, list[str], list[str]]:
    config = root / "models.config"
    stamp = root / ".stamp"
    digest = _digest()
    entries: list[model_config.ModelEntry] = []
    fresh = stamp.exists() and stamp.read_text() == digest and config.exists()
    if fresh:
        entries = model_config.parse_config(config)
    else:
        root.mkdir(parents=True, exist_ok=True)
        for gen in _generators():
            entries += gen.build(root)
        atomic.write_text(config, model_config.render_config(entries))
        atomic.write_text(stamp, digest)
    from tests.conformance.models.tfserving_testdata import MONITORING_CONFIG

    monitoring = root / MONITORING_CONFIG
    return config, [e.name for e in entries], [*FLAGS, f"--monitoring_config_file={monitoring}"]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/conformance/models").resolve()
    cfg, names, flags = build_all(out)
    print(f"{len(names)} models in {out}; config {cfg}; server flags: {' '.join(flags) or '-'}")
