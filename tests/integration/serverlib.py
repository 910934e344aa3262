"""Helpers for the server integration tests: a temporary configuration
built from the project's exim-dos filter/jail and the installed stock
`dummy` action, and servers started on sockets in a temporary directory
that are always stopped again."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
STOCK_SERVER = "/usr/bin/fail2ban-server"
STOCK_CLIENT = "/usr/bin/fail2ban-client"
STOCK_DUMMY = "/etc/fail2ban/action.d/dummy.conf"


def skip(reason):
    sys.stderr.write("SKIP: %s\n" % reason)
    sys.exit(SKIP)


def make_config(top):
    """Writes a configuration under TOP/conf and returns its path."""
    src = os.environ.get("F2B_SRCDIR")
    if not src:
        skip("F2B_SRCDIR is not set")
    if not os.path.exists(STOCK_DUMMY):
        skip("fail2ban's dummy action is not installed")
    conf = os.path.join(top, "conf")
    for d in ("filter.d", "jail.d", "action.d"):
        os.makedirs(os.path.join(conf, d))
    shutil.copy(os.path.join(src, "filter.d", "exim-dos.conf"), os.path.join(conf, "filter.d"))
    shutil.copy(os.path.join(src, "jail.d", "exim-dos.conf"), os.path.join(conf, "jail.d"))
    shutil.copy(STOCK_DUMMY, os.path.join(conf, "action.d"))
    with open(os.path.join(conf, "fail2ban.conf"), "w") as f:
        f.write("[Definition]\nloglevel = INFO\nlogtarget = STDERR\nsyslogsocket = auto\n"
                "allowipv6 = auto\ndbfile = :memory:\ndbpurgeage = 1d\ndbmaxmatches = 10\n")
    with open(os.path.join(top, "exim.log"), "w") as f:
        f.write("2026-11-25 10:00:00 Connection from [192.0.2.7] refused: too many connections\n")
    with open(os.path.join(conf, "jail.conf"), "w") as f:
        f.write("[DEFAULT]\nenabled = false\nbackend = auto\nusedns = warn\nlogencoding = auto\n"
                "ignoreip = 127.0.0.1/8\nmaxretry = 5\nfindtime = 10m\nbantime = 10m\n"
                "exim_main_log = %s/exim.log\naction = dummy[target=%s/dummy-<name>.txt]\n" % (top, top))
    return conf


class Server:
    """A server process in the foreground on its own socket."""

    def __init__(self, argv0, top, name, conf, extra=()):
        self.sock = os.path.join(top, name + ".sock")
        self.pidfile = os.path.join(top, name + ".pid")
        self.log = os.path.join(top, name + ".log")
        self.out = open(os.path.join(top, name + ".out"), "w")
        args = [argv0, "-f", "-x", "-c", conf, "-s", self.sock, "-p", self.pidfile,
                "--logtarget", self.log, "--loglevel", "INFO"] + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early with %s" % self.proc.returncode)
            if os.path.exists(self.sock):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.sock)
                    s.close()
                    if self.client("ping")[1] == 0:
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def client(self, *args):
        p = subprocess.run([STOCK_CLIENT, "-s", self.sock] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=60)
        return p.stdout.decode("utf-8", "replace"), p.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode

    def check_exit(self):
        """f2bc-server must exit 0 (no sanitizer report): prints its output otherwise."""
        if self.proc.returncode == 0:
            return True
        with open(self.out.name) as f:
            sys.stdout.write(f.read()[-5000:])
        print("server exited with %r" % self.proc.returncode)
        return False


def f2bc_server():
    b = os.environ.get("F2B_BUILDDIR")
    if not b:
        skip("F2B_BUILDDIR is not set")
    return os.path.join(b, "server", "f2bc-server")


def send_raw(path, payload, timeout=10):
    """Sends PAYLOAD on a new connection and returns everything the server
    writes until it closes or stops writing for a while."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    try:
        while not data.endswith(b"<F2B_END_COMMAND>"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return data
