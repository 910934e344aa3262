#!/bin/sh
# regex-side-by-side.sh - f2bc-regex against the installed fail2ban-regex, live.
#
# For every stock filter that has a sample log in fail2ban's test files, and every
# `mode` the filter defines, both programs run on the sample log, once with
# -o '<time>|<ip>|<F-USER>' and once with the full report (and once more with -D --VD
# for the default mode); the outputs must be identical except for the "[processed in X
# sec]" line.  Exit 77 without fail2ban.
set -u
logs=/usr/lib/python3/dist-packages/fail2ban/tests/files/logs
conf=/etc/fail2ban
ours=${F2B_BUILDDIR:-build}/client/f2bc-regex
if ! command -v fail2ban-regex >/dev/null 2>&1 || [ ! -d "$logs" ] || [ ! -d "$conf/filter.d" ]; then
  echo "skip: fail2ban (fail2ban-regex, $logs, $conf/filter.d) is not installed" >&2
  exit 77
fi
[ -x "$ours" ] || { echo "missing $ours" >&2; exit 1; }
# Pin what both read from the environment.
export TZ=Europe/Berlin LANG=C.UTF-8 LC_ALL=C.UTF-8
work=$(mktemp -d /tmp/f2bc-regex-sbs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The modes a filter defines: the suffixes NAME of options "<prefix>-NAME" whose
# prefix the filter uses as "%(<prefix>-<mode>)s".
modes_of() {
  /usr/bin/python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
prefixes = set(re.findall(r'%\(([\w-]+)-<mode>\)s', text))
modes = []
for m in re.finditer(r'(?m)^([\w-]+?)-(\w+)\s*=', text):
    if m.group(1) in prefixes and m.group(2) not in modes:
        modes.append(m.group(2))
print(" ".join(modes))
PY
}

runs=0
fails=0
# A failure without a date gets the current time (a ticket's default): the two runs
# print different "now"s, so times within a day of now become NOW.
now_filter() {
  grep -v '^\[processed in ' | awk -F'|' -v OFS='|' -v now="$(date +%s)" \
    '$1 ~ /^[0-9]+(\.[0-9]+)?$/ && $1 + 0 > now - 86400 { $1 = "NOW" } { print }'
}
compare() { # name label args...
  name=$1; label=$2; shift 2
  fail2ban-regex "$@" > "$work/ref.raw" 2>&1; echo "exit $?" >> "$work/ref.raw"
  now_filter < "$work/ref.raw" > "$work/ref"
  "$ours" "$@" > "$work/our.raw" 2>&1; echo "exit $?" >> "$work/our.raw"
  now_filter < "$work/our.raw" > "$work/our"
  runs=$((runs + 1))
  if ! cmp -s "$work/ref" "$work/our"; then
    fails=$((fails + 1))
    echo "MISMATCH: $label"
    diff "$work/ref" "$work/our" | head -20
  fi
}

for flt in "$conf"/filter.d/*.conf; do
  name=$(basename "$flt" .conf)
  log="$logs/$name"
  [ -f "$log" ] || continue
  for mode in "" $(modes_of "$flt"); do
    spec=$name
    [ -n "$mode" ] && spec="$name[mode=$mode]"
    compare "$name" "$spec -o" -c "$conf" -o '<time>|<ip>|<F-USER>' "$log" "$spec"
    compare "$name" "$spec report" -c "$conf" "$log" "$spec"
  done
  # the debuggex report (-D: every missed/ignored line with each regex and its URL)
  # and the date templates' weights and regexes (--VD)
  compare "$name" "$name -D --VD" -c "$conf" -D --VD "$log" "$name"
done
echo "$runs comparisons, $fails mismatches"
[ "$runs" -gt 0 ] || { echo "no comparison ran" >&2; exit 1; }
[ "$fails" -eq 0 ]
