"""f2bc-regex on the systemd journal, side by side with fail2ban-regex.

A journal directory is built with systemd-journal-remote (journallib.py) from
gen-log's sshd lines plus entries that exercise the formatting: a message that
is not UTF-8, one with a newline, one without SYSLOG_IDENTIFIER, another
unit's.  Both tools read it as "systemd-journal[journalpath=DIR]" (and
journalfiles=) with the sshd filter in several modes, with and without journal
matches, -o and the line lists: the output must be the same text, but for the
"[processed in ...]" figure.  Broken journal options and matches must give a
clear ERROR line and exit 255 (fail2ban-regex dies with a traceback there)."""
import os
import subprocess
import sys
import tempfile
import time

import journallib as jl
import serverlib as sl

GEN_LOG = os.path.join(os.environ.get("F2B_SRCDIR", "."), "..", "shared", "bench", "gen-log")
STOCK_REGEX = "/usr/bin/fail2ban-regex"


def f2bc_regex():
    b = os.environ.get("F2B_BUILDDIR")
    if not b:
        sl.skip("F2B_BUILDDIR is not set")
    return os.path.join(b, "client", "f2bc-regex")


def need_tools():
    if not os.access(STOCK_REGEX, os.X_OK):
        sl.skip("fail2ban-regex is not installed")
    try:
        import systemd.journal  # noqa: F401  (fail2ban-regex reads the journal with it)
    except ImportError:
        sl.skip("python3-systemd is missing")
    jl.need_journal_remote()


def sshd_lines(n):
    """N sshd-style syslog lines: gen-log's when it is there, else a fixed set."""
    if os.access(GEN_LOG, os.X_OK):
        out = subprocess.run([GEN_LOG, "sshd", str(n)], check=True, capture_output=True, text=True).stdout
        return out.splitlines()
    base = [
        "Nov  1 00:00:08 srv1 sshd[11497]: Invalid user root from 203.0.113.62 port 52108",
        "Nov  1 00:00:17 srv1 sshd[13638]: error: maximum authentication attempts exceeded for "
        "postgres from 198.51.100.89 port 23629 ssh2 [preauth]",
        "Nov  1 00:00:25 srv1 sshd[50479]: Connection closed by 192.0.2.186 port 9223 [preauth]",
        "Nov  1 00:00:31 srv1 sshd[50480]: Failed password for invalid user admin from 192.0.2.7 "
        "port 4242 ssh2",
        "Nov  1 00:00:34 srv1 CRON[7316]: pam_unix(cron:session): session opened for user root(uid=0)",
    ]
    return [base[i % len(base)] for i in range(n)]


def build_journal(top):
    entries = [e for e in (jl.entry_of_syslog(l) for l in sshd_lines(1200)) if e]
    entries += [
        [("_HOSTNAME", "srv1"), ("SYSLOG_IDENTIFIER", "sshd"), ("_PID", "77"), ("_COMM", "sshd"),
         ("_SYSTEMD_UNIT", "sshd.service"),
         ("MESSAGE", b"Invalid user \xe9t\xe9 from 192.0.2.99 port 1")],
        [("_HOSTNAME", "srv1"), ("SYSLOG_IDENTIFIER", "sshd"), ("_PID", "78"), ("_COMM", "sshd"),
         ("_SYSTEMD_UNIT", "sshd.service"),
         ("MESSAGE", "Invalid user two\nlines from 192.0.2.98 port 2")],
        [("_HOSTNAME", "srv1"), ("_PID", "79"), ("_COMM", "sshd"), ("_SYSTEMD_UNIT", "sshd.service"),
         ("MESSAGE", "Invalid user nocomm from 192.0.2.97 port 3")],
        [("_HOSTNAME", "srv2"), ("SYSLOG_IDENTIFIER", "other"), ("_PID", "80"), ("_COMM", "other"),
         ("_SYSTEMD_UNIT", "other.service"),
         ("MESSAGE", "Invalid user elsewhere from 192.0.2.96 port 4")],
    ]
    now = time.time()
    jdir = os.path.join(top, "journal")
    os.mkdir(jdir)
    jl.write(os.path.join(jdir, "system.journal"), jl.stamped(entries, now - 7200, now - 60))
    return jdir


def run(prog, args):
    p = subprocess.run([prog] + args, capture_output=True, text=True, errors="replace", timeout=300)
    out = "".join(l for l in p.stdout.splitlines(True) if not l.startswith("[processed in"))
    return p.returncode, out


def main():
    need_tools()
    ours = f2bc_regex()
    failures = []
    with tempfile.TemporaryDirectory() as top:
        jdir = build_journal(top)
        by_path = "systemd-journal[journalpath=%s]" % jdir
        by_files = "systemd-journal[journalfiles=%s/*.journal]" % jdir
        cases = [
            [by_path, "sshd"],
            [by_path, "sshd[mode=aggressive]", "--print-all-missed", "--print-all-matched"],
            [by_path, "sshd[mode=ddos]", "-m", "_SYSTEMD_UNIT=sshd.service"],
            ["-m", "_SYSTEMD_UNIT=sshd.service + _COMM=other", by_files, "sshd"],
            ["-o", "<time>|<ip>|<F-USER>", by_path, "sshd"],
            ["-e", "latin-1", by_path, "Invalid user .* from <HOST>", "--print-all-matched"],
            ["-d", "{^LN-BEG}%Y", by_path, "from <HOST>"],
        ]
        for args in cases:
            want = run(STOCK_REGEX, args)
            got = run(ours, args)
            if want != got:
                failures.append("f2bc-regex %s: exit %d / %d, output differs:\n--- fail2ban-regex\n%s"
                                "\n--- f2bc-regex\n%s" % (args, want[0], got[0], want[1][-3000:], got[1][-3000:]))
            else:
                print("same: %s (%s)" % (" ".join(args), [l for l in got[1].splitlines()
                                                          if l.startswith("Lines:")]))
        bad = [
            (["systemd-journal[journalpath=%s/missing]" % top, "sshd"],
             "ERROR: cannot open the journal"),
            ([by_path, "sshd", "-m", "NOT-A-MATCH"], "ERROR: Error adding journal match for: NOT-A-MATCH"),
            (["systemd-journal[journalflags=x]", "sshd"], "ERROR: invalid literal for int()"),
            (["systemd-journal[journalpath=%s, journalfiles=%s/x]" % (jdir, jdir), "sshd"],
             "ERROR: path and files cannot be specified simultaneously"),
        ]
        for args, line in bad:
            rc, out = run(ours, args)
            if rc != 255 or line not in out or "Traceback" in out:
                failures.append("f2bc-regex %s: exit %d, want 255 and %r in:\n%s" % (args, rc, line, out))
            else:
                print("refused: %s" % " ".join(args))
    if failures:
        print("\n\n".join(failures))
        sys.exit(1)
    print("%d journal runs the same as fail2ban-regex, %d bad ones refused" % (len(cases), len(bad)))


main()
