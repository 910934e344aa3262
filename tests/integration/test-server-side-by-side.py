"""Side by side: the stock fail2ban-server and f2bc-server on the same
temporary configuration; the same script of stock fail2ban-client
commands runs against both and the transcripts (stdout and exit code of
every command) must be identical.

The script ends with reloads: the configuration changes in between (a
changed option, a jail removed and one added, an action removed), then
`reload`, `reload JAIL`, `reload --unban`, `reload --all --unban`.  The dummy
action (kept by a .local that records actionreload and actionstop instead
of deleting its file) writes one file per jail: the files must be equal,
and so must the server log from the first reload to the shutdown."""
import difflib
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
           ["unban", "--all"], ["banned"], ["status", J]]
# reloads: the configuration changes at CHANGE (see change_config)
CHANGE = ["<change the configuration>"]
CHANGE2 = ["<remove an action>"]
SCRIPT += [["set", J, "banip", "192.0.2.50"], ["set", "second", "banip", "192.0.2.51", "2001:db8::51"],
           ["reload"], ["status"], ["get", J, "maxretry"], ["get", J, "failregex"], ["get", J, "actions"],
           ["get", J, "logpath"], ["get", J, "ignoreregex"], ["banned"],
           ["set", J, "banip", "192.0.2.52"], CHANGE, ["reload"], ["status"], ["get", J, "maxretry"],
           ["get", J, "actions"], ["get", J, "logpath"], ["banned"], ["set", "third", "banip", "192.0.2.53"],
           ["reload", J], ["reload", "nojail"], ["reload", "--if-exists", "nojail"], ["reload", "--unban", "third"],
           ["banned"], ["set", "third", "banip", "192.0.2.54"], CHANGE2, ["reload", "third"], ["get", "third", "actions"],
           ["banned"], ["reload", "--all", "--unban"], ["banned"],
           ["status", "third"], ["status"], ["sleep", "0.5"], ["stop"]]
# (`reload --restart` re-adds a jail, and fail2ban then restores its bans and
# log position from the database: f2bc-server has no database yet)
WITH_TIME = ["get", J, "banip", "--with-time"]


KEEP_DUMMY = ("[Definition]\nactionstop = printf %%b \"stop\\n\" <to_target>\n"
              "actionreload = printf %%b \"reload <family>\\n\" <to_target>\n")
JAIL = "[%s]\nenabled = true\nfilter = exim-dos\nlogpath = %%(exim_main_log)s\naction = %s\n"
TWO_ACTIONS = "dummy[target=%(top)s/dummy-<name>.txt]\n  dummy[target=%(top)s/dummy2-<name>.txt, actname=dummy2]"


def write(conf, path, text):
    with open(os.path.join(conf, path), "w") as f:
        f.write(text)


def remove(conf, path):
    if os.path.exists(os.path.join(conf, path)):
        os.unlink(os.path.join(conf, path))


def initial_config(top, conf):
    """exim-dos and `second` (two dummy actions); the logs go where --logtarget sent them."""
    write(conf, "action.d/dummy.local", KEEP_DUMMY)
    write(conf, "jail.d/second.conf", JAIL % ("second", TWO_ACTIONS % {"top": top}))
    remove(conf, "jail.d/third.conf")
    remove(conf, "jail.local")


def change_config(top, conf, log):
    """exim-dos gets maxretry 3, `second` goes, `third` comes."""
    remove(conf, "jail.d/second.conf")
    write(conf, "jail.d/third.conf", JAIL % ("third", TWO_ACTIONS % {"top": top}))
    write(conf, "jail.local", "[exim-dos]\nmaxretry = 3\n")


def drop_action(top, conf, log):
    """`third` keeps one of its two actions."""
    write(conf, "jail.d/third.conf", JAIL % ("third", "dummy[target=%s/dummy-<name>.txt]" % top))


def action_files(top):
    """The files the dummy actions wrote (removed once read)."""
    out = {}
    for name in sorted(os.listdir(top)):
        if name.startswith(("dummy-", "dummy2-")):
            with open(os.path.join(top, name)) as f:
                out[name] = f.read()
            os.unlink(os.path.join(top, name))
    return out


STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\S+ *)\[\d+\]: ", re.M)


def reload_log(path):
    """The server log from the first reload to the shutdown, without times and pids."""
    with open(path) as f:
        text = STAMP.sub(r"\1: ", f.read())
    start = text.find("fail2ban.server         : INFO    Reload all jails")
    end = text.find("fail2ban.server         : INFO    Shutdown in progress")
    return text[start:end].splitlines() if start >= 0 else []


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
        logs = []
        for name, exe in (("stock", sl.STOCK_SERVER), ("f2bc", sl.f2bc_server())):
            initial_config(top, conf)
            srv = sl.Server(exe, top, name, conf)
            # the reload stream sets the log target of the configuration: the same file
            write(conf, "fail2ban.local", "[Definition]\nlogtarget = %s\n" % srv.log)
            try:
                out = []
                for cmd in SCRIPT:
                    if cmd in (CHANGE, CHANGE2):
                        (change_config if cmd == CHANGE else drop_action)(top, conf, srv.log)
                        continue
                    args = (["-c", conf] if cmd[0] == "reload" else []) + cmd
                    out.append((cmd, normalise(cmd, srv.client(*args))))
                transcripts.append(out)
                srv.proc.wait(20)
            finally:
                srv.stop()
            files.append(action_files(top))
            logs.append(reload_log(srv.log))
            if name == "f2bc" and not srv.check_exit():
                failures += 1
        for (cmd, want), (_, got) in zip(*transcripts):
            if want != got:
                failures += 1
                print("DIFF %r\n  fail2ban: %r\n  f2bc:     %r" % (cmd, want, got))
        for fname in sorted(set(files[0]) | set(files[1])):
            want, got = files[0].get(fname), files[1].get(fname)
            if want != got:
                failures += 1
                print("DIFF action file %s\n  fail2ban: %r\n  f2bc:     %r" % (fname, want, got))
        if not logs[0] or logs[0] != logs[1]:
            failures += 1
            print("DIFF log from the first reload to the shutdown:")
            sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in logs[0]], [l + "\n" for l in logs[1]],
                                                       "fail2ban", "f2bc"))
        print("%d commands, %d differences (action files: %s; %d log lines compared)"
              % (len(SCRIPT), failures, ", ".join("%s %d lines" % (k, v.count("\n")) for k, v in files[0].items()),
                 len(logs[0])))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
