"""fw-server-bench.py - bans per second through f2bc-server with a native firewall action.

Run as root from the source tree after a build:
    /usr/bin/python3 bench/fw-server-bench.py [BUILDDIR]
Each case runs in its own private network namespace (unshare -n), with the
exim-dos jail (maxretry 1, bantime 1d, a database file) and one stock
firewall action.  It measures, as wall time until the kernel holds the rules:
  banip      `set exim-dos banip` of 10,000 addresses (7,500 IPv4, 2,500 IPv6)
             in one command (its reply comes once the actions ran);
  log flood  10,000 more failure lines appended to the watched log at once;
  stop       `stop` of the server with 20,000 bans (the flush and actionstop);
  restore    a new server on the same database: launch until the 20,000 bans
             are back in the kernel.
The shell action (--no-native-fw) is measured on a banip of 500 addresses.
"""
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'tests', 'integration'))
import fwlib  # noqa: E402
import serverlib  # noqa: E402

LEGACY_LOCAL = ('[Init]\niptables = iptables-%s <lockingopt>\n\n'
                '[Init?family=inet6]\niptables = ip6tables-%s <lockingopt>\n')

# (label, action, its action.d files, iptables flavour)
CASES = [
    ('nftables-multiport', 'nftables-multiport[name=exim, port="25,465"]', ['nftables-multiport.conf', 'nftables.conf'],
     None),
    ('iptables-multiport legacy', 'iptables-multiport[name=exim, port="25,465"]',
     ['iptables-multiport.conf', 'iptables.conf'], 'legacy'),
    ('iptables-multiport nft', 'iptables-multiport[name=exim, port="25,465"]',
     ['iptables-multiport.conf', 'iptables.conf'], 'nft'),
]


def count_bans(flavour):
    if flavour is None:
        out = subprocess.run(['nft', '-j', 'list', 'sets'], capture_output=True, text=True).stdout
        n = 0
        for item in json.loads(out or '{"nftables": []}')['nftables']:
            if 'set' in item:
                n += len(item['set'].get('elem', []))
        return n
    n = 0
    for tool in ('iptables-%s-save', 'ip6tables-%s-save'):
        out = subprocess.run([tool % flavour], capture_output=True, text=True).stdout
        n += sum(1 for l in out.splitlines() if l.startswith('-A f2b-exim -s '))
    return n


def wait_count(flavour, want, log=None, timeout=600):
    """When the kernel held WANT bans: the stamp of the server's last batch
    line (polling the rule set, 20,000 rules a dump, is slow and loads the
    machine, so it only confirms)."""
    end = time.time() + timeout
    while time.time() < end:
        if count_bans(flavour) >= want:
            return last_batch_time(log) if log else time.time()
        time.sleep(0.25)
    raise RuntimeError('the kernel never held %d bans (%d)' % (want, count_bans(flavour)))


def last_batch_time(log):
    stamp = None
    for line in open(log):
        if ' in one batch through ' in line:
            stamp = line[:23]
    if stamp is None:
        return time.time()
    t = time.mktime(time.strptime(stamp[:19], '%Y-%m-%d %H:%M:%S'))
    return t + int(stamp[20:23]) / 1000.0


def cpu_seconds(pid):
    """The user+system time PID used so far: the machine may be shared."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def addresses(base4, n4, n6, v6net):
    v4 = [str(ipaddress.IPv4Address(base4) + i) for i in range(n4)]
    v6 = [str(ipaddress.IPv6Address(v6net) + i) for i in range(n6)]
    out = []
    while v4 or v6:
        out.extend(v4[:3])
        del v4[:3]
        if v6:
            out.append(v6.pop(0))
    return out


def client(sock, *args):
    b = os.environ['F2B_BUILDDIR']
    r = subprocess.run([os.path.join(b, 'client', 'f2bc-client'), '-s', sock] + list(args), capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError('client %s: %s' % (args[:2], r.stderr[-500:]))
    return r.stdout


def configure(top, action, files, flavour):
    conf = serverlib.make_config(top)
    for f in files:
        os.symlink(os.path.join('/etc/fail2ban/action.d', f), os.path.join(conf, 'action.d', f))
    if flavour:
        with open(os.path.join(conf, 'action.d', 'iptables.local'), 'w') as f:
            f.write(LEGACY_LOCAL % (flavour, flavour))
    fc = os.path.join(conf, 'fail2ban.conf')
    text = open(fc).read().replace('dbfile = :memory:', 'dbfile = %s/f2b.sqlite3' % top)
    open(fc, 'w').write(text)
    jc = os.path.join(conf, 'jail.conf')
    text = '\n'.join(l for l in open(jc).read().splitlines() if not l.startswith('action ='))
    open(jc, 'w').write(text + '\naction = %s\n' % action)
    with open(os.path.join(conf, 'jail.local'), 'w') as f:  # over jail.d/exim-dos.conf
        f.write('[exim-dos]\nmaxretry = 1\nbantime = 1d\n')
    return conf


def worker(which, action, files, flavour):
    res = {}
    with tempfile.TemporaryDirectory(prefix='f2bc-fwsb-') as top:
        conf = configure(top, action, files, flavour)
        extra = ['--no-native-fw'] if which == 'shell' else []
        srv = serverlib.Server(serverlib.f2bc_server(), top, 'f2bc', conf, extra)
        try:
            n = 500 if which == 'shell' else 10000
            ips = addresses('10.1.0.0', n * 3 // 4, n // 4, '2001:db8:1::')
            t0 = time.time()
            client(srv.sock, 'set', 'exim-dos', 'banip', *ips)
            t1 = wait_count(flavour, n)
            res['banip'] = n / (t1 - t0)
            res['banip_cpu'] = cpu_seconds(srv.proc.pid)
            if which == 'shell':
                print(json.dumps(res))
                return
            flood = addresses('10.2.0.0', 7500, 2500, '2001:db8:2::')
            stamp = time.strftime('%Y-%m-%d %H:%M:%S')
            lines = ''.join('%s Connection from [%s] refused: too many connections\n' % (stamp, ip) for ip in flood)
            t0 = time.time()
            with open(os.path.join(top, 'exim.log'), 'a') as f:
                f.write(lines)
            t1 = wait_count(flavour, 20000, srv.log)
            res['flood'] = 10000 / (t1 - t0)
            t0 = time.time()
            client(srv.sock, 'stop')
            srv.proc.wait(600)
            res['stop'] = time.time() - t0
        finally:
            srv.stop()
        if which != 'shell':
            t0 = time.time()
            srv = serverlib.Server(serverlib.f2bc_server(), top, 'f2bc2', conf, extra)
            try:
                t1 = wait_count(flavour, 20000, srv.log)
                res['restore'] = t1 - t0
                res['restore_cpu'] = cpu_seconds(srv.proc.pid)
                client(srv.sock, 'stop')
                srv.proc.wait(600)
            finally:
                srv.stop()
    print(json.dumps(res))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        worker(sys.argv[2], *json.loads(sys.argv[3]))
        return 0
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'build')
    os.environ.setdefault('F2B_BUILDDIR', os.path.abspath(build))
    os.environ.setdefault('F2B_SRCDIR', os.path.abspath(os.path.join(here, '..')))
    fwlib.require_root_and_netns()
    rows = []
    for label, action, files, flavour in CASES:
        for which in ('native', 'shell'):
            r = fwlib.in_netns([fwlib.PYTHON, os.path.abspath(__file__), '--worker', which,
                                json.dumps([action, files, flavour])])
            if r.returncode != 0:
                print('%s %s failed: %s' % (label, which, r.stderr[-2000:]))
                continue
            rows.append((label, which, json.loads(r.stdout.strip().splitlines()[-1])))
    print('load average: %.1f %.1f %.1f on %d CPUs (wall times grow with it; cpu = the server\'s own)'
          % (os.getloadavg() + (os.cpu_count(),)))
    print('%-28s %-7s %12s %10s %12s %10s %12s %12s' % ('action', 'mode', 'banip ban/s', 'banip cpu', 'flood ban/s',
                                                         'stop (s)', 'restore (s)', 'restore cpu'))
    for label, which, r in rows:
        def f(k, fmt):
            return fmt % r[k] if k in r else '-'
        print('%-28s %-7s %12s %10s %12s %10s %12s %12s' % (label, which, f('banip', '%.0f'), f('banip_cpu', '%.2f'),
                                                             f('flood', '%.0f'), f('stop', '%.2f'),
                                                             f('restore', '%.2f'), f('restore_cpu', '%.2f')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
