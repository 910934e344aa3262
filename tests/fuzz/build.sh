#!/bin/sh
# Builds the libFuzzer targets with clang, apart from the meson build:
#   tests/fuzz/build.sh [OUTDIR]          (default: build-fuzz)
# then run, for example:
#   build-fuzz/fuzz-pickle -max_total_time=120 build-fuzz/corpus-pickle tests/fuzz/corpus-pickle
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-build-fuzz}
mkdir -p "$out/corpus-pickle"
cc=${CC_FUZZ:-clang}
flags="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
$cc $flags -I"$src/fail2ban-c" $(pkg-config --cflags glib-2.0) \
  "$src/tests/fuzz/fuzz-pickle.c" "$src/fail2ban-c/pickle.c" "$src/fail2ban-c/protocol.c" \
  "$src/fail2ban-c/pyobj.c" $(pkg-config --libs glib-2.0) -lm -o "$out/fuzz-pickle"
echo "built $out/fuzz-pickle"
