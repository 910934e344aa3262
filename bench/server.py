#!/usr/bin/python3
"""bench/server.py - f2bc-server against fail2ban-server, side by side in one run.

  /usr/bin/python3 bench/server.py [--lines N] [--bans N] [--only throughput,latency,rss]
                                   [--servers fail2ban,f2bc]

throughput  the stock sshd jail (dummy action, backend auto) watching an
            empty log; N lines of `gen-log sshd N` are appended, then five
            failures of a marker address; measured until the marker's ban
            reaches the action: wall seconds, the server's own CPU seconds
            (utime+stime of the process) and its children's (the actions),
            and the server's RSS once the marker is banned.
latency     the exim-dos jail with maxretry 1 and an action whose actionban
            prints its start time; N failure lines with new addresses, one
            at a time: time from the write to the action's start (median,
            99th percentile), the first 5 as warm-up.
rss         every stock jail enabled (91 on Debian's 1.0.2), each on a small
            log, dummy actions: peak RSS (VmHWM) once all jails run.

Run as root on a quiet machine, after a build (build/server/f2bc-server).
Nothing here touches a firewall: every action is a file-writing one.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("F2B_SRCDIR", TOP)
os.environ.setdefault("F2B_BUILDDIR", os.path.join(TOP, "build"))
import serverlib as sl  # noqa: E402

SERVERS = (("fail2ban", sl.STOCK_SERVER), ("f2bc", os.path.join(os.environ["F2B_BUILDDIR"], "server", "f2bc-server")))
MARKER = "203.0.113.254"
LATENCY_ACTION = """[Definition]
actionban = printf '%%s %%s\\n' '<ip>' "$(date +%%s.%%N)" >> <target>
[Init]
target = /dev/null
"""


def cpu_seconds(pid):
    """(own, children) CPU seconds of PID from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tck, (int(fields[13]) + int(fields[14])) / tck


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def stock_conf(top, jails_local):
    conf = os.path.join(top, "conf")
    shutil.copytree("/etc/fail2ban", conf)
    shutil.rmtree(os.path.join(conf, "jail.d"))
    os.makedirs(os.path.join(conf, "jail.d"))
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\nloglevel = INFO\ndbfile = :memory:\n")
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write(jails_local)
    return conf


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        r = pred()
        if r:
            return r
        time.sleep(0.01)
    return None


def file_has(path, text):
    try:
        with open(path) as f:
            return text in f.read()
    except OSError:
        return False


def throughput(lines):
    print("throughput: generating %d sshd lines ..." % lines, file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="f2bc-bench-") as top:
        gen = os.path.join(top, "gen.log")
        with open(gen, "w") as f:
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen-log"), "sshd", str(lines)], stdout=f, check=True)
        stamp = time.strftime("%b %d %H:%M:%S")
        marker = "".join("%s srv1 sshd[4242]: Failed password for root from %s port %d ssh2\n"
                         % (stamp, MARKER, 40000 + i) for i in range(6))
        rows = []
        for label, exe in SERVERS:
            d = os.path.join(top, label)
            os.makedirs(d)
            log = os.path.join(d, "auth.log")
            with open(log, "w") as f:  # read to its end at start: what follows is "in operation"
                f.write("%s srv1 sshd[1]: Server listening on 0.0.0.0 port 22.\n" % time.strftime("%b %d %H:%M:%S"))
            dummy = os.path.join(d, "dummy.txt")
            conf = stock_conf(d, "[sshd]\nenabled = true\nbackend = auto\nlogpath = %s\n"
                                 "action = dummy[target=%s]\n" % (log, dummy))
            srv = sl.Server(exe, d, label, conf)
            try:
                time.sleep(1.0)
                own0, kids0 = cpu_seconds(srv.proc.pid)
                t0 = time.time()
                with open(gen, "rb") as src, open(log, "ab") as dst:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        dst.write(chunk)
                        dst.flush()
                    dst.write(marker.encode())
                done = wait_for(lambda: file_has(dummy, "+" + MARKER), 3600)
                t1 = time.time()
                own1, kids1 = cpu_seconds(srv.proc.pid)
                bans = sum(1 for l in open(dummy) if l.startswith("+"))
                rows.append((label, t1 - t0 if done else float("nan"), own1 - own0, kids1 - kids0, bans,
                             vm(srv.proc.pid, "VmRSS")))
            finally:
                srv.client("stop")
                srv.stop()
        print("\nthroughput: %d sshd lines appended to a watched log (sshd jail, dummy action)" % lines)
        print("%-10s %10s %14s %16s %6s %12s" % ("server", "wall s", "server CPU s", "actions CPU s", "bans",
                                                 "RSS MiB"))
        for r in rows:
            print("%-10s %10.2f %14.2f %16.2f %6d %12.1f" % r)
        if len(rows) == 2 and rows[1][2] > 0:
            print("ratio      %10.1fx %13.1fx" % (rows[0][1] / rows[1][1], rows[0][2] / rows[1][2]))


def latency(n):
    rows = []
    with tempfile.TemporaryDirectory(prefix="f2bc-bench-") as top:
        for label, exe in SERVERS:
            d = os.path.join(top, label)
            conf = sl.make_config(d)
            log = os.path.join(d, "exim.log")
            rec = os.path.join(d, "latency.txt")
            with open(os.path.join(conf, "action.d", "latency.conf"), "w") as f:
                f.write(LATENCY_ACTION)
            with open(os.path.join(conf, "jail.local"), "w") as f:
                f.write("[exim-dos]\nbackend = auto\nmaxretry = 1\naction = latency[target=%s]\n" % rec)
            srv = sl.Server(exe, d, label, conf)
            lat = []
            try:
                time.sleep(1.0)
                for i in range(n + 5):
                    ip = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255 or 1)
                    line = "%s Connection from [%s] refused: too many connections\n" % (
                        time.strftime("%Y-%m-%d %H:%M:%S"), ip)
                    t0 = time.time()
                    with open(log, "a") as f:
                        f.write(line)
                    got = wait_for(lambda: re.search(r"^%s (\S+)$" % re.escape(ip), open(rec).read() if
                                                     os.path.exists(rec) else "", re.M), 10)
                    if got and i >= 5:
                        lat.append((float(got.group(1)) - t0) * 1000.0)
                    time.sleep(0.02)
            finally:
                srv.client("stop")
                srv.stop()
            lat.sort()
            p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))] if lat else float("nan")
            rows.append((label, len(lat), statistics.median(lat) if lat else float("nan"), p99,
                         lat[-1] if lat else float("nan")))
    print("\nban latency: failure line written -> ban action started (exim-dos, maxretry 1, inotify)")
    print("%-10s %6s %12s %12s %12s" % ("server", "bans", "median ms", "p99 ms", "max ms"))
    for r in rows:
        print("%-10s %6d %12.2f %12.2f %12.2f" % r)


def rss():
    jail_names = []
    with open("/etc/fail2ban/jail.conf") as f:
        for line in f:
            m = re.match(r"^\[([^\]]+)\]", line)
            if m and m.group(1) not in ("INCLUDES", "DEFAULT"):
                jail_names.append(m.group(1))
    rows = []
    with tempfile.TemporaryDirectory(prefix="f2bc-bench-") as top:
        for label, exe in SERVERS:
            d = os.path.join(top, label)
            os.makedirs(d)
            small = os.path.join(d, "small.log")
            with open(small, "w") as f:
                f.write("Nov 26 00:00:00 srv1 sshd[1]: Server listening on 0.0.0.0 port 22.\n" * 20)
            local = "[DEFAULT]\nenabled = true\n"
            for j in jail_names:
                local += "[%s]\nbackend = auto\nlogpath = %s\naction = dummy[target=%s/dummy-%s.txt]\n" % (
                    j, small, d, j)
            conf = stock_conf(d, local)
            srv = sl.Server(exe, d, label, conf)
            try:
                out, _ = srv.client("status")
                n = re.search(r"Number of jail:\s+(\d+)", out)
                time.sleep(3.0)
                rows.append((label, int(n.group(1)) if n else 0, vm(srv.proc.pid, "VmHWM"), vm(srv.proc.pid, "VmRSS")))
            finally:
                srv.client("stop")
                srv.stop()
    print("\npeak RSS with every stock jail enabled on small logs")
    print("%-10s %6s %14s %14s" % ("server", "jails", "VmHWM MiB", "VmRSS MiB"))
    for r in rows:
        print("%-10s %6d %14.1f %14.1f" % r)
    if len(rows) == 2 and rows[1][2] > 0:
        print("ratio      %6s %13.1fx" % ("", rows[0][2] / rows[1][2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--bans", type=int, default=120)
    ap.add_argument("--only", default="throughput,latency,rss")
    ap.add_argument("--servers", default="fail2ban,f2bc", help="which servers to run, in order")
    a = ap.parse_args()
    global SERVERS
    wanted = a.servers.split(",")
    SERVERS = tuple(s for s in SERVERS if s[0] in wanted)
    if os.geteuid() != 0:
        sys.exit("run as root (the servers only talk to root)")
    parts = a.only.split(",")
    if "rss" in parts:
        rss()
    if "latency" in parts:
        latency(a.bans)
    if "throughput" in parts:
        throughput(a.lines)


if __name__ == "__main__":
    main()
