"""Side by side: the action tags that fail2ban reads from its database
(Actions.ActionInfo._mi4ip, Fail2BanDb.getBansMerged): <ipmatches> and
<ipfailures> merge the stored bans of the address over every jail,
<ipjailmatches> and <ipjailfailures> over the jail's own.  A database holds
earlier (ended) bans of an address in the jail and in another one, written
by fail2ban's own class; the jail bans it again, and a second address for
the first time; an action writes the four tags into a file.

f2bc-server commits a ban before its actions run, so the merge includes
the ban acted on: its output must be exactly what fail2ban's merge rules
give (EXPECTED).  fail2ban-server stores the ban from its observer thread
while the actions thread already reads the tags: a race, which the observer
usually wins; the stock server is run (up to 5 times) until it writes the
same, and the test fails when it never does."""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

WAIT = 30.0  # ceiling for both bans to be acted on (never a timing assertion)
T = time.time() - 30
ACTION = ("[Definition]\nactionban = echo \"BAN <name> <ip> ipm=<ipmatches> ipjm=<ipjailmatches> "
          "ipf=<ipfailures> ipjf=<ipjailfailures>\" >> %s/tags.txt\nactionunban =\n")


def line(i, ip):
    return "%s Connection from [%s] refused: too many connections\n" % (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(T + i)), ip)


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
    for jail, when, failures, matches in (("other", T - 9000, 3, ["h1"]), ("exim-dos", T - 7200, 2, ["h2", "h3"])):
        db.addJail(Jail(jail))
        t = BanTicket("192.0.2.1", when, matches)
        t.setAttempt(failures)
        db.addBan(Jail(jail), t)
    db.close()


def run(prog, label):
    top = tempfile.mkdtemp(prefix="f2bc-dbtags-")
    try:
        conf = sl.make_config(top)
        with open(os.path.join(conf, "action.d", "tags.conf"), "w") as f:
            f.write(ACTION % top)
        with open(os.path.join(conf, "fail2ban.local"), "w") as f:
            f.write("[Definition]\ndbfile = %s/db.sqlite3\n" % top)
        write_history(os.path.join(top, "db.sqlite3"))
        with open(os.path.join(top, "exim.log"), "w") as f:
            f.write(line(0, "192.0.2.1") + line(1, "192.0.2.2") + line(2, "192.0.2.1") + line(3, "192.0.2.2"))
        with open(os.path.join(conf, "jail.local"), "w") as f:
            f.write("[DEFAULT]\nexim_main_log = %s/exim.log\nusedns = no\naction = tags\nbantime = 1h\n"
                    "findtime = 1h\n[exim-dos]\nmaxretry = 2\n" % top)
        s = sl.Server(prog, top, label, conf)
        out = os.path.join(top, "tags.txt")
        try:
            end = time.time() + WAIT
            while time.time() < end and (not os.path.exists(out) or len(open(out).readlines()) < 2):
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            s.stop()
        if prog != sl.STOCK_SERVER and not s.check_exit():
            return None
        with open(out) as f:
            return sorted(f.read().split("BAN ")[1:])
    finally:
        shutil.rmtree(top, ignore_errors=True)


def expected():
    l = [line(i, ip).rstrip("\n") for i, ip in enumerate(("192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2"))]
    one = "\n".join(["h1", "h2", "h3", l[0], l[2]])
    one_jail = "\n".join(["h2", "h3", l[0], l[2]])
    two = "\n".join([l[1], l[3]])
    return sorted(["exim-dos 192.0.2.1 ipm=%s ipjm=%s ipf=7 ipjf=4\n" % (one, one_jail),
                   "exim-dos 192.0.2.2 ipm=%s ipjm=%s ipf=2 ipjf=2\n" % (two, two)])


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("fail2ban is not installed")
    want = expected()
    ours = run(sl.f2bc_server(), "f2bc")
    if ours != want:
        print("f2bc-server wrote:\n%s\nexpected:\n%s" % ("".join(ours or []), "".join(want)))
        print("database tags: WRONG")
        return 1
    for attempt in range(1, 6):
        stock = run(sl.STOCK_SERVER, "stock")
        if stock == ours:
            print("".join(ours))
            print("database tags: same (fail2ban-server's run %d)" % attempt)
            return 0
        print("fail2ban-server's run %d (its observer lost the race):\n%s" % (attempt, "".join(stock or [])))
    print("database tags: fail2ban-server never wrote what f2bc-server wrote")
    return 1


if __name__ == "__main__":
    sys.exit(main())
