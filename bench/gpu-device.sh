#!/usr/bin/env bash
# oss-edge's GPU checks on an offline GPU machine (issue 12), from the bundle bench/gpu-bundle.sh
# makes: unpack Deno and the project, install the Vulkan loader, then under Deno on WebGPU
#   1. the adapter (bench/gpu-probe.ts)          4. the weight upload speed (bench/gpu-upload.ts,
#   2. the goldens tiny-a/tiny-b, exact + fast      defaults, no reader threads, 64 MiB staging)
#      (bench/gpu-golden.ts)                      5. CPU vs GPU, pp128/tg32 (bench/gpu.ts; the CPU
#   3. a synthetic gpt-oss-20b (`synth`, 12 GB)      run last, skipped when the budget is short)
#                                                 6. pp512 prefill on the GPU (bench/gpu-run.ts)
# and writes everything into --out: summary.md (targets vs measured), the benches' JSON, markdown
# and SVG, log.txt, steps.tsv. Every step runs under a time limit taken from what is left of the
# budget (default 480 s), so the whole run fits 8 minutes; what did not fit is named in the summary.
#
# Usage: bash bench/gpu-device.sh --out DIR [--bundle DIR] [--budget S] [--work DIR] [--smoke] [--local-loader]
#   --bundle        default bench/gpu-bundle beside this script
#   --smoke         a small model (synth --preset tiny) instead of the 20b, short prompts, any
#                   adapter (lavapipe): to check the bundle and this script before a GPU session
#   --local-loader  unpack libvulkan1 into the work folder (LD_LIBRARY_PATH) even when the system
#                   has a loader or / is writable (root without it unpacks into /, as on the H200)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUNDLE=$HERE/gpu-bundle OUT='' BUDGET=480 WORK='' SMOKE=0 LOCAL_LOADER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --bundle) BUNDLE=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --local-loader) LOCAL_LOADER=1; shift ;;
    *) echo "usage: bash bench/gpu-device.sh --out DIR [--bundle DIR] [--budget S] [--work DIR] [--smoke] [--local-loader]" >&2; exit 2 ;;
  esac
done
[ -n "$OUT" ] || { echo "--out DIR is required" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUNDLE=$(cd "$BUNDLE" && pwd)
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/oss-edge-gpu.XXXXXX)
mkdir -p "$WORK"
T0=$(date +%s)
RESERVE=15 # seconds kept for the summary
elapsed() { echo $(( $(date +%s) - T0 )); }
left() { echo $(( BUDGET - RESERVE - $(elapsed) )); }
log() { echo "[$(elapsed) s] $*" | tee -a "$OUT/log.txt" >&2; }
printf 'step\tstatus\tseconds\tlimit\n' > "$OUT/steps.tsv"

# step NAME CAP CMD…: runs CMD under min(CAP, what is left) seconds; its output goes to
# $OUT/NAME.log; records the outcome. Returns CMD's status (124 = out of time, 125 = not started).
step() {
  local name=$1 cap=$2; shift 2
  local lim; lim=$(left)
  [ "$lim" -gt "$cap" ] && lim=$cap
  if [ "$lim" -lt 5 ]; then
    log "$name: skipped, the budget is spent"
    printf '%s\tskipped\t0\t0\n' "$name" >> "$OUT/steps.tsv"
    return 125
  fi
  log "$name (limit ${lim} s): $*"
  local t=$(date +%s)
  timeout --kill-after=5 "$lim" "$@" > "$OUT/$name.log" 2>&1
  local rc=$? s=$(( $(date +%s) - t ))
  local status=ok
  [ $rc -ne 0 ] && status="exit $rc"
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && status="out of time"
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$s" "$lim" >> "$OUT/steps.tsv"
  log "$name: $status after $s s"
  [ $rc -ne 0 ] && tail -5 "$OUT/$name.log" | sed 's/^/    /' | tee -a "$OUT/log.txt" >&2
  return $rc
}

# ---- unpack --------------------------------------------------------------------------------
log "bundle $BUNDLE → $WORK"
step unpack 120 bash -c 'xz -dc "$1/deno.xz" > "$2/deno" && chmod +x "$2/deno" && xz -dc "$1/oss-edge.tar.xz" | tar -C "$2" -xf -' unpack "$BUNDLE" "$WORK" ||
  { log 'cannot unpack the bundle'; exit 1; }
P=$WORK/oss-edge
DENO=$WORK/deno
export OSS_EDGE_DENO=$DENO DENO_DIR=$WORK/deno-dir DENO_NO_UPDATE_CHECK=1 XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$WORK}
cp "$BUNDLE/MANIFEST" "$OUT/bundle-manifest.txt" 2>/dev/null

# ---- Vulkan loader (the GPU's own driver supplies the ICD) ------------------------------------
DEB=$(ls "$BUNDLE"/libvulkan1_*_amd64.deb 2>/dev/null | head -1)
if [ "$LOCAL_LOADER" = 1 ] || { ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; }; then
  if [ "$LOCAL_LOADER" = 0 ] && [ "$(id -u)" = 0 ] && [ -w / ]; then
    dpkg -x "$DEB" / && ldconfig && log "Vulkan loader: $(basename "$DEB") unpacked into /"
  else
    dpkg -x "$DEB" "$WORK/vulkan" && export LD_LIBRARY_PATH=$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} &&
      log "Vulkan loader: $(basename "$DEB") unpacked into $WORK/vulkan (LD_LIBRARY_PATH)"
  fi
else
  log "Vulkan loader: the system's ($(ldconfig -p | grep -m1 'libvulkan.so.1' | sed 's/.*=> //'))"
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ "$SMOKE" = 0 ]; then
  for d in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    f=$(ls "$d"/nvidia_icd*.json 2>/dev/null | head -1)
    if [ -n "$f" ]; then export VK_DRIVER_FILES=$f; log "VK_DRIVER_FILES=$f"; break; fi
  done
fi

# ---- the machine -----------------------------------------------------------------------------
{
  echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1) ×$(nproc)"
  echo "memory: $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "deno: $("$DENO" --version 2>/dev/null | head -1)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  echo "bundle: $(head -1 "$BUNDLE/MANIFEST" 2>/dev/null)"
  echo "smoke: $SMOKE"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" | tee -a "$OUT/log.txt" >&2
cd "$P"
RUN=("$DENO" run -A --quiet) # (an array, not a function: `timeout` runs programs)

if ! step probe 60 "${RUN[@]}" bench/gpu-probe.ts; then
  log 'no WebGPU adapter: the GPU steps cannot run'
else
  cp "$OUT/probe.log" "$OUT/adapter.json"
  step golden 150 "${RUN[@]}" bench/gpu-golden.ts --golden "$P/golden" --out "$OUT/golden.json"
  cp "$OUT/golden.log" "$OUT/golden.md"

  MODEL=$WORK/model.gguf
  if [ "$SMOKE" = 1 ]; then SYNTH=(--preset tiny) PROMPT=16 GEN=4; else SYNTH=(--preset gpt-oss-20b) PROMPT=128 GEN=32; fi
  if step synth 200 "${RUN[@]}" src/cli.ts synth "${SYNTH[@]}" --format gguf --seed 20 --out "$MODEL" --quiet; then
    # upload: the file was just written, so it is in the page cache (--warm reads it once anyway).
    # The defaults first; if that was quick, without the reader threads and with 64 MiB staging.
    upload() { # NAME ENV…
      local name=$1; shift
      step "$name" 75 env "$@" "$DENO" run -A --quiet bench/gpu-upload.ts --model "$MODEL" --warm --cpu-clock &&
        tail -1 "$OUT/$name.log" > "$OUT/$name.json"
    }
    t=$(date +%s)
    if upload upload-default && [ $(( $(date +%s) - t )) -le 40 ]; then
      upload upload-noprefetch OSS_EDGE_WEBGPU_PREFETCH=0
      upload upload-staging64 OSS_EDGE_WEBGPU_STAGING_MB=64
    fi
    # CPU vs GPU: the GPU run first; each run gets half of what is left (the CPU's 20b load and
    # prefill are the long part, and it is the one skipped when the time is short)
    per=$(( ($(left) - 60) / 2 )); [ "$per" -gt 240 ] && per=240
    if [ "$per" -ge 20 ]; then
      step bench $(( 2 * per + 30 )) "${RUN[@]}" bench/gpu.ts --model "$MODEL" --prompt $PROMPT --gen $GEN --precision fast --threads "$(nproc)" --timeout $per --out "$OUT"
    else
      log "bench: skipped, ${per} s a run is too little"
      printf 'bench\tskipped\t0\t0\n' >> "$OUT/steps.tsv"
    fi
    # pp512 on the GPU alone
    N=512; [ "$SMOKE" = 1 ] && N=64
    printf '{"ids":[%s]}\n' "$(seq -s, 1 $N)" > "$WORK/ids$N.json"
    step pp$N 90 "${RUN[@]}" bench/gpu-run.ts --backend webgpu --model "$MODEL" --ids "$WORK/ids$N.json" --gen 8 --precision fast --batch $N &&
      tail -1 "$OUT/pp$N.log" > "$OUT/pp$N.json"
  fi
fi

# ---- the summary (not counted against the budget's steps: RESERVE keeps time for it) -----------
timeout 30 "$DENO" run -A --quiet bench/gpu-device-report.ts --dir "$OUT" > "$OUT/summary.log" 2>&1 || log "summary: failed (summary.log)"
log "done in $(elapsed) s; report in $OUT/summary.md"
[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
