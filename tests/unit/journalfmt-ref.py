#!/usr/bin/python3
# journalfmt-ref.py - fail2ban's own FilterSystemd.formatJournalEntry on the
# entries that test-journalfmt.c builds, for an exact comparison.
#
# stdin: per entry a line "E <realtime_usec> <monotonic_usec>" followed by one
# line "F <hex of FIELD=value>" per field.  argv[1]: the log encoding.
# stdout: per entry "OK <hex date> <hex line> <repr(time)>" or "ERR <class> <message>".
# The entry dict is made as python-systemd's Reader.get_next makes it.
import sys
import types

from systemd import journal
from fail2ban.server.filtersystemd import FilterSystemd


def reader_converting():
    r = journal.Reader.__new__(journal.Reader)
    r.converters = journal.DEFAULT_CONVERTERS.copy()
    r.converters.update({'__CURSOR': lambda x: x})
    return r


def raw_entry(realtime, monotonic, fields):
    entry = {}
    for data in fields:
        key, _, value = data.partition(b'=')
        key = key.decode()
        if key in entry:
            if not isinstance(entry[key], list):
                entry[key] = [entry[key]]
            entry[key].append(value)
        else:
            entry[key] = value
    entry['__REALTIME_TIMESTAMP'] = realtime
    entry['__MONOTONIC_TIMESTAMP'] = (monotonic, b'\x01' * 16)
    entry['__CURSOR'] = 'cursor'
    return entry


def fake_filter(encoding):
    f = types.SimpleNamespace(jailName='test')
    f.getLogEncoding = lambda: encoding
    f.getJrnEntTime = lambda e: FilterSystemd.getJrnEntTime(f, e)
    return f


def main():
    enc = sys.argv[1]
    flt = fake_filter(enc)
    conv = reader_converting()
    entries = []
    for line in sys.stdin:
        parts = line.split()
        if parts[0] == 'E':
            entries.append((int(parts[1]), int(parts[2]), []))
        else:
            entries[-1][2].append(bytes.fromhex(parts[1]) if len(parts) > 1 else b'')
    for realtime, monotonic, fields in entries:
        try:
            entry = conv._convert_entry(raw_entry(realtime, monotonic, fields))
            (_, date, line), tm = FilterSystemd.formatJournalEntry(flt, entry)
            print('OK', date.encode('utf-8', 'surrogatepass').hex(),
                  line.encode('utf-8', 'surrogatepass').hex() or '-', repr(tm))
        except Exception as e:
            print('ERR', type(e).__name__, e)


main()
