"""test-fw-failures.py - f2bc-server's native firewall when the kernel says no.

Each case runs f2bc-server in a fresh network namespace (unshare -n) with the
exim-dos jail and a stock firewall action, bans through the stock client, and
checks that the failure is reported clearly (a line naming the jail and the
action, and the backend's own message), that the jail keeps its bans (status)
and retries the refused ones, that the server still answers, and that it
exits cleanly (exit status 0: no crash, no sanitizer report).

  refused   nftables-multiport (libnftables): 10.0.0.0/8 into a set without
            the interval flag, between two addresses that must get in;
  module    iptables-multiport on iptables-legacy with blocktype LED (the
            xt_LED kernel module is missing: "missing kernel module?");
  noroot    the server runs as nobody (setpriv, no capabilities): the stock
            nftables action's actionstart fails;
  noroot-native  the same, with the table and sets made by root beforehand and
            the action's start/stop/check emptied, so that the bans reach
            libnftables and the kernel refuses them (EPERM).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwlib  # noqa: E402
import serverlib  # noqa: E402

NFT_FILES = ['nftables-multiport.conf', 'nftables.conf']
IPT_FILES = ['iptables-multiport.conf', 'iptables.conf']
NFT_ACTION = 'nftables-multiport[name=exim, port="25,465"]'
LEGACY_LOCAL = ('[Init]\niptables = iptables-legacy <lockingopt>\n\n'
                '[Init?family=inet6]\niptables = ip6tables-legacy <lockingopt>\n')
PREMADE = """table inet f2b-table {
  set addr-set-exim { type ipv4_addr; }
  set addr6-set-exim { type ipv6_addr; }
  chain f2b-chain {
    type filter hook input priority -1;
    tcp dport { 25, 465 } ip saddr @addr-set-exim reject
    tcp dport { 25, 465 } ip6 saddr @addr6-set-exim reject
  }
}
"""

# name: (action, files, action.d .local files, banned ids, expected kernel addresses,
#        log lines expected (regexes), retried)
CASES = {
    'refused': (NFT_ACTION, NFT_FILES, {}, ['192.0.2.1', '10.0.0.0/8', '192.0.2.2'], ['192.0.2.1', '192.0.2.2'],
                [r"\[exim-dos\] Action nftables-multiport-exim: ban of 10\.0\.0\.0/8 through libnftables failed: "
                 r"libnftables: .*interval",
                 r"ERROR +Failed to execute ban jail 'exim-dos' action 'nftables-multiport-exim' info "
                 r"'.*': Error banning 10\.0\.0\.0/8"], True),
    'module': ('iptables-multiport[name=exim, port="25,465", blocktype="LED --led-trigger-id f2b"]', IPT_FILES,
               {'iptables.local': LEGACY_LOCAL}, ['192.0.2.1', '2001:db8::1'], [],
               [r"\[exim-dos\] Action iptables-multiport-exim: ban of 192\.0\.2\.1 through iptables-restore "
                r"failed: .*missing kernel module",
                r"ERROR +Failed to execute ban jail 'exim-dos' action 'iptables-multiport-exim' info "
                r"'.*': Error banning 192\.0\.2\.1"], True),
    'noroot': (NFT_ACTION, NFT_FILES, {}, ['192.0.2.1', '192.0.2.2'], [],
               [r"ERROR +Failed to execute ban jail 'exim-dos' action 'nftables-multiport-exim' info "
                r"'.*': Error starting action"], False),
    'noroot-native': (NFT_ACTION, NFT_FILES,
                      {'nftables.local': '[Definition]\nactionstart =\nactionstop =\nactioncheck =\n'},
                      ['192.0.2.1', '192.0.2.2'], [],
                      [r"\[exim-dos\] Action nftables-multiport-exim: ban of 192\.0\.2\.1 through libnftables "
                       r"failed: libnftables: .*Operation not permitted",
                       r"ERROR +Failed to execute ban jail 'exim-dos' action 'nftables-multiport-exim' info "
                       r"'.*': Error banning 192\.0\.2\.1"], True),
}


def kernel_addresses(case):
    if case == 'module':
        out = subprocess.run(['iptables-legacy-save'], capture_output=True, text=True).stdout
    else:
        out = subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout
    return sorted(set(re.findall(r'\b(?:192\.0\.2\.\d+|10\.0\.0\.0/8|2001:db8::1)\b', out)))


def unprivileged_server(top):
    """A wrapper that starts f2bc-server as nobody without capabilities."""
    path = os.path.join(top, 'f2bc-nobody')
    with open(path, 'w') as f:
        f.write('#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all '
                '--bounding-set=-all %s "$@"\n' % serverlib.f2bc_server())
    os.chmod(path, 0o755)
    return path


def wait_for(path, pattern, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if re.search(pattern, open(path).read()):
            return True
        time.sleep(0.2)
    return False


def worker(case):
    action, files, locals_, ids, in_kernel, expect, retried = CASES[case]
    fails = []
    with tempfile.TemporaryDirectory(prefix='f2bc-fwfail-') as top:
        conf = serverlib.make_config(top)
        for f in files:
            os.symlink(os.path.join('/etc/fail2ban/action.d', f), os.path.join(conf, 'action.d', f))
        for name, text in locals_.items():
            with open(os.path.join(conf, 'action.d', name), 'w') as f:
                f.write(text)
        jc = os.path.join(conf, 'jail.conf')
        text = '\n'.join(l for l in open(jc).read().splitlines() if not l.startswith('action ='))
        open(jc, 'w').write(text + '\naction = %s\n' % action)
        argv0 = serverlib.f2bc_server()
        if case.startswith('noroot'):
            os.chmod(top, 0o755)
            os.chown(top, 65534, 65534)
            argv0 = unprivileged_server(top)
        if case == 'noroot-native':
            subprocess.run(['nft', '-f', '-'], input=PREMADE, text=True, check=True)
        srv = serverlib.Server(argv0, top, 'f2bc', conf)
        try:
            out, rc = srv.client('set', 'exim-dos', 'banip', *ids)
            if rc != 0:
                fails.append('banip failed: %r' % out)
            for pattern in expect:
                if not wait_for(srv.log, pattern, 30):
                    fails.append('no log line /%s/' % pattern)
            if retried and not wait_for(srv.log, r'\[exim-dos\] Action \S+: retrying \d+ refused ban', 25):
                fails.append('no retry of the refused bans')
            status, _ = srv.client('status', 'exim-dos')
            if '|- Currently banned:\t%d' % len(ids) not in status:
                fails.append('the jail does not keep its %d bans:\n%s' % (len(ids), status))
            if kernel_addresses(case) != sorted(in_kernel):
                fails.append('kernel holds %s, not %s' % (kernel_addresses(case), sorted(in_kernel)))
            if srv.client('ping')[1] != 0:
                fails.append('the server does not answer')
            if case == 'refused':
                # the refused ban never reached the kernel: its unban has nothing to remove
                out, rc = srv.client('set', 'exim-dos', 'unbanip', '10.0.0.0/8')
                if rc != 0 or out.strip() != '1':
                    fails.append('unbanip of the refused ban: %r %r' % (out, rc))
            srv.client('stop')
            srv.proc.wait(60)
        finally:
            srv.stop()
        log = open(srv.log).read()
        if srv.proc.returncode != 0:
            fails.append('exit status %r: %s' % (srv.proc.returncode, open(srv.out.name).read()[-3000:]))
        if case == 'refused' and 'Unban 10.0.0.0/8' not in log:
            fails.append('no "Unban 10.0.0.0/8"')
    print(json.dumps({'fails': fails, 'log': log[-6000:]}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        worker(sys.argv[2])
        return 0
    fwlib.require_root_and_netns()
    if subprocess.run(['sh', '-c', 'command -v setpriv'], capture_output=True).returncode != 0:
        serverlib.skip('setpriv (util-linux) is not installed')
    failed = 0
    for case in CASES:
        r = fwlib.in_netns([fwlib.PYTHON, os.path.abspath(__file__), '--worker', case])
        try:
            res = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            print('FAIL %s: worker failed (%d): %s %s' % (case, r.returncode, r.stdout[-2000:], r.stderr[-3000:]))
            failed += 1
            continue
        for f in res['fails']:
            print('FAIL %s: %s' % (case, f))
        if res['fails']:
            print('--- log of %s\n%s' % (case, res['log']))
        print('%s %s' % ('FAIL' if res['fails'] else 'ok  ', case))
        failed += bool(res['fails'])
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
