#!/usr/bin/env bash
# Makes the bundle bench/gpu-device.sh runs from on an offline GPU machine (no Node, Bun or Deno,
# no package registry; ../shared/research/gpu-device.md says how the project ran on one):
#
#   bench/gpu-bundle/            (git-ignored; under 64 MiB: what the device tool may carry)
#     oss-edge.tar.xz            src/ bench/ (no results/ or peer/) wasm/ assembly/ package.json, the runtime
#                                packages src/ imports (hono, zod, msgpackr; tiktoken with its
#                                o200k_base encoder only), golden/tiny-a and golden/tiny-b (the
#                                files the golden checks read)
#     deno.xz                    the Deno binary the npm package installed (node_modules/.bin/deno)
#     libvulkan1_*_amd64.deb     Debian's Vulkan loader (`apt-get download`; reused when present)
#     MANIFEST                   commit, date, sizes
#
# Usage: bash bench/gpu-bundle.sh [--out DIR] [--golden DIR]
#        (--golden: the folder holding tiny-a/ and tiny-b/, default ../shared/golden)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/gpu-bundle
GOLDEN=$ROOT/../shared/golden
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --golden) GOLDEN=$2; shift 2 ;;
    *) echo "usage: bash bench/gpu-bundle.sh [--out DIR] [--golden DIR]" >&2; exit 2 ;;
  esac
done
LIMIT=$((64 << 20))
mkdir -p "$OUT"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

cd "$ROOT"
node scripts/build-wasm.mjs --if-stale >&2
P=$STAGE/oss-edge
mkdir -p "$P/node_modules" "$P/golden"
cp -r src wasm assembly package.json "$P/" # assembly/: the CPU loader checks wasm/ is built from it
tar -C "$ROOT" --exclude=bench/results --exclude=bench/peer --exclude=bench/gpu-bundle -cf - bench | tar -C "$P" -xf -
# The packages src/ imports at run time (grep "from '" src), nothing else: no Bun, no AssemblyScript.
for pkg in hono zod msgpackr; do cp -r "node_modules/$pkg" "$P/node_modules/"; done
mkdir -p "$P/node_modules/tiktoken/encoders"
(cd node_modules/tiktoken && cp -r $(ls | grep -v -e '^lite' -e '^encoders$') "$P/node_modules/tiktoken/" && cp encoders/o200k_base.* "$P/node_modules/tiktoken/encoders/")
for g in tiny-a tiny-b; do
  mkdir -p "$P/golden/$g/ref"
  (cd "$GOLDEN/$g" && cp config.json prompt.json greedy.json logits_prompt.f32 logits_greedy.f32 model.gguf model.safetensors "$P/golden/$g/" &&
    cp ref/ref_hf_logits_prompt.f32 ref/ref_hf_logits_forced.f32 "$P/golden/$g/ref/")
done
echo "compressing the project ($(du -sh "$P" | cut -f1))…" >&2
tar -C "$STAGE" -cf - oss-edge | xz -6 -T0 > "$OUT/oss-edge.tar.xz"

DENO=$(readlink -f node_modules/.bin/deno)
if [ ! -f "$OUT/deno.xz" ] || [ "$DENO" -nt "$OUT/deno.xz" ]; then
  echo "compressing Deno ($("$DENO" --version | head -1))…" >&2
  xz -6 -T0 -c "$DENO" > "$OUT/deno.xz"
fi

if ! ls "$OUT"/libvulkan1_*_amd64.deb > /dev/null 2>&1; then
  (cd "$STAGE" && apt-get download libvulkan1 > /dev/null) || { apt-get update > /dev/null && (cd "$STAGE" && apt-get download libvulkan1 > /dev/null); }
  mv "$STAGE"/libvulkan1_*_amd64.deb "$OUT/"
fi

{
  echo "commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- src bench || echo ' (+ uncommitted changes)')"
  echo "made $(date -u +%FT%TZ)"
  (cd "$OUT" && ls -l oss-edge.tar.xz deno.xz libvulkan1_*_amd64.deb | awk '{print $5, $9}')
} > "$OUT/MANIFEST"
TOTAL=$(du -cb "$OUT"/oss-edge.tar.xz "$OUT"/deno.xz "$OUT"/libvulkan1_*_amd64.deb "$OUT"/MANIFEST | tail -1 | cut -f1)
echo "bundle: $OUT, $((TOTAL >> 20)) MiB ($TOTAL bytes)" >&2
if [ "$TOTAL" -ge "$LIMIT" ]; then echo "the bundle is over 64 MiB: the device tool will not carry it" >&2; exit 1; fi
