"""A flood of failures behind a slow answer (back-pressure, issue 5): the
exim-dos jail with an ignorecommand that takes two seconds (its verdict then
cached), and more failure lines than the pipeline's last guard (100,000)
appended at once.  f2bc-server must count every one of them ("Total failed"
in the stock client's status, one "Found" line each), log no ERROR, and keep
its memory bounded while the lines wait (not checked under AddressSanitizer,
whose quarantine keeps freed memory): the watcher stops reading while the
failures queue up to the pipeline's bound, and reads on when it drains.

  test-server-flood.py BACKEND      (auto or polling)
"""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

LINES = 120000
ADDR = "192.0.2.5"


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def sanitized(pid):
    """ASan keeps freed memory in quarantine: RSS says nothing about bounds there."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "auto"
    if os.geteuid() != 0:
        sl.skip("the stock client talks to a server as root only")
    if not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("fail2ban-client is not installed")
    exe = sl.f2bc_server()
    with tempfile.TemporaryDirectory(prefix="f2bc-flood-") as top:
        conf = sl.make_config(top)
        log = os.path.join(top, "exim.log")
        with open(os.path.join(conf, "jail.local"), "w") as f:
            f.write("[exim-dos]\nbackend = %s\nmaxretry = 1000000\nignorecommand = sleep 2; exit 1\n"
                    "ignorecache = key=\"<ip>\", max-count=10, max-time=5m\n" % backend)
        srv = sl.Server(exe, top, "f2bc", conf)
        ok = True
        try:
            rss0 = rss_mib(srv.proc.pid)
            line = "%s Connection from [%s] refused: too many connections\n" % (
                time.strftime("%Y-%m-%d %H:%M:%S"), ADDR)
            with open(log, "a") as f:
                f.write(line * LINES)
            peak = rss0
            total = None
            end = time.time() + 300
            while time.time() < end:
                peak = max(peak, rss_mib(srv.proc.pid))
                out, _ = srv.client("status", "exim-dos")
                m = re.search(r"Total failed:\s+(\d+)", out)
                total = int(m.group(1)) if m else None
                if total == LINES:
                    break
                time.sleep(0.2)
            with open(srv.log) as f:
                text = f.read()
            found = text.count("] Found %s - " % ADDR)
            errors = [l for l in text.splitlines() if " ERROR " in l]
            print("%s: total failed %s, Found lines %d, ERROR lines %d, RSS %.1f -> peak %.1f MiB"
                  % (backend, total, found, len(errors), rss0, peak))
            if total != LINES or found != LINES:
                print("FAIL: %d failures expected" % LINES)
                ok = False
            if errors:
                print("FAIL: ERROR lines:\n" + "\n".join(errors[:5]))
                ok = False
            # 120,000 queued failures would hold far more than this (each keeps its match)
            if sanitized(srv.proc.pid):
                print("(RSS not checked: the server runs under AddressSanitizer)")
            elif peak - rss0 > 64:
                print("FAIL: the server grew by %.1f MiB while the lines waited" % (peak - rss0))
                ok = False
        finally:
            srv.client("stop")
            srv.stop()
        ok = srv.check_exit() and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
