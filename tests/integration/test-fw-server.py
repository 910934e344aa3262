"""test-fw-server.py - f2bc-server's native firewall against fail2ban-server, side by side.

The same configuration (the project's exim-dos jail with a stock firewall
action from /etc/fail2ban/action.d, linked in place) runs under the stock
fail2ban-server in one fresh network namespace and under f2bc-server in
another (and once more with --no-native-fw); the stock client bans 20 IPv4
and 5 IPv6 addresses, unbans 5, bans one more; then the firewall is flushed
behind the server's back and one more ban must repair it; then the server
stops.  The rule sets at each step must be identical, and f2bc-server's log
must name the native backend (and must not with --no-native-fw), say that
the 20 IPv4 bans of the banip went to the kernel in one batch (and the 5
IPv6 ones in another), and `get exim-dos actionbackend ACT` must answer the
backend ("shell" with --no-native-fw).
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwlib  # noqa: E402
import serverlib  # noqa: E402

LEGACY_LOCAL = ('[Init]\niptables = iptables-legacy <lockingopt>\n\n'
                '[Init?family=inet6]\niptables = ip6tables-legacy <lockingopt>\n')

# (action, its action.d files, iptables.local, kind, flavour, backend named in the log)
CASES = [
    ('nftables-multiport[name=exim, port="25,465"]', ['nftables-multiport.conf', 'nftables.conf'], None,
     'nft', None, 'libnftables'),
    ('iptables-multiport[name=exim, port="25,465"]', ['iptables-multiport.conf', 'iptables.conf'], LEGACY_LOCAL,
     'iptables', 'legacy', 'libiptc'),
    ('iptables-allports[name=exim]', ['iptables-allports.conf', 'iptables.conf'],
     LEGACY_LOCAL.replace('legacy', 'nft'), 'iptables', 'nft', 'iptables-restore'),
]


def wipe_commands(kind, flavour):
    """Another tool flushing the firewall behind the server's back."""
    if kind == 'nft':
        return [['nft', 'flush', 'ruleset']]
    return [[t % flavour, o] for t in ('iptables-%s', 'ip6tables-%s') for o in ('-F', '-X')]


def worker(which, action, files, local, dumps, wipe):
    """In a fresh namespace: one server, the client's bans, the dumps (printed)."""
    with tempfile.TemporaryDirectory(prefix='f2bc-fwsrv-') as top:
        conf = serverlib.make_config(top)
        for f in files:
            os.symlink(os.path.join('/etc/fail2ban/action.d', f), os.path.join(conf, 'action.d', f))
        if local:
            with open(os.path.join(conf, 'action.d', 'iptables.local'), 'w') as f:
                f.write(local)
        jc = os.path.join(conf, 'jail.conf')
        text = open(jc).read()
        text = '\n'.join(l for l in text.splitlines() if not l.startswith('action ='))
        open(jc, 'w').write(text + '\naction = %s\n' % action)
        if which == 'stock':
            srv = serverlib.Server(serverlib.STOCK_SERVER, top, 'stock', conf)
        else:
            extra = ['--no-native-fw'] if which == 'shell' else []
            srv = serverlib.Server(serverlib.f2bc_server(), top, 'f2bc', conf, extra)
        out = []
        try:
            ips = fwlib.addresses(20, 5)
            _, rc = srv.client('set', 'exim-dos', 'banip', *ips)
            if rc != 0:
                raise SystemExit('banip failed')
            settle(dumps)
            srv.client('set', 'exim-dos', 'unbanip', *ips[3:8])
            settle(dumps)
            srv.client('set', 'exim-dos', 'banip', '198.51.100.9')
            out.append(settle(dumps))
            # the next ban notices the missing rules, repairs (actioncheck,
            # stop + start) and bans again, as the shell action does
            for c in wipe:
                subprocess.run(c, check=True)
            srv.client('set', 'exim-dos', 'banip', '203.0.113.5')
            out.append(settle(dumps))
            # `get JAIL actions` stays fail2ban's list of names; the backend has its own command
            acts, _ = srv.client('get', 'exim-dos', 'actions')
            backend, _ = srv.client('get', 'exim-dos', 'actionbackend', acts.strip().splitlines()[-1])
            sys.stderr.write('ACTIONBACKEND=%s\n' % backend.strip())
            srv.client('stop')
            srv.proc.wait(30)
        finally:
            srv.stop()
        out.append(dump(dumps))
        print('\n@@@@\n'.join(out))
        log = open(srv.log).read()
        sys.stderr.write(log)
        if which != 'stock' and not srv.check_exit():
            raise SystemExit('f2bc-server exit status')


def settle(dumps):
    """The rule set once it stops changing: fail2ban-server runs the action
    commands of a banip in its actions thread, after the reply."""
    last = dump(dumps)
    for _ in range(40):
        time.sleep(0.5)
        now = dump(dumps)
        if now == last:
            return now
        last = now
    return last


def dump(dumps):
    return ''.join(subprocess.run(c, capture_output=True, text=True).stdout for c in dumps)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        import json
        worker(sys.argv[2], *json.loads(sys.argv[3]))
        return 0
    fwlib.require_root_and_netns()
    if not os.path.exists(serverlib.STOCK_SERVER):
        serverlib.skip('fail2ban-server is not installed')
    import json
    failed = 0
    for action, files, local, kind, flavour, backend in CASES:
        dumps = fwlib.dump_commands(kind, flavour)
        runs = {}
        for which in ('stock', 'native', 'shell'):
            arg = json.dumps([action, files, local, dumps, wipe_commands(kind, flavour)])
            r = fwlib.in_netns([fwlib.PYTHON, os.path.abspath(__file__), '--worker', which, arg])
            if r.returncode != 0:
                print('FAIL %s %s: worker failed: %s %s' % (action, which, r.stdout[-2000:], r.stderr[-3000:]))
                failed += 1
                break
            runs[which] = ([fwlib.normalise(p) for p in r.stdout.split('@@@@\n')], r.stderr)
        if len(runs) != 3:
            continue
        ok = True
        for which in ('native', 'shell'):
            if runs[which][0] != runs['stock'][0]:
                print('FAIL %s (%s): rule sets differ from fail2ban-server\n--- stock\n%s\n--- %s\n%s'
                      % (action, which, runs['stock'][0][0][:3000], which, runs[which][0][0][:3000]))
                ok = False
        if runs['stock'][0][0].count('\n') < 10 or '203.0.113.5' not in runs['stock'][0][1]:
            print('FAIL %s: no bans in the stock rule set' % action)
            ok = False
        if 'Invariant check failed. Trying to restore a sane environment' not in runs['native'][1]:
            print('FAIL %s: no repair in the log' % action)
            ok = False
        line = 'applied natively through %s' % backend
        if line not in runs['native'][1]:
            print('FAIL %s: the log does not say "%s":\n%s' % (action, line, runs['native'][1][-2000:]))
            ok = False
        if 'applied natively' in runs['shell'][1]:
            print('FAIL %s: --no-native-fw still native' % action)
            ok = False
        for want in ('20 bans in one batch through %s' % backend, '5 bans in one batch through %s' % backend,
                     'ACTIONBACKEND=%s\n' % backend):
            if want not in runs['native'][1]:
                print('FAIL %s: the native log lacks "%s"' % (action, want.strip()))
                ok = False
        if 'ACTIONBACKEND=shell\n' not in runs['shell'][1] or 'in one batch' in runs['shell'][1]:
            print('FAIL %s: --no-native-fw: no "shell" backend answer, or batches' % action)
            ok = False
        print('%s %s (%s)' % ('ok  ' if ok else 'FAIL', action, backend))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
