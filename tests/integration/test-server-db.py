"""Side by side: bans survive a restart through fail2ban's database file, in
both directions.  One server (stock fail2ban-server, then f2bc-server) bans
addresses in three jails into a database file and stops; copies of that file
are then opened by fail2ban-server and by f2bc-server, and stock
fail2ban-client must show the same `banned`, `status JAIL` and
`get JAIL banip --with-time` for both."""
import ast
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

JAILS = {"j1": "10m", "j2": "1h", "j3": "-1"}
BANS = [("j1", ["192.0.2.1", "192.0.2.2", "192.0.2.3"]), ("j2", ["198.51.100.1", "2001:db8::5"]),
        ("j3", ["203.0.113.9", "192.0.2.1"])]


def config(top):
    conf = sl.make_config(top)
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\ndbfile = %s/db.sqlite3\n" % top)
    with open(os.path.join(conf, "jail.local"), "w") as f:
        for name, bantime in JAILS.items():
            f.write("[%s]\nenabled = true\nfilter = exim-dos\nlogpath = %%(exim_main_log)s\n"
                    "bantime = %s\n" % (name, bantime))
    return conf


def use_db(top, conf, path):
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write("[Definition]\ndbfile = %s\n" % path)


def ban_all(server):
    for jail, ips in BANS:
        out, rc = server.client("set", jail, "banip", *ips)
        assert rc == 0, out
    # an unban deletes the ban from the database: not restored
    out, rc = server.client("set", "j1", "unbanip", "192.0.2.2")
    assert rc == 0, out


def expected_count():
    return sum(len(ips) for _, ips in BANS) - 1


def view(server):
    """What the stock client shows, once every restored ban is in (fail2ban
    restores asynchronously)."""
    end = time.time() + 15
    while time.time() < end:
        out, _ = server.client("banned")
        try: # [{'JAIL': [IP, ...]}, ...]: count the addresses, not the quoted jail names
            if sum(len(ips) for d in ast.literal_eval(out.strip()) for ips in d.values()) >= expected_count():
                break
        except (ValueError, SyntaxError):
            pass
        time.sleep(0.1)
    lines = [server.client("banned")]
    for j in JAILS:
        lines.append(server.client("status", j))
        lines.append(server.client("get", j, "banip", "--with-time"))
    return lines


def run_direction(top, conf, writer, name):
    ok = True
    db = os.path.join(top, name + ".db")
    use_db(top, conf, db)
    w = sl.Server(writer, top, name + "-writer", conf)
    ban_all(w)
    w.stop()
    views = {}
    for label, prog in (("fail2ban", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        copy = os.path.join(top, "%s-%s.db" % (name, label))
        shutil.copy(db, copy)
        use_db(top, conf, copy)
        s = sl.Server(prog, top, "%s-%s" % (name, label), conf)
        try:
            views[label] = view(s)
        finally:
            s.stop()
        if label == "f2bc" and not s.check_exit():
            ok = False
    if views["fail2ban"] != views["f2bc"]:
        ok = False
        for a, b in zip(views["fail2ban"], views["f2bc"]):
            if a != b:
                print("%s: fail2ban-server shows:\n%s\nf2bc-server shows:\n%s" % (name, a, b))
    restored = views["fail2ban"][0][0]
    if "192.0.2.3" not in restored or "2001:db8::5" not in restored or "192.0.2.2" in restored:
        ok = False
        print("%s: unexpected restored bans: %s" % (name, restored))
    print("%s: %s" % (name, "same" if ok else "DIFFERENT"))
    return ok


INCR_JAILS = {
    "i1": "bantime.increment = true\nbantime.factor = 2\nbantime.maxtime = 5h\n",
    "i2": "bantime.increment = true\nbantime.multipliers = 1 5 30 60\nbantime.overalljails = true\n",
    "i3": "bantime.increment = true\nbantime = 1m\n"
          "bantime.formula = ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)\n",
    "i4": "bantime.increment = true\nbantime.rndtime = 5m\n",
}
# (jail, ip, earlier ban count) in the history fail2ban's own class writes
HISTORY = [("i1", "192.0.2.1", 1), ("i1", "192.0.2.2", 3), ("i1", "192.0.2.3", 10), ("other", "192.0.2.1", 2),
           ("i3", "192.0.2.4", 2), ("i4", "192.0.2.5", 1)]
INCR_BANS = [("i1", ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.9"]), ("i2", ["192.0.2.1", "192.0.2.9"]),
             ("i3", ["192.0.2.4"]), ("i4", ["192.0.2.5"])]


def write_history(path):
    from fail2ban.server.database import Fail2BanDb
    from fail2ban.server.ticket import BanTicket

    class Acts:
        def getBanTime(self):
            return 600

    class Jail:
        def __init__(self, name):
            self.name, self.actions = name, Acts()

    db = Fail2BanDb(path)
    when = time.time() - 7200  # over: history only, nothing to restore
    for jail, ip, count in HISTORY:
        db.addJail(Jail(jail))
        t = BanTicket(ip, when)
        t.setBanCount(count)
        db.addBan(Jail(jail), t)
    db.close()


def increment_view(server, top, name):
    out = []
    for jail, ips in INCR_BANS:
        r = server.client("set", jail, "banip", *ips)
        out.append(r)
    for jail, _ in INCR_BANS:
        txt, rc = server.client("get", jail, "banip", "--with-time")
        # the times of ban differ between the runs: the ban times must not
        out.append(([re.sub(r"\t.*? \+ ", "+ ", l.split(" = ")[0]) for l in txt.splitlines()], rc))
    time.sleep(0.5)
    with open(server.log) as f:
        lines = [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<date>", re.sub(r"^.*?\]: ", "", l.rstrip()))
                 for l in f if "Increase Ban" in l]
    # (the observer's "IP x is bad" lines are left out: fail2ban-server writes them
    # from its observer thread and, under load, sometimes not for every ban)
    out.append(sorted(lines))
    return out


def run_increment(top, conf):
    with open(os.path.join(conf, "jail.local"), "w") as f:
        for name, opts in INCR_JAILS.items():
            f.write("[%s]\nenabled = true\nfilter = exim-dos\nlogpath = %%(exim_main_log)s\n%s" % (name, opts))
    hist = os.path.join(top, "history.db")
    write_history(hist)
    views = {}
    for label, prog in (("fail2ban", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
        copy = os.path.join(top, "incr-%s.db" % label)
        shutil.copy(hist, copy)
        use_db(top, conf, copy)
        s = sl.Server(prog, top, "incr-%s" % label, conf)
        try:
            views[label] = increment_view(s, top, label)
        finally:
            s.stop()
    ok = True
    # rndtime: random, within its bound; compared apart
    rnd = {}
    for label in views:
        i4 = views[label][-2]
        rnd[label] = i4
        views[label][-2] = None
        views[label][-1] = [l for l in views[label][-1] if "[i4]" not in l]
    if views["fail2ban"] != views["f2bc"]:
        ok = False
        for a, b in zip(views["fail2ban"], views["f2bc"]):
            if a != b:
                print("increment: fail2ban-server:\n%s\nf2bc-server:\n%s" % (a, b))
    lines, rc = rnd["f2bc"]
    m = re.match(r"192\.0\.2\.5 \+ (\d+)$", lines[0]) if lines else None
    if not m or not 1200 <= int(m.group(1)) <= 1500:
        ok = False
        print("increment: rndtime ban time out of [1200, 1500]: %r" % (lines,))
    print("bantime.increment: %s" % ("same" if ok else "DIFFERENT"))
    if not ok:
        print(views)
    return ok


def run_bad_files(top, conf):
    """A corrupt file is kept aside untouched and a new database started; a
    file that cannot be opened leaves the server without one; it serves."""
    ok = True
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[j1]\nenabled = true\nfilter = exim-dos\nlogpath = %(exim_main_log)s\n")
    junk = b"SQLite format 3\x00" + b"\xff" * 4000  # a header and garbage after it
    cases = {"corrupt": os.path.join(top, "corrupt.db"), "unopenable": "/proc/f2bc-no-such-dir/x.db"}
    with open(cases["corrupt"], "wb") as f:
        f.write(junk)
    for case, path in cases.items():
        use_db(top, conf, path)
        s = sl.Server(sl.f2bc_server(), top, "bad-" + case, conf)
        try:
            served = s.client("set", "j1", "banip", "192.0.2.77") == ("1\n", 0) and \
                s.client("get", "j1", "banip") == ("192.0.2.77\n", 0)
        finally:
            s.stop()
        if not s.check_exit() or not served:
            ok = False
            print("%s database: the server did not serve" % case)
        with open(s.log) as f:
            log = f.read()
        if case == "corrupt":
            aside = [n for n in os.listdir(top) if n.startswith("corrupt.db.corrupt.")]
            kept = aside and open(os.path.join(top, aside[0]), "rb").read() == junk
            if not kept or "kept aside untouched as" not in log:
                ok = False
                print("corrupt database: not kept aside untouched (%r)" % aside)
        elif "Error connecting to fail2ban persistent database '%s'" % path not in log:
            ok = False
            print("unopenable database: no clear error in the log")
    print("bad database files: %s" % ("handled" if ok else "NOT HANDLED"))
    return ok


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("fail2ban is not installed")
    top = tempfile.mkdtemp(prefix="f2bc-db-")
    try:
        conf = config(top)
        ok = run_direction(top, conf, sl.STOCK_SERVER, "stock-wrote")
        ok = run_direction(top, conf, sl.f2bc_server(), "f2bc-wrote") and ok
        ok = run_increment(top, conf) and ok
        ok = run_bad_files(top, conf) and ok
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
