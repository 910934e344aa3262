#!/bin/sh
# Builds the libFuzzer targets with clang, apart from the meson build:
#   tests/fuzz/build.sh [OUTDIR] [TARGET...]   (default: build-fuzz, every target)
# then run one at a time, for example:
#   build-fuzz/fuzz-ini -max_total_time=300 build-fuzz/corpus-ini tests/fuzz/corpus-ini
# (new inputs go to the first directory; the committed seeds stay as they are).
# The library is compiled once with coverage instrumentation; each target is
# tests/fuzz/fuzz-NAME.c.  For the ini target the installed fail2ban's
# configuration files, when present, are copied into build-fuzz/corpus-ini as
# extra seeds (never into the source tree).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-build-fuzz}
[ $# -gt 0 ] && shift
targets=${*:-$(sed -n "s/^  '\([a-z0-9]*\)',$/\1/p" "$src/tests/fuzz/meson.build")}
cc=${CC_FUZZ:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
flags="-g -O1 -std=gnu11 -DG_LOG_DOMAIN=\"f2bc\" -DF2B_VERSION=\"fuzz\" -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74"
deps="glib-2.0 gio-2.0 libpcre2-8 sqlite3"
cflags="$flags $(pkg-config --cflags $deps) -I$src/fail2ban-c"
mkdir -p "$out/lib"
objs=""
newest_h=$(ls -t "$src"/fail2ban-c/*.h | head -n 1)
for f in "$src"/fail2ban-c/*.c; do
  o="$out/lib/$(basename "$f" .c).o"
  if [ ! -e "$o" ] || [ "$f" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    $cc $cflags $san -fsanitize=fuzzer-no-link -c "$f" -o "$o"
  fi
  objs="$objs $o"
done
for t in $targets; do
  mkdir -p "$out/corpus-$t"
  $cc $cflags $san -fsanitize=fuzzer "$src/tests/fuzz/fuzz-$t.c" "$src/tests/fuzz/fuzz-libfuzzer.c" \
    $objs $(pkg-config --libs $deps) -lm -o "$out/fuzz-$t"
  echo "built $out/fuzz-$t"
done
if [ -d /etc/fail2ban ]; then
  for f in /etc/fail2ban/*.conf /etc/fail2ban/filter.d/*.conf /etc/fail2ban/action.d/*.conf; do
    [ -f "$f" ] && cp "$f" "$out/corpus-ini/etc-$(basename "$(dirname "$f")")-$(basename "$f")"
  done
fi
exit 0
