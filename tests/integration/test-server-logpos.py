"""Side by side: a restart continues a log where the last server stopped,
through the `logs` table of fail2ban's database, in both directions.

For each pair (writer, resumer) of stock fail2ban-server and f2bc-server:
the writer reads a log (one jail, maxretry 2) into a new database file and
stops; then, while no server runs, either lines are appended to the log
("append") or the log is rotated, renamed away with lines appended to the
old file and a new file started ("rotate"); the resumer is started on the
same database file and stops.  Every pair must show the same thing:
the "Added logfile" line (position and hash restored), the same Found, Ban
and Restore Ban lines, and the same `logs` rows (jail, path, hash,
position) after each stop; and what they show is what the log's content
says: after "append" only the appended lines are read (none counted
twice, none lost), after "rotate" only the new file.

A third case, "journal", does the same with backend systemd on a journal
directory (journallib.py; skipped without systemd-journal-remote and
python3-systemd): entries appended while no server runs; the row
"systemd-journal" holds the time and date of the last entry read."""
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journallib as jl
import serverlib as sl

WAIT = 30.0  # ceiling for a server to read what is there (never a timing assertion)
JAIL = "exim-dos"


def line(t, ip):
    return "%s Connection from [%s] refused: too many connections\n" % (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)), ip)


def lines(t, ips):
    return "".join(line(t + i, ip) for i, ip in enumerate(ips))


# maxretry 2: an address is banned at its second line; one line alone shows
# a failure counted (Found) without a ban
NOW = time.time() - 60
FIRST = lines(NOW, ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3"])  # bans .1
APPENDED = lines(NOW + 10, ["192.0.2.3", "192.0.2.4", "192.0.2.4", "192.0.2.5"])  # bans .4 (.3's first is lost)
OLD_TAIL = lines(NOW + 20, ["192.0.2.6", "192.0.2.6"])  # appended to the renamed file: never read
NEW_FILE = lines(NOW + 30, ["192.0.2.7", "192.0.2.8", "192.0.2.7"])  # bans .7
FAILED = {"first": 4, "append": 4, "rotate": 3, "journal": 4}  # lines each run must count


def entries(t, ips):
    return [(t + i + 0.25, [("_HOSTNAME", "srv1"), ("SYSLOG_IDENTIFIER", "exim"), ("_PID", "99"),
                            ("_COMM", "exim"), ("MESSAGE", "Connection from [%s] refused: too many connections" % a)])
            for i, a in enumerate(ips)]


JOURNAL_FIRST = entries(NOW, ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3"])
JOURNAL_APPENDED = entries(NOW + 10, ["192.0.2.3", "192.0.2.4", "192.0.2.4", "192.0.2.5"])


def config(top, journal=False):
    conf = sl.make_config(top)
    if journal:
        with open(os.path.join(conf, "filter.d", "exim-journal.conf"), "w") as f:
            f.write("[Definition]\nfailregex = ^\\S+ exim\\[\\d+\\]: Connection from \\[<HOST>\\] refused\n"
                    "journalmatch = SYSLOG_IDENTIFIER=exim\n")
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\ndbfile = %s/db.sqlite3\n" % top)
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[DEFAULT]\nexim_main_log = %s/exim.log\n[%s]\nmaxretry = 2\nfindtime = 1h\nbantime = 1h\n"
                "usedns = no\n" % (top, JAIL))
        if journal:
            f.write("filter = exim-journal\nbackend = systemd[journalpath=%s/journal]\n" % top)
    return conf


def total_failed(server):
    out, _ = server.client("status", JAIL)
    m = re.search(r"Total failed:\s+(\d+)", out)
    return int(m.group(1)) if m else -1


def run(prog, top, conf, name, failed):
    """Starts PROG, waits until it counted FAILED failures (a little longer, so
    that lines read twice would show), stops it; returns its log lines of
    interest and the `logs` rows."""
    s = sl.Server(prog, top, name, conf)
    ok = True
    try:
        end = time.time() + WAIT
        while time.time() < end and total_failed(s) < failed:
            time.sleep(0.1)
        time.sleep(1.0)
        counted = total_failed(s)
    finally:
        s.stop()
    if prog != sl.STOCK_SERVER and not s.check_exit():
        ok = False
    seen = []
    with open(s.log) as f:
        for l in f:
            m = re.search(r"(Added logfile: .*|\[%s\] (?:Found|Ban|Restore Ban|Unban) .*|.*already banned.*"
                          r"|Log rotation detected.*)$" % JAIL, l.rstrip("\n"))
            if m:
                seen.append(m.group(1).replace(top, "TOP"))
    seen = [re.sub(r"Added logfile: .*", "Added logfile", l) for l in seen]  # the journal's has no file
    db = sqlite3.connect(os.path.join(top, "db.sqlite3"))
    rows = sorted((j, p.replace(top, "TOP"), h, pos)
                  for j, p, h, pos in db.execute("SELECT jail, path, firstlinemd5, lastfilepos FROM logs"))
    db.close()
    return ok, {"counted": counted, "log": sorted(seen), "rows": rows}


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def case(top, conf, writer, resumer, change):
    log = os.path.join(top, "exim.log")
    journal = os.path.join(top, "journal", "exim.journal")
    for n in os.listdir(top):
        if n.startswith("db.sqlite3") or n.startswith("exim.log"):
            os.unlink(os.path.join(top, n))
    shutil.rmtree(os.path.dirname(journal), ignore_errors=True)
    write(log, FIRST)
    if change == "journal":
        os.makedirs(os.path.dirname(journal))
        jl.write(journal, JOURNAL_FIRST)
    label = "%s-%s-%s" % (change, os.path.basename(writer), os.path.basename(resumer))
    ok1, first = run(writer, top, conf, label + "-1", FAILED["first"])
    if change == "append":
        write(log, APPENDED, "a")
    elif change == "journal":
        jl.write(journal, JOURNAL_APPENDED)
    else:
        os.rename(log, log + ".1")
        write(log + ".1", OLD_TAIL, "a")
        write(log, NEW_FILE)
    ok2, second = run(resumer, top, conf, label + "-2", FAILED[change])
    return ok1 and ok2, first, second


def found(view):
    return sorted(re.sub(r" - .*", "", l.split("] ", 1)[1]) for l in view["log"] if "] Found " in l)


def check_content(change, second):
    """What the log's content says the resumer must have counted."""
    want = {"append": ["Found 192.0.2.3", "Found 192.0.2.4", "Found 192.0.2.4", "Found 192.0.2.5"],
            "journal": ["Found 192.0.2.3", "Found 192.0.2.4", "Found 192.0.2.4", "Found 192.0.2.5"],
            "rotate": ["Found 192.0.2.7", "Found 192.0.2.7", "Found 192.0.2.8"]}[change]
    got = found(second)
    if got != want or second["counted"] != FAILED[change]:
        print("%s: the resumer counted %s (%d), the log holds %s" % (change, got, second["counted"], want))
        return False
    return True


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("fail2ban is not installed")
    progs = [sl.STOCK_SERVER, sl.f2bc_server()]
    top = tempfile.mkdtemp(prefix="f2bc-logpos-")
    ok = True
    changes = ["append", "rotate"]
    import subprocess
    if os.access(jl.JOURNAL_REMOTE, os.X_OK) and \
            subprocess.run(["/usr/bin/python3", "-c", "import systemd.journal"]).returncode == 0:
        changes.append("journal")
    else:
        print("journal case skipped: needs %s and python3-systemd" % jl.JOURNAL_REMOTE)
    try:
        for change in changes:
            sub = os.path.join(top, change)
            os.makedirs(sub)
            conf = config(sub, change == "journal")
            results = {}
            for writer in progs:
                for resumer in progs:
                    good, first, second = case(sub, conf, writer, resumer, change)
                    ok = ok and good
                    results[(writer, resumer)] = (first, second)
            ref = results[(sl.STOCK_SERVER, sl.STOCK_SERVER)]
            same = True
            for pair, got in results.items():
                for i, what in ((0, "first run"), (1, "restart")):
                    if got[i] != ref[i]:
                        same = False
                        print("%s, %s by %s after %s:\n  fail2ban only: %s\n  this pair: %s" % (
                            change, what, os.path.basename(pair[1] if i else pair[0]),
                            os.path.basename(pair[0]),
                            {k: v for k, v in ref[i].items()}, {k: v for k, v in got[i].items()}))
            same = check_content(change, ref[1]) and same
            print("%s: %s (rows after the restart: %s)" % (change, "same" if same else "DIFFERENT", ref[1]["rows"]))
            ok = ok and same
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
