"""stock-regexes.py - list every final regex of the installed fail2ban filters.

Run with Debian's /usr/bin/python3. For each filter in <confdir>/filter.d and each
mode the filter defines (an `mdre-<mode>` option), interpolate the filter as
fail2ban's reader does and let fail2ban's own Regex/FailRegex classes compile each
prefregex, failregex and ignoreregex, once with usedns=yes and once with usedns=no.

Output: records ended by 0x1e, fields separated by 0x1f.
  A corpus record comes first for each filter and mode:
    "corpus", source, then the lines, separated by 0x1d: the lines of fail2ban's
    sample log for that filter (valid UTF-8 ones) and, where the prefregex matches
    one, the text of its <F-CONTENT> group.
  Then one record per regex:
    source, kind (prefregex|failregex|ignoreregex), usedns, multiline (0|1),
    the regex as configured, the prefregex in force ("" if none),
    status (OK|ERR), getRegex() on OK or the RegexException text on ERR,
    and the results of searching each corpus line + "\n" (0x1d separated):
    "<line index> <start> <end> <group>=<start>-<end>|- ..." for lines that match,
    offsets in bytes of UTF-8.
Exit status 77 when fail2ban cannot be imported.
"""
import glob
import os
import re
import sys

try:
    from fail2ban.client.filterreader import FilterReader
    from fail2ban.server.failregex import Regex, FailRegex, RegexException
except ImportError as exc:
    sys.stderr.write("fail2ban python package not available: %s\n" % exc)
    sys.exit(77)

US, RS, GS = "\x1f", "\x1e", "\x1d"
LOGS = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs"


def read_log(name):
    lines = []
    path = os.path.join(LOGS, name)
    if not os.path.isfile(path):
        return lines
    with open(path, "rb") as fh:
        for raw in fh.read().split(b"\n"):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if GS not in line and US not in line and RS not in line and "\r" not in line:
                lines.append(line)
    return lines


def nbytes(text, k):
    return len(text[:k].encode("utf-8"))


def results(rx, corpus):
    out = []
    for i, line in enumerate(corpus):
        buf = line + "\n"
        m = rx._regexObj.search(buf)
        if not m:
            continue
        item = ["%d %d %d" % (i, nbytes(buf, m.start()), nbytes(buf, m.end()))]
        for name, idx in rx._regexObj.groupindex.items():
            s, e = m.span(idx)
            item.append("%s=-" % name if s < 0 else "%s=%d-%d" % (name, nbytes(buf, s), nbytes(buf, e)))
        out.append(" ".join(item))
    return GS.join(out)


def modes_of(path):
    with open(path, encoding="utf-8") as fh:
        found = set(re.findall(r"^mdre-([\w-]+)\s*=", fh.read(), re.M))
    return sorted(found) or [None]


def emit(out, *fields):
    out.write(US.join(fields) + RS)


def compile_one(kind, value, pref, usedns, multiline):
    try:
        if kind == "prefregex" or kind == "ignoreregex":
            rx = Regex(value, useDns=usedns)
        else:
            rx = FailRegex(value, prefRegex=pref, multiline=multiline, useDns=usedns)
        return rx, "OK", rx.getRegex()
    except RegexException as exc:
        return None, "ERR", str(exc)


def dump_filter(out, confdir, name, mode):
    opts = {"mode": mode} if mode else {}
    reader = FilterReader(name, "conformance", opts, share_config={}, basedir=confdir)
    if not reader.read() or not reader.has_section("Definition"):
        return
    reader.getOptions({})
    combined = reader.getCombined()
    source = name + ("[mode=%s]" % mode if mode else "")
    maxlines = int(combined.get("maxlines") or 1)
    multiline = maxlines > 1
    prefsrc = combined.get("prefregex") or ""
    corpus = read_log(name)
    if prefsrc:
        pref, _, _ = compile_one("prefregex", prefsrc, None, "yes", False)
        for line in list(corpus):
            m = pref and pref._regexObj.search(line + "\n")
            if m and "content" in pref._regexObj.groupindex and m.group("content"):
                corpus.append(m.group("content"))
    emit(out, "corpus", source, GS.join(corpus))
    for usedns in ("yes", "no"):
        pref = None
        if prefsrc:
            pref, status, text = compile_one("prefregex", prefsrc, None, usedns, False)
            emit(out, source, "prefregex", usedns, "0", prefsrc, "", status, text,
                 results(pref, corpus) if pref else "")
        for kind in ("failregex", "ignoreregex"):
            for value in (combined.get(kind) or "").split("\n"):
                if value == "":
                    continue
                rx, status, text = compile_one(kind, value, pref, usedns, multiline)
                emit(out, source, kind, usedns, "1" if multiline else "0",
                     value, prefsrc if kind == "failregex" else "", status, text,
                     results(rx, corpus) if rx else "")


def main():
    confdir = sys.argv[1] if len(sys.argv) > 1 else "/etc/fail2ban"
    out = sys.stdout
    for path in sorted(glob.glob(os.path.join(confdir, "filter.d", "*.conf"))):
        name = os.path.basename(path)[:-len(".conf")]
        for mode in modes_of(path):
            try:
                dump_filter(out, confdir, name, mode)
            except Exception as exc:  # an include-only file such as *-common.conf
                sys.stderr.write("skipped %s (mode %s): %s\n" % (name, mode, exc))
    out.flush()


if __name__ == "__main__":
    main()
