#!/bin/sh
# regex-seed.sh - the seed case: Exim's "refused: too many connections" lines with
# the blog's broken failregex (its <HOST> lost), the repaired one, and the project's
# filter.d/exim-dos.conf.
set -u
ours=$(cd "${F2B_BUILDDIR:-build}/client" && pwd)/f2bc-regex
src=$(cd "${F2B_SRCDIR:-.}" && pwd)
work=$(mktemp -d /tmp/f2bc-regex-seed.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > mainlog <<'LOG'
2013-05-21 01:01:52 Connection from [2.38.90.63] refused: too many connections: 1 Time(s)
2013-05-21 01:01:53 Connection from [2.38.90.63] refused: too many connections: 1 Time(s)
2013-05-21 01:01:58 Connection from [2.38.90.63] refused: too many connections: 2 Time(s)
2013-05-21 01:01:59 Connection from [2.38.90.63] refused: too many connections: 1 Time(s)
2013-05-21 01:02:00 Connection from [2.38.90.63] refused: too many connections: 1 Time(s)
2013-05-21 01:02:11 Connection from [2.38.90.63] refused: too many connections: 1 Time(s)
LOG
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$ours" mainlog '\[\] .*refused: too many connections' > out 2>&1
rc=$?
[ $rc -eq 255 ] || fail "broken regex: exit $rc, expected 255"
grep -qxF "ERROR: No failure-id group in '\\[\\] .*refused: too many connections'" out ||
  fail "broken regex: no ERROR line"
grep -q '^HINT: .*did you mean: \\\[<HOST>\\\] \.\*refused: too many connections$' out ||
  fail "broken regex: no hint with the repaired regex"
# the ERROR line comes first, the hint right after it
[ "$(grep -A1 '^ERROR:' out | tail -1 | cut -c1-5)" = "HINT:" ] || fail "hint does not follow the ERROR line"
cat out

"$ours" mainlog '\[<HOST>\] .*refused: too many connections' > out 2>&1 || fail "repaired regex: exit $?"
grep -qxF 'Lines: 6 lines, 0 ignored, 6 matched, 0 missed' out || { cat out; fail "repaired regex: not 6 matched"; }

"$ours" -c "$src" mainlog exim-dos > out 2>&1 || fail "exim-dos: exit $?"
grep -qxF "Use   failregex filter file : exim-dos, basedir: $src" out || fail "exim-dos: filter not read from $src"
grep -qxF 'Lines: 6 lines, 0 ignored, 6 matched, 0 missed' out || { cat out; fail "exim-dos: not 6 matched"; }

"$ours" -c "$src" -o '<ip>' mainlog exim-dos > out 2>&1 || fail "exim-dos -o: exit $?"
[ "$(sort -u out)" = "2.38.90.63" ] && [ "$(wc -l < out)" -eq 6 ] || fail "exim-dos -o <ip>: $(cat out)"

echo "seed checks done, $fails failure(s)"
[ $fails -eq 0 ]
