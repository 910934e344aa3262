"""--logtarget SYSLOG --syslogsocket PATH: the records f2bc-server sends to a
syslog socket, beside fail2ban-server's.

The test listens on its own UNIX datagram socket (no syslog daemon is
involved), starts each server logging there, runs the same stock client
commands (bans and unbans at NOTICE, an unknown jail and a bad value at
ERROR, a loglevel change, a jail stop, a log target change to the same
socket) and compares what arrived: every datagram is `<PRI>` (facility
daemon, the level's priority) then fail2ban's syslog format (no time
stamp) and a NUL.  Start-up and shut-down records are left out where
fail2ban-server logs its observer and database (f2bc-server has neither
yet); pids are masked."""
import os
import re
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

J = "exim-dos"
SCRIPT = [["set", "loglevel", "INFO"], ["set", J, "banip", "192.0.2.60", "2001:db8::60"],
          ["set", J, "banip", "192.0.2.60"], ["set", J, "unbanip", "192.0.2.60"], ["get", "nojail", "maxretry"],
          ["set", J, "maxretry", "x"], ["set", J, "findtime", "1h"], ["set", "loglevel", "NOTICE"],
          ["set", J, "banip", "192.0.2.61"], ["set", "loglevel", "INFO"], ["set", "syslogsocket", "auto"],
          ["get", "syslogsocket"], ["unban", "--all"], ["stop", J], ["status"]]
SKIP_LOGGERS = ("fail2ban.observer", "fail2ban.database")
PID = re.compile(r"\[\d+\]: ")


class Listener(threading.Thread):
    """Reads the datagrams as they come (a UNIX datagram queue holds only a
    few: a sender blocks when nobody reads)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.records = []
        self.done = False
        self.start()

    def run(self):
        while True:
            try:
                self.records.append(self.sock.recv(65536))
            except socket.timeout:
                if self.done:
                    return

    def finish(self):
        time.sleep(0.5)
        self.done = True
        self.join()
        self.sock.close()
        return self.records


def run(exe, top, name, conf, path):
    listener = Listener(path)
    try:
        srv = sl.Server(exe, top, name, conf, extra=["--logtarget", "SYSLOG", "--syslogsocket", path])
        try:
            replies = [srv.client(*cmd) for cmd in SCRIPT]
            replies.append(srv.client("stop"))
            srv.proc.wait(20)
        finally:
            srv.stop()
    finally:
        records = listener.finish()
        os.unlink(path)
    kept = []
    for r in records:
        text = PID.sub("[PID]: ", r.decode("utf-8", "replace"))
        if not any(l in text for l in SKIP_LOGGERS):
            kept.append(text)
    return replies, kept, srv


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-syslog-") as top:
        conf = sl.make_config(top)
        path = os.path.join(top, "syslog.sock")
        want_replies, want, _ = run(sl.STOCK_SERVER, top, "stock", conf, path)
        got_replies, got, srv = run(sl.f2bc_server(), top, "f2bc", conf, path)
        if not srv.check_exit():
            failures += 1
        if want_replies != got_replies:
            failures += 1
            print("DIFF replies\n  fail2ban: %r\n  f2bc:     %r" % (want_replies, got_replies))
        if want != got:
            failures += 1
            print("DIFF syslog records")
            for i in range(max(len(want), len(got))):
                w = want[i] if i < len(want) else None
                g = got[i] if i < len(got) else None
                print("  %s %r\n    %r" % ("  " if w == g else "!=", w, g))
        if not any(r.startswith("<29>") and "NOTICE [exim-dos] Ban 192.0.2.60" in r for r in got):
            failures += 1
            print("no NOTICE ban record at daemon.notice priority: %r" % got)
        print("%d syslog records compared, %d differences" % (len(want), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
