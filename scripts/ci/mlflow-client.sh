#!/usr/bin/env bash
# Finds MLflow's Python client set-up script and runs it, printing the
# environment to eval (`export … MLFLOW_PY=…`) on standard output.
# Looks in: $LOCKSTEP_MLFLOW_CLIENT_SETUP, ../shared/mlflow-client/setup.sh
# (next to the repository), /work/shared/mlflow-client/setup.sh.
# Exit codes: 0 ready, 3 no set-up script found, anything else: it failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
for candidate in "${LOCKSTEP_MLFLOW_CLIENT_SETUP:-}" "$root/../shared/mlflow-client/setup.sh" /work/shared/mlflow-client/setup.sh; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then
    exec bash "$candidate"
  fi
done
echo "mlflow-client: no setup.sh (set LOCKSTEP_MLFLOW_CLIENT_SETUP, or put it at $root/../shared/mlflow-client/setup.sh)" >&2
exit 3
