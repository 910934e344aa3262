"""f2bc-client -i on a terminal, beside fail2ban-client -i.

Both clients run on a pseudo-terminal (Python's pty module) against the
same server (the stock fail2ban-server, then f2bc-server) and are typed the
same keys: commands, an empty line, a line with unbalanced quotes,
line editing (backspace, Ctrl-A/Ctrl-E, cursor left, Ctrl-K), history (Up
recalls the previous command, Ctrl-P twice), Tab (no completion) and last
`exit`, `quit` or Ctrl-D (EOF).  The terminal transcripts, with time stamps
and pids masked, must be identical, and so must the exit codes.  (`help`
is left out: f2bc-client prints its own usage text.)"""
import os
import pty
import re
import select
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

J = "exim-dos"
# each session: the keys typed, one string per line (sent once the prompt shows)
SESSIONS = {
    "commands": ["ping\r", "status\r", "\r", "status %s\r" % J, '"unbalanced\r', "nosuchcommand\r",
                 "get nojail maxretry\r", "exit\r"],
    "editing": ["pimg\x7f\x7f\x7fing\r", "\x01status\x05 %s short\r" % J, "get %s maxretrx\x1b[D\x0b\r" % J,
                "\x1b[A\x7fy\r", "\x10\x10\r", "get lo\tglevel\r", "quit\r"],
    "eof": ["ping\r", "\x04"],
}
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}")
PID = re.compile(r"\[\d+\]:")
PROMPT = b"fail2ban> "


def read_until(fd, want, timeout=30):
    """Reads from FD until the text ends with WANT (or EOF/timeout)."""
    data = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            if want is None and data:
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if want is not None and data.endswith(want):
            break
    return data


def session(argv, keys):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.environ.pop("INPUTRC", None)
        os.execv(argv[0], argv)
    out = read_until(fd, PROMPT)
    for k in keys:
        os.write(fd, k.encode())
        time.sleep(0.05)
        out += read_until(fd, PROMPT if k not in ("exit\r", "quit\r", "\x04") else None)
    out += read_until(fd, None, timeout=5)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = out.decode("utf-8", "replace")
    # the program name shows in the usage of `help`
    text = text.replace("f2bc-client", "fail2ban-client")
    return PID.sub("[PID]:", STAMP.sub("<TIME>", text)), os.waitstatus_to_exitcode(status)


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    b = os.environ.get("F2B_BUILDDIR")
    if not b:
        sl.skip("F2B_BUILDDIR is not set")
    ours = os.path.join(b, "client", "f2bc-client")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-int-") as top:
        conf = sl.make_config(top)
        for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
            srv = sl.Server(exe, top, name, conf)
            try:
                for title, keys in SESSIONS.items():
                    base = ["-c", conf, "-s", srv.sock, "--logtarget", os.path.join(top, "client.log"), "-i"]
                    want = session([sl.STOCK_CLIENT] + base, keys)
                    got = session([ours] + base, keys)
                    if want != got:
                        failures += 1
                        print("DIFF %s server, session %s\n  fail2ban-client: %r\n  f2bc-client:     %r"
                              % (name, title, want, got))
                    elif "verbose" in os.environ.get("F2B_TEST_VERBOSE", ""):
                        print(want)
            finally:
                srv.client("stop")
                srv.proc.wait(20)
                srv.stop()
    print("%d sessions x 2 servers: %d differences" % (len(SESSIONS), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
