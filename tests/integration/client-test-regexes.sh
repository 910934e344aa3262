#!/bin/sh
# client-test-regexes.sh - `f2bc-client -t` compiles every enabled jail's filter as
# the server will.  The seed case: a blog's exim-dos filter whose <HOST> tag was eaten
# (`failregex = \[\] .*refused: too many connections`).  fail2ban-client -t calls that
# configuration fine and only the server start fails; f2bc-client -t names the
# filter file and line, says fail2ban's error and the hint, and fails (255).
# The configuration is the installed /etc/fail2ban (copied at run time, jail.d left
# out) plus the blog's jail.local and filter.d/exim-dos.conf.
set -u
ours=$(cd "${F2B_BUILDDIR:-build}/client" && pwd)/f2bc-client
[ -d /etc/fail2ban/action.d ] || { echo "SKIP: /etc/fail2ban (Debian's fail2ban) is not installed" >&2; exit 77; }
work=$(mktemp -d /tmp/f2bc-client-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
etc=$work/etc
mkdir -p "$etc"
cp -r /etc/fail2ban/action.d /etc/fail2ban/filter.d /etc/fail2ban/fail2ban.conf /etc/fail2ban/jail.conf \
      /etc/fail2ban/paths-*.conf "$etc/"
: > "$work/mainlog"

# the blog's jail and filter, as it has them
cat > "$etc/jail.local" <<EOF
[exim-dos]
enabled = true
filter = exim-dos
port = all
logpath = $work/mainlog
maxretry = 1
bantime = 3600
EOF
cat > "$etc/filter.d/exim-dos.conf" <<'EOF'
# Fail2Ban Exim DOS configuration file.
# Checks for DOS/Flooding attempts.
#
# Author: Marcus Povey
#
[Definition]
# Option: failregex
# Notes.: regex to match the password failures messages in the logfile. The
# host must be matched by a group named "host". The tag "" can
# be used for standard IP/hostname matching and is only an alias for
# (?:::f{4,6}:)?(?P[\w\-.^_]+)
# Values: TEXT
#
failregex = \[\] .*refused: too many connections
# Option: ignoreregex
# Notes.: regex to ignore. If this regex matches, the line is ignored.
# Values: TEXT
#
ignoreregex =
EOF
flt=$etc/filter.d/exim-dos.conf
[ "$(grep -n '^failregex' "$flt" | cut -d: -f1)" = 14 ] || fail "the failregex is not on line 14"
seed_error="ERROR: $flt:14: jail 'exim-dos', failregex: No failure-id group in '\\[\\] .*refused: too many connections'"

# 1. the seed configuration fails, naming the file and line, with the hint
"$ours" -c "$etc" -t > out 2> err
rc=$?
[ $rc -eq 255 ] || fail "seed: exit $rc, expected 255"
grep -qxF "$seed_error" out || fail "seed: no ERROR line naming $flt:14"
[ "$(grep -A1 '^ERROR:' out | sed -n 2p | cut -c1-6)" = "HINT: " ] || fail "seed: no HINT after the ERROR line"
grep -q '^HINT: .*did you mean: \\\[<HOST>\\\] \.\*refused: too many connections$' out ||
  fail "seed: the hint does not give the repaired regex"
grep -q 'OK: configuration test is successful' out && fail "seed: OK printed"
grep -q 'ERROR   ERROR: test configuration failed$' err || fail "seed: no 'test configuration failed' log line"
echo "--- f2bc-client -t on the seed configuration:"; cat out

# 2. fail2ban-client -t passes the same configuration (the improvement); -d is unchanged
if command -v fail2ban-client >/dev/null 2>&1; then
  fail2ban-client -c "$etc" -t > ref 2>/dev/null
  rc=$?
  echo "--- fail2ban-client -t on the same configuration (exit $rc):"; cat ref
  [ $rc -eq 0 ] && grep -qxF 'OK: configuration test is successful' ref ||
    fail "fail2ban-client -t no longer calls the seed configuration fine (exit $rc)"
  fail2ban-client -c "$etc" -d > ref.d 2>/dev/null
  "$ours" -c "$etc" -d > our.d 2>/dev/null || fail "-d: exit $?"
  cmp -s ref.d our.d || fail "-d differs from fail2ban-client -d"
  grep -qF "['set', 'exim-dos', 'addfailregex', '\\\\[\\\\] .*refused: too many connections']" our.d ||
    fail "-d: the broken failregex is not in the stream"
else
  echo "fail2ban-client is not installed: the side-by-side part is skipped" >&2
  reference_missing=1
fi

# 3. the repaired filter passes
sed -i 's/^failregex = \\\[\\\]/failregex = \\[<HOST>\\]/' "$flt"
grep -qxF 'failregex = \[<HOST>\] .*refused: too many connections' "$flt" || fail "repair: sed did not apply"
"$ours" -c "$etc" -t > out 2> err || fail "repaired: exit $?"
[ "$(cat out)" = "OK: configuration test is successful" ] || fail "repaired: $(cat out)"

# 4. the broken filter back, and another jail with a wrong datepattern, a regex that does
#    not compile and maxlines = 0: every problem is reported with its line
sed -i 's/^failregex = \\\[<HOST>\\\]/failregex = \\[\\]/' "$flt"
cat >> "$etc/jail.local" <<EOF

[other]
enabled = true
filter = other
logpath = $work/mainlog
maxlines = 0
EOF
cat > "$etc/filter.d/other.conf" <<'EOF'
[INCLUDES]
before = common.conf

[Definition]
failregex = ^%(__prefix_line)sfine from <HOST>$
            # a comment line inside the value
            ^%(__prefix_line)sbroken (from <HOST>$

datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S %%Q
EOF
"$ours" -c "$etc" -t > out 2> err
rc=$?
[ $rc -eq 255 ] || fail "two jails: exit $rc, expected 255"
echo "--- f2bc-client -t with a second broken jail:"; cat out
grep -qxF "$seed_error" out || fail "two jails: the seed error is missing"
ofl=$etc/filter.d/other.conf
grep -q "^ERROR: $ofl:7: jail 'other', failregex: Unable to compile regular expression '\^.*broken (from " out ||
  fail "two jails: the unbalanced parenthesis is not reported at $ofl:7"
grep -q "^missing ), unterminated subpattern at position" out || fail "two jails: no compiler message"
[ "$(grep -c '^HINT:' out)" -eq 1 ] || fail "two jails: a hint for something else than the lost <HOST>"
grep -qxF "ERROR: $ofl:9: jail 'other', datepattern: Failed to set datepattern '^%Y-%m-%d %H:%M:%S %Q' (may be an invalid format or unescaped percent char): not enough arguments for format string" out ||
  fail "two jails: the datepattern is not reported at $ofl:9"
grep -qxF "ERROR: $etc/jail.local:13: jail 'other', maxlines: maxlines must be integer greater than zero" out ||
  fail "two jails: maxlines is not reported at jail.local:13"
[ "$(grep -c '^ERROR:' out)" -eq 4 ] || fail "two jails: $(grep -c '^ERROR:' out) errors, expected 4"

echo "client -t checks done, $fails failure(s)"
[ $fails -eq 0 ] || exit 1
[ -z "${reference_missing:-}" ] || exit 77
exit 0
