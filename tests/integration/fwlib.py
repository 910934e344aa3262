"""fwlib.py - shared by test-fw-native.py and bench/fw-bench.py.

An action's properties come from the stock fail2ban-client -d on a jail.local
that names it (action.d, filter.d and the other files read in place from
/etc/fail2ban); the reference runs are fail2ban's own CommandAction; the native
runs are build/bench/fw-driver.  Everything that touches a firewall runs in a
private network namespace (unshare -n), as root.
"""
import ast
import ipaddress
import os
import re
import subprocess
import sys
import tempfile

FAIL2BAN_ETC = '/etc/fail2ban'
PYTHON = '/usr/bin/python3'


def skip(msg):
    sys.stderr.write('SKIP: %s\n' % msg)
    sys.exit(77)


def require_root_and_netns():
    if os.geteuid() != 0:
        skip('needs root (the firewall tests run in a private network namespace)')
    r = subprocess.run(['unshare', '-n', 'true'], capture_output=True)
    if r.returncode != 0:
        skip('unshare -n fails: %s' % r.stderr.decode(errors='replace').strip())
    for prog in ('fail2ban-client', 'iptables-legacy', 'iptables-nft', 'nft', 'ipset'):
        if subprocess.run(['sh', '-c', 'command -v ' + prog], capture_output=True).returncode != 0:
            skip('%s is not installed (scripts/setup test installs it)' % prog)


def action_props(action, params):
    """The properties fail2ban-client sends for ACTION[PARAMS] (a dict)."""
    with tempfile.TemporaryDirectory(prefix='f2bc-fw-') as d:
        for name in os.listdir(FAIL2BAN_ETC):
            if name in ('jail.d', 'jail.local', 'fail2ban.local'):
                continue
            os.symlink(os.path.join(FAIL2BAN_ETC, name), os.path.join(d, name))
        args = ', '.join('%s="%s"' % kv for kv in params.items())
        with open(os.path.join(d, 'jail.local'), 'w') as f:
            f.write('[DEFAULT]\nenabled = false\n\n[fwtest]\nenabled = true\nfilter =\n'
                    'backend = polling\nlogpath = /dev/null\naction = %s[%s]\n' % (action, args))
        out = subprocess.run(['fail2ban-client', '-c', d, '-d'], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        cmd = ast.literal_eval(line)
        if cmd[0] == 'multi-set' and cmd[1] == 'fwtest' and cmd[2] == 'action':
            return dict(cmd[4])
    raise RuntimeError('no action in the stream of %s' % action)


def write_props(props, path):
    def esc(v):
        return str(v).replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t')
    with open(path, 'w') as f:
        for k, v in props.items():
            f.write('%s\t%s\n' % (k, esc(v)))


def with_flavour(props, flavour):
    """iptables actions pointed at an explicit iptables flavour (never the host's alternatives)."""
    p = dict(props)
    if flavour and 'iptables' in p:
        p['iptables'] = 'iptables-%s <lockingopt>' % flavour
        p['iptables?family=inet6'] = 'ip6tables-%s <lockingopt>' % flavour
    return p


def dump_commands(kind, flavour):
    if kind == 'nft':
        return [['nft', 'list', 'ruleset']]
    cmds = [['iptables-%s-save' % flavour], ['ip6tables-%s-save' % flavour]]
    if kind == 'ipset':
        cmds.append(['ipset', 'save'])
    return cmds


def _sort_nft_elements(text):
    def repl(m):
        items = sorted(x.strip() for x in m.group(1).replace('\n', ' ').split(',') if x.strip())
        return 'elements = { %s }' % ', '.join(items)
    return re.sub(r'elements = \{(.*?)\}', repl, text, flags=re.S)


def normalise(text):
    """Counters, handles, time stamps and hash orders aside."""
    text = '\n'.join(l for l in text.splitlines() if not l.startswith('#'))
    text = re.sub(r'\[\d+:\d+\]', '[0:0]', text)
    text = re.sub(r' # handle \d+', '', text)
    text = re.sub(r'initval 0x[0-9a-f]+', 'initval X', text)
    text = _sort_nft_elements(text)
    lines = text.splitlines()
    # ipset save lists members in hash order
    adds = sorted(l for l in lines if l.startswith('add '))
    rest = [l for l in lines if not l.startswith('add ')]
    return '\n'.join(rest + adds) + '\n'


def in_netns(argv, stdin=None):
    return subprocess.run(['unshare', '-n'] + argv, input=stdin, capture_output=True, text=True)


def addresses(n4, n6):
    """N4 IPv4 and N6 IPv6 addresses, mixed."""
    v4 = ['10.%d.%d.%d' % (i // 65536 % 256, i // 256 % 256, i % 256 + 0) for i in range(1, n4 + 1)]
    # canonical text: fail2ban 1.0.2's unbanip does not find '2001:db8:0::1' banned as '2001:db8::1'
    v6 = [str(ipaddress.IPv6Address('2001:db8:%x::%x' % (i // 65536, i % 65536 + 1))) for i in range(n6)]
    out = []
    step = max(1, n4 // max(1, n6))
    while v4 or v6:
        out.extend(v4[:step])
        del v4[:step]
        if v6:
            out.append(v6.pop(0))
    return out
