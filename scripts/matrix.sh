#!/usr/bin/env bash
# The install-and-run matrix of issue 21: the wheel in environments as our users have them, each running the tests
# marked `matrix` (tests/conftest.py): the DAG loads, the unit and DAG tests, the wheel's own checks, one whole
# offboarding of the everything-user and one approval answered Approve and one answered Reject.
#
#   scripts/matrix.sh                 # every environment (make matrix; make test runs it after the main suite)
#   scripts/matrix.sh mwaa-3.2.1      # some of: mwaa-3.2.1 mwaa-3.3.1 airflow-3.1.8 development
#   MATRIX_PYTEST_ARGS="-n 0 -k approval" scripts/matrix.sh airflow-3.1.8   # extra pytest arguments
#   MATRIX_TESTS="tests/packaging tests/dags" scripts/matrix.sh development  # only the tests marked matrix there
#   MATRIX_WHEEL=dist/iam_lifecycle-0.2.0-py3-none-any.whl scripts/matrix.sh ...  # that wheel, not a new build
#
# Environments are built once under .venv-matrix/NAME, with uv (its cache makes a rebuild a matter of seconds), and
# rebuilt only when their definition below or their constraints change (the key in .venv-matrix/NAME/.matrix-key):
#   mwaa-3.2.1, mwaa-3.3.1  Airflow and the providers under MWAA's constraints (../shared/constraints); installing
#                           the wheel must change no version of the environment.
#   airflow-3.1.8           Airflow 3.1.8 (Composer 3) with the providers at the floors of pyproject.toml.
#   development             the development set (constraints/development.txt, Python 3.11), the wheel instead of
#                           plugins/; the main suite runs everything else on this set.
# MWAA runs Python 3.12: the MWAA and 3.1.8 environments use it where it exists (PATH or pyenv), else 3.11;
# MATRIX_PYTHON overrides. A log per environment: .venv-matrix/NAME.log.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
UV=${UV:-$ROOT/.venv/bin/uv}
find_python() {  # VERSION: that Python from PATH or pyenv, else python3.11
  local candidate
  for candidate in "python$1" "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1"*/bin/python"$1" 2>/dev/null | tail -1)"; do
    [ -n "$candidate" ] && "$candidate" -c "" 2>/dev/null && { command -v "$candidate"; return; }
  done
  command -v python3.11
}
SHARED=${SHARED_CONSTRAINTS:-$(ls -d "$ROOT/../shared/constraints" /work/shared/constraints 2>/dev/null | head -1)}
TEST_TOOLS=("moto[server,iam,sts,s3,secretsmanager]==5.2.5" "pytest==8.4.2" "pytest-xdist==3.8.0")
PROVIDERS=("apache-airflow-providers-amazon[s3fs]" apache-airflow-providers-slack apache-airflow-providers-standard)
MATRIX_TESTS=${MATRIX_TESTS:-tests/unit tests/dags tests/packaging tests/e2e}
FLOORS=("apache-airflow-providers-amazon[s3fs]==9.25.0" apache-airflow-providers-slack==9.10.0
        apache-airflow-providers-standard==1.12.3)

define() {  # NAME: sets python, constraints and packages (everything an environment is built from)
  case $1 in
    mwaa-3.2.1) python=3.12 constraints=$SHARED/mwaa-3.2.1.txt packages=(apache-airflow==3.2.1 "${PROVIDERS[@]}") ;;
    mwaa-3.3.1) python=3.12 constraints=$SHARED/mwaa-3.3.1.txt packages=(apache-airflow==3.3.1 "${PROVIDERS[@]}") ;;
    airflow-3.1.8) python=3.12 constraints=/dev/null packages=(apache-airflow==3.1.8 "${FLOORS[@]}") ;;
    development) python=3.11 constraints=$ROOT/constraints/development.txt packages=(-r requirements.txt) ;;
    *) echo "unknown matrix environment $1 (mwaa-3.2.1 mwaa-3.3.1 airflow-3.1.8 development)" >&2; return 2 ;;
  esac
}

wheel() {
  rm -rf .venv-matrix/dist && "$UV" build -q --wheel -o .venv-matrix/dist . && rm -rf build plugins/*.egg-info
  ls .venv-matrix/dist/iam_lifecycle-*.whl
}

build_env() {  # NAME: (re)builds .venv-matrix/NAME when its definition changed
  local name=$1 dir=.venv-matrix/$1 python constraints packages key start=$SECONDS
  define "$name" || return 2
  python=${MATRIX_PYTHON:-$(find_python "$python")}
  key=$( (echo "$python ${packages[*]} ${TEST_TOOLS[*]}"; cat "$constraints" requirements.txt) | sha256sum | cut -c1-16)
  [ "$(cat "$dir/.matrix-key" 2>/dev/null)" = "$key" ] && return 0
  rm -rf "$dir" && "$UV" venv -q --python "$python" "$dir" || return 1
  "$UV" pip install -q --python "$dir/bin/python" -c "$constraints" "${packages[@]}" "${TEST_TOOLS[@]}" || return 1
  echo "$key" > "$dir/.matrix-key"
  echo "[$name] environment built in $((SECONDS - start)) s ($("$dir/bin/python" -V))"
}

install_wheel() {  # NAME WHEEL: fails when installing the wheel changes a version already installed
  local py=.venv-matrix/$1/bin/python before after
  before=$("$UV" pip freeze -q --python "$py" | grep -v '^iam-lifecycle' | sort)
  "$UV" pip install -q --python "$py" --reinstall-package iam-lifecycle "$2"
  after=$("$UV" pip freeze -q --python "$py" | grep -v '^iam-lifecycle' | sort)
  if [ "$before" != "$after" ]; then
    echo "[$1] installing the wheel changed the environment:"; diff <(echo "$before") <(echo "$after") || true
    return 1
  fi
}

run() {  # NAME
  local name=$1 start=$SECONDS status
  build_env "$name" || { echo "[$name] FAILED: could not build the environment"; return 1; }
  install_wheel "$name" "$WHEEL" || return 1
  # The package from the wheel, not from plugins/: only the repository root on the path (tests, sandbox, local).
  # shellcheck disable=SC2086
  IAM_LIFECYCLE_FROM_WHEEL=1 ".venv-matrix/$name/bin/python" -m pytest -q -p no:cacheprovider -o pythonpath=. \
    -p tests.packaging.old_airflow -m matrix ${MATRIX_PYTEST_ARGS:-} $MATRIX_TESTS \
    > ".venv-matrix/$name.log" 2>&1 && status=0 || status=$?
  grep -E '^(FAILED|ERROR) ' ".venv-matrix/$name.log" | cut -c1-200 | sed "s/^/[$name] /" || true
  echo "[$name] $(grep -aE '[0-9]+ (passed|failed|errors?)[ ,].* in [0-9.]+s' ".venv-matrix/$name.log" | tail -n 1 | tr -d '=')"
  echo "[$name] $( ((status == 0)) && echo passed || echo FAILED) in $((SECONDS - start)) s (log: .venv-matrix/$name.log)"
  return "$status"
}

mkdir -p .venv-matrix && echo "*" > .venv-matrix/.gitignore  # never committed
names=("$@"); [ ${#names[@]} -eq 0 ] && names=(mwaa-3.2.1 mwaa-3.3.1 airflow-3.1.8 development)
for name in "${names[@]}"; do define "$name" || exit 2; done
WHEEL=${MATRIX_WHEEL:-$(wheel)}  # MATRIX_WHEEL: one wheel built beforehand, for matrix runs side by side
failed=0
for name in "${names[@]}"; do run "$name" || failed=1; done
exit $failed
