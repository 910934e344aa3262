"""Crash test: f2bc-server killed with SIGKILL at random moments while a
flood of failures arrives, 20 times, then restarted on the same database.

Two logs are appended to all along by a writer thread, each line stamped
with the time it is written:
  a.log  every address once: jail `one` (maxretry 1) bans each at its line;
  b.log  every address three times in a row: jail `three` (maxretry 3).
After each restart:
  - every ban the killed server logged ("[jail] Ban x") is restored: it is
    in `get JAIL banip` of the new server (a ban is committed before it is
    reported);
  - no line is counted twice: no address banned in one run is found again
    (a "Found" line) in a later run, which is what a line read again after
    the restart would show, and no address has two "Ban" lines over all
    runs.
At the end the writer stops, a last server reads to the end and stops, and
the database must hold, for `one`, exactly one ban per address of a.log
(none lost: a line is either read and its ban committed with the log's
position, or read again) and, for `three`, one ban at most per address,
with at most one address per kill missing (the one whose lines straddle
the position committed last: its earlier failures were in memory only, as
in fail2ban).

What it checks is deterministic; only the kill moments are random, from a
seed printed at the start (F2B_CRASH_SEED sets it)."""
import os
import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

KILLS = 20
WAIT = 60.0  # ceiling for a server to catch up (never a timing assertion)
RATE = 100   # addresses per second and log


def ip(n):
    return "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


def stamp():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


class Flood(threading.Thread):
    """Appends to a.log (each address once) and b.log (each three times)."""

    def __init__(self, top):
        super().__init__(daemon=True)
        self.a = open(os.path.join(top, "a.log"), "a")
        self.b = open(os.path.join(top, "b.log"), "a")
        self.n = 0
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            start = time.time()
            for _ in range(max(1, RATE // 50)):
                t, addr = stamp(), ip(self.n)
                self.a.write("%s Connection from [%s] refused: too many connections\n" % (t, addr))
                self.b.write(("%s Connection from [%s] refused: too many connections\n" % (t, addr)) * 3)
                self.n += 1
            self.a.flush()
            self.b.flush()
            time.sleep(max(0.0, 0.02 - (time.time() - start)))

    def stop(self):
        self.halt.set()
        self.join()
        self.a.close()
        self.b.close()


def config(top):
    conf = sl.make_config(top)
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\ndbfile = %s/db.sqlite3\n" % top)
    for name in ("a.log", "b.log"):
        open(os.path.join(top, name), "w").close()
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[DEFAULT]\nfindtime = 1d\nbantime = 1d\nusedns = no\nignoreself = false\naction =\n"
                "[exim-dos]\nenabled = false\n")
        for name, log, retry in (("one", "a.log", 1), ("three", "b.log", 3)):
            f.write("[%s]\nenabled = true\nfilter = exim-dos\nlogpath = %s/%s\nmaxretry = %d\n"
                    % (name, top, log, retry))
    return conf


def log_events(path):
    """(jail, event, ip) of the Found / Ban / Restore Ban lines."""
    out = []
    with open(path, errors="replace") as f:
        for l in f:
            m = re.search(r"\[(one|three)\] (Found|Ban|Restore Ban) (\S+)", l)
            if m:
                out.append((m.group(1), m.group(2), m.group(3)))
    return out


def found_again(runs):
    """(jail, ip, run) of addresses found in a run after a run that banned them."""
    out = []
    banned_before = set()
    for r, events in enumerate(runs):
        out += [(j, i, r) for j, e, i in events if e == "Found" and (j, i) in banned_before]
        banned_before |= {(j, i) for j, e, i in events if e == "Ban"}
    return out


def banned(server, jail):
    out, rc = server.client("get", jail, "banip")
    return set(out.split()) if rc == 0 else None


def wait_jails(server):
    end = time.time() + WAIT
    while time.time() < end:
        if banned(server, "one") is not None and banned(server, "three") is not None:
            return True
        time.sleep(0.05)
    return False


def kill(server):
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    server.out.close()


def main():
    if not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("fail2ban-client is not installed")
    seed = int(os.environ.get("F2B_CRASH_SEED", str(int(time.time()))))
    print("seed %d (F2B_CRASH_SEED=%d to repeat the kill moments)" % (seed, seed))
    rnd = random.Random(seed)
    top = tempfile.mkdtemp(prefix="f2bc-crash-")
    ok = True
    problems = []
    try:
        conf = config(top)
        flood = Flood(top)
        flood.start()
        runs = []  # the events of each run
        prog = sl.f2bc_server()
        s = sl.Server(prog, top, "run-0", conf)
        for k in range(KILLS):
            if not wait_jails(s):
                problems.append("run %d: the jails did not come up" % k)
                break
            time.sleep(rnd.uniform(0.05, 1.5))
            kill(s)
            logged = log_events(s.log)
            runs.append(logged)
            t0 = time.time()
            s = sl.Server(prog, top, "run-%d" % (k + 1), conf)
            if not wait_jails(s):
                problems.append("run %d: the jails did not come up" % (k + 1))
                break
            s.started = time.time() - t0
            for jail in ("one", "three"):
                before = {i for j, e, i in logged if j == jail and e in ("Ban", "Restore Ban")}
                now = banned(s, jail)
                lost = sorted(before - now)
                if lost:
                    problems.append("kill %d: %d ban(s) of %s logged before the kill and not restored: %s"
                                    % (k + 1, len(lost), jail, lost[:5]))
            print("kill %d: %d new bans logged before it, restart took %.1f s" %
                  (k + 1, sum(1 for _, e, _ in logged if e == "Ban"), s.started))
        flood.stop()
        total = flood.n
        # the last run reads to the end, then stops normally
        end = time.time() + WAIT
        while time.time() < end and len(banned(s, "one") or ()) < total:
            time.sleep(0.2)
        time.sleep(1.0)
        s.stop()
        if not s.check_exit():
            problems.append("the last server did not exit cleanly")
        runs.append(log_events(s.log))
        events = [e for r in runs for e in r]
        db = sqlite3.connect(os.path.join(top, "db.sqlite3"))
        rows = {}
        for jail, addr, n in db.execute("SELECT jail, ip, count(*) FROM bans GROUP BY jail, ip"):
            rows.setdefault(jail, {})[addr] = n
        db.close()
        every = {ip(n) for n in range(total)}
        again = found_again(runs)
        if again:
            problems.append("%d line(s) counted twice (found again after their ban, jail ip run): %s"
                            % (len(again), again[:5]))
        for jail in ("one", "three"):
            bans = [i for j, e, i in events if j == jail and e == "Ban"]
            twice = sorted({i for i in bans if bans.count(i) > 1}) if len(bans) != len(set(bans)) else []
            if twice:
                problems.append("%s: banned twice: %s" % (jail, twice[:5]))
            got = rows.get(jail, {})
            multi = sorted(i for i, n in got.items() if n != 1)
            if multi:
                problems.append("%s: several ban rows for %s" % (jail, multi[:5]))
            missing = sorted(every - set(got))
            foreign = sorted(set(got) - every)
            allowed = 0 if jail == "one" else KILLS
            if len(missing) > allowed or foreign:
                problems.append("%s: %d of %d addresses never banned (at most %d allowed): %s; foreign: %s"
                                % (jail, len(missing), total, allowed, missing[:5], foreign[:5]))
            print("%s: %d addresses, %d banned once, %d lost (allowed %d)" % (
                jail, total, len(got), len(missing), allowed))
    finally:
        if os.environ.get("F2B_CRASH_KEEP"):
            print("kept " + top)
        else:
            shutil.rmtree(top, ignore_errors=True)
    for p in problems:
        print("FAIL: " + p)
    ok = not problems
    print("crash test: %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
