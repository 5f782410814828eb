#!/usr/bin/env bash
# `make dist`: a wheel and an sdist of tfinterop in build/dist/, carrying the Go, Java and
# C++ clients' sources as package data (tfinterop/client_sources/<lang>, with DIGEST, the
# sha256 of them all), so an installed tfinterop builds its clients on first use
# (python/tfinterop/harness/client_cache.py). Only files git tracks (or would track) ship;
# fuzz corpora stay behind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PY:-$root/.venv/bin/python}
case $py in /*) ;; *) py=$root/$py ;; esac
out=${DIST_OUT:-$root/build/dist}
stage=$out/stage
cd "$root"
rm -rf "$stage" "$out"/*.whl "$out"/*.tar.gz
mkdir -p "$stage"

files() { git ls-files --cached --others --exclude-standard -- "$@"; }

files python | while IFS= read -r f; do
  [ -f "$f" ] && install -D -m 644 "$f" "$stage/${f#python/}"
done
install -m 644 README.md "$stage/README.md"
src=$stage/tfinterop/client_sources
files clients/go clients/java clients/cpp | grep -v -e '/fuzz_corpus/' -e '/testdata/fuzz/' |
  while IFS= read -r f; do
    [ -f "$f" ] && install -D -m "$( [ -x "$f" ] && echo 755 || echo 644)" "$f" "$src/${f#clients/}"
  done
(cd "$src" && find . -type f ! -name DIGEST -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1) >"$src/DIGEST"
echo "dist: $(find "$src" -type f | wc -l) client source files, digest $(cut -c1-12 "$src/DIGEST")"

cd "$stage"
"$py" -m pip wheel --quiet --no-deps --no-build-isolation -w "$out" .
"$py" -c 'import sys; from setuptools import build_meta as b; b.build_sdist(sys.argv[1])' "$out" >/dev/null
rm -rf "$stage"
ls -l "$out"/*.whl "$out"/*.tar.gz | awk '{print "dist: " $NF " (" $5 " bytes)"}'
