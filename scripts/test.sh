#!/usr/bin/env bash
# make test, after lint and the test tools: every test on the development set (pytest, three workers) and, beside
# it, the matrix (scripts/matrix.sh, docs/installing.md) in two chains of environments, one test at a time each:
# the main suite's distributed Airflow mostly waits, and the three side by side fill this 2-core machine.
#   chain 1: MWAA 3.2.1, every test marked matrix (the unit and DAG tests, the wheel's, the whole everything-user
#            offboarding and an approval answered both ways); then the development set, the wheel's tests and
#            the DAGs loaded from it (the main suite ran the rest on it)
#   chain 2: Airflow 3.1.8, then MWAA 3.3.1, every test marked matrix in each
# make matrix runs every test marked matrix in all four. Each chain's output: .venv-matrix/chain-N.log.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export UV=$BIN/uv MATRIX_PYTEST_ARGS="-n 0"
ALL="tests/unit tests/dags tests/packaging tests/e2e"

mkdir -p .venv-matrix
rm -rf .venv-matrix/dist && "$UV" build -q --wheel -o .venv-matrix/dist . && rm -rf build plugins/*.egg-info || exit 1
MATRIX_WHEEL=$(ls .venv-matrix/dist/iam_lifecycle-*.whl) && export MATRIX_WHEEL

chain() {  # TESTS ENV TESTS ENV: the two environments one after the other; fails if either does
  local status=0
  MATRIX_TESTS=$1 bash scripts/matrix.sh "$2" || status=1
  MATRIX_TESTS=$3 bash scripts/matrix.sh "$4" || status=1
  return $status
}
chain "$ALL" mwaa-3.2.1 "tests/packaging tests/dags/test_integrity.py" development > .venv-matrix/chain-1.log 2>&1 &
first=$!
chain "$ALL" airflow-3.1.8 "$ALL" mwaa-3.3.1 > .venv-matrix/chain-2.log 2>&1 &
second=$!

"$BIN/python" -m pytest -n 3
main=$?
wait $first; first=$?
wait $second; second=$?
echo "--- the matrix"
cat .venv-matrix/chain-1.log .venv-matrix/chain-2.log
exit $((main != 0 || first != 0 || second != 0))
