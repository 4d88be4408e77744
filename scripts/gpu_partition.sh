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
    "$PY" - "$OUTDIR" <<'EOF' 2>&1 | tee "$OUTDIR/notebook_05.log"
"""Execute notebooks/05_partitioning.ipynb in a real kernel; save it; print every GPU cell's output."""
import sys
from pathlib import Path

import nbclient
import nbformat

out = Path(sys.argv[1])
nb = nbformat.read("notebooks/05_partitioning.ipynb", as_version=4)
client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "notebooks"}})
failure = None
try:
    client.execute()
except Exception as error:  # keep what ran, report the failing cell below
    failure = error
nbformat.write(nb, out / "05_partitioning.ipynb")


def text(output):
    if output.output_type == "stream":
        return output.text if output.name == "stdout" else ""
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}\n"
    plain = output.get("data", {}).get("text/plain", "")
    return plain + "\n" if plain else ""


with open(out / "notebook_05_gpu_cells.txt", "w") as summary:
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        if "torch.cuda.is_available()" in cell.source:
            block = f"--- code cell {number}: {cell.source.splitlines()[0]}\n" + "".join(text(o) for o in cell.get("outputs", []))
            summary.write(block + "\n")
            print(block)
if failure is not None:
    print(f"NOTEBOOK FAILED: {type(failure).__name__}: {str(failure)[-3000:]}")
    sys.exit(1)
print("notebook 05 ran to the end")
EOF
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
