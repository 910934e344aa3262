#!/bin/sh
# config-dump.sh - f2bc-client -d / -t side by side with the installed fail2ban-client.
#
# For every configuration directory: stdout of -d must be byte-identical,
# and -d and -t must agree on the exit status.  For a broken configuration,
# -t's stdout is fail2ban's followed by our line naming where the offending
# value is written, and every line fail2ban logs (without its time stamp and
# pid) is in ours.  Skips (77) without fail2ban.
set -u
client=${F2B_BUILDDIR:?}/client/f2bc-client
ref=$(command -v fail2ban-client || true)
pkg=/usr/lib/python3/dist-packages/fail2ban
if [ -z "$ref" ] || [ ! -d /etc/fail2ban ] || [ ! -d "$pkg/tests/config" ]; then
  echo "SKIP: fail2ban (fail2ban-client, /etc/fail2ban, $pkg) is not installed" >&2
  exit 77
fi
work=$(mktemp -d /tmp/f2bc-conf.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

# A log line without its time stamp and pid.
unstamp() { sed -E 's/^[0-9-]+ [0-9:,]+ ([^ ]+ +)\[[0-9]+\]: /\1/' "$1"; }

compare() { # name dir [file with the lines -t adds to fail2ban's stdout]
  name=$1 dir=$2 extra=${3:-/dev/null}
  "$ref" -c "$dir" -d > "$work/ref.out" 2> "$work/ref.err"; rref=$?
  "$client" -c "$dir" -d > "$work/our.out" 2> "$work/our.err"; rour=$?
  if ! cmp -s "$work/ref.out" "$work/our.out"; then
    echo "FAIL $name: -d output differs"; diff "$work/ref.out" "$work/our.out" | head -20
    failures=$((failures + 1))
  elif [ $rref -ne $rour ]; then
    echo "FAIL $name: -d exit $rour, fail2ban $rref"; failures=$((failures + 1))
  else
    echo "ok   $name: -d identical ($(wc -l < "$work/our.out") lines, exit $rour)"
  fi
  "$ref" -c "$dir" -t > "$work/ref.out" 2> "$work/ref.err"; rref=$?
  "$client" -c "$dir" -t > "$work/our.out" 2> "$work/our.err"; rour=$?
  cat "$work/ref.out" "$extra" > "$work/want.out"
  unstamp "$work/ref.err" > "$work/ref.log"
  unstamp "$work/our.err" > "$work/our.log"
  if [ $rref -ne $rour ] || ! cmp -s "$work/want.out" "$work/our.out"; then
    echo "FAIL $name: -t exit $rour, fail2ban $rref"; diff "$work/want.out" "$work/our.out" | head -10
    cat "$work/our.err" | head -5
    failures=$((failures + 1))
  elif [ "$extra" != /dev/null ] && grep -vxF -f "$work/our.log" "$work/ref.log" > "$work/missing.log"; then
    echo "FAIL $name: -t does not log fail2ban's lines:"; head -5 "$work/missing.log"
    failures=$((failures + 1))
  else
    echo "ok   $name: -t agrees (exit $rour)"
  fi
}

# (a) the stock configuration with every jail enabled, (b) as shipped,
# (c) fail2ban's own test configuration.
cp -r /etc/fail2ban "$work/all"
printf '[DEFAULT]\nenabled = true\n' > "$work/all/jail.local"
cp -r /etc/fail2ban "$work/stock"
cp -r "$pkg/tests/config" "$work/testconfig"
compare stock-all-jails "$work/all"
compare stock "$work/stock"
# fail2ban's test configuration has two broken jails: -t names their lines
t=$work/testconfig
cat > "$work/testconfig.out" <<X
ERROR: $t/jail.conf:40: jail 'missingaction', action: no action 'noactionfileforthisaction' in $t/action.d
ERROR: $t/jail.conf:44: jail 'missingbitsjail', filter: no filter 'catchallthebadies' in $t/filter.d
X
compare fail2ban-tests-config "$t" "$work/testconfig.out"

# Corners of our own making.
mk() { mkdir -p "$(dirname "$1")"; cat > "$1"; }
c=$work/corners
mk "$c/fail2ban.conf" <<'X'
[Definition]
loglevel = NOTICE
logtarget = STDOUT
dbmaxmatches = 7
[Thread]
stacksize = 64
X
mk "$c/fail2ban.d/a.local" <<'X'
[Definition]
dbpurgeage = 2d ; inline comment
X
mkdir -p "$work/logs"
: > "$work/logs/a.log"
: > "$work/logs/b.log"
mk "$c/paths-x.conf" <<X
[DEFAULT]
logdir = $work/logs
mylog = %(logdir)s/a.log
        %(logdir)s/[b].log tail
X
mk "$c/jail.conf" <<'X'
[INCLUDES]
before = paths-x.conf
[DEFAULT]
enabled = false
banaction = ban6
port = 0:65535
action_ = %(banaction)s[name=%(__name__)s, port="%(port)s", protocol="tcp"]
action = %(action_)s
logpath = %(mylog)s
[one]
enabled = true
filter = flt[mode=aggressive, extra="a, b"]
action = %(action_)s
         ban6[name=other, port="1,2"]
         pyact.py[actname=py, k="v"]
maxretry = 3#x
bantime.increment = yes
findtime = 1h 10m
ignoreip = 127.0.0.1/8 ::1,10.0.0.0/8
ignorecommand =
journalmatch = _COMM=x
[two]
enabled = true
filter = flt
backend = systemd[journalpath=/x]
failregex = %(known/failregex)s
            ^extra <HOST>$
usedns = raw
maxlines = 2
datepattern = %%Y-%%m-%%d
[three]
filter = flt
X
mk "$c/jail.d/b.conf" <<'X'
[three]
enabled = true
maxretry = notanumber
X
mk "$c/jail.d/a.local" <<'X'
[three]
action = ban6[chain=<known/chain>X]
X
mk "$c/filter.d/common.conf" <<'X'
[DEFAULT]
_daemon = \S+
__prefix = (?:%(_daemon)s: )?
X
mk "$c/filter.d/flt.conf" <<'X'
[INCLUDES]
before = common.conf
[DEFAULT]
_mode = normal
[Definition]
prefregex = ^%(__prefix)s<F-CONTENT>.+</F-CONTENT>$
failregex = ^fail from <HOST> mode <mode>$
            ^other <HOST> <extra>
ignoreregex =
datepattern = {^LN-BEG}
journalmatch = _SYSTEMD_UNIT=x.service + "_COMM=a b"
[Init]
mode = %(_mode)s
extra = none
maxlines = 1
X
mk "$c/filter.d/flt.local" <<'X'
[Definition]
ignoreregex = ^ignore <HOST>$
X
mk "$c/action.d/ban6.conf" <<'X'
[Definition]
actionstart = start <chain> <port>
actionban = <cmd> -A <chain> -s <ip> -j <blocktype>
actionunban = <cmd> -D <chain> -s <ip> -j <blocktype>
actionstart_on_demand = false
[Init]
chain = INPUT
blocktype = REJECT
cmd = iptables
[Init?family=inet6]
blocktype = REJECT6
cmd = ip6tables
X
compare corners "$c"

# Broken configurations: -t must fail as fail2ban's does.
# After fail2ban's lines, -t names where the offending value is written
# (LOCATION: the ERROR line with D for the directory; none for a syntax error,
# whose message names the file and line).
broken() { # name location; jail.local text on stdin
  d=$work/broken-$1
  cp -r "$work/stock" "$d"
  cat > "$d/jail.local"
  if [ -n "$2" ]; then
    printf '%s\n' "$2" | sed "s|D/|$d/|g" > "$work/extra.out"
  else
    : > "$work/extra.out"
  fi
  compare "broken-$1" "$d" "$work/extra.out"
}
broken missing-filter "ERROR: D/jail.local:3: jail 'sshd', filter: no filter 'nosuchfilter' in D/filter.d" <<'X'
[sshd]
# the line below is the third
filter = nosuchfilter
X
broken missing-action "ERROR: D/jail.local:3: jail 'sshd', action: no action 'nosuchaction' in D/action.d" <<'X'
[sshd]
action = iptables-multiport
         nosuchaction[name=x]
X
broken missing-banaction "ERROR: D/jail.local:4: jail 'sshd', banaction: no action 'nosuchban' in D/action.d" <<'X'
[DEFAULT]
enabled = false
[sshd]
banaction = nosuchban
X
broken interpolation "ERROR: D/jail.local:2: jail 'sshd', bantime: '%(undefined_option)s' does not resolve: no option 'undefined_option' in [sshd] or [DEFAULT]" <<'X'
[sshd]
bantime = %(undefined_option)s
X
broken syntax "" <<'X'
[sshd]
this line has no delimiter
X
broken filter-args "" <<'X'
[sshd]
filter = sshd[mode="unterminated]
X

if [ $failures -ne 0 ]; then
  echo "$failures comparison(s) failed"
  exit 1
fi
echo "all comparisons identical"
