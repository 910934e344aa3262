"""Side by side: f2bc-client against the stock fail2ban-client.

The same script of client commands runs four times, each against a fresh
server on the same temporary configuration: the stock fail2ban-server
driven by the stock client (the reference) and by f2bc-client, then
f2bc-server driven by both clients.  For each server the two transcripts
(stdout, stderr without time stamps and pids, exit code of every command)
must be identical; comparing the clients against the same server keeps
this test about the client even where f2bc-server still answers
differently (bans and actions).  Then each client starts its own server
(`start`: fail2ban-client spawns fail2ban-server, f2bc-client spawns
f2bc-server), queries and stops it; the seed's broken filter gives the NOK
line and exit 255 on `start`; interactive mode reads the same commands."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

J = "exim-dos"
# the configuration changes here: exim-dos gets maxretry 3, a jail `other` comes
CHANGE = ["<change the configuration>"]
OTHER = "[other]\nenabled = true\nfilter = exim-dos\nlogpath = %(exim_main_log)s\n"
SCRIPT = [["ping"], ["ping", "5"], ["ping", "abc"], ["version"], ["status"], ["status", J],
          ["status", J, "short"], ["status", "nojail"], ["status", "--all"], ["echo", "a", "b"], ["echo"],
          ["nosuchcommand"], ["get", "loglevel"], ["set", "loglevel", "DEBUG"], ["get", "loglevel"],
          ["set", "loglevel", "nolevel"], ["set", "loglevel", "INFO"], ["get", "logtarget"],
          ["get", "syslogsocket"], ["get", "dbfile"], ["get", "dbpurgeage"], ["set", "dbpurgeage", "2d"],
          ["get", "dbmaxmatches"], ["set", "dbmaxmatches", "x"], ["get", "nojail", "maxretry"],
          ["set", "nojail", "maxretry", "3"], ["set"], ["get"], ["get", J]]
SCRIPT += [["get", J, o] for o in ("logpath", "logencoding", "journalmatch", "ignoreself", "ignoreip",
                                   "ignorecommand", "failregex", "ignoreregex", "usedns", "findtime",
                                   "datepattern", "maxretry", "maxmatches", "maxlines", "bantime",
                                   "actions", "nosuchoption")]
SCRIPT += [["set", J, "maxretry", "7"], ["set", J, "maxretry", "x"], ["set", J, "findtime", "1h"],
           ["set", J, "findtime", "nonsense"], ["set", J, "addignoreip", "192.0.2.0/24"],
           ["set", J, "delignoreip", "192.0.2.0/24"], ["set", J, "addfailregex", "^fail <HOST>$"],
           ["set", J, "addfailregex", r"^\[\] .*refused: too many connections"],
           ["set", J, "delfailregex", "2"], ["set", J, "delfailregex", "9"],
           ["set", J, "addignoreregex", "^ignore"], ["get", J, "ignoreregex"],
           ["set", J, "datepattern", "%%Y-%%m-%%d"], ["get", J, "datepattern"],
           ["set", J, "addlogpath", "/nonexistent/log"], ["set", J, "usedns", "bogus"],
           ["get", J, "action", "dummy", "actionban"], ["get", J, "actionproperties", "dummy"],
           ["get", J, "actionmethods", "dummy"], ["add", J, "auto"],
           ["set", J, "banip", "192.0.2.1", "2001:db8::1", "198.51.100.7"], ["banned"],
           ["banned", "192.0.2.1", "203.0.113.9"], ["get", J, "banip"], ["get", J, "banip", ","],
           ["get", J, "banip", "--with-time"], ["set", J, "unbanip", "192.0.2.1"],
           ["set", J, "unbanip", "203.0.113.9"], ["status", J], ["unban", "--all"],
           ["reload"], CHANGE, ["reload"], ["status"], ["get", J, "maxretry"], ["banned"], ["reload", J],
           ["reload", "nojail"], ["reload", "--all", "x"],
           ["reload", "--restart", J], ["restart", J], ["flushlogs"], ["stop"], ["stop"], ["status"]]
INTERACTIVE = "ping\nstatus\n\nstatus %s\n\"unbalanced\nnosuchcommand\nget nojail maxretry\nquit\n" % J
STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,\d{3})?")
PID = re.compile(r"^(<TIME> \S+ *)\[\d+\]:", re.M)


def f2bc_client():
    b = os.environ.get("F2B_BUILDDIR")
    if not b:
        sl.skip("F2B_BUILDDIR is not set")
    return os.path.join(b, "client", "f2bc-client")


def normalise(text):
    return PID.sub(r"\1[PID]:", STAMP.sub("<TIME>", text))


class Run:
    """Runs client commands with the options every command needs."""

    def __init__(self, exe, conf, sock, pidfile, logfile):
        self.base = [exe, "-c", conf, "-s", sock, "-p", pidfile, "--logtarget", logfile]

    def __call__(self, args, stdin=None, timeout=90):
        p = subprocess.run(self.base + list(args), input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, text=True, errors="replace")
        return (normalise(p.stdout), normalise(p.stderr), p.returncode)


def kill_pidfile(pidfile):
    """Stops a server a client started (after a failure), by its pidfile."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def compare(title, want, got):
    """Prints the differences of two transcripts [(cmd, result)]; returns their count."""
    n = 0
    for (cmd, w), (_, g) in zip(want, got):
        if w != g:
            n += 1
            print("DIFF %s %r\n  fail2ban-client: %r\n  f2bc-client:     %r" % (title, cmd, w, g))
    if len(want) != len(got):
        n += 1
        print("DIFF %s: %d vs %d commands" % (title, len(want), len(got)))
    return n


def script_against(server_exe, client, top, conf):
    srv = sl.Server(server_exe, top, "srv", conf)
    try:
        run = Run(client, conf, srv.sock, srv.pidfile, os.path.join(top, "client-srv.log"))
        out = []
        for cmd in SCRIPT:
            if cmd == CHANGE:
                set_changed(conf, True)
            else:
                out.append((cmd, run(cmd)))
        srv.proc.wait(20)
    finally:
        srv.stop()
        set_changed(conf, False)
    return out


def set_changed(conf, changed):
    """Writes or removes the configuration change of CHANGE."""
    for path, text in (("jail.local", "[%s]\nmaxretry = 3\n" % J), ("jail.d/other.conf", OTHER)):
        path = os.path.join(conf, path)
        if changed:
            with open(path, "w") as f:
                f.write(text)
        elif os.path.exists(path):
            os.unlink(path)


def lifecycle(client, top, conf, broken=False):
    """`start` by the client itself, then queries, interactive mode and stop."""
    sock, pidfile = os.path.join(top, "own.sock"), os.path.join(top, "own.pid")
    run = Run(client, conf, sock, pidfile, os.path.join(top, "own.log"))
    out = []
    try:
        out.append((["ping"], run(["ping"])))
        out.append((["start"], run(["start"])))
        out.append((["start"], run(["start"])))
        for cmd in (["status"], ["status", J], ["get", J, "failregex"], ["-i"]):
            out.append((cmd, run(cmd, stdin=INTERACTIVE if cmd == ["-i"] else None)))
        out.append((["-i", "EOF"], run(["-i"], stdin="ping\n")))
        out.append((["stop"], run(["stop"])))
        out.append((["stop"], run(["stop"])))
    finally:
        kill_pidfile(pidfile)
    return out


THREAD = re.compile(r"^ <TIME> [0-9A-F]+ ", re.M)


def verbosity(client, top, conf):
    """-q, -v, -vv: what the configuration reader logs (files loaded, options
    missing), with no server to talk to."""
    run = Run(client, conf, os.path.join(top, "nobody.sock"), os.path.join(top, "nobody.pid"),
              os.path.join(top, "nobody.log"))
    out = []
    for cmd in (["-d"], ["-v", "-d"], ["-vv", "-d"], ["-vv", "ping"], ["-v", "-t"], ["-q", "ping"],
                ["-vv", "-c", "/etc/fail2ban", "-d"]):
        o, e, rc = run(cmd)
        out.append((cmd, (o, THREAD.sub(" <TIME> THREAD ", e), rc)))
    return out


def write_broken_filter(conf):
    with open(os.path.join(conf, "filter.d", "exim-dos.local"), "w") as f:
        f.write("[Definition]\nfailregex = \\[\\] .*refused: too many connections\n")


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    ours = f2bc_client()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-cli-") as top:
        conf = sl.make_config(top)
        for name, server in (("stock-server", sl.STOCK_SERVER), ("f2bc-server", sl.f2bc_server())):
            want = script_against(server, sl.STOCK_CLIENT, top, conf)
            got = script_against(server, ours, top, conf)
            failures += compare(name, want, got)
        failures += compare("start", lifecycle(sl.STOCK_CLIENT, top, conf), lifecycle(ours, top, conf))
        failures += compare("verbosity", verbosity(sl.STOCK_CLIENT, top, conf), verbosity(ours, top, conf))
        write_broken_filter(conf)
        want = lifecycle(sl.STOCK_CLIENT, top, conf)
        got = lifecycle(ours, top, conf)
        failures += compare("seed", want, got)
        seed_start = got[1][1]
        nok = "ERROR   NOK: (\"No failure-id group in '\\\\[\\\\] .*refused: too many connections'\",)"
        if seed_start[2] != 255 or nok not in seed_start[1]:
            failures += 1
            print("seed: f2bc-client start gave %r" % (seed_start,))
        print("%d commands x 2 servers, start/stop and seed cases: %d differences" % (len(SCRIPT), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
