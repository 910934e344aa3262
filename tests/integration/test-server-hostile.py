"""Hostile input on f2bc-server's socket: every case gets an error reply or
a closed connection, nothing is executed, and the server keeps serving; a
peer that is not root is refused."""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib as sl

END = b"<F2B_END_COMMAND>"


def ping_ok(srv):
    reply = sl.send_raw(srv.sock, pickle.dumps(["ping"], 5) + END)
    return reply.endswith(END) and pickle.loads(reply[:-len(END)]) == (0, "pong")


def error_reply(reply):
    """TRUE for fail2ban's reply to an unpicklable request: str "ERROR: ..."."""
    if not reply.endswith(END):
        return False
    v = pickle.loads(reply[:-len(END)])
    return isinstance(v, str) and v.startswith("ERROR: ")


def cases(top):
    marker = os.path.join(top, "executed")
    rce = (b"\x80\x05cposix\nsystem\n(X" + len("touch " + marker).to_bytes(4, "little")
           + ("touch " + marker).encode() + b"tR.")
    build = b"\x80\x05cbuiltins\nValueError\n)R}bX\x01\x00\x00\x00xb."
    deep = b"\x80\x05" + b"]\x94(" * 100000 + b"."  # nested lists under marks
    huge_len = b"\x80\x05\x8d" + (2 ** 62).to_bytes(8, "little") + b"abc."
    yield "random bytes", os.urandom(4096).replace(END, b"") + END, error_reply
    yield "truncated pickle", pickle.dumps(["ping", "x" * 100], 5)[:20] + END, error_reply
    yield "huge announced length", huge_len + END, error_reply
    yield "deep nesting", deep + END, error_reply
    yield "GLOBAL/REDUCE os.system", rce + END, error_reply
    yield "BUILD on an exception", build + END, error_reply
    yield "empty message", END, error_reply
    yield "not a list", pickle.dumps(42, 5) + END, lambda r: pickle.loads(r[:-len(END)])[0] == 1
    yield "oversized message (no marker)", b"x" * (17 << 20), lambda r: r == b""


def main():
    if os.geteuid() != 0:
        sl.skip("needs root (to connect as root and as nobody)")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="f2bc-hostile-") as top:
        conf = sl.make_config(top)
        srv = sl.Server(sl.f2bc_server(), top, "f2bc", conf)
        try:
            for name, payload, check in cases(top):
                reply = sl.send_raw(srv.sock, payload)
                ok = check(reply) and ping_ok(srv)
                print("%-32s %s" % (name, "ok" if ok else "FAILED (reply %r)" % reply[:80]))
                failures += not ok
            executed = os.path.exists(os.path.join(top, "executed"))
            print("%-32s %s" % ("nothing executed", "FAILED" if executed else "ok"))
            failures += executed
            mode = os.stat(srv.sock).st_mode & 0o777
            print("%-32s %s" % ("socket mode 0600", "ok" if mode == 0o600 else "FAILED (%o)" % mode))
            failures += mode != 0o600
            setpriv = shutil.which("setpriv")
            if setpriv:
                # nobody cannot even open a 0600 socket of root; open it up to see the peer check refuse
                os.chmod(top, 0o755)
                os.chmod(srv.sock, 0o666)
                code = ("import socket,pickle,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
                        "s.sendall(pickle.dumps(['ping'],5)+b'<F2B_END_COMMAND>');"
                        "print(repr(s.recv(100)))")
                p = subprocess.run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                    "/usr/bin/python3", "-c", code, srv.sock], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=30)
                os.chmod(srv.sock, 0o600)
                refused = p.stdout.strip() == b"b''" or p.returncode != 0
                print("%-32s %s" % ("non-root peer refused", "ok" if refused else "FAILED %r" % p.stdout))
                failures += not refused
            else:
                print("non-root peer refused           skipped (no setpriv)")
            alive = ping_ok(srv)
            print("%-32s %s" % ("still serving", "ok" if alive else "FAILED"))
            failures += not alive
        finally:
            srv.stop()
        failures += not srv.check_exit()
        with open(srv.log) as f:
            log = f.read()
        sys.stdout.write(log[-3000:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
