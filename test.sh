#!/usr/bin/env bash
# The test suite, on a machine that has only the Rust toolchain: brings what the tests run
# besides cargo, then runs `cargo test` over the whole workspace (extra arguments go to it).
#  - xmllint (Debian's libxml2-utils): the XML fixtures are validated against the ministerial
#    XSDs. Installed with apt-get when missing (as root, or with sudo).
#  - Python with duckdb and sqlglot (PyPI): the profiling model as SQL is run in DuckDB and
#    parsed by sqlglot. A venv under target/test-venv, made once.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v xmllint >/dev/null; then
  echo "test.sh: installing xmllint (libxml2-utils)" >&2
  sudo=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $sudo apt-get update -qq && $sudo apt-get install -y -qq libxml2-utils >/dev/null
fi
VENV=target/test-venv
if ! "$VENV/bin/python" -c "import duckdb, sqlglot" 2>/dev/null; then
  echo "test.sh: making $VENV with duckdb and sqlglot" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "duckdb==2.0.1" "sqlglot==30.31.0"
fi
export INCROCIO_PYTHON="$PWD/$VENV/bin/python"
exec cargo test --locked "$@"
