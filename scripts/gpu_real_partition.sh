#!/usr/bin/env bash
# GPU run for toolkit.partition on real models (issue 10 item 7): the real-model and in-place tests, then
# bench/partition.py --real: ResNet-50, MobileNetV3-Large, ViT-B/16, ConvNeXt-T, Swin-T and a 4-layer BERT
# (bert-base widths) partitioned for CUDA against the same model traced whole on the GPU, same run, warmed,
# median of interleaved rounds. Goal: partitioned <= 1.03 x all-GPU. Needs torch + CUDA, torchvision and
# transformers (no jupyter).
#
#   bash scripts/gpu_real_partition.sh [OUTDIR]            # OUTDIR defaults to $OUT, else artifacts/gpu_real_partition
#   STEPS=bench BATCHES="1 8" bash scripts/gpu_real_partition.sh
#   PYTHON=/path/to/python bash scripts/gpu_real_partition.sh
#   REAL_ARGS="--size tiny --iterations 10 --device cpu" BATCHES=2 bash scripts/gpu_real_partition.sh /tmp/x  # CPU dry run
#
# Files in OUTDIR: pytest_real_partition.log, real_partition_b<N>.log and .json (one pair per batch size),
# real_partition_table.txt (every table, what the summary prints).
DEFAULT_OUTDIR=artifacts/gpu_real_partition
STEPS=${STEPS:-tests bench}
source "$(dirname "$0")/gpu_common.sh" "$@"
BATCHES=${BATCHES:-1 8}
read -r -a REAL_ARGS <<<"${REAL_ARGS:-}"

if wants tests; then
    section "1/2 pytest (real models on the CPU and CUDA, in-place writes, size arithmetic)"
    "$PY" -m pytest -q -rs -p no:cacheprovider tests/partition/test_real_models.py tests/partition/test_in_place.py \
        tests/partition/test_notes.py tests/analysis/partition/test_size_arithmetic.py \
        "tests/partition/test_gpu.py::test_real_models_on_cuda_are_one_compiled_segment_reproducing_eager" \
        2>&1 | tee "$OUTDIR/pytest_real_partition.log"
    tests_rc=${PIPESTATUS[0]}
fi

if wants bench; then
    bench_rc=0
    : >"$OUTDIR/real_partition_table.txt"
    for batch in $BATCHES; do
        section "2/2 python bench/partition.py --real --batch $batch"
        "$PY" bench/partition.py --real --batch "$batch" "${REAL_ARGS[@]}" --json "$OUTDIR/real_partition_b$batch.json" 2>&1 \
            | tee "$OUTDIR/real_partition_b$batch.log"
        [[ ${PIPESTATUS[0]} == 0 ]] || bench_rc=1
        sed -n '/^5\. Real models/,/goal partitioned/p' "$OUTDIR/real_partition_b$batch.log" >>"$OUTDIR/real_partition_table.txt"
    done
fi

section "summary"
wants tests && { echo "--- tests (rc=$tests_rc):"; grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed" "$OUTDIR/pytest_real_partition.log" | tail -25; }
wants bench && { echo "--- bench (rc=$bench_rc):"; cat "$OUTDIR/real_partition_table.txt"; }
echo "gpu_real_partition.sh: tests rc=$tests_rc, bench rc=$bench_rc (files in $OUTDIR)"
for rc in "$tests_rc" "$bench_rc"; do
    [[ $rc == skipped || $rc == 0 ]] || exit 1
done
