# datedetect-ref.py - runs the installed fail2ban's DateDetector over log lines
# and prints what it finds, for test-datedetect-conformance to compare with
# fail2ban-c's detector.  Run with Debian's /usr/bin/python3 and a fixed TZ.
#
# Usage: datedetect-ref.py NOW [CASES]
# Jobs: one default detector over every sample log of fail2ban's test suite,
# then, for every filter in /etc/fail2ban/filter.d that sets a datepattern
# and has a sample log, a detector with that datepattern over that log, then
# the jobs of the CASES file, made of records like the output's:
#   J <job name> <datepattern hex or "-"> <logtimezone or "-">
#   L <line hex>
#
# Output, one record a line, fields separated by tabs:
#   J <job name> <datepattern as hex, or "-"> <logtimezone or "-">
#   R <error message hex>   (fail2ban rejected the datepattern or zone)
#   L <line as UTF-8 hex> <status> <time repr> <start byte> <end byte> <template name hex>
# status: none | empty | found | unparsable | error (an exception escaped)
import glob
import os
import sys

from fail2ban.client.filterreader import FilterReader
from fail2ban.server import datedetector
from fail2ban.server.datedetector import DateDetector
from fail2ban.server.mytime import MyTime

TESTS = os.path.dirname(datedetector.__file__) + "/../tests/files"
CONFIG = "/etc/fail2ban"


def hexs(s):
    return s.encode("utf-8", "surrogatepass").hex()


def sample_lines(path):
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            raw = raw.rstrip(b"\r")
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("utf-8", "replace")


def reset_shared_counters():
    # fail2ban counts template matches on template objects shared by every
    # detector of the process; start each job from zero as fail2ban-c does.
    seen = set()
    for t in list(DateDetector._defCache.templates) + list(
            datedetector.DateDetectorCache.DEFAULT_TEMPLATES):
        if id(t) not in seen and not isinstance(t, str):
            t.hits = 0
            seen.add(id(t))
    for v in datedetector.DD_patternCache._cache.values():
        v[0].hits = 0


def run_job(name, pattern, lines, tz=None):
    reset_shared_counters()
    print("J\t%s\t%s\t%s" % (name, hexs(pattern) if pattern is not None else "-", tz or "-"))
    dd = DateDetector()
    try:
        if tz is not None:
            dd.default_tz = tz
        if pattern is not None:
            for p in filter(bool, [s.strip() for s in pattern.split("\n")]):
                dd.appendTemplate(p)
    except Exception as e:
        print("R\t%s" % hexs(str(e)))
        return
    for line in lines:
        status, tm, s, e, tname = "none", "-", 0, 0, ""
        try:
            m, t = dd.matchTime(line)
            if m:
                tname = t.name
                s, e = m.start(1), m.end(1)
                text = line[s:e]
                if s < 0:
                    s = e = len(line[:-1].encode("utf-8", "surrogatepass"))
                else:
                    s, e = (len(line[:s].encode("utf-8", "surrogatepass")),
                            len(line[:e].encode("utf-8", "surrogatepass")))
                if not text:
                    status = "empty"
                else:
                    try:
                        d = dd.getTime(text, (m, t))
                    except Exception:
                        d = None
                    if d is None:
                        status = "unparsable"
                    else:
                        status, tm = "found", repr(float(d[0]))
        except Exception:
            status = "error"
        print("L\t%s\t%s\t%s\t%d\t%d\t%s" % (hexs(line), status, tm, s, e, hexs(tname)))


def file_lines(files):
    for path in files:
        yield from sample_lines(path)


def case_jobs(path):
    job, lines = None, []
    with open(path, "rb") as f:
        for rec in f.read().decode("utf-8").split("\n"):
            f = rec.split("\t")
            if f[0] == "J" and len(f) == 4:
                if job:
                    yield job + (lines,)
                pattern = bytes.fromhex(f[2]).decode("utf-8") if f[2] != "-" else None
                job, lines = (f[1], pattern, f[3] if f[3] != "-" else None), []
            elif f[0] == "L" and len(f) == 2:
                lines.append(bytes.fromhex(f[1]).decode("utf-8", "replace"))
    if job:
        yield job + (lines,)


def filter_datepattern(name):
    reader = FilterReader(name, "jail", {}, basedir=CONFIG)
    if not reader.read():
        return None
    reader.getOptions({})
    for opt in reader.convert():
        if opt[0] == "set" and opt[2] == "datepattern":
            return opt[3]
    return None


def main():
    MyTime.setTime(float(sys.argv[1]))
    logs = sorted(p for p in glob.glob(TESTS + "/logs/**", recursive=True) if os.path.isfile(p))
    logs += sorted(glob.glob(TESTS + "/*.log"))
    run_job("default", None, file_lines(logs))
    for conf in sorted(glob.glob(CONFIG + "/filter.d/*.conf")):
        name = os.path.basename(conf)[:-5]
        sample = TESTS + "/logs/" + name
        if not os.path.isfile(sample):
            continue
        try:
            pattern = filter_datepattern(name)
        except Exception:
            continue
        if pattern is not None:
            run_job("filter.d/" + name, pattern, file_lines([sample]))
    if len(sys.argv) > 2:
        for name, pattern, tz, lines in case_jobs(sys.argv[2]):
            run_job(name, pattern, lines, tz)


main()
