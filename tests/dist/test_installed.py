"""An installed tfinterop, outside the checkout: the wheel `make dist` builds, in a fresh
virtualenv, run from a temporary folder.

The virtualenv gets only the wheel (pip --no-deps); its third-party dependencies
(TensorFlow, grpcio, ...) come from the project's .venv through a .pth path entry, which
adds that folder to sys.path without running its .pth files, so the checkout's editable
tfinterop stays out of sight and `import tfinterop` is the wheel's. The Go client is
built on first use into a private cache (TFINTEROP_CACHE); Java and C++ build the same
way (`tfinterop clients build`), measured by hand because they take minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "build" / "models" / "half_plus_two"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("installed")
    dist = tmp / "dist"
    subprocess.run(
        [str(REPO / "tools" / "dist.sh")],
        env={**os.environ, "DIST_OUT": str(dist), "PY": sys.executable},
        check=True,
        cwd=REPO,
    )
    (wheel,) = dist.glob("tfinterop-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.check_output(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    (site / "tfinterop-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    work = tmp / "work"
    work.mkdir()
    return {"venv": venv, "wheel": wheel, "work": work, "cache": tmp / "cache", "site": site}


def _run(
    installed: dict[str, Path], *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TFINTEROP_CACHE": str(installed["cache"]),
        "PATH": path if path is not None else os.environ["PATH"],
    }
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(installed["venv"] / "bin" / "tfinterop"), *args],
        cwd=installed["work"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_wheel_carries_the_clients_sources(installed: dict[str, Path]) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for needed in (
        "tfinterop/client_sources/DIGEST",
        "tfinterop/client_sources/go/go.mod",
        "tfinterop/client_sources/java/pom.xml",
        "tfinterop/client_sources/cpp/CMakeLists.txt",
        "tfinterop/client_sources/cpp/.clang-format",
        "tfinterop/harness/clients.json",
        "tfinterop/judge/expected_failures/java.txt",
    ):
        assert needed in names, needed
    assert not [n for n in names if "fuzz_corpus" in n]


def test_the_package_imported_is_the_wheels(installed: dict[str, Path]) -> None:
    out = subprocess.check_output(
        [
            str(installed["venv"] / "bin" / "python"),
            "-c",
            "import tfinterop; print(tfinterop.__file__)",
        ],
        cwd=installed["work"],
        text=True,
    )
    assert Path(out.strip()).is_relative_to(installed["site"]), out


def test_clients_list_shows_the_cache_before_anything_is_built(installed: dict[str, Path]) -> None:
    r = _run(installed, "clients", "list")
    assert r.returncode == 0, r.stderr
    assert f"clients in {installed['cache']}" in r.stdout and "(cache)" in r.stdout
    assert "go      go      not built" in r.stdout


def test_verify_builds_the_go_client_on_first_use_and_passes(installed: dict[str, Path]) -> None:
    build = installed["work"] / "out"
    r = _run(
        installed,
        "verify",
        "--saved-model",
        str(MODEL),
        "--clients",
        "python,go",
        "--build",
        str(build),
        "--junit-xml",
        "verify.xml",
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # The JUnit file lands where it was asked for (relative to the working folder), one
    # testcase per client x mode x case, none failed.
    suites = ElementTree.parse(installed["work"] / "verify.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len({c.get("classname") for c in cases}) == 10  # python, go x the five modes
    assert not suites.findall(".//failure") and not suites.findall(".//error")
    assert "[clients] go: building into" in r.stderr and "[clients] go: built in" in r.stderr
    assert "verify half_plus_two: PASS" in r.stdout
    assert (
        installed["cache"]
        / next(installed["cache"].iterdir()).name
        / "build"
        / "bin"
        / "tfinterop-go"
    ).is_file()


def test_a_client_whose_toolchain_is_missing_is_named_with_how_to_get_it(
    installed: dict[str, Path], tmp_path: Path
) -> None:
    # PATH with everything but Maven: the Java client cannot be built.
    bins = tmp_path / "bin"
    bins.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for tool in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if tool.name != "mvn" and not (bins / tool.name).exists() and os.access(tool, os.X_OK):
                (bins / tool.name).symlink_to(tool)
    r = _run(
        installed,
        "verify",
        "--saved-model",
        str(MODEL),
        "--clients",
        "python,java",
        "--allow-uncovered",
        "--build",
        str(installed["work"] / "nojava"),
        path=str(bins),
    )
    assert r.returncode == 3, r.stderr
    assert "java: needs mvn on PATH: apt-get install" in r.stderr
    assert "--clients python" in r.stderr
    assert shutil.which("mvn", path=str(bins)) is None
