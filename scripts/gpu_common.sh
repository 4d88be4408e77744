# Shared preamble of the GPU runner scripts (sourced, not run): where logs go, which steps run,
# a private Jupyter/IPython home, the machine's torch/CUDA line, and the notebook wheels.
#
# The caller sets DEFAULT_OUTDIR and passes its own "$@"; afterwards REPO, OUTDIR, PY, STEPS,
# wants STEP, section TITLE and tests_rc/bench_rc/notebook_rc are defined.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OUTDIR=${1:-${OUT:-$DEFAULT_OUTDIR}}
mkdir -p "$OUTDIR" && OUTDIR=$(cd "$OUTDIR" && pwd)
PY=${PYTHON:-python3}
STEPS=${STEPS:-tests bench notebook}
export PYTHONUNBUFFERED=1 PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
export JUPYTER_PLATFORM_DIRS=1 JUPYTER_RUNTIME_DIR=/tmp/toolkit-jupyter/runtime JUPYTER_DATA_DIR=/tmp/toolkit-jupyter/data
export JUPYTER_CONFIG_DIR=/tmp/toolkit-jupyter/config IPYTHONDIR=/tmp/toolkit-jupyter/ipython
mkdir -p "$JUPYTER_RUNTIME_DIR" "$JUPYTER_DATA_DIR" "$JUPYTER_CONFIG_DIR" "$IPYTHONDIR"
tests_rc=skipped bench_rc=skipped notebook_rc=skipped

wants() { [[ " $STEPS " == *" $1 "* ]]; }
section() { printf '\n=============== %s ===============\n' "$*"; }

section "environment"
"$PY" - <<'PY'
import platform, sys
import torch
print(f"python {platform.python_version()} ({sys.executable}), torch {torch.__version__}, CUDA {torch.version.cuda}")
print(f"cuda available: {torch.cuda.is_available()}, devices: {torch.cuda.device_count()}")
for i in range(torch.cuda.device_count()):
    print(f"  cuda:{i} {torch.cuda.get_device_name(i)}")
PY

# The notebook step needs nbclient + ipykernel: py3.12 wheels in .whl/ (git-ignored; see README, GPU).
if wants notebook && compgen -G ".whl/*.whl" >/dev/null; then
    section "installing $(ls .whl/*.whl | wc -l) notebook wheels from .whl/ into /tmp/toolkit-site"
    if "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/toolkit-site .whl/*.whl; then
        export PYTHONPATH="/tmp/toolkit-site:$PYTHONPATH"
    else
        echo "wheel install failed: the notebook step uses nbclient only if it is already importable"
    fi
elif wants notebook; then
    echo "no .whl/ wheels: the notebook step needs nbclient and ipykernel importable"
fi
