/* test-pickle-live.c - the pickle codec against the installed CPython, live:
 * CPython's pickle.dumps of many values (nested, unicode, big, floats,
 * fail2ban's exceptions) must decode to the same repr() and re-encode to the
 * same bytes, and our encodings must load in CPython to the same repr().
 * Skips (exit 77) without /usr/bin/python3 and fail2ban. */
#include "check-main.h"
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle.h"

#define PYTHON "/usr/bin/python3"

/* Each line: protocol, same-bytes flag, hex pickle, hex repr. */
static const char dump_script[] =
  "import pickle, sys\n"
  "from fail2ban.exceptions import UnknownJailException, DuplicateJailException\n"
  "from fail2ban.server.failregex import RegexException\n"
  "def cases():\n"
  "    yield True, ['status']\n"
  "    yield True, ['set', 'sshd', 'addignoreip', '192.0.2.1', '2001:db8::/32']\n"
  "    yield True, (0, [('Currently failed', 3), ('Total failed', 10), ('Banned IP list', ['192.0.2.%d' % i for i in range(50)])])\n"
  "    yield True, (0, {'sshd': ['192.0.2.1'], 'x': {'k%d' % i: i * 1.5 for i in range(2000)}})\n"
  "    yield True, (1, UnknownJailException('nojail'))\n"
  "    yield True, (1, DuplicateJailException('sshd'))\n"
  "    yield True, (1, RegexException('Unable to compile regular expression \\'(\\''))\n"
  "    yield True, (1, ValueError('bad', 1, 2.5, None))\n"
  "    yield True, (1, Exception())\n"
  "    yield True, '\\u00e9\\u4e2d\\U0001f600 \\x00\\x7f\\\\\\n\\r\\x1a\\u2028'\n"
  "    yield True, [0.1, -2.5e-310, 1e300, float('inf'), -0.0, 123456789.125]\n"
  "    yield True, [2**62, -2**62, 2**31, -2**31 - 1, 255, 256, 65535, 65536, -1, 0]\n"
  "    yield True, ['item%d' % i for i in range(30000)]\n"
  "    yield True, ['y' * 70000, 'z' * 300, ['w' * 66000]]\n"
  "    yield True, b'\\x00\\x01binary' * 10\n"
  "    yield True, [[[[[[['deep']]]]]], (((1,),),), {'a': {'b': {'c': ()}}}]\n"
  "    yield True, [True, False, None, (), [], {}, '']\n"
  "    yield False, [('a', 'a')] * 3\n"
  "for same, v in cases():\n"
  "    for p in range(6):\n"
  "        if isinstance(v, bytes) and p < 3: continue\n"
  "        d = pickle.dumps(v, p)\n"
  "        print(p, int(same), d.hex(), repr(v).encode('utf-8', 'surrogatepass').hex())\n";

/* Reads lines "hex-pickle" and prints repr(loads(...)) in hex and whether
 * dumps() of the loaded value gives the same bytes. */
static const char load_script[] =
  "import pickle, sys\n"
  "for line in sys.stdin:\n"
  "    p, h = line.split()\n"
  "    d = bytes.fromhex(h)\n"
  "    v = pickle.loads(d)\n"
  "    print(int(pickle.dumps(v, int(p)) == d), repr(v).encode('utf-8', 'surrogatepass').hex())\n";

/* g_spawn_sync, not GSubprocess: Check forks each test after this, and a
 * forked child would not inherit GLib's child-watch worker thread. */
static gboolean
python_usable(void)
{
  if (!g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  const char *argv[] = { PYTHON, "-c", "import fail2ban.exceptions", NULL };
  int status = -1;
  if (!g_spawn_sync(NULL, (char **) argv, NULL,
                    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                    NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status(status, NULL);
}

static char *
run_python(const char *script, const char *input)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                              PYTHON, "-c", script, NULL);
  ck_assert_msg(p != NULL, "%s", error ? error->message : "?");
  char *out = NULL;
  ck_assert(g_subprocess_communicate_utf8(p, input, NULL, &out, NULL, &error));
  ck_assert_msg(g_subprocess_get_successful(p), "python failed");
  return out;
}

static GBytes *
unhex(const char *hex)
{
  gsize n = strlen(hex) / 2;
  guint8 *buf = g_malloc(n + 1);
  for (gsize i = 0; i < n; i++)
    buf[i] = (g_ascii_xdigit_value(hex[2 * i]) << 4) | g_ascii_xdigit_value(hex[2 * i + 1]);
  return g_bytes_new_take(buf, n);
}

static void
append_hex(GString *out, const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    g_string_append_printf(out, "%02x", data[i]);
}

START_TEST(test_python_dumps_we_load)
{
  g_autofree char *out = run_python(dump_script, NULL);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.allow_exceptions = TRUE;
  guint checked = 0;
  for (gsize i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    g_auto(GStrv) f = g_strsplit(lines[i], " ", 4);
    ck_assert(g_strv_length(f) == 4);
    int protocol = atoi(f[0]);
    g_autoptr(GBytes) data = unhex(f[2]);
    g_autoptr(GBytes) repr = unhex(f[3]);
    gsize len;
    const guint8 *d = g_bytes_get_data(data, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(F2bPyObj) v = f2b_pickle_decode(d, len, &lim, &error);
    ck_assert_msg(v != NULL, "line %zu: %s", i, error ? error->message : "?");
    g_autofree char *ours = f2b_py_repr(v);
    gsize rlen;
    const char *theirs = g_bytes_get_data(repr, &rlen);
    ck_assert_msg(strlen(ours) == rlen && memcmp(ours, theirs, rlen) == 0,
                  "line %zu: repr %.200s != %.200s", i, ours, theirs);
    if (atoi(f[1])) {
      g_autoptr(GByteArray) again = g_byte_array_new();
      ck_assert(f2b_pickle_encode(v, protocol, again, NULL));
      ck_assert_msg(again->len == len && memcmp(again->data, d, len) == 0,
                    "line %zu (protocol %d): re-encoding differs from CPython's bytes", i,
                    protocol);
    }
    checked++;
  }
  ck_assert_uint_ge(checked, 100);
}
END_TEST

static F2bPyObj *
sample(int i)
{
  switch (i) {
  case 0:
    return f2b_py_list_of_strs("set", "sshd", "addfailregex", "^Failed \\S+ for <HOST>$", NULL);
  case 1:
    return f2b_py_tuple_of(f2b_py_int(1),
                           f2b_py_instance_new("fail2ban.exceptions", "UnknownJailException",
                                               f2b_py_tuple_of(f2b_py_str("nojail"), NULL)),
                           NULL);
  case 2:
    return f2b_py_tuple_of(f2b_py_int(1),
                           f2b_py_instance_new("builtins", "FileNotFoundError",
                                               f2b_py_tuple_of(f2b_py_int(2),
                                                               f2b_py_str("No such file"), NULL)),
                           NULL);
  case 3: {
    F2bPyObj *d = f2b_py_dict_new();
    for (int k = 0; k < 1500; k++) {
      g_autofree char *key = g_strdup_printf("jail%d", k);
      f2b_py_dict_set(d, f2b_py_str(key),
                      f2b_py_tuple_of(f2b_py_float(k / 7.0), f2b_py_int((gint64) k << 33),
                                      f2b_py_bool(k & 1), f2b_py_none(), NULL));
    }
    return d;
  }
  case 4: {
    static const char s[] = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\0\\\n\r\x1a\xff" "b";
    F2bPyObj *l = f2b_py_list_new();
    f2b_py_append(l, f2b_py_str_len(s, sizeof s - 1));
    g_autofree char *big = g_strnfill(200000, 'q');
    f2b_py_append(l, f2b_py_str(big));
    for (int k = 0; k < 25000; k++) {
      g_autofree char *item = g_strdup_printf("192.0.2.%d", k);
      f2b_py_append(l, f2b_py_str(item));
    }
    return l;
  }
  default:
    return NULL;
  }
}

#define N_SAMPLES 5

START_TEST(test_we_dump_python_loads)
{
  g_autoptr(GString) input = g_string_new(NULL);
  g_autoptr(GPtrArray) reprs = g_ptr_array_new_with_free_func(g_free);
  for (int i = 0; i < N_SAMPLES; i++) {
    g_autoptr(F2bPyObj) v = sample(i);
    for (int p = 0; p <= 5; p++) {
      g_autoptr(GByteArray) out = g_byte_array_new();
      ck_assert(f2b_pickle_encode(v, p, out, NULL));
      g_string_append_printf(input, "%d ", p);
      append_hex(input, out->data, out->len);
      g_string_append_c(input, '\n');
      /* FileNotFoundError(2, ...) is written as OSError under protocols 0-2,
       * and Python's OSError(2, ...) gives a FileNotFoundError back. */
      g_ptr_array_add(reprs, f2b_py_repr(v));
    }
  }
  g_autofree char *out = run_python(load_script, input->str);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  ck_assert_uint_eq(g_strv_length(lines), reprs->len + 1);
  for (guint i = 0; i < reprs->len; i++) {
    g_auto(GStrv) f = g_strsplit(lines[i], " ", 2);
    g_autoptr(GBytes) repr = unhex(f[1]);
    gsize rlen;
    const char *theirs = g_bytes_get_data(repr, &rlen);
    const char *ours = reprs->pdata[i];
    ck_assert_msg(strlen(ours) == rlen && memcmp(ours, theirs, rlen) == 0,
                  "case %u: %.200s != %.200s", i, ours, theirs);
    ck_assert_msg(strcmp(f[0], "1") == 0, "case %u: CPython re-dumps other bytes", i);
  }
}
END_TEST

int
main(void)
{
  if (!python_usable()) {
    fprintf(stderr, "skip: %s with the fail2ban module is needed for the live cross-check\n",
            PYTHON);
    return 77;
  }
  Suite *s = suite_create("pickle-live");
  TCase *tc = tcase_create("live");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_python_dumps_we_load);
  tcase_add_test(tc, test_we_dump_python_loads);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
