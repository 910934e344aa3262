"""test-fw-native.py - native firewall backends (server/fw.h) against fail2ban's shell actions.

For each stock firewall action, a few parameter sets, and each iptables flavour
(legacy, nft): in one fresh network namespace fail2ban's own CommandAction runs
start, 200 IPv4 + 50 IPv6 bans, 30 unbans and one more ban, then flush and stop;
in another, fw-driver does the same through the native backend (the bans in one
batch).  The rule sets (iptables-save, ip6tables-save, ipset save or nft list
ruleset; counters, handles and hash order aside) must be identical after the
bans and after the stop, and equal to the empty namespace after the stop.
Failure paths: an unban of an address that is not banned, and a chain removed
behind the backend's back, must fail cleanly.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwlib  # noqa: E402

BUILD = os.environ.get('F2B_BUILDDIR', 'build')
DRIVER = os.path.join(BUILD, 'bench', 'fw-driver')

# (action, parameters, kind, flavours)
CASES = [
    ('iptables-multiport', {'name': 'mp', 'port': '22,80,443', 'protocol': 'tcp'}, 'iptables', ['legacy', 'nft']),
    ('iptables-multiport', {'name': 'mp2', 'port': '25', 'protocol': 'tcp,udp', 'chain': 'FORWARD',
                            'blocktype': 'DROP'}, 'iptables', ['legacy', 'nft']),
    ('iptables-allports', {'name': 'ap'}, 'iptables', ['legacy', 'nft']),
    ('iptables', {'name': 'one', 'port': 'ssh'}, 'iptables', ['legacy', 'nft']),
    ('iptables', {'name': 'rst', 'port': '8080', 'blocktype': 'REJECT --reject-with icmp-host-prohibited'}, 'iptables',
     ['legacy']),
    ('iptables-new', {'name': 'new', 'port': '21'}, 'iptables', ['legacy', 'nft']),
    ('iptables-ipset', {'name': 'is'}, 'ipset', ['legacy', 'nft']),
    ('iptables-ipset-proto6', {'name': 'is6'}, 'ipset', ['legacy', 'nft']),
    ('iptables-ipset-proto6-allports', {'name': 'isa'}, 'ipset', ['legacy', 'nft']),
    ('nftables', {'name': 'nf'}, 'nft', [None]),
    ('nftables-multiport', {'name': 'nm', 'port': '22,80', 'protocol': 'tcp,udp'}, 'nft', [None]),
    ('nftables-allports', {'name': 'na', 'blocktype': 'drop'}, 'nft', [None]),
]


def scenario():
    ips = fwlib.addresses(200, 50)
    unban = ips[5:35]
    return [('ban', ips), ('unban', unban), ('ban', ['192.0.2.77']), ('dump',), ('flush',), ('stop',), ('dump',)]


def ref_worker(props_path, dumps_json):
    """Inside the namespace: fail2ban's CommandAction, one shell command per address."""
    sys.path.insert(0, '/usr/lib/python3/dist-packages')
    import subprocess
    from fail2ban.server.action import CommandAction
    from fail2ban.server.ipdns import IPAddr
    props = json.load(open(props_path))
    dumps = json.loads(dumps_json)
    a = CommandAction(None, 'fwtest')
    for k, v in props.items():
        setattr(a, k, v)
    out = []
    a.start()
    for op in scenario():
        if op[0] in ('ban', 'unban'):
            for ip in op[1]:
                i = IPAddr(ip)
                info = {'ip': i, 'family': i.familyStr}
                # failures raise
                a.ban(info) if op[0] == 'ban' else a.unban(info)
        elif op[0] == 'flush':
            a.flush()
        elif op[0] == 'stop':
            a.stop()
        else:
            out.append(''.join(subprocess.run(c, capture_output=True, text=True).stdout for c in dumps))
    print(json.dumps(out))


def native_run(props_path, dumps, backend='auto'):
    lines = []
    for op in scenario():
        if op[0] in ('ban', 'unban'):
            lines.append('%s %s' % (op[0], ' '.join(op[1])))
        elif op[0] == 'dump':
            lines.extend('exec ' + ' '.join(c) for c in dumps)
            lines.append('exec echo @@@@')
        else:
            lines.append(op[0])
    r = fwlib.in_netns([DRIVER, props_path, backend], '\n'.join(lines) + '\n')
    if r.returncode != 0:
        raise AssertionError('fw-driver failed (%d): %s' % (r.returncode, r.stderr))
    parts = r.stdout.split('@@@@\n')
    return parts[:2], r.stderr.strip()


def empty_dump(dumps):
    script = '; '.join(' '.join(c) for c in dumps)
    return fwlib.in_netns(['sh', '-c', script]).stdout


def run_case(action, params, kind, flavour, tmp):
    props = fwlib.with_flavour(fwlib.action_props(action, params), flavour)
    dumps = fwlib.dump_commands(kind, flavour)
    ppath = os.path.join(tmp, 'props.json')
    json.dump(props, open(ppath, 'w'))
    tpath = os.path.join(tmp, 'props.tsv')
    fwlib.write_props(props, tpath)
    r = fwlib.in_netns([fwlib.PYTHON, os.path.abspath(__file__), '--ref', ppath, json.dumps(dumps)])
    if r.returncode != 0:
        raise AssertionError('reference run failed: %s' % r.stderr[-2000:])
    ref = json.loads(r.stdout)
    nat, backend = native_run(tpath, dumps)
    label = '%s[%s] %s (%s)' % (action, params, flavour or '', backend)
    empty = fwlib.normalise(empty_dump(dumps))
    for step, (a, b) in enumerate(zip(ref, nat)):
        na, nb = fwlib.normalise(a), fwlib.normalise(b)
        if na != nb:
            import difflib
            diff = '\n'.join(difflib.unified_diff(na.splitlines(), nb.splitlines(), 'shell', 'native', lineterm=''))
            raise AssertionError('%s: rule sets differ at dump %d:\n%s' % (label, step, diff[:4000]))
    if kind == 'nft' and fwlib.normalise(nat[1]).strip() != empty.strip():
        raise AssertionError('%s: rule set after stop is not the empty one:\n%s' % (label, nat[1]))
    if ref[0].count('\n') < 10:
        raise AssertionError('%s: the reference holds no bans:\n%s' % (label, ref[0]))
    print('ok   %s' % label)


def failure_paths(tmp):
    """Not-banned unban and a chain flushed away: clean errors, nothing crashes."""
    props = fwlib.with_flavour(fwlib.action_props('iptables-multiport', {'name': 'fp'}), 'legacy')
    tpath = os.path.join(tmp, 'fp.tsv')
    fwlib.write_props(props, tpath)
    for backend in ('iptc', 'restore'):
        ops = 'ban 10.9.9.1 10.9.9.2\nunban 10.9.9.3\n'
        r = fwlib.in_netns([DRIVER, tpath, backend], ops)
        if r.returncode != 1 or 'unban' not in r.stderr:
            raise AssertionError('%s: unban of a stranger: rc %d, %s' % (backend, r.returncode, r.stderr))
        ops = 'ban 10.9.9.1\nexec iptables-legacy -w -D INPUT -p tcp -m multiport --dports 22 -j f2b-fp\n' \
              'exec iptables-legacy -w -F f2b-fp\nexec iptables-legacy -w -X f2b-fp\nban 10.9.9.2\n'
        r = fwlib.in_netns([DRIVER, tpath, backend], ops)
        if r.returncode != 1 or 'ban:' not in r.stderr:
            raise AssertionError('%s: ban into a removed chain: rc %d, %s' % (backend, r.returncode, r.stderr))
        print('ok   failure paths (%s): %s' % (backend, r.stderr.strip().splitlines()[-1]))
    # an address the kernel refuses (a subnet into a plain nft set): the batch
    # is retried one by one, the others are banned, the error names the element
    nprops = fwlib.action_props('nftables-multiport', {'name': 'rf'})
    npath = os.path.join(tmp, 'rf.tsv')
    fwlib.write_props(nprops, npath)
    r = fwlib.in_netns([DRIVER, npath, 'nft'], 'ban 10.1.1.1 10.2.0.0/16 10.1.1.2\nexec nft list set inet f2b-table '
                       'addr-set-rf\n')
    if r.returncode != 1 or 'libnftables' not in r.stderr or '10.1.1.1, 10.1.1.2' not in r.stdout:
        raise AssertionError('refused address: rc %d, %s, %s' % (r.returncode, r.stderr, r.stdout))
    print('ok   refused address: %s' % r.stderr.strip().splitlines()[-1])
    # no permission: every backend fails with a message, nothing crashes
    os.chmod(tmp, 0o755)
    for path, backend in ((tpath, 'iptc'), (tpath, 'restore'), (npath, 'nft')):
        os.chmod(path, 0o644)
        r = fwlib.in_netns(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', DRIVER, path, backend],
                           'ban 10.9.9.1 2001:db8::9\n')
        if r.returncode != 1 or 'ban:' not in r.stderr:
            raise AssertionError('%s as nobody: rc %d, %s' % (backend, r.returncode, r.stderr))
        print('ok   no permission (%s): %s' % (backend, r.stderr.strip().splitlines()[-1]))
    # a changed command is not native
    props2 = dict(props)
    props2['actionban'] = props['actionban'] + ' --comment x'
    fwlib.write_props(props2, tpath)
    r = fwlib.in_netns([DRIVER, tpath, 'auto'], '')
    if r.returncode != 3 or 'not a stock firewall command' not in r.stderr:
        raise AssertionError('changed actionban recognised: rc %d %s' % (r.returncode, r.stderr))
    print('ok   changed actionban stays a shell action')


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--ref':
        ref_worker(sys.argv[2], sys.argv[3])
        return 0
    fwlib.require_root_and_netns()
    if not os.access(DRIVER, os.X_OK):
        fwlib.skip('%s is not built' % DRIVER)
    failed = 0
    with tempfile.TemporaryDirectory(prefix='f2bc-fwtest-') as tmp:
        only = os.environ.get('F2B_FW_CASES')  # a subset by action name, for debugging
        for action, params, kind, flavours in CASES:
            if only and action not in only.split(','):
                continue
            for flavour in flavours:
                try:
                    run_case(action, params, kind, flavour, tmp)
                except Exception as e:  # one report per case, all cases run
                    failed += 1
                    print('FAIL %s %s %s: %s' % (action, params, flavour, e))
        try:
            failure_paths(tmp)
        except Exception as e:
            failed += 1
            print('FAIL failure paths: %s' % e)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
