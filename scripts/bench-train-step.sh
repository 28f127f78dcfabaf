#!/usr/bin/env bash
# Forward + backward throughput of one training step (no optimizer, no data files: random tokens)
# for a named shape, with wall-clock and CPU-time rates and MFU (TrainStepBench in llama2j-train's
# test sources). Run it under JFR for a per-op profile: JFR_FILE=/tmp/step.jfr scripts/bench-train-step.sh ...
# Usage: scripts/bench-train-step.sh SHAPE VOCAB [BATCH] [SEQ] [THREADS] [STEPS]
#   e.g. scripts/bench-train-step.sh stories15M 32000 4 256 2 10
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shape=$1 vocab=$2 batch=${3:-4} seq=${4:-256} threads=${5:-2} steps=${6:-10}
(cd "$root" && mvn -B -q -o -pl llama2j-train -am test-compile)
cp="$root/llama2j-train/target/test-classes:$root/llama2j-train/target/classes:$root/llama2j-core/target/classes"
jfr=()
if [ -n "${JFR_FILE:-}" ]; then jfr=("-XX:StartFlightRecording=filename=$JFR_FILE,settings=profile"); fi
java --add-modules jdk.incubator.vector "${jfr[@]}" -cp "$cp" io.llama2j.train.bench.TrainStepBench \
  "$shape" "$vocab" "$batch" "$seq" "$threads" "$steps" "${PEAK_GFLOPS:-227}" 2>&1 | grep -v "incubator modules"
