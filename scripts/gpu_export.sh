#!/usr/bin/env bash
# GPU run for torch.export support (issue 15): the export tests and lesson 08 executed, on a machine
# with torch + CUDA but no jupyter or graphviz (torch 2.11, Python 3.12), to show they hold on that torch.
# The executed lesson is OUTDIR/08_from_torchscript_to_export.ipynb.
#
#   bash scripts/gpu_export.sh [OUTDIR]        # OUTDIR defaults to $OUT, else artifacts/gpu_export
#   STEPS="tests" bash scripts/gpu_export.sh   # any of: tests notebook (default: both)
DEFAULT_OUTDIR=artifacts/gpu_export
source "$(dirname "$0")/gpu_common.sh" "$@"

if wants tests; then
    section "1/2 pytest: the export IR, views, compare and check_trace's export row"
    "$PY" -m pytest -q -rs -p no:cacheprovider tests/ir/test_build_export.py tests/render/test_export_views.py \
        tests/render/test_export_compare.py tests/analysis/lost_flow/test_export_view.py 2>&1 | tee "$OUTDIR/pytest_export.log"
    tests_rc=${PIPESTATUS[0]}
fi

if wants notebook; then
    section "2/2 notebook 08, executed with nbclient"
    "$PY" scripts/execute_notebook.py notebooks/08_from_torchscript_to_export.ipynb "$OUTDIR" 2>&1 | tee "$OUTDIR/notebook_08.log"
    notebook_rc=${PIPESTATUS[0]}
fi

section "summary"
wants tests && { echo "--- tests (rc=$tests_rc):"; grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed" "$OUTDIR/pytest_export.log" | tail -25; }
echo "gpu_export.sh: tests rc=$tests_rc, notebook rc=$notebook_rc (files in $OUTDIR)"
