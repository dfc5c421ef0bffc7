#!/usr/bin/env bash
# The install-and-run matrix of issue 21: the wheel in environments as our users have them, each running the DAG
# loads, the unit and DAG tests, one whole offboarding of the everything-user and one approval (approve and reject).
#
#   scripts/matrix.sh                 # every environment (make matrix; make test runs it)
#   scripts/matrix.sh mwaa-3.2.1      # one of: mwaa-3.2.1 mwaa-3.3.1 airflow-3.1.8 development
#
# Environments are cached under .venv-matrix/NAME (rebuilt when this script or their constraints change):
#   mwaa-3.2.1, mwaa-3.3.1  Airflow and the providers under MWAA's constraints (/work/shared or ../shared);
#                           installing the wheel must change no version of the environment.
#   airflow-3.1.8           Airflow 3.1.8 (Composer 3) with the providers at the floors of pyproject.toml.
#   development             the project's own .venv (constraints/development.txt), with the wheel.
# MWAA runs Python 3.12: the environments use it where it exists (PATH or pyenv), else 3.11; MATRIX_PYTHON overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
UV=${UV:-$ROOT/.venv/bin/uv}
find_python() {  # Python 3.12 as MWAA runs, from PATH or pyenv; else 3.11
  local candidate
  for candidate in python3.12 "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | tail -1)"; do
    [ -n "$candidate" ] && "$candidate" -c "" 2>/dev/null && { command -v "$candidate"; return; }
  done
  command -v python3.11
}
PYTHON=${MATRIX_PYTHON:-$(find_python)}
SHARED=${SHARED_CONSTRAINTS:-$(ls -d "$ROOT/../shared/constraints" /work/shared/constraints 2>/dev/null | head -1)}
TEST_TOOLS=("moto[server,iam,sts,s3,secretsmanager]==5.2.5" "pytest==8.4.2" "pytest-xdist==3.8.0")
PROVIDERS=("apache-airflow-providers-amazon[s3fs]" apache-airflow-providers-slack apache-airflow-providers-standard)
FLOORS=("apache-airflow-providers-amazon[s3fs]==9.25.0" apache-airflow-providers-slack==9.10.0
        apache-airflow-providers-standard==1.12.3)
# What each environment runs: the DAG loads and the unit and DAG tests, the wheel's own checks, one whole
# offboarding of the everything-user, and an approval answered Approve and one answered Reject.
TESTS=(tests/packaging tests/unit tests/dags
       "tests/e2e/test_offboarding.py::test_offboards_a_user_holding_everything_and_leaves_the_bystander"
       tests/packaging/test_approval_runs.py)

wheel() {
  rm -rf .venv-matrix/dist && "$UV" build -q --wheel -o .venv-matrix/dist . && rm -rf build plugins/*.egg-info
  ls .venv-matrix/dist/iam_lifecycle-*.whl
}

build_env() {  # NAME AIRFLOW_VERSION CONSTRAINTS|- PACKAGES...
  local name=$1 version=$2 constraints=$3; shift 3
  local dir=.venv-matrix/$name key
  key=$(cat "$0" "${constraints/#-//dev/null}" | sha256sum | cut -c1-16)
  if [ "$(cat "$dir/.matrix-key" 2>/dev/null)" != "$key" ]; then
    rm -rf "$dir" && "$UV" venv -q --python "$PYTHON" "$dir" || return 1
    local c=(); [ "$constraints" != - ] && c=(-c "$constraints")
    "$UV" pip install -q --python "$dir/bin/python" "${c[@]}" "apache-airflow==$version" "$@" "${TEST_TOOLS[@]}" || return 1
    echo "$key" > "$dir/.matrix-key"
  fi
}

install_wheel() {  # NAME WHEEL: fails when installing the wheel changes a version already installed
  local py=.venv-matrix/$1/bin/python before after
  [ "$1" = development ] && py=.venv/bin/python
  before=$("$UV" pip freeze --python "$py" | grep -v '^iam-lifecycle' | sort)
  "$UV" pip install -q --python "$py" --reinstall-package iam-lifecycle "$2"
  after=$("$UV" pip freeze --python "$py" | grep -v '^iam-lifecycle' | sort)
  if [ "$before" != "$after" ]; then
    echo "matrix $1: installing the wheel changed the environment:"; diff <(echo "$before") <(echo "$after") || true
    return 1
  fi
}

run() {  # NAME
  local name=$1 start=$SECONDS py
  case $name in
    mwaa-3.2.1) build_env "$name" 3.2.1 "$SHARED/mwaa-3.2.1.txt" "${PROVIDERS[@]}" ;;
    mwaa-3.3.1) build_env "$name" 3.3.1 "$SHARED/mwaa-3.3.1.txt" "${PROVIDERS[@]}" ;;
    airflow-3.1.8) build_env "$name" 3.1.8 - "${FLOORS[@]}" ;;
    development) ;;
    *) echo "unknown matrix environment $name"; return 2 ;;
  esac || { echo "[$name] FAILED: could not build the environment"; return 1; }
  install_wheel "$name" "$WHEEL" || return 1
  py=.venv-matrix/$name/bin/python; [ "$name" = development ] && py=.venv/bin/python
  # The package from the wheel, not from plugins/: only the repository root on the path (tests, sandbox, local).
  IAM_LIFECYCLE_FROM_WHEEL=1 "$py" -m pytest -q -p no:cacheprovider -o pythonpath=. -p tests.packaging.old_airflow \
    "${TESTS[@]}" 2>&1 | tee ".venv-matrix/$name.log" | tail -n 15 | sed "s/^/[$name] /"
  local status=${PIPESTATUS[0]}
  echo "[$name] $( ((status == 0)) && echo passed || echo FAILED) in $((SECONDS - start)) s"
  return "$status"
}

mkdir -p .venv-matrix && echo "*" > .venv-matrix/.gitignore  # never committed
WHEEL=$(wheel)
names=("$@"); [ ${#names[@]} -eq 0 ] && names=(mwaa-3.2.1 mwaa-3.3.1 airflow-3.1.8 development)
failed=0
for name in "${names[@]}"; do run "$name" || failed=1; done
exit $failed
