"""`tfinterop export`: train the seed classifier, write versioned SavedModels, config and cases."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinterop.golden.cases import manifest, mnist_cases
from tfinterop.models import data, export_checks, ops, train
from tfinterop.models.zoo import (
    custom_op,
    custom_op_unloaded,
    examples,
    half_plus_two,
    multi_io,
    seed_pyfunc,
    text,
)
from tfinterop.serving import model_config
from tfinterop.serving.errors import ToolError, UsageError
from tfinterop.util import atomic

log = logging.getLogger(__name__)

# A zoo module has NAME, cases(book) and either export(path, workdir[, libraries]) or
# SAVED_MODEL (the NAME of the zoo model whose folder it serves under its own name);
# OP_LIBRARIES lists the custom-op libraries it needs, relative to the build folder.
ZOO = (text, multi_io, examples, half_plus_two, custom_op, custom_op_unloaded, seed_pyfunc)

EXPORTERS = export_checks.EXPORTERS
DEFAULT_NAMES = {"keras": "mnist", "seed": "mnist_seed"}
# Labels for the exported MNIST versions; cases address versions through them too.
LABELS = {"stable": 1, "canary": 2}
MIN_ACCURACY = 0.9
EXPORTER_NAMES = {
    "keras": "keras Model.export",
    "seed": "tf.saved_model.save (seed)",
    "zoo": "tfinterop.models.zoo (tf.Module / TF1 builder)",
}


@dataclass(frozen=True)
class ExportOptions:
    out: Path  # the build folder: models/ and cases/ go below it
    dataset: str
    exporters: tuple[str, ...]
    epochs: train.Epochs | None = None


def write_savedmodel(model, path: Path, exporter: str) -> None:  # type: ignore[no-untyped-def]
    """`keras`: model.export, loadable by every runtime. `seed`: the seed article's
    tf.saved_model.save, which Keras 3 writes in a form the C++ loader rejects."""
    if exporter == "keras":
        model.export(str(path), format="tf_saved_model", verbose=False)
    elif exporter == "seed":
        import tensorflow as tf

        tf.saved_model.save(model, str(path))
    else:
        raise UsageError(f"unknown exporter {exporter!r}; choose from {', '.join(EXPORTERS)}")


def main(out: Path, dataset: str, exporters: list[str], epochs: tuple[int, int] | None) -> int:
    """`tfinterop export`."""
    run(ExportOptions(out, dataset, tuple(exporters), train.Epochs(*epochs) if epochs else None))
    return 0


def run(options: ExportOptions) -> None:
    models_dir = export_checks.check(options.out, options.dataset, options.exporters)

    started = time.monotonic()
    ds = data.load(options.dataset)
    epochs = options.epochs or train.DEFAULT_EPOCHS[ds.name]
    log.info(
        "dataset %s: %d train / %d test images (%.1fs)",
        ds.source,
        len(ds.y_train),
        len(ds.y_test),
        time.monotonic() - started,
    )
    train.make_deterministic()
    model = train.build_model()

    # Every model folder is staged and renamed into place only when all versions exist.
    with contextlib.ExitStack() as stack:
        tmp_dirs = {
            e: stack.enter_context(atomic.staged_dir(models_dir / DEFAULT_NAMES[e]))
            for e in options.exporters
        }
        initial = 0
        for version, n in ((1, epochs.v1), (2, epochs.v2_extra)):
            log.info("version %d: training %d epochs", version, n)
            phase = time.monotonic()
            accuracy = train.fit(model, ds, n, initial_epoch=initial)
            initial += n
            print(
                f"version {version}: test accuracy {accuracy:.4f} on {ds.name} "
                f"(weights sha256 {train.weights_digest(model)[:16]})",
                flush=True,
            )
            if accuracy < MIN_ACCURACY:
                raise ToolError(
                    f"version {version} reached accuracy {accuracy:.4f} < {MIN_ACCURACY}"
                )
            for exporter, tmp in tmp_dirs.items():
                write_savedmodel(model, tmp / str(version), exporter)
            log.info("version %d: trained and exported in %.1fs", version, time.monotonic() - phase)

    entries = {e.name: e for e in _existing_entries(models_dir / "models.config")}
    for exporter in options.exporters:
        name = DEFAULT_NAMES[exporter]
        entries[name] = model_config.ModelEntry(
            name=name,
            base_path=(models_dir / name).resolve(),
            policy="all",
            labels=dict(LABELS),
        )
    config_path = models_dir / "models.config"
    atomic.write_text(
        config_path, model_config.render_config(sorted(entries.values(), key=lambda e: e.name))
    )
    log.info("wrote %s", config_path)

    if any(_libraries(options.out, m) for m in ZOO):
        phase = time.monotonic()
        library = ops.build(options.out / "ops")
        print(f"op library: {library} ({time.monotonic() - phase:.1f}s)", flush=True)
    # seed_pyfunc's Python function lives in this process only while its module does: the
    # exported objects are kept until every case is recorded.
    exported: dict[str, Any] = {}
    for zoo_model in ZOO:
        phase = time.monotonic()
        served = getattr(zoo_model, "SAVED_MODEL", None)
        if served is None:
            exported[zoo_model.NAME] = _export_zoo_model(options.out, models_dir, zoo_model)
        entries[zoo_model.NAME] = model_config.ModelEntry(
            name=zoo_model.NAME, base_path=(models_dir / (served or zoo_model.NAME)).resolve()
        )
        log.info("exported %s (%.1fs)", zoo_model.NAME, time.monotonic() - phase)
    atomic.write_text(
        config_path, model_config.render_config(sorted(entries.values(), key=lambda e: e.name))
    )

    from tfinterop.golden import Reference
    from tfinterop.golden.cases.book import CaseBook

    zoo_reference = Reference(config_path)
    # One golden reference per set of op libraries: a model needing a library is answered
    # with it loaded, and a case set without it as a runtime lacking the op answers.
    references: dict[tuple[Path, ...], Reference] = {(): zoo_reference}
    for zoo_model in ZOO:
        phase = time.monotonic()
        libraries = _libraries(options.out, zoo_model)
        if libraries not in references:
            references[libraries] = Reference(config_path, libraries)
        book = CaseBook(references[libraries])
        zoo_model.cases(book)
        folder = options.out / "cases" / zoo_model.NAME
        manifest.write(
            folder,
            manifest.CaseSet(
                model=zoo_model.NAME,
                config="../../models/models.config",
                producer=producer(ds, "zoo", book.cases),
                cases=book.cases,
                op_libraries=tuple(os.path.relpath(lib, folder.resolve()) for lib in libraries),
            ),
        )
        print(
            f"{zoo_model.NAME}: {len(book.cases)} cases in {folder} "
            f"({time.monotonic() - phase:.1f}s)",
            flush=True,
        )

    exported.clear()  # every golden is recorded: seed_pyfunc's Python function may go
    from tfinterop.golden import rest_vectors

    vectors = options.out / "vectors" / "rest_json.json"
    print(f"REST codec vectors: {rest_vectors.write(vectors)} in {vectors}", flush=True)

    reference = zoo_reference  # one golden reference: each model version loads once
    for exporter in options.exporters:
        name = DEFAULT_NAMES[exporter]
        phase = time.monotonic()
        cases = mnist_cases.build(
            name, models_dir / name, [1, 2], LABELS, ds.x_test, reference, runs=exporter != "seed"
        )
        folder = options.out / "cases" / name
        manifest.write(
            folder,
            manifest.CaseSet(
                model=name,
                config="../../models/models.config",
                producer=producer(ds, exporter, cases),
                cases=cases,
            ),
        )
        print(
            f"{name}: {len(cases)} cases in {folder} ({time.monotonic() - phase:.1f}s)", flush=True
        )
    log.info("export done in %.1fs", time.monotonic() - started)


def _libraries(out: Path, zoo_model: Any) -> tuple[Path, ...]:
    """The op libraries a zoo model needs, as absolute paths under the build folder."""
    return tuple((out / lib).resolve() for lib in getattr(zoo_model, "OP_LIBRARIES", ()))


def _export_zoo_model(out: Path, models_dir: Path, zoo_model: Any) -> Any:
    """Stage and write one zoo model's SavedModel; returns what its export returned."""
    libraries = _libraries(out, zoo_model)
    with atomic.staged_dir(models_dir / zoo_model.NAME) as tmp:
        # A zoo module may name its version folder (half_plus_two: 00000123, as TF
        # Serving's testdata); "1" otherwise.
        folder = getattr(zoo_model, "VERSION_FOLDER", "1")
        if libraries:
            result = zoo_model.export(tmp / folder, tmp, libraries)
        else:
            result = zoo_model.export(tmp / folder, tmp)
        # Assets were copied into the SavedModel; drop the build-time files beside it.
        for extra in tmp.iterdir():
            if extra.name != folder:
                extra.unlink()
    return result


def runtime_versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": numpy.__version__}


def producer(ds: data.Dataset, exporter: str, cases: list[manifest.Case]) -> dict[str, Any]:
    """Who made the case set: versions, data, exporter, and per API the runtime of its goldens."""
    from tfinterop import golden

    return {
        **runtime_versions(),
        "dataset": ds.name,
        "dataset_source": ds.source,
        "exporter": EXPORTER_NAMES[exporter],
        **golden.producer(c.api for c in cases),
    }


def _existing_entries(path: Path) -> list[model_config.ModelEntry]:
    if not path.exists():
        return []
    try:
        entries = model_config.parse_config(path)
    except ToolError:
        log.warning("replacing unreadable %s", path)
        return []
    kept = [e for e in entries if e.base_path.is_dir()]
    for e in entries:
        if e not in kept:
            log.warning("dropping model %s from %s: %s no longer exists", e.name, path, e.base_path)
    return kept
