"""Journal matches side by side: the stock fail2ban-server and f2bc-server,
each with a systemd jail on a test journal (journallib.py) and a file jail,
get the same script of stock fail2ban-client commands (add/del/get
journalmatch, status, jails added with bad journal options, a reload that
clears and re-adds the matches); their transcripts (stdout, stderr and exit
code of every command) and their fail2ban.filtersystemd log lines must be
identical."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import journallib as jl
import serverlib as sl

J = "jsys"
F = "exim-dos"


def script(conf, journal_dir):
    s = [["status"], ["status", J], ["get", J, "journalmatch"], ["get", J, "logpath"], ["get", F, "journalmatch"],
         ["set", J, "addjournalmatch", "_PID=7"], ["set", J, "addjournalmatch", "A=1", "B=2", "+", "C=3"],
         ["get", J, "journalmatch"], ["status", J], ["status", J, "short"],
         ["set", J, "addjournalmatch", "novalue"], ["get", J, "journalmatch"], ["status", J],
         ["set", J, "addjournalmatch", "+"], ["status", J], ["set", J, "deljournalmatch"], ["status", J],
         ["set", J, "deljournalmatch", "_PID=7"], ["set", J, "deljournalmatch", "nosuch=1"],
         ["set", J, "deljournalmatch", "A=1", "B=2"], ["set", J, "deljournalmatch", "A=1", "B=2"],
         ["get", J, "journalmatch"], ["status", J],
         ["set", F, "addjournalmatch", "X=1"], ["set", F, "deljournalmatch", "X=1"], ["get", F, "journalmatch"],
         ["status", F], ["add", "jnone", "systemd[journalpath=%s/missing]" % journal_dir],
         ["add", "jboth", "systemd[journalpath=%s, journalfiles=%s/x.journal]" % (journal_dir, journal_dir)],
         ["add", "jflags", "systemd[journalflags=x]"], ["status"],
         ["set", J, "addjournalmatch", "_COMM=cron"], ["get", J, "journalmatch"]]
    # all removed one by one: an empty list and an empty status line, then the
    # first reload has nothing to clear, the second one has
    s += [["set", J, "deljournalmatch", m] for m in ("_SYSTEMD_UNIT=sshd.service", "_COMM=sshd", "C=3")]
    s += [["set", J, "deljournalmatch"], ["set", J, "deljournalmatch", "_COMM=cron"], ["get", J, "journalmatch"],
          ["status", J]]
    s += [["-c", conf, "reload"], ["sleep", "0.5"], ["get", J, "journalmatch"], ["status", J],
          ["-c", conf, "reload", J], ["sleep", "0.5"], ["status", J], ["stop"]]
    return s


def client(srv, cmd):
    p = subprocess.run([sl.STOCK_CLIENT, "-s", srv.sock] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    err = re.sub(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} )?(\S+\s+)\[\d+\]", r"\2", err, flags=re.M)
    return p.stdout.decode("utf-8", "replace"), err, p.returncode


def journal_log(path):
    """The fail2ban.filtersystemd and journal-related jail lines, without time and pid."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if "fail2ban.filtersystemd" in line or "journal" in line.lower():
                out.append(re.sub(r"^.*?(fail2ban\.\S+)\s+\[\d+\]:\s+", r"\1 ", line.rstrip("\n")))
    return out


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    if subprocess.run(["/usr/bin/python3", "-c", "import systemd.journal"]).returncode:
        sl.skip("python3-systemd is missing: fail2ban has no systemd backend")
    jl.need_journal_remote()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-jsbs-") as top:
        jdir = os.path.join(top, "journal")
        os.makedirs(jdir)
        now = time.time()
        jl.write(os.path.join(jdir, "test.journal"),
                 [(now - 3600, jl.entry_of_syslog("Nov  1 00:00:00 srv1 CRON[5]: an old entry"))])
        conf = sl.make_config(top)
        # no actions: this branch's reload does not reconfigure actions yet (nor need it here)
        with open(os.path.join(conf, "jail.local"), "w") as f:
            f.write("[DEFAULT]\naction =\n")
        with open(os.path.join(conf, "jail.d", "jsys.conf"), "w") as f:
            f.write("[%s]\nenabled = true\nbackend = systemd[journalpath=%s]\nfilter = exim-dos\n"
                    "journalmatch = _SYSTEMD_UNIT=sshd.service + _COMM=sshd\n" % (J, jdir))
        transcripts, logs = [], []
        for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
            srv = sl.Server(exe, top, name, conf)
            try:
                transcripts.append([(cmd, client(srv, cmd)) for cmd in script(conf, jdir)])
                srv.proc.wait(20)
            finally:
                srv.stop()
            if name == "f2bc" and not srv.check_exit():
                failures += 1
            # the reload sets fail2ban.conf's logtarget (STDERR): the rest is in the .out file
            logs.append(journal_log(srv.log) + ["-- after reload --"] + journal_log(srv.out.name))
        for (cmd, want), (_, got) in zip(*transcripts):
            if want != got:
                failures += 1
                print("DIFF %r\n  fail2ban: %r\n  f2bc:     %r" % (cmd, want, got))
        if logs[0] != logs[1]:
            failures += 1
            print("DIFF journal log lines\n  fail2ban:\n    %s\n  f2bc:\n    %s"
                  % ("\n    ".join(logs[0]), "\n    ".join(logs[1])))
        if os.environ.get("F2B_VERBOSE"):
            print("\n".join(logs[0]))
        print("%d commands, %d journal log lines, %d differences" % (len(transcripts[0]), len(logs[0]), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
