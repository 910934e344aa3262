"""Test journals for the systemd-backend scenarios: entries written in
systemd's journal export format and turned into a journal file by Debian's
systemd-journal-remote (no journald needed).  A second write to the same
file appends to it, as journald would while a jail watches it."""
import os
import re
import struct
import subprocess
import tempfile
import time

import serverlib as sl

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_ID = "0123456789abcdef0123456789abcdef"

# gen-log's syslog line: "Mon dd HH:MM:SS host ident[pid]: message"
SYSLOG_LINE = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+) ([^\[\s]+)\[(\d+)\]: (.*)$")
# where gen-log's programs would run under systemd
UNITS = {"sshd": "sshd.service", "CRON": "cron.service", "systemd": "init.scope"}


def need_journal_remote():
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        sl.skip("%s is missing (Debian's systemd-journal-remote builds the test journal)" % JOURNAL_REMOTE)


def entry_of_syslog(line):
    """The journal fields of a gen-log syslog LINE, as journald would store the
    record of that program (None when LINE is not of that shape)."""
    m = SYSLOG_LINE.match(line)
    if not m:
        return None
    host, ident, pid, msg = m.groups()
    fields = [("_HOSTNAME", host), ("SYSLOG_IDENTIFIER", ident), ("_PID", pid), ("_COMM", ident.lower())]
    if ident in UNITS:
        fields.append(("_SYSTEMD_UNIT", UNITS[ident]))
    fields.append(("MESSAGE", msg))
    return fields


def export(entries):
    """The export format of ENTRIES, a list of (time in seconds, [(field, value)])."""
    out = bytearray()
    for t, fields in entries:
        usec = int(round(t * 1e6))
        out += b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n" % (usec, usec, BOOT_ID.encode())
        for name, value in fields:
            v = value.encode("utf-8") if isinstance(value, str) else value
            if b"\n" in v:  # the binary form: name, newline, le64 size, data
                out += name.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
            else:
                out += name.encode() + b"=" + v + b"\n"
        out += b"\n"
    return bytes(out)


def write(journal, entries):
    """Writes ENTRIES to the journal file JOURNAL (created, or appended to)."""
    need_journal_remote()
    with tempfile.NamedTemporaryFile(suffix=".export", dir=os.path.dirname(journal)) as ex:
        ex.write(export(entries))
        ex.flush()
        subprocess.run([JOURNAL_REMOTE, "--output=" + journal, ex.name], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stamped(fields_list, first, last):
    """FIELDS_LIST spread evenly over the times FIRST..LAST."""
    n = len(fields_list)
    step = (last - first) / max(n - 1, 1)
    return [(first + i * step, f) for i, f in enumerate(fields_list)]
