#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: system graphviz (apt, when root),
# a .venv/ in the repo root with the pinned CPU torch, and this package with its extras.
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
VENV=.venv

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)  # the libtorch round-trip test compiles a C++ runner
if [[ "${WITH_BROWSER:-0}" == 1 ]] && ! command -v chromium >/dev/null 2>&1; then
    need_apt+=(chromium)
fi
if ((${#need_apt[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing ${need_apt[*]} with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "bootstrap: missing system packages: ${need_apt[*]}" >&2
        echo "  install them with: sudo apt-get install -y ${need_apt[*]}" >&2
        echo "  (or conda install -c conda-forge graphviz); then run this again." >&2
        exit 1
    fi
fi

if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
stamp="$VENV/.bootstrap-$(sha1sum pyproject.toml | cut -c1-12)"
if [[ ! -f $stamp ]]; then
    # torch first and pinned: an unpinned torch pulls gigabytes of CUDA packages.
    "$VENV/bin/python" -m pip install -q "$TORCH_SPEC"
    "$VENV/bin/python" -m pip install -q -e ".[notebook,test]"
    rm -f "$VENV"/.bootstrap-*
    touch "$stamp"
fi
# torchvision for the real-model corpus (tests/real_models): PyPI's Linux wheels are CUDA builds
# whose compiled ops do not load beside CPU torch, so the pure-Python model definitions are
# unpacked beside the venv, not into it (transformers would find and import the broken copy);
# tests/real_models/torchvision_shim.py supplies the few ops. The pin matches torch 2.13.0.
TORCHVISION_SPEC="${TORCHVISION_SPEC:-torchvision==0.28.0}"
TORCHVISION_DIR=$VENV/torchvision-wheel
if [[ ! -d $TORCHVISION_DIR/torchvision-${TORCHVISION_SPEC#torchvision==}.dist-info ]]; then
    rm -rf "$TORCHVISION_DIR"
    "$VENV/bin/python" -m pip install -q --no-deps --target "$TORCHVISION_DIR" "$TORCHVISION_SPEC"
fi
echo "bootstrap: ready ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
