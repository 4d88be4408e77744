#!/usr/bin/env bash
# GPU run for toolkit.partition (issues 6, 13): the partition tests (GPU ones included), bench/partition.py,
# and notebook 05 executed, on a machine with torch + CUDA but no jupyter (torch 2.11, Python 3.12).
# The executed notebook is OUTDIR/05_partitioning.ipynb, outputs kept and widget state stripped: commit it as
# notebooks/executed-on-gpu/05_partitioning.ipynb (the lesson's GPU cells link there).
#
#   bash scripts/gpu_partition.sh [OUTDIR]              # OUTDIR defaults to $OUT, else artifacts/gpu_partition
#   STEPS="tests bench" bash scripts/gpu_partition.sh   # any of: tests bench notebook (default: all three)
#   PYTHON=/path/to/python bash scripts/gpu_partition.sh
#
# The notebook needs nbclient + ipykernel: the py3.12 wheels in .whl/ (shared with scripts/gpu_pipeline.sh)
# are installed into /tmp/toolkit-site first. Logs go to OUTDIR (7 files); the summary printed last holds
# the test result, the bench tables and the outputs of the notebook's GPU cells.
DEFAULT_OUTDIR=artifacts/gpu_partition
source "$(dirname "$0")/gpu_common.sh" "$@"

if wants tests; then
    section "1/3 pytest tests/partition tests/analysis/partition (GPU tests included)"
    "$PY" -m pytest -q -rs -p no:cacheprovider tests/partition tests/analysis/partition 2>&1 | tee "$OUTDIR/pytest_partition.log"
    tests_rc=${PIPESTATUS[0]}
fi

if wants bench; then
    section "2/3 python bench/partition.py"
    "$PY" bench/partition.py --json "$OUTDIR/bench_partition.json" 2>&1 | tee "$OUTDIR/bench_partition.log"
    bench_rc=${PIPESTATUS[0]}
fi

if wants notebook; then
    section "3/3 notebook 05, executed with nbclient"
    "$PY" scripts/execute_notebook.py notebooks/05_partitioning.ipynb "$OUTDIR" 2>&1 | tee "$OUTDIR/notebook_05.log"
    notebook_rc=${PIPESTATUS[0]}
    if [[ -f "$OUTDIR/05_partitioning.ipynb" ]]; then
        "$PY" -m toolkit.widgets.notebook_state "$OUTDIR/05_partitioning.ipynb" || notebook_rc=1
    fi
fi

section "summary"
wants tests && { echo "--- tests (rc=$tests_rc):"; grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed" "$OUTDIR/pytest_partition.log" | tail -25; }
wants bench && { echo "--- bench (rc=$bench_rc):"; cat "$OUTDIR/bench_partition.log"; }
wants notebook && { echo "--- notebook 05 GPU cells (rc=$notebook_rc):"; cat "$OUTDIR/notebook_05_gpu_cells.txt" 2>/dev/null; }
echo "gpu_partition.sh: tests rc=$tests_rc, bench rc=$bench_rc, notebook rc=$notebook_rc (files in $OUTDIR)"
for rc in "$tests_rc" "$bench_rc" "$notebook_rc"; do
    [[ $rc == skipped || $rc == 0 ]] || exit 1
done
