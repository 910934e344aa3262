"""database-compat.py - drives fail2ban's own Fail2BanDb for test-database-live.

  database-compat.py write FILE   the scripted history written by fail2ban
  database-compat.py dump FILE    what fail2ban reads back from FILE, as JSON

The history here and the one test-database-live.c writes with database.c
are the same; the C test compares the dumps of both files (fail2ban reads
ours as its own) and reads fail2ban's file itself.
Run with Debian's /usr/bin/python3 (the fail2ban module)."""
import json
import sqlite3
import sys

from fail2ban.server.database import Fail2BanDb
from fail2ban.server.mytime import MyTime
from fail2ban.server.ticket import FailTicket

NOW = 1700000000
MyTime.setTime(NOW)


class Actions:
    def __init__(self, bantime):
        self.bantime = bantime

    def getBanTime(self):
        return self.bantime


class Jail:
    def __init__(self, name, bantime):
        self.name = name
        self.actions = Actions(bantime)

    def getMaxBanTime(self):
        return self.actions.bantime


class Container:
    def __init__(self, name, pos, md5):
        self.name, self.pos, self.md5 = name, pos, md5

    def getFileName(self):
        return self.name

    def getPos(self):
        return self.pos

    def getHash(self):
        return self.md5


SSHD = Jail('sshd', 600)
WEB = Jail('web', 3600)


def ticket(ip, time, matches, failures, bantime=None, bancount=0, data=None):
    t = FailTicket(ip, time, matches, data=data or {})
    t.setAttempt(failures)
    if bantime is not None:
        t.setBanTime(bantime)
    t.setBanCount(bancount)
    return t


def write(path):
    db = Fail2BanDb(path)
    db.maxMatches = 2
    db.addJail(SSHD)
    db.addJail(WEB)
    db.addJail(Jail('old', 600))
    db.delJail(Jail('old', 600))
    db.addBan(SSHD, ticket('192.0.2.1', NOW - 100.4, ['line 1', 'line "2"', 'l\u00efne\t3\\'], 3, bancount=1))
    db.addBan(WEB, ticket('2001:db8::1', NOW - 5000, [], 0, 7200, 2, {'user': 'root', 'port': 22}))
    db.addBan(SSHD, ticket('192.0.2.1', NOW - 50, ['again'], 1, bancount=2))
    db.addBan(WEB, ticket('198.51.100.7', NOW - 90000, ['x'], 1, -1, 1))
    db.addBan(SSHD, ticket('203.0.113.9', NOW - 700, [], 5, bancount=1))
    db.addLog(SSHD, Container('/var/log/auth.log', 1234, 'abc'))
    db.updateLog(WEB, Container('/var/log/web.log', 99, 'def'))
    db.close()


def tickets(lst):
    out = []
    for t in lst:
        out.append([str(t.getID()), t.getTime(), t.getBanTime(), t.getBanCount(),
                    t.getAttempt(), t.getRetry(), t.getMatches(), sorted(t.getData().items())])
    return out


def dump(path):
    db = Fail2BanDb(path)
    raw = sqlite3.connect(path)
    res = {}
    res['version'] = raw.execute('SELECT version FROM fail2banDb').fetchall()
    res['jails'] = raw.execute('SELECT name, enabled FROM jails ORDER BY name').fetchall()
    res['logs'] = raw.execute('SELECT jail, path, firstlinemd5, lastfilepos FROM logs ORDER BY jail').fetchall()
    for tab in ('bans', 'bips'):
        res[tab] = [list(r[:5]) + [r[5].decode('utf-8'), r[6]] for r in raw.execute(
            'SELECT jail, ip, timeofban, bantime, bancount, data, typeof(data) FROM %s '
            'ORDER BY jail, ip, timeofban' % tab)]
    schema = {}
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        schema[name] = [list(r) for r in raw.execute('PRAGMA table_info(%s)' % name)]
        schema[name + ' indexes'] = sorted(
            [r[1], [c[2] for c in raw.execute('PRAGMA index_info(%s)' % r[1])]]
            for r in raw.execute('PRAGMA index_list(%s)' % name))
    res['schema'] = schema
    res['addLog'] = [db.addLog(SSHD, Container('/var/log/auth.log', 0, 'abc')),
                     db.addLog(SSHD, Container('/var/log/auth.log', 0, 'rotated'))]
    res['current sshd'] = tickets(db.getCurrentBans(jail=SSHD, forbantime=600, fromtime=NOW))
    res['current web'] = tickets(db.getCurrentBans(jail=WEB, forbantime=None, fromtime=NOW))
    res['current web uncorrected'] = tickets(db.getCurrentBans(jail=WEB, fromtime=NOW, correctBanTime=False))
    res['getBan'] = [db.getBan('192.0.2.1', SSHD), db.getBan('192.0.2.1', WEB),
                     db.getBan('2001:db8::1', WEB, overalljails=True),
                     db.getBan('192.0.2.1', SSHD, forbantime=60)]
    res['getBans'] = [[str(t.getID()), t.getTime(), sorted(t.getData().items())] for t in db.getBans(jail=SSHD)]
    db.purge()
    res['after purge'] = [raw.execute('SELECT count(*) FROM %s' % t).fetchall() for t in ('bans', 'bips', 'jails')]
    db.close()
    print(json.dumps(res, sort_keys=True, indent=1))


if __name__ == '__main__':
    {'write': write, 'dump': dump}[sys.argv[1]](sys.argv[2])
