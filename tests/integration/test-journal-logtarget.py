"""--logtarget SYSTEMD-JOURNAL: the records f2bc-server sends to journald,
side by side with fail2ban-server's (python-systemd's JournalHandler).

No journald runs here, so the test takes journald's place: in a private mount
namespace (unshare, as root) a tmpfs covers /run/systemd and a datagram socket
at /run/systemd/journal/socket receives the native-protocol records that
sd_journal_send (ours) and python-systemd (fail2ban's) write.  Both servers
run the same client commands; each record is compared field by field, except
the fields only Python can have (CODE_FILE/LINE/FUNC: its own source lines,
CODE_ARGS: its unformatted arguments, and the lower-case record attributes
that journald drops)."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

SOCKET = "/run/systemd/journal/socket"
PYTHON_ONLY = ("CODE_FILE", "CODE_LINE", "CODE_FUNC", "CODE_ARGS")


def in_namespace():
    if os.geteuid() != 0:
        serverlib.skip("needs root for a private mount namespace")
    if not os.path.isdir("/run/systemd"):
        serverlib.skip("/run/systemd is missing")
    env = dict(os.environ, F2B_JOURNAL_NS="1")
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__)], env=env)
    if p.returncode == 99:
        serverlib.skip("cannot mount a tmpfs in a private namespace here")
    sys.exit(p.returncode)


def parse_native(data):
    """journald's native protocol: FIELD=value lines, or FIELD, newline, le64 size, bytes, newline."""
    fields = []
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields.append((k.decode(), v.decode("utf-8", "replace")))
    return fields


class Receiver:
    def __init__(self):
        self.records = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(SOCKET)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            self.records.append(parse_native(data))

    def take(self):
        time.sleep(0.5)
        r, self.records = self.records, []
        return r

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


COMMANDS = [
    ("set", "loglevel", "HEAVYDEBUG"),
    ("add", "j1", "polling"),
    ("add", "j2", "nosuchbackend"),
    ("set", "j1", "addfailregex", "\\[\\] refused"),
    ("set", "j1", "banip", "192.0.2.1"),
    ("set", "loglevel", "INFO"),
    ("set", "j1", "unbanip", "192.0.2.1"),
    ("status",),
]


def run_server(argv0, top, name, conf, receiver):
    srv = serverlib.Server(argv0, top, name, conf, extra=["--logtarget", "SYSTEMD-JOURNAL"])
    try:
        for c in COMMANDS:
            srv.client(*c)
    finally:
        srv.client("stop")
        srv.stop()
    return receiver.take(), srv


def key(record):
    d = dict(record)
    return d.get("MESSAGE")


def main():
    if os.environ.get("F2B_JOURNAL_NS") != "1":
        in_namespace()
    if not os.path.exists(serverlib.STOCK_SERVER):
        serverlib.skip("fail2ban-server is not installed")
    try:
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd"], check=True)
    except (subprocess.CalledProcessError, OSError):
        sys.exit(99)
    os.mkdir("/run/systemd/journal")
    receiver = Receiver()
    failures = 0
    try:
        with tempfile.TemporaryDirectory() as top:
            conf = serverlib.make_config(top)
            stock, _ = run_server(serverlib.STOCK_SERVER, top, "stock", conf, receiver)
            ours, srv = run_server(serverlib.f2bc_server(), top, "ours", conf, receiver)
            if not srv.check_exit():
                failures += 1
    finally:
        receiver.close()
    stock = [[(k, v) for k, v in r if k not in PYTHON_ONLY and k.upper() == k] for r in stock]
    print("%d records from fail2ban-server, %d from f2bc-server" % (len(stock), len(ours)))
    if not ours:
        print("no record from f2bc-server")
        failures += 1
    for r in ours:
        names = [k for k, _ in r]
        if names != ["MESSAGE", "PRIORITY", "LOGGER", "THREAD_NAME", "PROCESS_NAME", "SYSLOG_IDENTIFIER"]:
            print("unexpected fields: %r" % names)
            failures += 1
    # Each of our records against fail2ban's record with the same message (the
    # message texts themselves are the other tests' business).  fail2ban adds a
    # traceback to the message and EXCEPTION_* fields for exceptions, and names
    # its worker threads: those differences are Python's own.
    def comparable(r):
        d = dict(r)
        d["MESSAGE"] = d["MESSAGE"].split("\nTraceback (most recent call last):", 1)[0]
        d.pop("EXCEPTION_TEXT", None)
        d.pop("EXCEPTION_INFO", None)
        if d.get("THREAD_NAME", "MainThread") != "MainThread":
            d["THREAD_NAME"] = "MainThread"
        return d
    by_message = {}
    for r in stock:
        d = comparable(r)
        by_message.setdefault(d["MESSAGE"], d)
    matched = 0
    for r in ours:
        d = comparable(r)
        ref = by_message.get(d["MESSAGE"])
        if ref is None:
            print("   (no such message from fail2ban-server: %r)" % d["MESSAGE"])
            continue
        matched += 1
        if d != ref:
            failures += 1
            print("!= ours  %r\n   stock %r" % (sorted(d.items()), sorted(ref.items())))
    levels = set(dict(r)["PRIORITY"] for r in ours)
    print("%d records matched by message, priorities seen %s" % (matched, sorted(levels)))
    if matched < 10 or not {"3", "4", "6", "7"} <= levels:
        print("too few records to compare")
        failures += 1
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
