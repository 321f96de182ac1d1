#!/usr/bin/env bash
# Run pytest with the given interpreter and arguments, and fail when it collected no test.
# pytest exits with 5 when nothing was collected, which a test command must not treat as a pass.
#   tools/pytest-strict.sh .venv/bin/python [pytest arguments...]
set -uo pipefail
python=${1:?usage: tools/pytest-strict.sh PYTHON [pytest arguments...]}
shift
"$python" -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no test (exit code 5): failing the run." >&2
  exit 1
fi
exit "$status"
