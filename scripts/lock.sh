#!/usr/bin/env bash
# Rewrites constraints/development.txt: requirements-dev.txt resolved afresh (newest versions in its ranges) in a
# scratch venv, frozen. Review the diff, run make test, commit. make installs .venv with these exact versions.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
python3.11 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --upgrade pip
"$scratch/venv/bin/pip" install --quiet -r requirements-dev.txt
{
  echo "# The exact development and demo set (make installs .venv with it: pip install -c constraints/development.txt)."
  echo "# Written by scripts/lock.sh (make lock) from requirements-dev.txt. Python 3.11."
  "$scratch/venv/bin/pip" freeze --exclude-editable | grep -v '^iam-lifecycle'
} > constraints/development.txt
echo "constraints/development.txt rewritten: git diff constraints/"
