"""The bundled server verify starts before it records, so that the server's start-up
(a Python process importing TensorFlow and loading the models: most of a small
model's verify) overlaps the recording instead of following it.

The server serves the SavedModels where the user keeps them, which are the bytes record
copies into the build folder: a versioned folder as it is, a bare SavedModel as version
1 through a symlink (TF Serving reads version folders, and follows links).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from tfinterop.byo.model_folder import model_versions
from tfinterop.harness.server_process import RunningServer, bundled_server
from tfinterop.serving import model_config
from tfinterop.util import atomic


def serve_config(saved_models: list[Path], names: list[str], folder: Path) -> Path:
    """A model config serving each SavedModel under its name; written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for path, name in zip(saved_models, names, strict=True):
        path = path.resolve()
        _, versioned = model_versions(path)
        base = path
        if not versioned:
            base = folder / name
            link = base / "1"
            base.mkdir(exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(path, target_is_directory=True)
        entries.append(model_config.ModelEntry(name=name, base_path=base))
    config = folder / "models.config"
    atomic.write_text(config, model_config.render_config(entries))
    return config


class EarlyServer:
    """`bundled_server` entered on a thread: `server()` waits for it to be ready (or raises
    what starting it raised); `close()` stops it."""

    def __init__(self, config: Path, models: list[str], log_path: Path, extra: list[str]) -> None:
        self._stack = contextlib.ExitStack()
        self._running: RunningServer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._start, args=(config, models, log_path, extra), daemon=True
        )
        self._thread.start()

    def _start(self, config: Path, models: list[str], log_path: Path, extra: list[str]) -> None:
        try:
            self._running = self._stack.enter_context(
                bundled_server(config, models, log_path, extra)
            )
        except BaseException as e:  # handed to the caller by server()
            self._error = e

    def server(self) -> RunningServer:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._running is not None
        return self._running

    def close(self) -> None:
        self._thread.join()
        self._stack.close()
