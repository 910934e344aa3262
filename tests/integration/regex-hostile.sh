#!/bin/sh
# regex-hostile.sh - f2bc-regex on hostile input: a 4 MiB line, invalid UTF-8, NUL
# bytes, CR, a regex made to backtrack catastrophically.  It must not crash (run it
# in the ASan+UBSan build too), must count every line, and must warn about the
# match limit with the line number.
set -u
ours=${F2B_BUILDDIR:-build}/client/f2bc-regex
work=$(mktemp -d /tmp/f2bc-regex-hostile.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
log=$work/log
{
  printf '2024-01-01 00:00:00 login failed from 192.0.2.1\n'
  printf '2024-01-01 00:00:01 '; head -c 4194304 /dev/zero | tr '\0' 'a'; printf ' from 192.0.2.2\n'
  printf '2024-01-01 00:00:02 bad \377\376\300\200 utf8 from 192.0.2.3\n'
  printf '2024-01-01 00:00:03 nul \000 byte from 192.0.2.4\n'
  printf '2024-01-01 00:00:04 cr line from 192.0.2.5\r\n'
  printf '\377\377\377\n'
  printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab! from 192.0.2.7\n'
  printf 'unterminated last line from 192.0.2.9'
} > "$log"
"$ours" "$log" 'from <HOST>$' > "$work/out" 2> "$work/err"
rc=$?
[ $rc -eq 0 ] || fail "exit $rc"
grep -qxF 'Lines: 7 lines, 0 ignored, 6 matched, 1 missed' "$work/out" || { cat "$work/out"; fail "counts"; }
"$ours" -o ip "$log" 'from <HOST>$' > "$work/out" 2>&1 || fail "-o ip: exit $?"
[ "$(tr '\n' ' ' < "$work/out")" = "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.7 " ] || fail "-o ip: $(cat "$work/out")"
# (?:a|a)+ backtracks exponentially on the line of a's followed by a b (the line holds the
# literal "! from ", so the prefilter lets the regex run)
"$ours" "$log" '^(?:a|a)+! from <HOST>' > "$work/out" 2> "$work/err"
rc=$?
[ $rc -eq 0 ] || fail "backtracking: exit $rc"
grep -q '^WARNING: line 7: .*catastrophic backtracking' "$work/err" || { cat "$work/err"; fail "no match-limit warning for line 7"; }
grep -qxF 'Lines: 7 lines, 0 ignored, 0 matched, 7 missed' "$work/out" || fail "backtracking: counts"
echo "hostile checks done, $fails failure(s)"
[ $fails -eq 0 ]
