#!/usr/bin/env bash
# The GPU check of `reference` (issue 14), for a machine with an NVIDIA GPU, in under 5 minutes:
#   1. finds the CUDA version the driver supports (nvidia-smi) and installs the matching CuPy wheel
#      (cupy-cuda11x / cupy-cuda12x / cupy-cuda13x) into the project's .venv;
#   2. runs tests/reference/test_gpu.py (the differential cases with CuPy arrays; none may be skipped);
#   3. prints the CuPy-against-NumPy timing table of benchmarks/bench_gpu.py.
# Usage, from anywhere:  bash benchmarks/gpu_check.sh
# Without nvidia-smi (no GPU or no driver) it stops at once with one line on stderr, exit status 2.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
fail() { echo "gpu_check: error: $*" >&2; exit 2; }

command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: this check needs an NVIDIA GPU and its driver"
[ -x "$PY" ] || fail "$PY not found: run 'make install' first"
smi=$(timeout 30 nvidia-smi 2>&1) || fail "nvidia-smi failed: $(echo "$smi" | head -n 1)"
cuda=$(echo "$smi" | grep -o 'CUDA Version: *[0-9][0-9.]*' | grep -o '[0-9][0-9.]*' | head -n 1 || true)
[ -n "$cuda" ] || fail "nvidia-smi does not report a CUDA version (driver too old or not loaded)"
major=${cuda%%.*}
case "$major" in
  11|12|13) wheel="cupy-cuda${major}x" ;;
  *) fail "CUDA $cuda (from nvidia-smi) has no CuPy wheel: CuPy is built for CUDA 11, 12 and 13" ;;
esac
echo "gpu_check: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n 1); driver supports CUDA $cuda -> $wheel"

SECONDS=0
if ! "$PY" -c "import cupy" >/dev/null 2>&1; then
  timeout 180 "$PY" -m pip install --quiet "$wheel>=13" || fail "pip install $wheel failed (see above)"
fi
"$PY" -c "import cupy; n = cupy.cuda.runtime.getDeviceCount(); assert n > 0, 'no device'; print('gpu_check: cupy', cupy.__version__, 'sees', n, 'device(s)')" \
  || fail "cupy is installed but cannot use the GPU (see above)"

echo "gpu_check: tests/reference/test_gpu.py"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 150 "$PY" -m pytest tests/reference/test_gpu.py -q -ra -p no:randomly -p no:cacheprovider | tee "$log" \
  || fail "tests/reference/test_gpu.py failed"
if grep -q "skipped" "$log"; then
  fail "tests/reference/test_gpu.py skipped tests on a GPU machine (see the reasons above)"
fi

echo "gpu_check: CuPy against NumPy"
timeout 90 "$PY" benchmarks/run.py gpu
echo "gpu_check: done in ${SECONDS} s"
