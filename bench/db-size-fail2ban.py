"""db-size-fail2ban.py - bench/db-size's history written by fail2ban's own
Fail2BanDb, for comparison.  Run with Debian's /usr/bin/python3:

  db-size-fail2ban.py FILE [BANS [DAYS [PURGEAGE]]]"""
import os
import sys

from fail2ban.server.database import Fail2BanDb
from fail2ban.server.mytime import MyTime
from fail2ban.server.ticket import BanTicket


class Actions:
    def getBanTime(self):
        return 600


class Jail:
    name = "sshd"
    actions = Actions()


def size(path):
    return sum(os.path.getsize(p) for p in (path, path + "-journal") if os.path.exists(p))


def main():
    path = sys.argv[1]
    bans = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    days = int(sys.argv[3]) if len(sys.argv) > 3 else 14
    purge_age = int(sys.argv[4]) if len(sys.argv) > 4 else 86400
    start, step = 1700000000, days * 86400 / bans
    next_purge = start + 3600
    MyTime.setTime(start)
    db = Fail2BanDb(path, purgeAge=purge_age)
    db.addJail(Jail)
    line = "Nov 25 10:00:00 host sshd[123]: Failed password for root from 10.0.0.1"
    biggest = 0
    for i in range(bans):
        now = start + i * step
        MyTime.setTime(now)
        t = BanTicket("10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), now, [line] * 5)
        t.setAttempt(5)
        t.setBanCount(1)
        db.addBan(Jail, t)
        if now >= next_purge:
            db.purge()
            next_purge += 3600
            biggest = max(biggest, size(path))
    db.close()
    print("%d bans over %d days, dbpurgeage %d s: file %.1f MB at the end, %.1f MB at most"
          % (bans, days, purge_age, size(path) / 1e6, biggest / 1e6))


if __name__ == "__main__":
    main()
