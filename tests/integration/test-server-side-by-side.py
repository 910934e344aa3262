"""Side by side: the stock fail2ban-server and f2bc-server on the same
temporary configuration; the same script of stock fail2ban-client
commands runs against both and the transcripts (stdout and exit code of
every command) must be identical."""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

J = "exim-dos"
GET_OPTS = ["logpath", "logencoding", "journalmatch", "ignoreself", "ignoreip", "ignorecommand",
            "ignorecache", "prefregex", "failregex", "ignoreregex", "usedns", "findtime",
            "datepattern", "logtimezone", "maxmatches", "maxretry", "maxlines", "bantime",
            "bantime.increment", "bantime.factor", "actions", "nosuchoption"]
SCRIPT = [["ping"], ["ping", "100"], ["version"], ["status"], ["status", J], ["status", J, "short"],
          ["status", "nojail"], ["status", J, "basic", "x"], ["echo", "a", "b"], ["server-status"],
          ["nosuchcommand"], ["get", "nojail", "maxretry"], ["set", "nojail", "maxretry", "3"],
          ["get", "loglevel"], ["set", "loglevel", "DEBUG"], ["get", "loglevel"],
          ["set", "loglevel", "nolevel"], ["set", "loglevel", "INFO"], ["get", "dbpurgeage"],
          ["set", "dbpurgeage", "2d"], ["get", "dbpurgeage"], ["get", "dbmaxmatches"],
          ["set", "dbmaxmatches", "x"], ["get", "dbfile"], ["set", "dbfile", "/tmp/other.db"],
          ["get", "syslogsocket"], ["sleep", "0.2"], ["set"], ["get"], ["set", J], ["get", J]]
SCRIPT += [["get", J, o] for o in GET_OPTS]
SCRIPT += [["set", J, "maxretry", "7"], ["set", J, "maxretry", "x"], ["get", J, "maxretry"],
           ["set", J, "findtime", "1h"], ["set", J, "findtime", "nonsense"],
           ["set", J, "findtime", "1 +"], ["set", J, "bantime", "2h"], ["set", J, "maxlines", "0"],
           ["set", J, "maxlines", "2"], ["set", J, "maxmatches", "3"], ["set", J, "usedns", "no"],
           ["set", J, "usedns", "bogus"], ["set", J, "logencoding", "latin-1"],
           ["set", J, "logencoding", "nosuchcodec"], ["set", J, "ignoreself", "false"],
           ["set", J, "addignoreip", "192.0.2.0/24"], ["set", J, "delignoreip", "198.51.100.1"],
           ["set", J, "ignorecommand", "/bin/true"], ["set", J, "ignorecache", 'key="<ip>",max-time=5m'],
           ["set", J, "ignorecache", "max-count=1"], ["set", J, "addfailregex", "^fail <HOST>$"],
           ["set", J, "addfailregex", r"^\[\] .*refused: too many connections"],
           ["set", J, "delfailregex", "0"], ["set", J, "delfailregex", "9"],
           ["set", J, "addignoreregex", "^ignore"], ["set", J, "delignoreregex", "x"],
           ["set", J, "prefregex", "^<F-CONTENT>.+</F-CONTENT>$"], ["set", J, "prefregex", ""],
           ["set", J, "datepattern", "%%Y-%%m-%%d"], ["set", J, "datepattern", "EPOCH"],
           ["set", J, "logtimezone", "UTC"], ["set", J, "logtimezone", "Mars/Base"],
           ["set", J, "bantime.increment", "true"], ["set", J, "bantime.maxtime", "1d"],
           ["set", J, "bantime.multipliers", "1 2 4"], ["get", J, "bantime.multipliers"],
           ["set", J, "idle", "on"], ["set", J, "idle", "maybe"], ["set", J, "addlogpath", "/nonexistent/log"],
           ["set", J, "addlogpath", "x", "middle"], ["set", J, "nosuchoption", "1"],
           ["get", J, "action", "dummy", "actionban"], ["get", J, "action", "dummy", "timeout"],
           ["get", J, "action", "nosuchaction", "timeout"], ["set", J, "addaction", "dummy"],
           ["set", J, "action", "dummy", "timeout", "30"], ["get", J, "action", "dummy", "timeout"],
           ["set", J, "delaction", "nosuchaction"], ["status", J],
           ["add", J, "auto"], ["add", "--all"], ["add", "newjail", "nosuchbackend"],
           ["add", "newjail", "polling"], ["status"], ["start", "newjail"], ["stop", "newjail"],
           ["stop", "newjail"], ["unban", "--all"], ["flushlogs"]]
# bans: the dummy action writes every ban and unban to a file, compared too
SCRIPT += [["set", J, "banip", "192.0.2.9", "2001:db8::7", "198.51.100.3"], ["set", J, "banip", "192.0.2.9"],
           ["set", J, "banip", "1.2.3.4/x"], ["banned"], ["banned", "192.0.2.9"], ["banned", "192.0.2.1", "2001:db8::7"],
           ["get", J, "banned"], ["get", J, "banned", "192.0.2.9"], ["get", J, "banned", "192.0.2.9", "10.0.0.1"],
           ["get", J, "banip"], ["get", J, "banip", "--with-time"], ["status", J], ["status", J, "short"],
           ["status", "--all"], ["set", J, "unbanip", "192.0.2.9"], ["set", J, "unbanip", "10.9.9.9"],
           ["set", J, "unbanip", "--report-absent", "10.9.9.9", "198.51.100.3"], ["set", J, "attempt", "203.0.113.5"],
           ["status", J], ["set", J, "banip", "203.0.113.6", "203.0.113.7"], ["unban", "203.0.113.6", "10.1.1.1"],
           ["unban", "--all"], ["banned"], ["status", J], ["sleep", "0.5"], ["stop"]]
WITH_TIME = ["get", J, "banip", "--with-time"]


def normalise(cmd, out):
    """The ban times of `--with-time` differ between the runs: keep their shape."""
    if cmd != WITH_TIME:
        return out
    text, rc = out
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", text), rc


def main():
    if not os.path.exists(sl.STOCK_SERVER) or not os.path.exists(sl.STOCK_CLIENT):
        sl.skip("the stock fail2ban-server/fail2ban-client are not installed")
    if os.geteuid() != 0:
        sl.skip("needs root (the servers only talk to root)")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-sbs-") as top:
        conf = sl.make_config(top)
        transcripts = []
        files = []
        for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
            srv = sl.Server(exe, top, name, conf)
            dummy = os.path.join(top, "dummy-%s.txt" % J)
            try:
                out = []
                for cmd in SCRIPT:
                    if cmd == ["stop"]:
                        with open(dummy) as f:  # the action's stop removes it
                            files.append(f.read())
                    out.append((cmd, normalise(cmd, srv.client(*cmd))))
                transcripts.append(out)
                srv.proc.wait(20)
            finally:
                srv.stop()
            if name == "f2bc" and not srv.check_exit():
                failures += 1
        for (cmd, want), (_, got) in zip(*transcripts):
            if want != got:
                failures += 1
                print("DIFF %r\n  fail2ban: %r\n  f2bc:     %r" % (cmd, want, got))
        if files[0] != files[1]:
            failures += 1
            print("DIFF dummy action file\n  fail2ban: %r\n  f2bc:     %r" % tuple(files))
        print("%d commands, %d differences (dummy file: %d lines)" % (len(SCRIPT), failures, files[0].count("\n")))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
