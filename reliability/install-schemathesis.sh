#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer of reliability/schemathesis.test.ts) from PyPI into a
# virtualenv outside the repository, keyed by its version, so later runs reuse it. Idempotent: a
# venv whose `st --version` answers the pinned version is kept as it is. The last line printed is
# `st=<path of the st command>`, which the test reads.
#   SCHEMATHESIS_VERSION  default 4.32.5 (checked with Python 3.11)
#   SCHEMATHESIS_VENV     default ~/.cache/observability-kit/venv-schemathesis-<version>
#   PYTHON                the interpreter that builds the venv (default python3; schemathesis needs 3.10+)
set -euo pipefail

version="${SCHEMATHESIS_VERSION:-4.32.5}"
venv="${SCHEMATHESIS_VENV:-$HOME/.cache/observability-kit/venv-schemathesis-$version}"
python="${PYTHON:-python3}"

if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $version"; then
  echo "schemathesis: $version already installed in $venv"
else
  echo "schemathesis: installing $version into $venv with $("$python" --version 2>&1)"
  start=$(date +%s)
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "schemathesis==$version"
  "$venv/bin/st" --version
  echo "schemathesis: installed in $(( $(date +%s) - start )) s"
fi
echo "st=$venv/bin/st"
