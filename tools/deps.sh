#!/usr/bin/env bash
# `make deps`: install the Debian packages the build and tests need, only those missing.
# As root with apt-get; else with sudo when it works without a password prompt;
# else stop with the one command to run. The table in README.md says who needs what.
set -euo pipefail

PACKAGES=(
  # C++ client: gRPC C++, protobuf, libcurl, JSON (RapidJSON for REST, as TF Serving),
  # GoogleTest, build tools, clang-format for `make lint`
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev rapidjson-dev libgtest-dev cmake ninja-build g++
  valgrind clang-format-14
  # Java client: Maven, and grpc-java's protoc plugin (Maven Central serves no linux binary here)
  maven protobuf-compiler-grpc-java-plugin
  # fuzz-short: libFuzzer
  clang libclang-rt-14-dev
  # test-report: headless screenshot
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run this once, then re-run make:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${#missing[@]} Debian package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed in $((SECONDS - start)) s"
