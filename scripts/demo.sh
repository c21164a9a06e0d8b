#!/usr/bin/env bash
# Start (or stop) the Dagster UI on :3000, Streamlit on :8501, the MLflow UI on :5000, the REST
# API on :8000 and the stream consumer that keeps shoppers' last views online; pids are kept in
# .demo/. `make demo` then builds the graph as a run of the Dagster UI (`hashira launch`), which
# creates the demo sign-ins as soon as the world is generated.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PIDS=.demo
mkdir -p "$PIDS"
export HASHIRA_PRESET=${DEMO_PRESET:-${HASHIRA_PRESET:-small}}
# One "planned" event per asset for a run over a range of days (the Makefile says why).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=${DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS:-1}

stop() {
  for name in dagster streamlit mlflow api stream; do
    if [[ -f "$PIDS/$name.pid" ]]; then
      pid=$(cat "$PIDS/$name.pid")
      # Each server was started as a group leader: stop the whole group, politely first. dagster
      # dev can outlive SIGTERM (seen here), so a group still alive after 20 s gets SIGKILL.
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 1
      done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$PIDS/$name.pid"
    fi
  done
}

if [[ "${1:-}" == "stop" ]]; then
  stop
  echo "demo stopped"
  exit 0
fi
stop

# The Dagster UI's runs execute two steps at a time on this 2-core machine: one thread each, so
# two PyTorch or LightGBM steps side by side do not spin-wait on each other's core.
OMP_NUM_THREADS=1 setsid "$BIN/dagster" dev -w workspace.yaml -h 127.0.0.1 -p 3000 \
  >"$PIDS/dagster.log" 2>&1 &
echo $! >"$PIDS/dagster.pid"
setsid "$BIN/streamlit" run hashira_ui/streamlit_app.py --server.port 8501 \
  --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false \
  >"$PIDS/streamlit.log" 2>&1 &
echo $! >"$PIDS/streamlit.pid"
MLFLOW_URI=${MLFLOW_TRACKING_URI:-sqlite:///${HASHIRA_HOME:-$PWD/data}/mlflow/mlflow.db}
mkdir -p "${HASHIRA_HOME:-$PWD/data}/mlflow"
# One web worker and no job runners: by default the MLflow server starts four workers and seven
# job-runner processes (for MLflow's own background jobs, unused here): 64 s of CPU to start, against
# 9 s this way, while the graph's first steps were running.
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false setsid "$BIN/mlflow" ui \
  --backend-store-uri "$MLFLOW_URI" --host 127.0.0.1 --port 5000 --workers 1 \
  >"$PIDS/mlflow.log" 2>&1 &
echo $! >"$PIDS/mlflow.pid"
setsid "$BIN/hashira" api --host 127.0.0.1 --port 8000 >"$PIDS/api.log" 2>&1 &
echo $! >"$PIDS/api.pid"
setsid "$BIN/hashira" stream-consume >"$PIDS/stream.log" 2>&1 &
echo $! >"$PIDS/stream.pid"

wait_for() {
  local url=$1 name=$2
  for _ in $(seq 1 180); do
    if curl -fs -o /dev/null "$url"; then echo "$name is up: $url"; return 0; fi
    sleep 1
  done
  echo "$name did not come up; see $PIDS/$name.log" >&2
  return 1
}
wait_for http://127.0.0.1:3000/server_info dagster
wait_for http://127.0.0.1:8501/_stcore/health streamlit
wait_for http://127.0.0.1:5000/health mlflow
wait_for http://127.0.0.1:8000/health/live api
echo
echo "  Dagster UI:    http://127.0.0.1:3000"
echo "  HashiraMart:   http://127.0.0.1:8501  (demo sign-ins: see the README)"
echo "  MLflow UI:     http://127.0.0.1:5000"
echo "  REST API:      http://127.0.0.1:8000  (docs: http://127.0.0.1:8000/docs)"
echo
echo "They run in the background; stop them with: make demo-stop"
