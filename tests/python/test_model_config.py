"""Model config parsing and ModelSpec resolution, as TF Serving's ServerCore resolves."""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorflow_serving.apis import model_pb2

from tfinterop.serving import model_config
from tfinterop.serving.errors import Code, ServingError, ToolError


def _model(tmp: Path, versions: list[int]) -> Path:
    base = tmp / "m"
    for v in versions:
        (base / str(v)).mkdir(parents=True)
        (base / str(v) / "saved_model.pb").write_bytes(b"")
    (base / "not-a-version").mkdir()
    return base


def _spec(
    name: str = "m", version: int | None = None, label: str | None = None
) -> model_pb2.ModelSpec:
    s = model_pb2.ModelSpec(name=name)
    if version is not None:
        s.version.value = version
    if label is not None:
        s.version_label = label
    return s


@pytest.fixture
def entries(tmp_path: Path) -> list[model_config.ModelEntry]:
    base = _model(tmp_path, [1, 2, 3])
    cfg = tmp_path / "models.config"
    cfg.write_text(
        model_config.render_config(
            [
                model_config.ModelEntry(
                    "m", base, policy="specific", specific=(1, 2), labels={"stable": 1, "canary": 2}
                )
            ]
        )
    )
    return model_config.parse_config(cfg)


def test_round_trip_keeps_policy_and_labels(entries: list[model_config.ModelEntry]) -> None:
    (e,) = entries
    assert (e.policy, e.specific, e.labels) == ("specific", (1, 2), {"stable": 1, "canary": 2})
    assert e.served_versions() == [1, 2]


def test_no_version_resolves_to_highest_served(entries: list[model_config.ModelEntry]) -> None:
    assert model_config.resolve(entries, _spec()).version == 2


def test_label_resolves(entries: list[model_config.ModelEntry]) -> None:
    assert model_config.resolve(entries, _spec(label="stable")).version == 1


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (_spec(name=""), Code.INVALID_ARGUMENT),
        (_spec(name="other"), Code.NOT_FOUND),
        (_spec(version=3), Code.NOT_FOUND),  # on disk but not in the policy
        (_spec(version=99), Code.NOT_FOUND),
        (_spec(label="nope"), Code.INVALID_ARGUMENT),
    ],
    ids=["empty-name", "unknown-model", "unserved-version", "unknown-version", "unknown-label"],
)
def test_bad_spec_gets_tf_serving_code(entries: list[model_config.ModelEntry], spec, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServingError) as e:
        model_config.resolve(entries, spec)
    assert e.value.code == code


def test_latest_policy_keeps_n(tmp_path: Path) -> None:
    e = model_config.ModelEntry("m", _model(tmp_path, [1, 5, 3]), policy="latest", latest_n=2)
    assert e.served_versions() == [3, 5]


def test_relative_base_path_resolves_against_config_folder(tmp_path: Path) -> None:
    _model(tmp_path, [1])
    cfg = tmp_path / "c.config"
    cfg.write_text(
        'model_config_list { config { name: "m" base_path: "m" model_platform: "tensorflow" } }'
    )
    assert model_config.parse_config(cfg)[0].base_path == (tmp_path / "m").resolve()


def test_unparsable_config_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.config"
    cfg.write_text("model_config_list { config { nme: 1 } }")
    with pytest.raises(ToolError, match=r"bad\.config"):
        model_config.parse_config(cfg)
