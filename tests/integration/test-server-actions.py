"""Shell actions of f2bc-server.

1. Tags, side by side with fail2ban-server: a `record` action writes the
   values it is given; a ban from `attempt` with matched lines holding quotes,
   $(...), backticks and a newline must reach the file exactly as fail2ban
   writes it, and nothing in them may run.  Static tags are recursive and
   per family ([Init?family=inet6]).
2. A hung action (`sleep 100`, timeout = 1) is killed at its timeout, the
   failure is logged as fail2ban logs it, and `ping` answers meanwhile.
3. Ban expiry: with bantime = 2 the dummy action's unban line follows 2 s after
   the ban, through the jail's timer.
4. An idle server with a permanent ban does not wake up (context switches).
5. 1,000 bans and 1,000 unbans, then stop: the server exits 0 (under the ASan
   build LeakSanitizer makes a leak a non-zero exit).
6. An idle jail, side by side with fail2ban-server: a ban that ends while the
   jail is idle is undone only when it wakes, failures that reach maxretry
   are banned only then, manual bans and unbans still work.
7. Banning a banned address again, side by side: "already banned" while
   nothing changed; after an action had to be repaired (its ban epoch rose),
   the address is banned again ("Reban x, action 'flaky'") through that
   action only, and the reply counts it.
8. <ip-host>, side by side: the names of loopback addresses (from the
   hosts file, no DNS needed) reach the action as fail2ban gives them;
   f2bc-server looks them up off its loop (GResolver) before the commands."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

J = "exim-dos"
RECORD = r"""[Definition]
actionstart = printf '%%s\n' "start <family> <famtag>" >> <target>
actionstop = printf '%%s\n' "stop <family> <famtag>" >> <target>
actionban = printf '%%s|' "ip=<ip>" "fid=<fid>" "family=<family>" "famtag=<famtag>" "custom=<custom>" "failures=<failures>" "bantime=<bantime>" "bancount=<bancount>" "restored=<restored>" "iprev=<ip-rev>" "matches=<matches>" "ipmatches=<ipmatches>" "ipjailmatches=<ipjailmatches>" "ipfailures=<ipfailures>" "ipjailfailures=<ipjailfailures>" "fuser=<F-USER>" "unknown=<nosuchtag>" "sp=a<sp>b" "jb=<jail.banned>" >> <target>
            echo >> <target>
actionunban = printf '%%s\n' "unban <ip> <famtag>" >> <target>
custom = <name>-<actname>-<port>
port = 22

[Init]
target = /dev/null
famtag = v4

[Init?family=inet6]
famtag = v6
"""
MATCHES = ["user \"root\" from 'x' $(touch %(top)s/pwned1)", "`touch %(top)s/pwned2`; rm -rf /nonexistent",
           "two\nlines & <ip> \\ end"]


def record_config(top):
    conf = sl.make_config(top)
    with open(os.path.join(conf, "action.d", "record.conf"), "w") as f:
        f.write(RECORD)
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\ndbfile = None\n")  # no database: the ip* tags are the ticket's, as in f2bc-server
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[%s]\naction = record[target=%s/record-<name>.txt]\n" % (J, top))
    return conf


def tags_side_by_side(top):
    failures = 0
    conf = record_config(top)
    results = []
    for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        srv = sl.Server(exe, top, name + "-tags", conf)
        target = os.path.join(top, "record-%s.txt" % J)
        try:
            out = [srv.client("set", J, "maxretry", "3")]
            out.append(srv.client("set", J, "attempt", "192.0.2.20", *[m % {"top": top} for m in MATCHES]))
            time.sleep(1.5)  # fail2ban's actions thread takes the attempt's ban within a second
            out.append(srv.client("set", J, "banip", "2001:db8::20", "198.51.100.20"))
            out.append(srv.client("set", J, "unbanip", "198.51.100.20", "2001:db8::20"))
            time.sleep(1.0)
            out.append(srv.client("stop"))
            srv.proc.wait(20)
        finally:
            srv.stop()
        if name == "f2bc" and not srv.check_exit():
            failures += 1
        with open(target) as f:
            results.append((out, f.read()))
        os.unlink(target)
    for i in (1, 2):
        if os.path.exists(os.path.join(top, "pwned%d" % i)):
            failures += 1
            print("a matched line was executed (pwned%d exists)" % i)
    if results[0] != results[1]:
        failures += 1
        print("DIFF tags\n  fail2ban: %r\n  f2bc:     %r" % tuple(results))
    elif "$(touch" not in results[0][1] or "matches=user \"root\"" not in results[0][1]:
        failures += 1
        print("the record does not show the matches verbatim: %r" % results[0][1])
    return failures


def hung_action(top, conf):
    failures = 0
    srv = sl.Server(sl.f2bc_server(), top, "hung", conf, extra=["--loglevel", "INFO"])
    try:
        for cmd in (["set", J, "addaction", "hang"], ["set", J, "action", "hang", "actionban", "sleep 100"],
                    ["set", J, "action", "hang", "timeout", "1"]):
            srv.client(*cmd)
        # banip replies once its actions ran, as fail2ban's does: it waits for the timeout
        ban = subprocess.Popen([sl.STOCK_CLIENT, "-s", srv.sock, "set", J, "banip", "192.0.2.30"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        pong = srv.client("ping")
        if ban.poll() is not None:
            failures += 1
            print("banip replied before its hung action was killed")
        ban_out = ban.communicate(timeout=30)[0]
        if ban_out != b"1\n":
            failures += 1
            print("banip with a hung action: %r" % ban_out)
        if pong != ("Server replied: pong\n", 0):
            failures += 1
            print("ping while an action hangs: %r" % (pong,))
        time.sleep(2.0)
        with open(srv.log) as f:
            log = f.read()
        for want in (r"-- timed out after 1 seconds\.", r"-- killed with SIGTERM \(return code: -15\)",
                     r"ERROR   Failed to execute ban jail 'exim-dos' action 'hang' info '.*': Error banning 192\.0\.2\.30"):
            if not re.search(want, log):
                failures += 1
                print("hung action: no log line matching %r" % want)
        if srv.client("ping")[1] != 0:
            failures += 1
        srv.client("stop")
        srv.proc.wait(30)
    finally:
        srv.stop()
    if not srv.check_exit():
        failures += 1
    return failures


def expiry_and_idle(top, conf):
    failures = 0
    srv = sl.Server(sl.f2bc_server(), top, "expiry", conf)
    dummy = os.path.join(top, "dummy-%s.txt" % J)
    try:
        srv.client("set", J, "bantime", "2")
        # from the ban action's line to the unban action's: both come from a
        # spawned shell, so the latency of a loaded machine cancels out
        ban = subprocess.Popen([sl.STOCK_CLIENT, "-s", srv.sock, "set", J, "banip", "192.0.2.40"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.time()
        t0 = t1 = None
        while time.time() - start < 30 and t1 is None:
            with open(dummy) as f:
                text = f.read()
            if t0 is None and "+192.0.2.40\n" in text:
                t0 = time.time()
            if t0 is not None and "-192.0.2.40\n" in text:
                t1 = time.time()
            time.sleep(0.01)
        ban.wait(30)
        took = None if t1 is None else t1 - t0
        print("unban after %s s" % (None if took is None else "%.3f" % took))
        if took is None or not 1.8 <= took <= 2.3:
            failures += 1
            print("ban expiry: the unban came after %r s, not 2 s" % took)
        # idle with a permanent ban: no timer may fire
        srv.client("set", J, "bantime", "-1")
        srv.client("set", J, "banip", "192.0.2.41")
        time.sleep(0.5)

        def switches():
            n = 0
            for tid in os.listdir("/proc/%d/task" % srv.proc.pid):
                with open("/proc/%d/task/%s/status" % (srv.proc.pid, tid)) as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            n += int(line.split()[1])
            return n
        before = switches()
        time.sleep(3)
        woke = switches() - before
        print("idle for 3 s: %d context switches" % woke)
        if woke > 3:
            failures += 1
            print("the idle server woke up %d times in 3 s" % woke)
        srv.client("stop")
        srv.proc.wait(30)
    finally:
        srv.stop()
    if not srv.check_exit():
        failures += 1
    return failures


# (fail2ban's actions thread looks at its idle flag once a second: the ban
# time leaves the held failure's ban a few seconds to come)
IDLE = [["set", J, "bantime", "6"], ["set", J, "maxretry", "2"], ["set", J, "idle", "on"],
        ["set", J, "banip", "192.0.2.70", "192.0.2.71"], ["set", J, "unbanip", "192.0.2.71"], ["sleep", 7],
        ["banned"], ["set", J, "attempt", "192.0.2.72", "a", "b"], ["banned"], ["set", J, "idle", "off"],
        ["sleep", 2.0], ["banned"], ["stop"]]


def idle_side_by_side(top):
    failures = 0
    conf = sl.make_config(top)
    results = []
    for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        srv = sl.Server(exe, top, name + "-idle", conf)
        dummy = os.path.join(top, "dummy-%s.txt" % J)
        try:
            out = []
            for cmd in IDLE:
                if cmd[0] == "sleep":
                    time.sleep(cmd[1])
                    continue
                if cmd == ["stop"]:
                    with open(dummy) as f:
                        out.append(f.read())
                out.append(srv.client(*cmd))
            srv.proc.wait(20)
        finally:
            srv.stop()
        if name == "f2bc" and not srv.check_exit():
            failures += 1
        results.append(out)
    print("idle: the dummy action wrote %r" % results[0][-2])
    if results[0] != results[1]:
        failures += 1
        print("DIFF idle\n  fail2ban: %r\n  f2bc:     %r" % tuple(results))
    return failures


FLAKY = r"""[Definition]
actioncheck = test -e <flag>
actionrepair = touch <flag>; echo repair >> <target>
actionban = test -e <flag> && echo "+<ip>" >> <target>
actionunban = echo "-<ip>" >> <target>
"""


def reban_side_by_side(top):
    failures = 0
    conf = sl.make_config(top)
    flag, target = os.path.join(top, "flag"), os.path.join(top, "flaky.txt")
    with open(os.path.join(conf, "action.d", "flaky.conf"), "w") as f:
        f.write(FLAKY)
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[%s]\naction = dummy[target=%s/dummy-<name>.txt]\n         flaky[flag=%s, target=%s]\n"
                % (J, top, flag, target))
    results = []
    for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        open(flag, "w").close()
        srv = sl.Server(exe, top, name + "-reban", conf)
        try:
            out = [srv.client("set", J, "banip", "192.0.2.80"), srv.client("set", J, "banip", "192.0.2.80")]
            os.unlink(flag)  # the flaky action breaks: the next ban repairs it
            out += [srv.client("set", J, "banip", "192.0.2.81"), srv.client("set", J, "banip", "192.0.2.80"),
                    srv.client("set", J, "banip", "192.0.2.80", "192.0.2.81"), srv.client("banned")]
            out.append(srv.client("stop"))
            srv.proc.wait(20)
        finally:
            srv.stop()
        if name == "f2bc" and not srv.check_exit():
            failures += 1
        with open(target) as f:
            out.append(f.read())
        os.unlink(target)
        with open(srv.log) as f:
            # ("already banned" is left out: its level depends on the seconds since the ban)
            out += [l[24:].split(": ", 1)[1] for l in f if "Reban" in l or "Invariant" in l]
        results.append(out)
    print("reban: %r" % (results[0],))
    if results[0] != results[1]:
        failures += 1
        print("DIFF reban\n  fail2ban: %r\n  f2bc:     %r" % tuple(results))
    return failures


HOSTREC = r"""[Definition]
actionban = echo "+<ip> <ip-host>" >> <target>
actionunban = echo "-<ip> <ip-host>" >> <target>
"""


def host_side_by_side(top):
    failures = 0
    conf = sl.make_config(top)
    target = os.path.join(top, "hosts.txt")
    with open(os.path.join(conf, "action.d", "hostrec.conf"), "w") as f:
        f.write(HOSTREC)
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[%s]\naction = hostrec[target=%s]\n" % (J, target))
    results = []
    for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        srv = sl.Server(exe, top, name + "-host", conf)
        try:
            out = [srv.client("set", J, "banip", "127.0.0.1", "::1"), srv.client("set", J, "unbanip", "127.0.0.1"),
                   srv.client("stop")]
            srv.proc.wait(20)
        finally:
            srv.stop()
        if name == "f2bc" and not srv.check_exit():
            failures += 1
        with open(target) as f:
            out.append(f.read())
        os.unlink(target)
        results.append(out)
    print("ip-host: %r" % (results[0][-1],))
    if results[0] != results[1]:
        failures += 1
        print("DIFF ip-host\n  fail2ban: %r\n  f2bc:     %r" % tuple(results))
    return failures


def thousand(top, conf):
    srv = sl.Server(sl.f2bc_server(), top, "many", conf)
    ips = ["10.%d.%d.1" % (i // 250, i % 250) for i in range(1000)]
    try:
        for i in range(0, 1000, 250):
            out = srv.client("set", J, "banip", *ips[i:i + 250])
            if out != ("250\n", 0):
                print("banip 250: %r" % (out,))
                return 1
        for i in range(0, 1000, 250):
            out = srv.client("set", J, "unbanip", *ips[i:i + 250])
            if out != ("250\n", 0):
                print("unbanip 250: %r" % (out,))
                return 1
        srv.client("stop")
        srv.proc.wait(300)
    finally:
        srv.stop()
    return 0 if srv.check_exit() else 1


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-act-") as top:
        failures += tags_side_by_side(top)
    with tempfile.TemporaryDirectory(prefix="f2bc-act-") as top:
        failures += idle_side_by_side(top)
    with tempfile.TemporaryDirectory(prefix="f2bc-act-") as top:
        failures += reban_side_by_side(top)
    with tempfile.TemporaryDirectory(prefix="f2bc-act-") as top:
        failures += host_side_by_side(top)
    for part in (hung_action, expiry_and_idle, thousand):
        with tempfile.TemporaryDirectory(prefix="f2bc-act-") as top:
            failures += part(top, sl.make_config(top))
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
