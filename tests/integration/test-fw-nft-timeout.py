"""test-fw-nft-timeout.py - the project's action.d/nftables-timeout.conf, in a network namespace.

1. Side by side: fail2ban-server (the action's shell commands), f2bc-server
   (libnftables, chosen by the action's fwbackend) and f2bc-server
   --no-native-fw, each in a fresh namespace with the exim-dos jail and this
   action: bans of 6 IPv4 and 2 IPv6 addresses, 2 unbans, one unban of an
   element the kernel has already let expire (no error), then stop.  The rule
   sets (elements with their "timeout", the remaining "expires" aside) must
   be identical at each step; f2bc-server's log must name libnftables.
2. The kernel unbans by itself: f2bc-server bans with bantime 2 s and is
   killed (SIGKILL, no unban ran); 4 s later the set is empty.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwlib  # noqa: E402
import serverlib  # noqa: E402

ACTION = 'nftables-timeout[name=exim, port="25,465"]'


def configure(top, bantime):
    conf = serverlib.make_config(top)
    src = os.environ['F2B_SRCDIR']
    shutil.copy(os.path.join(src, 'action.d', 'nftables-timeout.conf'), os.path.join(conf, 'action.d'))
    os.symlink('/etc/fail2ban/action.d/nftables.conf', os.path.join(conf, 'action.d', 'nftables.conf'))
    jc = os.path.join(conf, 'jail.conf')
    text = '\n'.join(l for l in open(jc).read().splitlines() if not l.startswith('action ='))
    open(jc, 'w').write(text + '\naction = %s\n' % ACTION)
    with open(os.path.join(conf, 'jail.local'), 'w') as f:
        f.write('[exim-dos]\nbantime = %s\n' % bantime)
    return conf


def ruleset():
    out = subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout
    return fwlib.normalise(re.sub(r' expires [0-9dhms]+', '', out))


def settle():
    last = ruleset()
    for _ in range(40):
        time.sleep(0.5)
        now = ruleset()
        if now == last:
            return now
        last = now
    return last


def side_by_side(which):
    out = []
    with tempfile.TemporaryDirectory(prefix='f2bc-fwnt-') as top:
        conf = configure(top, '1h')
        if which == 'stock':
            srv = serverlib.Server(serverlib.STOCK_SERVER, top, 'stock', conf)
        else:
            extra = ['--no-native-fw'] if which == 'shell' else []
            srv = serverlib.Server(serverlib.f2bc_server(), top, 'f2bc', conf, extra)
        try:
            ips = fwlib.addresses(6, 2)
            if srv.client('set', 'exim-dos', 'banip', *ips)[1] != 0:
                raise SystemExit('banip failed')
            out.append(settle())
            srv.client('set', 'exim-dos', 'unbanip', *ips[1:3])
            out.append(settle())
            # the kernel let this one go already: its unban must not fail
            subprocess.run(['nft', 'delete', 'element', 'inet', 'f2b-table', 'addr-set-exim', '{ %s }' % ips[0]],
                           check=True)
            srv.client('set', 'exim-dos', 'unbanip', ips[0])
            out.append(settle())
            srv.client('stop')
            srv.proc.wait(30)
        finally:
            srv.stop()
        out.append(ruleset())
        log = open(srv.log).read()
        ok = which == 'stock' or srv.check_exit()
    return {'dumps': out, 'log': log, 'exit_ok': ok}


def kernel_expiry():
    with tempfile.TemporaryDirectory(prefix='f2bc-fwnt-') as top:
        conf = configure(top, '2')
        srv = serverlib.Server(serverlib.f2bc_server(), top, 'f2bc', conf)
        try:
            srv.client('set', 'exim-dos', 'banip', '192.0.2.1', '192.0.2.2')
            before = subprocess.run(['nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-exim'],
                                    capture_output=True, text=True).stdout
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait(10)
            time.sleep(4)
            after = subprocess.run(['nft', 'list', 'set', 'inet', 'f2b-table', 'addr-set-exim'],
                                   capture_output=True, text=True).stdout
        finally:
            srv.stop()
    return {'before': before, 'after': after}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        res = kernel_expiry() if sys.argv[2] == 'expiry' else side_by_side(sys.argv[2])
        print(json.dumps(res))
        return 0
    fwlib.require_root_and_netns()
    if not os.path.exists(serverlib.STOCK_SERVER):
        serverlib.skip('fail2ban-server is not installed')
    runs = {}
    for which in ('stock', 'native', 'shell', 'expiry'):
        r = fwlib.in_netns([fwlib.PYTHON, os.path.abspath(__file__), '--worker', which])
        try:
            runs[which] = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            print('FAIL %s: worker failed (%d): %s %s' % (which, r.returncode, r.stdout[-2000:], r.stderr[-3000:]))
            return 1
    fails = []
    stock = runs['stock']['dumps']
    if 'timeout 1h' not in stock[0] or '2001:db8' not in stock[0]:
        fails.append('the stock rule set has no timed elements:\n%s' % stock[0])
    for which in ('native', 'shell'):
        if runs[which]['dumps'] != stock:
            fails.append('%s: rule sets differ from fail2ban-server\n--- stock\n%s\n--- %s\n%s'
                         % (which, '\n@@\n'.join(stock), which, '\n@@\n'.join(runs[which]['dumps'])))
        if not runs[which]['exit_ok']:
            fails.append('%s: exit status' % which)
    if 'applied natively through libnftables' not in runs['native']['log']:
        fails.append('the native log does not name libnftables:\n%s' % runs['native']['log'][-3000:])
    if 'ERROR' in runs['native']['log']:
        fails.append('errors in the native log:\n%s' % runs['native']['log'][-3000:])
    exp = runs['expiry']
    if '192.0.2.1' not in exp['before'] or '192.0.2.' in exp['after']:
        fails.append('the kernel did not let the bans expire:\n%s\n--- after\n%s' % (exp['before'], exp['after']))
    for f in fails:
        print('FAIL ' + f)
    print('%s nftables-timeout' % ('FAIL' if fails else 'ok  '))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
