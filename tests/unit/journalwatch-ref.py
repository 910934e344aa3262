#!/usr/bin/python3
# journalwatch-ref.py - fail2ban's own FilterSystemd reading a journal, for
# test-journalwatch.c to compare with what f2bs_journalwatch delivers.
#
# argv: BACKEND-OPTION=VALUE ... -- MATCH-TERM ...   (e.g. journalfiles=/x/a.journal
# -- _SYSTEMD_UNIT=ssh.service + _COMM=sshd), findtime from $FINDTIME (600).
# The filter runs in its thread (as in fail2ban-server) until no new line came
# for a second; stdout: per line "<hex date> <hex line> <repr(time)> <0|1 in operation>".
import os
import sys
import time

from fail2ban.server.filtersystemd import FilterSystemd


class Jail:
    name = 'test'
    database = None

    def putFailTicket(self, ticket):
        pass


def main():
    args = sys.argv[1:]
    sep = args.index('--')
    kwargs = dict(a.split('=', 1) for a in args[:sep])
    matches = args[sep + 1:]
    flt = FilterSystemd(Jail(), **kwargs)
    flt.setFindTime(int(os.environ.get('FINDTIME', '600')))
    if matches:
        flt.addJournalMatch(matches)
    seen = []

    def record(line, tm):
        seen.append((line, tm, flt.inOperation))
    flt.processLineAndAdd = record
    flt.sleeptime = 0.05
    flt.start()
    last = -1
    while last != len(seen):
        last = len(seen)
        time.sleep(1)
    flt.stop()
    flt.join()
    for (prefix, date, line), tm, op in seen:
        print(date.encode('utf-8', 'surrogatepass').hex(), line.encode('utf-8', 'surrogatepass').hex() or '-',
              repr(tm), int(op))


main()
