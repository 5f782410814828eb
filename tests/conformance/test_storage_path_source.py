"""tensorflow_serving/sources/storage_path/file_system_storage_path_source_test.cc.

The C++ test checks which versions the source aspires for a folder layout; a client
sees that as the versions GetModelStatus reports and their states. One dedicated
server (file system polled every second, TF Serving's default) serves one model per
layout, each version folder a copy of saved_model_half_plus_two_cpu; HandleReloadConfig
changes the set of models and a version policy. Not observable:
fail_if_zero_versions_at_startup and servable_versions_always_present (ServerCore
options tensorflow_model_server has no flag for), AttemptToChangePollingPeriod (the
source's own config). PollFilesystemOnlyOnce needs --file_system_poll_wait_seconds=0
and runs on the flags server of servers.py.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from google.protobuf import text_format
from tensorflow_serving.apis import get_model_status_pb2, model_management_pb2
from tensorflow_serving.config import model_server_config_pb2

from tests.conformance.servers import (
    RPC_TIMEOUT,
    cached_server,
    dedicated_server,
    flags_server,
    model_stub,
    models,
)
from tfinterop.harness.server_process import RunningServer

FILE = "tensorflow_serving/sources/storage_path/file_system_storage_path_source_test.cc"
AVAILABLE, END = 30, 50

# model -> (version folders, version policy in text format); "x" is non_numerical_child.
LAYOUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "no_versions": (("non_numerical_child",), ""),
    "multiple_versions": (("non_numerical_child", "42", "17"), ""),
    "all_versions": (("non_numerical_child", "42", "17"), "all {}"),
    "n_latest": (
        ("non_numerical_child", "42", "33", "30", "21", "17"),
        "latest { num_versions: 3 }",
    ),
    "specific": (
        ("non_numerical_child", "42", "33", "30", "21", "17"),
        "specific { versions: 17 versions: 30 }",
    ),
    "default_policy": (("non_numerical_child", "42", "33", "30"), ""),
    "default_num_latest": (("non_numerical_child", "42", "33", "30"), "latest {}"),
    "servable_0": (("1", "3"), ""),
    "servable_1": (("42",), ""),
    "servable_2": ((), ""),
    "timestamped": (("20170111173521",), "all {}"),
    "duplicates": (("non_numerical_child", "0001", "001", "00001"), ""),
    "zero_padded": (("00000123",), ""),
    "renamed": (("1", "2", "3", "5", "8"), "all {}"),
    "last_version": (("42",), ""),
    "appears": ((), ""),
    "change_set_0": (("0",), ""),
    "change_set_1": (("0",), ""),
    "change_policy": (("1", "2", "3", "5", "8", "13"), "latest { num_versions: 2 }"),
}
# Not in the start-up config: ChangeSetOfServables adds it by a reload.
LATER = {"change_set_2": (("0",), "")}


def tfserving(test: str) -> pytest.MarkDecorator:
    return pytest.mark.tfserving(FILE, test)


def _config(root: Path, layouts: dict[str, tuple[tuple[str, ...], str]]) -> str:
    parts = []
    for name, (_, policy) in layouts.items():
        version_policy = f"model_version_policy {{ {policy} }}" if policy else ""
        parts.append(
            f'config {{ name: "{name}" base_path: "{root / name}" '
            f'model_platform: "tensorflow" {version_policy} }}'
        )
    return "model_config_list { " + " ".join(parts) + " }\n"


def _lay_out(root: Path, layouts: dict[str, tuple[tuple[str, ...], str]], model: Path) -> None:
    for name, (folders, _) in layouts.items():
        (root / name).mkdir(parents=True)
        for folder in folders:
            if folder == "non_numerical_child":
                (root / name / folder).mkdir()
            else:
                shutil.copytree(model, root / name / folder)


class Storage:
    """The server over the layouts, its folder, and a source model to copy in."""

    def __init__(self) -> None:
        self.model = models()["saved_model_half_plus_two_cpu"].version_path(123)
        self.root = Path(tempfile.mkdtemp(prefix="conformance-storage-"))
        _lay_out(self.root, {**LAYOUTS, **LATER}, self.model)
        with_versions = [n for n, (f, _) in LAYOUTS.items() if set(f) - {"non_numerical_child"}]
        self.server: RunningServer = cached_server(
            "storage",
            with_versions,
            ["--file_system_poll_wait_seconds=1"],
            config_text=_config(self.root, LAYOUTS),
        )
        self.stub = model_stub(self.server.target)

    def status(self, name: str) -> dict[int, int]:
        """version -> state, as GetModelStatus reports them."""
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = name
        response = self.stub.GetModelStatus(request, RPC_TIMEOUT)
        return {s.version: s.state for s in response.model_version_status}

    def available(self, name: str) -> list[int]:
        """The AVAILABLE versions; none while the model has no version at all (NOT_FOUND)."""
        try:
            states = self.status(name)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return []
        return sorted(v for v, state in states.items() if state == AVAILABLE)

    def reload(self, layouts: dict[str, tuple[tuple[str, ...], str]]) -> None:
        config = text_format.Parse(
            _config(self.root, layouts), model_server_config_pb2.ModelServerConfig()
        )
        self.stub.HandleReloadConfigRequest(
            model_management_pb2.ReloadConfigRequest(config=config), 120
        )


@pytest.fixture(scope="module")
def storage() -> Storage:
    return Storage()


def _eventually(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the server did not get there in time"
        time.sleep(0.2)


def _not_found(storage: Storage, name: str) -> bool:
    try:
        storage.status(name)
    except grpc.RpcError as e:
        return e.code() == grpc.StatusCode.NOT_FOUND
    return False


@tfserving("NoVersionsAtStartup")
def test_base_path_without_versions(storage: Storage) -> None:
    assert _not_found(storage, "no_versions")


@tfserving("MultipleVersions")
def test_default_policy_serves_the_highest(storage: Storage) -> None:
    assert storage.status("multiple_versions") == {42: AVAILABLE}


@tfserving("MultipleVersionsAtTheSameTime")
def test_all_policy_serves_every_version(storage: Storage) -> None:
    assert storage.status("all_versions") == {17: AVAILABLE, 42: AVAILABLE}


@tfserving("NLatestVersions")
def test_latest_three(storage: Storage) -> None:
    assert storage.status("n_latest") == {42: AVAILABLE, 33: AVAILABLE, 30: AVAILABLE}


@tfserving("SpecificVersions")
def test_specific_versions(storage: Storage) -> None:
    assert storage.status("specific") == {17: AVAILABLE, 30: AVAILABLE}


@tfserving("DefaultVersionPolicy")
def test_no_policy_is_latest_one(storage: Storage) -> None:
    assert storage.status("default_policy") == {42: AVAILABLE}


@tfserving("DefaultNumLatestVersions")
def test_latest_without_num_versions_is_one(storage: Storage) -> None:
    assert storage.status("default_num_latest") == {42: AVAILABLE}


@tfserving("MultipleServables")
def test_each_model_its_own_versions(storage: Storage) -> None:
    assert storage.status("servable_0") == {3: AVAILABLE}
    assert storage.status("servable_1") == {42: AVAILABLE}
    assert _not_found(storage, "servable_2")


@tfserving("ParseTimestampedVersion")
def test_timestamp_version_does_not_overflow(storage: Storage) -> None:
    assert storage.status("timestamped") == {20170111173521: AVAILABLE}


@tfserving("DuplicateVersions")
def test_zero_padded_duplicates_are_one_version(storage: Storage) -> None:
    assert storage.status("duplicates") == {1: AVAILABLE}


@tfserving("DuplicateVersions")
def test_zero_padded_folder_is_its_number(storage: Storage) -> None:
    # TF Serving's own testdata lays every model out this way (00000123 is version 123).
    assert storage.status("zero_padded") == {123: AVAILABLE}


@tfserving("ServableVersionDirRenamed")
def test_renamed_and_removed_version_folders_unload(storage: Storage) -> None:
    assert storage.available("renamed") == [1, 2, 3, 5, 8]
    base = storage.root / "renamed"
    (base / "2").rename(base / "2.blacklisted")
    (base / "5").rename(base / "5.blacklisted")
    shutil.rmtree(base / "8")
    _eventually(lambda: storage.available("renamed") == [1, 3])
    assert storage.status("renamed") == {1: AVAILABLE, 2: END, 3: AVAILABLE, 5: END, 8: END}


@tfserving("LastVersionNotRemoved")
def test_removing_the_last_version_unloads_it(storage: Storage) -> None:
    # servable_versions_always_present is false in tensorflow_model_server.
    assert storage.status("last_version") == {42: AVAILABLE}
    shutil.rmtree(storage.root / "last_version" / "42")
    _eventually(lambda: storage.status("last_version") == {42: END})


@tfserving("FilesAppearAfterStartup")
def test_version_appearing_after_startup_loads(storage: Storage) -> None:
    assert _not_found(storage, "appears")
    shutil.copytree(storage.model, storage.root / "appears" / "3")
    _eventually(lambda: storage.available("appears") == [3])


@tfserving("ChangeSetOfServables")
def test_reload_changes_the_set_of_models(storage: Storage) -> None:
    assert storage.available("change_set_0") == [0]
    assert storage.available("change_set_1") == [0]
    layouts = {n: v for n, v in LAYOUTS.items() if n != "change_set_0"}
    storage.reload({**layouts, **LATER})
    # The dropped model's version is unloaded (GetModelStatus still reports it, END),
    # the kept one is never unloaded, the new one loads.
    _eventually(lambda: storage.status("change_set_0") == {0: END})
    assert storage.status("change_set_1") == {0: AVAILABLE}
    _eventually(lambda: storage.available("change_set_2") == [0])


@tfserving("ChangeVersionPolicy")
def test_reload_changes_the_version_policy(storage: Storage) -> None:
    assert storage.available("change_policy") == [8, 13]
    folders, _ = LAYOUTS["change_policy"]
    layouts = {n: v for n, v in LAYOUTS.items() if n != "change_set_0"}
    layouts["change_policy"] = (folders, "specific { versions: 2 versions: 5 }")
    storage.reload({**layouts, **LATER})
    _eventually(lambda: storage.available("change_policy") == [2, 5])
    assert storage.status("change_policy") == {2: AVAILABLE, 5: AVAILABLE, 8: END, 13: END}


@tfserving("PollFilesystemOnlyOnce")
def test_poll_once_ignores_new_versions() -> None:
    """--file_system_poll_wait_seconds=0 (on the flags server): versions are looked for
    once, at start-up; version 4 appearing later is never loaded."""
    server, folder = flags_server()
    stub = model_stub(server.target)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "oneshot"
    source = models()["saved_model_half_plus_two_cpu"].version_path(123)
    shutil.copytree(source, folder / "oneshot" / "4", dirs_exist_ok=True)
    time.sleep(2.0)  # the C++ test waits one second
    response = stub.GetModelStatus(request, RPC_TIMEOUT)
    assert {s.version: s.state for s in response.model_version_status} == {3: AVAILABLE}


@tfserving("NoVersionsAtStartup")
@pytest.mark.bundled_differs(
    "the bundled server refuses to start on a base_path that does not exist "
    "(docs/SERVER.md); TF Serving logs the failed poll every interval and opens its ports "
    "only once the folder appears and its versions load"
)
def test_missing_base_path_at_startup_then_files_appear(tmp_path: Path) -> None:
    """NoVersionsAtStartup (base path missing) and FilesAppearAfterStartup."""
    config = tmp_path / "models.config"
    config.write_text(_config(tmp_path, {"later": ((), "")}))
    with dedicated_server(config, [], tmp_path / "server.log") as server:
        stub = model_stub(server.target)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "later"
        with pytest.raises(grpc.RpcError) as e:
            stub.GetModelStatus(request, RPC_TIMEOUT)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        source = models()["saved_model_half_plus_two_cpu"].version_path(123)
        shutil.copytree(source, tmp_path / "later" / "3")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                states = stub.GetModelStatus(request, RPC_TIMEOUT).model_version_status
                if [(s.version, s.state) for s in states] == [(3, AVAILABLE)]:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
        pytest.fail("version 3 never loaded")
