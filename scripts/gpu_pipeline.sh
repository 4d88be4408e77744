#!/usr/bin/env bash
# GPU run for toolkit.pipeline (issue 5): the pipeline tests (GPU ones included), bench/pipeline.py,
# and notebook 04 executed cell by cell, on a machine that has torch + CUDA but no jupyter.
#
#   bash scripts/gpu_pipeline.sh [OUTDIR]        # OUTDIR defaults to $OUT, else artifacts/gpu_pipeline
#   STEPS="notebook" bash scripts/gpu_pipeline.sh  # any of: tests bench notebook (default: all three)
#   PYTHON=/path/to/python bash scripts/gpu_pipeline.sh   # default: python3
#
# Self-contained: if .whl/ holds the nbclient/ipykernel wheels (python 3.12, manylinux), they are
# installed into /tmp/toolkit-site and the notebook runs in a real ipykernel through nbclient;
# without them a small built-in runner executes the code cells in order instead. Everything is
# logged to OUTDIR (at most 6 files) and a summary is printed last, so the tail of the output
# holds the test result, the bench table and the GPU cells' outputs.
#
# The executed notebook is written to OUTDIR/04_inference_op_pipeline.ipynb, with its outputs: the
# copy committed as notebooks/executed-on-gpu/04_inference_op_pipeline.ipynb, which lesson 04's GPU
# cells link to (nbval does not collect that folder).
DEFAULT_OUTDIR=artifacts/gpu_pipeline
source "$(dirname "$0")/gpu_common.sh" "$@"

if wants tests; then
    section "1/3 pipeline tests: pytest tests/pipeline (GPU tests included)"
    "$PY" -m pytest -q -rs -p no:cacheprovider tests/pipeline 2>&1 | tee "$OUTDIR/pytest_pipeline.log"
    tests_rc=${PIPESTATUS[0]}
fi

if wants bench; then
    section "2/3 bench/pipeline.py"
    "$PY" bench/pipeline.py --json "$OUTDIR/bench_pipeline.json" 2>&1 | tee "$OUTDIR/bench_pipeline.log"
    bench_rc=${PIPESTATUS[0]}
fi

if wants notebook; then
section "3/3 notebook 04, executed"
"$PY" - "$OUTDIR" <<'EOF' 2>&1 | tee "$OUTDIR/notebook_04.log"
"""Execute notebooks/04_inference_op_pipeline.ipynb; write the executed copy; print the cells' outputs."""
import ast, contextlib, io, json, linecache, re, sys, traceback
from pathlib import Path

source = Path("notebooks/04_inference_op_pipeline.ipynb")
out_dir = Path(sys.argv[1])
target = out_dir / "04_inference_op_pipeline.ipynb"  # the integrator commits it as notebooks/executed-on-gpu/
nb = json.loads(source.read_text())
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_with_nbclient(nb):
    import nbclient, nbformat
    node = nbformat.reads(json.dumps(nb), as_version=4)  # also joins each cell's source lines
    client = nbclient.NotebookClient(node, timeout=600, kernel_name="python3", resources={"metadata": {"path": "notebooks"}})
    error = None
    try:
        client.execute()
    except Exception as exc:  # CellExecutionError and kernel failures: keep what ran
        error = exc
    return json.loads(nbformat.writes(node)), error, "nbclient + ipykernel"


def run_builtin(nb):
    """Code cells in order, in one namespace, in notebooks/: stdout and the last expression's repr."""
    import os
    os.environ.setdefault("MPLBACKEND", "Agg")  # no kernel to display figures in
    os.chdir("notebooks")
    namespace = {"__name__": "__main__"}
    error = None
    for count, cell in enumerate((c for c in nb["cells"] if c["cell_type"] == "code"), start=1):
        code = "".join(cell["source"])
        buffer = io.StringIO()
        outputs = []
        filename = f"<notebook cell {count}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)  # torch.jit.script reads source
        try:
            tree = ast.parse(code)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            with contextlib.redirect_stdout(buffer):
                exec(compile(tree, filename, "exec"), namespace)
                value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace) if last else None
            if buffer.getvalue():
                outputs.append({"output_type": "stream", "name": "stdout", "text": buffer.getvalue()})
            if value is not None:
                outputs.append({"output_type": "execute_result", "execution_count": count, "metadata": {}, "data": {"text/plain": repr(value)}})
        except Exception as exc:
            if buffer.getvalue():
                outputs.append({"output_type": "stream", "name": "stdout", "text": buffer.getvalue()})
            outputs.append({"output_type": "error", "ename": type(exc).__name__, "evalue": str(exc), "traceback": traceback.format_exc().splitlines()})
            error = exc
        cell["outputs"], cell["execution_count"] = outputs, count
        if error:
            break
    os.chdir("..")
    return nb, error, "built-in runner (no nbclient)"


import os
try:
    if os.environ.get("TOOLKIT_NOTEBOOK_RUNNER") == "builtin":
        raise ImportError("built-in runner asked for")
    import nbclient  # noqa: F401
    executed, error, how = run_with_nbclient(nb)
except ImportError:
    executed, error, how = run_builtin(nb)
target.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n")
print(f"executed with {how}; written to {target}")


def text_of(output):
    if output["output_type"] == "stream":
        return "".join(output["text"])
    if output["output_type"] == "error":
        return ANSI.sub("", "\n".join(output["traceback"][-8:])) + "\n"
    data = output.get("data", {})
    kinds = ", ".join(k for k in data if k != "text/plain")
    plain = "".join(data.get("text/plain", ""))
    return plain + (f"   [+ {kinds}]" if kinds else "") + "\n"


with open(out_dir / "notebook_04_gpu_cells.txt", "w") as summary:
    for index, cell in enumerate(c for c in executed["cells"] if c["cell_type"] == "code"):
        code = "".join(cell["source"])
        text = "".join(text_of(o) for o in cell.get("outputs", []))
        gpu = "torch.cuda.is_available()" in code
        print(f"--- code cell {index + 1}{' (GPU)' if gpu else ''}: {code.splitlines()[0][:70]}")
        print(text.rstrip() if gpu or len(text) < 1200 else text[:1200].rstrip() + "\n    [... cut]")
        if gpu:
            summary.write(f"--- code cell {index + 1}: {code.splitlines()[0][:70]}\n{text}\n")
if error is not None:
    print(f"\nNOTEBOOK FAILED: {type(error).__name__}: {ANSI.sub('', str(error))[-2000:]}")
    sys.exit(1)
print("\nnotebook 04 ran to the end")
EOF
notebook_rc=${PIPESTATUS[0]}
fi

section "summary"
echo "--- tests (rc=$tests_rc):"
wants tests && grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed" "$OUTDIR/pytest_pipeline.log" | tail -25
echo "--- bench (rc=$bench_rc):"
wants bench && cat "$OUTDIR/bench_pipeline.log"
echo "--- notebook 04 GPU cells (rc=$notebook_rc):"
wants notebook && cat "$OUTDIR/notebook_04_gpu_cells.txt" 2>/dev/null
echo "--- files in $OUTDIR:"
ls -la "$OUTDIR"
echo "gpu_pipeline.sh: tests rc=$tests_rc, bench rc=$bench_rc, notebook rc=$notebook_rc"
failed=0
for rc in "$tests_rc" "$bench_rc" "$notebook_rc"; do
    [[ $rc == skipped || $rc == 0 ]] || failed=1
done
exit $failed
