"""Jails at work, end to end and side by side: the stock fail2ban-server and
f2bc-server watch the same log (each with its own socket and its own dummy
action file); the test appends failure lines with current timestamps and
then compares what the stock fail2ban-client prints for both servers, the
files the dummy actions wrote, and the Found/Ban/Unban lines of both logs.

  test-jail-e2e.py BACKEND SCENARIO

BACKEND is a jail backend (auto, polling, systemd); SCENARIO one of
  exim      the project's exim-dos jail, maxretry 1, bantime 1h, IPv4 and IPv6
  exim-exp  the same with bantime 2: every ban is lifted on time
  sshd-normal, sshd-aggressive, sshd-ddos
            the stock sshd filter in that mode on a gen-log sshd log,
            maxretry 3, findtime 10m

With BACKEND systemd (sshd scenarios only) the lines are journal entries
instead (journallib.py): the stock sshd jail with backend
systemd[journalpath=DIR] and the filter's journalmatch reads a journal
directory that holds a third of the entries when the servers start (and one
entry two hours old); the rest is appended in chunks while they run, each
entry stamped with the time it is written, the last chunk in a new file of
that directory.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journallib as jl
import serverlib as sl

WAIT = 30.0  # seconds to wait for both servers to settle (a ceiling, never a timing assertion)


def stamp(t, fmt="%Y-%m-%d %H:%M:%S"):
    return time.strftime(fmt, time.localtime(t))


def write_fail2ban_local(conf):
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\nloglevel = INFO\nlogtarget = STDERR\ndbfile = :memory:\n")


def exim_config(top, label, backend, log, bantime):
    """The serverlib configuration, on the shared LOG, with this server's own dummy file."""
    conf = sl.make_config(os.path.join(top, label))
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[DEFAULT]\nexim_main_log = %s\naction = dummy[target=%s/%s/dummy.txt]\n"
                "[exim-dos]\nbackend = %s\nmaxretry = 1\nbantime = %s\n" % (log, top, label, backend, bantime))
    return conf


def sshd_config(top, label, backend, log, mode):
    """The stock configuration with only the sshd jail, in MODE, on the shared LOG."""
    conf = os.path.join(top, label, "conf")
    shutil.copytree("/etc/fail2ban", conf)
    shutil.rmtree(os.path.join(conf, "jail.d"))
    os.makedirs(os.path.join(conf, "jail.d"))
    write_fail2ban_local(conf)
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[DEFAULT]\nbackend = %s\ndbfile = :memory:\n"
                "[sshd]\nenabled = true\nmode = %s\nmaxretry = 3\nfindtime = 10m\nbantime = 1h\n"
                "logpath = %s\naction = dummy[target=%s/%s/dummy.txt]\n" % (backend, mode, log, top, label))
    return conf


def exim_lines(now, live=False):
    """Failures from 20 IPv4 and 10 IPv6 addresses (some repeated), one from an
    ignored address, and lines that are no failure, with current timestamps
    (LIVE: all stamped NOW, so that a ban of 2 s ends 2 s after NOW's second)."""
    addrs = ["192.0.2.%d" % i for i in range(1, 21)] + ["2001:db8::%x" % i for i in range(1, 11)]
    lines = []
    # repeats only without LIVE: whether a repeat of a 2 s ban comes before or
    # after its end is a matter of scheduling in either server
    repeats = [] if live else addrs[::3]
    if live:  # few enough that fail2ban's serial actions ban them all well within 2 s
        addrs = addrs[:4] + addrs[20:22]
    for n, a in enumerate(addrs + repeats + ["127.0.0.1"]):
        t = now if live else now - 45 + n
        lines.append("%s Connection from [%s] refused: too many connections" % (stamp(t), a))
        if n % 4 == 0:
            lines.append("%s 1a2b3c-000%d-AB Completed" % (stamp(t), n))
    return lines, set(addrs)


def sshd_journal_entries(lines):
    """The journal fields of gen-log's sshd lines (their own time stamps dropped)."""
    return [jl.entry_of_syslog(line) for line in lines]


def append_journal(journal, entries, chunks=5):
    """Appends ENTRIES to JOURNAL in CHUNKS runs of systemd-journal-remote,
    each entry stamped in the second before it is written and after the entries
    before it; the last chunk goes to a new file next to JOURNAL, as after a
    rotation.  (A new file's entries older than the reader's position are
    skipped by sd-journal, in fail2ban as in f2bc: the stamps must rise.)"""
    step = max(1, len(entries) // chunks)
    last = 0.0
    for i in range(0, len(entries), step):
        part = entries[i:i + step]
        t = time.time()
        target = journal if i + step < len(entries) else journal.replace(".journal", "-2.journal")
        stamped = jl.stamped(part, max(t - 0.5, last + 0.001), t)
        last = stamped[-1][0]
        jl.write(target, stamped)
        time.sleep(0.3)


def sshd_lines(now, seed):
    """A gen-log sshd log whose stamps are moved into the last 45 seconds (fail2ban
    takes a line more than 60 s away from now for a timing issue and uses now)."""
    gen = os.path.join(os.environ.get("F2B_SRCDIR", "."), "bench", "gen-log")
    if not os.path.exists(gen):
        sl.skip("gen-log not found at %s" % gen)
    out = subprocess.run(["/usr/bin/python3", gen, "sshd", "1500", "--seed", str(seed), "--attackers", "80"],
                         check=True, stdout=subprocess.PIPE).stdout.decode()
    src = out.splitlines()
    lines = []
    for i, line in enumerate(src):
        t = now - 45 + i * 40.0 / len(src)
        st = time.localtime(t)
        lines.append("%s %2d %s" % (stamp(t, "%b"), st.tm_mday, stamp(t, "%H:%M:%S")) + line[15:])
    return lines


def append(path, lines, chunks=7):
    """Appends LINES in CHUNKS writes, the last line of every chunk but one
    split in two writes (a partial line must wait for its newline)."""
    step = max(1, len(lines) // chunks)
    for i in range(0, len(lines), step):
        part = "".join(l + "\n" for l in lines[i:i + step])
        with open(path, "a") as f:
            if len(part) > 10:
                f.write(part[:-10])
                f.flush()
                time.sleep(0.05)
                f.write(part[-10:])
            else:
                f.write(part)
        time.sleep(0.1)


def banned_set(srv, jail):
    out, rc = srv.client("get", jail, "banip")
    return set(out.split()) if rc == 0 else None


def settle(servers, jail, want=None):
    """Waits until every server's ban list equals WANT (or, WANT None, stops changing for 2 s)."""
    end = time.time() + WAIT
    last, since = None, time.time()
    while time.time() < end:
        sets = [banned_set(s, jail) for s in servers]
        if want is not None and all(s == want for s in sets):
            return
        if want is None:
            if sets != last:
                last, since = sets, time.time()
            elif time.time() - since >= 2.0:
                return
        time.sleep(0.2)


def wait_unbans(servers, n):
    """Waits until every server's dummy file holds N unbans."""
    end = time.time() + WAIT
    while time.time() < end:
        done = 0
        for srv in servers:
            try:
                with open(os.path.join(os.path.dirname(srv.sock), "dummy.txt")) as f:
                    done += sum(1 for l in f if l.startswith("-"))
            except OSError:
                pass
        if done >= n * len(servers):
            return
        time.sleep(0.1)


def unban_delays(servers, now):
    """Seconds from the end of the 2 s bans (the second of NOW + 2) to the last Unban line, per server."""
    end = int(now) + 2
    out = []
    for srv in servers:
        last = None
        with open(srv.log, errors="replace") as f:
            for line in f:
                m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*\] Unban ", line)
                if m:
                    last = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000.0
        out.append("%s %s" % (os.path.basename(srv.log)[:-4], "none" if last is None else "%.3f s" % (last - end)))
    return ", ".join(out)


def log_events(path, jail):
    """The jail's Found/Ignore/Ban/Unban lines of a server log, without time and pid, sorted."""
    pat = re.compile(r"\[%s\] (Found|Ignore|Ban|Unban|.* already banned)" % re.escape(jail))
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if pat.search(line):
                level_msg = re.sub(r"^.*?fail2ban\.\S+\s+\[\d+\]:\s+", "", line.rstrip("\n"))
                out.append(level_msg)
    return sorted(out)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    backend, scenario = sys.argv[1], sys.argv[2]
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    if backend == "auto" and subprocess.run(["/usr/bin/python3", "-c", "import pyinotify"]).returncode:
        sl.skip("python3-pyinotify is missing: fail2ban would poll, not a side-by-side of inotify")
    jail = "exim-dos" if scenario.startswith("exim") else "sshd"
    seed = {"normal": 3, "aggressive": 5, "ddos": 7}.get(scenario[5:])
    if backend == "systemd":
        if jail != "sshd":
            print(__doc__)
            return 2
        if subprocess.run(["/usr/bin/python3", "-c", "import systemd.journal"]).returncode:
            sl.skip("python3-systemd is missing: fail2ban has no systemd backend")
        jl.need_journal_remote()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-e2e-") as top:
        log = os.path.join(top, "watched.log")
        with open(log, "w") as f:  # an old line: read on start, not counted
            f.write("%s Connection from [198.51.100.1] refused: too many connections\n" % stamp(time.time() - 7200))
        journal, entries, jail_backend = None, None, backend
        if backend == "systemd":
            jdir = os.path.join(top, "journal")
            os.makedirs(jdir)
            journal = os.path.join(jdir, "sshd.journal")
            entries = sshd_journal_entries(sshd_lines(time.time(), seed))
            first = len(entries) // 3
            t = time.time()
            old = jl.entry_of_syslog("Nov  1 00:00:00 srv1 sshd[99]: Invalid user old from 198.51.100.2 port 22")
            jl.write(journal, [(t - 7200, old)] + jl.stamped(entries[:first], t - 50, t - 30))
            entries = entries[first:]
            jail_backend = "systemd[journalpath=%s]" % jdir
        servers = []
        try:
            # F2B_E2E_STOCK_TWICE=1 runs the stock server on both sides: a check of the test itself
            ours = sl.STOCK_SERVER if os.environ.get("F2B_E2E_STOCK_TWICE") else sl.f2bc_server()
            for label, exe in (("stock", sl.STOCK_SERVER), ("f2bc", ours)):
                os.makedirs(os.path.join(top, label))
                if jail == "exim-dos":
                    conf = exim_config(top, label, backend, log, "2" if scenario == "exim-exp" else "3600")
                else:
                    conf = sshd_config(top, label, jail_backend, log, scenario[5:])
                servers.append(sl.Server(exe, os.path.join(top, label), label, conf))
            time.sleep(1.0)  # both have opened the log (fail2ban reads it from the start)
            now = time.time()
            if jail == "exim-dos":
                lines, want = exim_lines(now, scenario == "exim-exp")
            elif journal:
                lines, want = entries, None
            else:
                lines, want = sshd_lines(now, seed), None
            if journal:
                append_journal(journal, entries)
                settle(servers, jail, want)
            elif scenario == "exim-exp":
                with open(log, "a") as f:
                    f.write("".join(l + "\n" for l in lines))
                wait_unbans(servers, len(want))
            else:
                append(log, lines)
                settle(servers, jail, want)
            report = []
            for srv in servers:
                outs = [srv.client(*c) for c in (["status", jail], ["banned"], ["get", jail, "banip"])]
                with open(os.path.join(os.path.dirname(srv.sock), "dummy.txt")) as f:
                    dummy = f.read()
                report.append((outs, dummy))
            for srv in servers:
                srv.client("stop")
                srv.proc.wait(30)
        finally:
            for srv in servers:
                srv.stop()
        if len(servers) == 2 and not servers[1].check_exit():
            failures += 1
        (want_outs, want_dummy), (got_outs, got_dummy) = report
        for name, w, g in zip(("status", "banned", "get banip"), want_outs, got_outs):
            if w != g:
                failures += 1
                print("DIFF %s\n  fail2ban: %r\n  f2bc:     %r" % (name, w, g))
        if sorted(want_dummy.splitlines()) != sorted(got_dummy.splitlines()):
            failures += 1
            print("DIFF dummy action file\n  fail2ban: %r\n  f2bc:     %r" % (want_dummy, got_dummy))
        bans = [l for l in got_dummy.splitlines() if l.startswith("+")]
        if len(bans) != len(set(bans)):
            failures += 1
            print("an address was banned twice: %r" % bans)
        if want is not None and set(b[1:] for b in bans) != want:
            failures += 1
            print("banned %r, expected %r" % (sorted(b[1:] for b in bans), sorted(want)))
        if scenario == "exim-exp":
            unbans = set(l[1:] for l in got_dummy.splitlines() if l.startswith("-") and l != "-*")
            if unbans != want:
                failures += 1
                print("unbanned %r, expected %r" % (sorted(unbans), sorted(want)))
        ev = [log_events(s.log, jail) for s in servers]
        if ev[0] != ev[1]:
            failures += 1
            only0 = [l for l in ev[0] if l not in ev[1]]
            only1 = [l for l in ev[1] if l not in ev[0]]
            print("DIFF log events\n  fail2ban only: %r\n  f2bc only:     %r" % (only0[:20], only1[:20]))
        if scenario == "exim-exp":
            print("unban delay after the end of the bans (informational): %s" % unban_delays(servers, now + 0.0))
        print("%s/%s: %d %s appended, %d bans, %d log events, %d differences"
              % (backend, scenario, len(lines), "entries" if journal else "lines", len(bans), len(ev[1]), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
