"""fw-bench.py - bans per second: the stock shell actions against the native backends (server/fw.h).

Run as root from the source tree after a build:  /usr/bin/python3 bench/fw-bench.py [BUILDDIR]
Every run happens in its own private network namespace (unshare -n).  It
prints one table: for each action and backend, bans per second for 10,000
mixed IPv4/IPv6 addresses (in batches of 10,000 and of 100, as one or many
main-loop turns would give them) and the time to start the action and
restore 20,000 bans in one batch.  The shell action forks a shell and a
firewall program per ban; it is measured on 500 addresses (its rate does not
depend on the count) to keep the run short.
"""
import os
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'tests', 'integration'))
import fwlib  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'build')
DRIVER = os.path.join(BUILD, 'bench', 'fw-driver')

# (label, action, params, flavour, backend)
RUNS = [
    ('iptables-multiport legacy', 'iptables-multiport', {'name': 'b'}, 'legacy', ['shell', 'iptc', 'restore']),
    ('iptables-multiport nft', 'iptables-multiport', {'name': 'b'}, 'nft', ['shell', 'restore']),
    ('iptables-ipset-proto6', 'iptables-ipset-proto6', {'name': 'b'}, 'legacy', ['shell', 'restore']),
    ('nftables-multiport', 'nftables-multiport', {'name': 'b'}, None, ['shell', 'nft']),
]


def timed(props_path, backend, addrs, batch):
    """Seconds for the bans of ADDRS in batches of BATCH (the action already started)."""
    ops = ['ban 192.0.2.1', 'ban 2001:db8:ffff::1', 'time']
    for i in range(0, len(addrs), batch):
        ops.append('ban ' + ' '.join(addrs[i:i + batch]))
    ops.append('time')
    r = fwlib.in_netns([DRIVER, props_path, backend], '\n'.join(ops) + '\n')
    if r.returncode != 0:
        raise RuntimeError('%s: %s' % (backend, r.stderr[-500:]))
    return float(r.stdout.split()[-1])


def start_restore(props_path, backend, addrs):
    ops = ['time', 'ban ' + ' '.join(addrs), 'time']
    r = fwlib.in_netns([DRIVER, props_path, backend], '\n'.join(ops) + '\n')
    if r.returncode != 0:
        raise RuntimeError('%s: %s' % (backend, r.stderr[-500:]))
    return float(r.stdout.split()[-1])


def main():
    fwlib.require_root_and_netns()
    a10k = fwlib.addresses(7500, 2500)
    a20k = fwlib.addresses(15000, 5000)
    rows = []
    with tempfile.TemporaryDirectory(prefix='f2bc-fwbench-') as tmp:
        for label, action, params, flavour, backends in RUNS:
            props = fwlib.with_flavour(fwlib.action_props(action, params), flavour)
            path = os.path.join(tmp, 'props.tsv')
            fwlib.write_props(props, path)
            for backend in backends:
                if backend == 'shell':
                    few = fwlib.addresses(375, 125)
                    t = timed(path, backend, few, len(few))
                    rows.append((label, backend, len(few) / t, None, None))
                    continue
                big = timed(path, backend, a10k, len(a10k))
                small = timed(path, backend, a10k, 100)
                start = start_restore(path, backend, a20k)
                rows.append((label, backend, len(a10k) / big, len(a10k) / small, start))
    print('%-28s %-10s %14s %14s %16s' % ('action', 'backend', 'bans/s b=10k', 'bans/s b=100', 'start+20k (s)'))
    for label, backend, r1, r2, st in rows:
        print('%-28s %-10s %14.0f %14s %16s' % (label, backend, r1, '%.0f' % r2 if r2 else '-',
                                                 '%.3f' % st if st is not None else '-'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
