/* test-pickle.c - the pickle codec: CPython's exact bytes for fail2ban's
 * values (golden vectors from pickle.dumps), round trips, and hostile input
 * (the RCE pickle, random and truncated input, huge lengths, deep nesting,
 * memo bombs) that must be refused without harm. */
#include "check-main.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pickle.h"
#include "pickle-golden.h"

#define BYTES(lit) ((const guint8 *) (lit)), (sizeof(lit) - 1)

static F2bPyObj *
int_list(const gint64 *values, gsize n)
{
  F2bPyObj *list = f2b_py_list_new();
  for (gsize i = 0; i < n; i++)
    f2b_py_append(list, f2b_py_int(values[i]));
  return list;
}

static F2bPyObj *
exc(const char *module, const char *name, F2bPyObj *args)
{
  return f2b_py_instance_new(module, name, args);
}

/* The values the golden vectors were made of (see pickle-golden.h). */
static F2bPyObj *
make_value(int i)
{
  static const gint64 ints[] = {
    0, 255, 256, 65535, 65536, -1, G_MAXINT32, G_MININT32, (gint64) G_MAXINT32 + 1,
    (gint64) G_MININT32 - 1, G_MAXINT64, G_MININT64, G_GINT64_CONSTANT(1) << 40, -256,
  };
  F2bPyObj *v;
  switch (i) {
  case 0:
    return f2b_py_list_of_strs("status", NULL);
  case 1:
    return f2b_py_list_of_strs("set", "sshd", "addfailregex", "^Failed for <HOST>$", NULL);
  case 2:
    return f2b_py_tuple_of(f2b_py_int(0), f2b_py_str("pong"), NULL);
  case 3:
    return f2b_py_tuple_of(f2b_py_int(1),
                           exc("fail2ban.exceptions", "UnknownJailException",
                               f2b_py_tuple_of(f2b_py_str("x"), NULL)), NULL);
  case 4:
    v = f2b_py_list_new();
    f2b_py_append(v, f2b_py_tuple_of(f2b_py_str("Currently failed"), f2b_py_int(0), NULL));
    f2b_py_append(v, f2b_py_tuple_of(f2b_py_str("Total failed"), f2b_py_int(5), NULL));
    f2b_py_append(v, f2b_py_tuple_of(f2b_py_str("File list"),
                                     f2b_py_list_of_strs("/var/log/auth.log", NULL), NULL));
    return f2b_py_tuple_of(f2b_py_int(0), v, NULL);
  case 5:
    v = f2b_py_dict_new();
    {
      F2bPyObj *l = f2b_py_list_new();
      f2b_py_append(l, f2b_py_int(1));
      f2b_py_append(l, f2b_py_float(2.5));
      f2b_py_append(l, f2b_py_none());
      f2b_py_append(l, f2b_py_bool(TRUE));
      f2b_py_append(l, f2b_py_bool(FALSE));
      f2b_py_dict_set(v, f2b_py_str("a"), l);
    }
    f2b_py_dict_set(v, f2b_py_str("b"), f2b_py_tuple_new());
    f2b_py_dict_set(v, f2b_py_str("c"), f2b_py_dict_new());
    return f2b_py_tuple_of(f2b_py_int(0), v, NULL);
  case 6:
    return int_list(ints, G_N_ELEMENTS(ints));
  case 7:
    v = f2b_py_list_new();
    f2b_py_append(v, f2b_py_float(0.0));
    f2b_py_append(v, f2b_py_float(-0.0));
    f2b_py_append(v, f2b_py_float(1.5));
    f2b_py_append(v, f2b_py_float(1e16));
    f2b_py_append(v, f2b_py_float(1e-300));
    f2b_py_append(v, f2b_py_float(INFINITY));
    f2b_py_append(v, f2b_py_float(-INFINITY));
    return v;
  case 8: {
    static const char s[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0\n\\\r\x1a\xff'\"";
    return f2b_py_str_len(s, sizeof s - 1);
  }
  case 9:
    return f2b_py_tuple_of(f2b_py_tuple_new(),
                           f2b_py_tuple_of(f2b_py_int(1), NULL),
                           f2b_py_tuple_of(f2b_py_int(1), f2b_py_int(2), NULL),
                           f2b_py_tuple_of(f2b_py_int(1), f2b_py_int(2), f2b_py_int(3), NULL),
                           f2b_py_tuple_of(f2b_py_int(1), f2b_py_int(2), f2b_py_int(3),
                                           f2b_py_int(4), NULL), NULL);
  case 10:
    return f2b_py_tuple_of(f2b_py_int(1),
                           exc("builtins", "ValueError",
                               f2b_py_tuple_of(f2b_py_str("a"), f2b_py_int(2), NULL)), NULL);
  case 11:
    return f2b_py_tuple_of(exc("builtins", "FileNotFoundError",
                               f2b_py_tuple_of(f2b_py_int(2), f2b_py_str("No such file"),
                                               f2b_py_str("/x"), NULL)),
                           exc("builtins", "KeyError", f2b_py_tuple_of(f2b_py_str("k"), NULL)),
                           exc("builtins", "ValueError", NULL), NULL);
  case 12:
    return f2b_py_bytes("\0\xff" "ab", 4);
  default:
    g_assert_not_reached();
  }
}

/* What decoding the pickle of make_value(VALUE) gives: the same, except
 * that protocols 0-2 know FileNotFoundError only as OSError (Python itself
 * turns OSError(2, ...) back into FileNotFoundError when it calls it). */
static F2bPyObj *
make_decoded(int value, int protocol)
{
  if (value != 11 || protocol >= 3)
    return make_value(value);
  return f2b_py_tuple_of(exc("builtins", "OSError",
                             f2b_py_tuple_of(f2b_py_int(2), f2b_py_str("No such file"),
                                             f2b_py_str("/x"), NULL)),
                         exc("builtins", "KeyError", f2b_py_tuple_of(f2b_py_str("k"), NULL)),
                         exc("builtins", "ValueError", NULL), NULL);
}

static gboolean
has_instance(int value)
{
  return value == 3 || value == 10 || value == 11;
}

static F2bPickleLimits
limits_with_exceptions(void)
{
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.allow_exceptions = TRUE;
  return lim;
}

static void
assert_same(const F2bPyObj *got, const F2bPyObj *expected)
{
  g_autofree char *a = f2b_py_repr(got);
  g_autofree char *b = f2b_py_repr(expected);
  ck_assert_str_eq(a, b);
  ck_assert(f2b_py_equal(got, expected));
}

/* Decoding must fail with CODE and a message containing TEXT. */
static void
assert_refused_with(const guint8 *data, gsize len, const F2bPickleLimits *lim, int code,
                    const char *text)
{
  g_autoptr(GError) error = NULL;
  F2bPyObj *obj = f2b_pickle_decode(data, len, lim, &error);
  ck_assert_ptr_null(obj);
  ck_assert_ptr_nonnull(error);
  ck_assert_msg(g_error_matches(error, F2B_PICKLE_ERROR, code), "code %d, wanted %d: %s",
                error->code, code, error->message);
  if (text != NULL)
    ck_assert_msg(strstr(error->message, text) != NULL, "'%s' lacks '%s'", error->message, text);
}

static F2bPyObj *
decode_ok(const guint8 *data, gsize len, const F2bPickleLimits *lim)
{
  g_autoptr(GError) error = NULL;
  F2bPyObj *obj = f2b_pickle_decode(data, len, lim, &error);
  ck_assert_msg(obj != NULL, "decode failed: %s", error ? error->message : "?");
  return obj;
}

static void
assert_decodes_to(const guint8 *data, gsize len, const char *repr)
{
  g_autoptr(F2bPyObj) obj = decode_ok(data, len, NULL);
  g_autofree char *text = f2b_py_repr(obj);
  ck_assert_str_eq(text, repr);
}

/* ------------------------------------------------------------ golden vectors */

START_TEST(test_golden_encode)
{
  for (gsize i = 0; i < G_N_ELEMENTS(goldens); i++) {
    const Golden *g = &goldens[i];
    g_autoptr(F2bPyObj) v = make_value(g->value);
    g_autoptr(GByteArray) out = g_byte_array_new();
    ck_assert(f2b_pickle_encode(v, g->protocol, out, NULL));
    ck_assert_msg(out->len == g->len && memcmp(out->data, g->data, g->len) == 0,
                  "value %d protocol %d: encoding differs from CPython's", g->value, g->protocol);
  }
}
END_TEST

START_TEST(test_golden_decode)
{
  F2bPickleLimits lim = limits_with_exceptions();
  for (gsize i = 0; i < G_N_ELEMENTS(goldens); i++) {
    const Golden *g = &goldens[i];
    g_autoptr(F2bPyObj) expected = make_decoded(g->value, g->protocol);
    g_autoptr(F2bPyObj) got = decode_ok(g->data, g->len, &lim);
    assert_same(got, expected);
    if (has_instance(g->value))
      assert_refused_with(g->data, g->len, NULL, F2B_PICKLE_ERROR_REFUSED,
                          g->protocol >= 4 ? "pickle opcode STACK_GLOBAL refused"
                                           : "pickle opcode GLOBAL refused");
  }
}
END_TEST

START_TEST(test_golden_truncated_prefixes)
{
  F2bPickleLimits lim = limits_with_exceptions();
  for (gsize i = 0; i < G_N_ELEMENTS(goldens); i++)
    for (gsize n = 0; n < goldens[i].len; n++)
      assert_refused_with(goldens[i].data, n, &lim, F2B_PICKLE_ERROR_TRUNCATED, "truncated");
}
END_TEST

START_TEST(test_round_trip_all_protocols)
{
  F2bPickleLimits lim = limits_with_exceptions();
  for (int v = 0; v <= 12; v++)
    for (int p = 0; p <= 5; p++) {
      g_autoptr(F2bPyObj) value = make_value(v);
      g_autoptr(GByteArray) out = g_byte_array_new();
      g_autoptr(GError) error = NULL;
      if (!f2b_pickle_encode(value, p, out, &error)) {
        ck_assert(v == 12 && p < 3);
        ck_assert(g_error_matches(error, F2B_PICKLE_ERROR, F2B_PICKLE_ERROR_UNSUPPORTED));
        ck_assert_uint_eq(out->len, 0);
        continue;
      }
      g_autoptr(F2bPyObj) back = decode_ok(out->data, out->len, &lim);
      g_autoptr(F2bPyObj) expected = make_decoded(v, p);
      assert_same(back, expected);
    }
}
END_TEST

/* A big list crosses the 64 KiB frame size and the 1000-item batch size. */
START_TEST(test_round_trip_big)
{
  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  for (int i = 0; i < 30000; i++) {
    g_autofree char *s = g_strdup_printf("item%d", i);
    f2b_py_append(list, f2b_py_str(s));
  }
  g_autofree char *big = g_strnfill(100000, 'x');
  f2b_py_append(list, f2b_py_str(big));
  g_autoptr(GByteArray) out = g_byte_array_new();
  ck_assert(f2b_pickle_encode(list, 5, out, NULL));
  ck_assert_uint_eq(out->data[2], 0x95); /* FRAME */
  g_autoptr(F2bPyObj) back = decode_ok(out->data, out->len, NULL);
  assert_same(back, list);
}
END_TEST

/* ---------------------------------------------------------- opcodes by hand */

START_TEST(test_text_opcodes)
{
  assert_decodes_to(BYTES("I01\n."), "True");
  assert_decodes_to(BYTES("I00\n."), "False");
  assert_decodes_to(BYTES("I-42\n."), "-42");
  assert_decodes_to(BYTES("L123L\n."), "123");
  assert_decodes_to(BYTES("L-9223372036854775808L\n."), "-9223372036854775808");
  assert_decodes_to(BYTES("F1.5\n."), "1.5");
  assert_decodes_to(BYTES("Finf\n."), "inf");
  assert_decodes_to(BYTES("S'a\\x41\\n\\'\\101'\n."), "\"aA\\n'A\"");
  assert_decodes_to(BYTES("S\"q\"\n."), "'q'");
  assert_decodes_to(BYTES("V\\u00e9\\U0001f600\xe9\\x\n."), "'\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9\\\\x'");
  assert_decodes_to(BYTES("(I1\nI2\nl."), "[1, 2]");
  assert_decodes_to(BYTES("(S'k'\nI1\nd."), "{'k': 1}");
  assert_decodes_to(BYTES("(I1\ntp0\n0g0\n."), "(1,)");
  assert_refused_with(BYTES("I12x\n."), NULL, F2B_PICKLE_ERROR_INVALID, "invalid integer");
  assert_refused_with(BYTES("I\n."), NULL, F2B_PICKLE_ERROR_INVALID, "invalid integer");
  assert_refused_with(BYTES("I99999999999999999999\n."), NULL, F2B_PICKLE_ERROR_LIMIT, "64 bits");
  assert_refused_with(BYTES("F0x1p3\n."), NULL, F2B_PICKLE_ERROR_INVALID, "invalid float");
  assert_refused_with(BYTES("Sabc\n."), NULL, F2B_PICKLE_ERROR_INVALID, "must be quoted");
  assert_refused_with(BYTES("S'\xe9'\n."), NULL, F2B_PICKLE_ERROR_INVALID, "'ascii' codec");
  assert_refused_with(BYTES("S'\\x4'\n."), NULL, F2B_PICKLE_ERROR_INVALID, "\\x escape");
  assert_refused_with(BYTES("V\\u00\n."), NULL, F2B_PICKLE_ERROR_INVALID, "truncated \\u");
  assert_refused_with(BYTES("V\\ud800\n."), NULL, F2B_PICKLE_ERROR_INVALID, "lone surrogate");
  assert_refused_with(BYTES("I1\n"), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
}
END_TEST

START_TEST(test_binary_opcodes)
{
  assert_decodes_to(BYTES("J\xff\xff\xff\xff."), "-1");
  assert_decodes_to(BYTES("M\x01\x02."), "513");
  assert_decodes_to(BYTES("\x8a\x00."), "0");
  assert_decodes_to(BYTES("\x8a\x01\xff."), "-1");
  /* nine bytes whose last one only repeats the sign still fit */
  assert_decodes_to(BYTES("\x8a\x09\0\0\0\0\0\0\0\x80\xff."), "-9223372036854775808");
  assert_refused_with(BYTES("\x8a\x09\0\0\0\0\0\0\0\x80\0."), NULL, F2B_PICKLE_ERROR_LIMIT,
                      "64 bits");
  assert_refused_with(BYTES("\x8b\x10\0\0\0" "0123456789abcdef."), NULL, F2B_PICKLE_ERROR_LIMIT,
                      "64 bits");
  assert_refused_with(BYTES("\x8b\xff\xff\xff\xff."), NULL, F2B_PICKLE_ERROR_INVALID, "negative");
  assert_decodes_to(BYTES("G?\xf8\0\0\0\0\0\0."), "1.5");
  assert_decodes_to(BYTES("U\x02hi."), "'hi'");
  assert_decodes_to(BYTES("T\x02\0\0\0hi."), "'hi'");
  assert_decodes_to(BYTES("C\x02\0\xff."), "b'\\x00\\xff'");
  assert_decodes_to(BYTES("\x96\x01\0\0\0\0\0\0\0z."), "b'z'");
  assert_decodes_to(BYTES("\x8d\x01\0\0\0\0\0\0\0z."), "'z'");
  assert_decodes_to(BYTES("\x8c\x03\xed\xb3\xbf."), "'\\udcff'");
  assert_refused_with(BYTES("\x8c\x03\xed\xa0\x80."), NULL, F2B_PICKLE_ERROR_INVALID,
                      "lone surrogate");
  assert_refused_with(BYTES("\x8c\x01\xff."), NULL, F2B_PICKLE_ERROR_INVALID, "'utf-8' codec");
  assert_refused_with(BYTES("\x8c\x02\xc0\x80."), NULL, F2B_PICKLE_ERROR_INVALID, "'utf-8' codec");
  assert_decodes_to(BYTES("\x80\x05N."), "None");
  assert_refused_with(BYTES("\x80\x06N."), NULL, F2B_PICKLE_ERROR_INVALID, "protocol: 6");
  /* bytes after STOP are ignored, as pickle.loads does */
  assert_decodes_to(BYTES("N.garbage"), "None");
  assert_decodes_to(BYTES("\x88\x89\x86."), "(True, False)");
}
END_TEST

START_TEST(test_containers_and_stack)
{
  assert_decodes_to(BYTES("](K\x01K\x02" "eK\x03" "a."), "[1, 2, 3]");
  assert_decodes_to(BYTES("}(K\x01K\x02u\x8c\x01kNs."), "{1: 2, 'k': None}");
  assert_decodes_to(BYTES("\x8f(K\x01K\x02\x90."), "[1, 2]");      /* set -> list */
  assert_decodes_to(BYTES("(K\x01\x91."), "[1]");                  /* frozenset -> list */
  assert_decodes_to(BYTES("K\x01K\x02" "0."), "1");                   /* POP */
  assert_decodes_to(BYTES("K\x01(K\x02K\x03" "1."), "1");             /* POP_MARK */
  assert_decodes_to(BYTES("K\x01(0."), "1");                       /* POP of an empty MARK */
  assert_decodes_to(BYTES("]K\x01" "a2K\x02" "a\x86."), "([1], [1, 2])"); /* DUP copies */
  /* a list is memoized empty and filled afterwards: GET sees it filled */
  assert_decodes_to(BYTES("]\x94(K\x01K\x02" "eh\x00\x86."), "([1, 2], [1, 2])");
  assert_decodes_to(BYTES("K\x07q\x05j\x05\0\0\0\x86."), "(7, 7)");
  /* stack misuse */
  assert_refused_with(BYTES("."), NULL, F2B_PICKLE_ERROR_INVALID, "underflow");
  assert_refused_with(BYTES("(."), NULL, F2B_PICKLE_ERROR_INVALID, "underflow");
  assert_refused_with(BYTES("K\x01" "a."), NULL, F2B_PICKLE_ERROR_INVALID, "underflow");
  assert_refused_with(BYTES(")K\x01" "a."), NULL, F2B_PICKLE_ERROR_INVALID, "not a list");
  assert_refused_with(BYTES("\x8fK\x01" "a."), NULL, F2B_PICKLE_ERROR_INVALID, "not a list");
  assert_refused_with(BYTES("(K\x01\x91(K\x02\x90."), NULL, F2B_PICKLE_ERROR_INVALID,
                      "wrong kind");
  assert_refused_with(BYTES("K\x01K\x02K\x03s."), NULL, F2B_PICKLE_ERROR_INVALID, "not a dict");
  assert_refused_with(BYTES("t."), NULL, F2B_PICKLE_ERROR_INVALID, "could not find MARK");
  assert_refused_with(BYTES("(K\x01" "d."), NULL, F2B_PICKLE_ERROR_INVALID, "odd number");
  assert_refused_with(BYTES("}(K\x01u."), NULL, F2B_PICKLE_ERROR_INVALID, "wrong kind");
  assert_refused_with(BYTES("}K\x01K\x02sK\x01K\x03s."), NULL, F2B_PICKLE_ERROR_INVALID,
                      "duplicate");
  assert_refused_with(BYTES("}K\x01K\x02s\x88K\x03s."), NULL, F2B_PICKLE_ERROR_INVALID,
                      "duplicate"); /* True == 1 */
  assert_refused_with(BYTES("}]K\x01s."), NULL, F2B_PICKLE_ERROR_INVALID, "unhashable");
  assert_refused_with(BYTES("}]\x85K\x01s."), NULL, F2B_PICKLE_ERROR_INVALID, "unhashable");
  assert_refused_with(BYTES("\x8f(]\x90."), NULL, F2B_PICKLE_ERROR_INVALID, "unhashable");
  assert_refused_with(BYTES("h\x00."), NULL, F2B_PICKLE_ERROR_INVALID, "no entry 0");
  assert_refused_with(BYTES("\x94."), NULL, F2B_PICKLE_ERROR_INVALID, "underflow");
  assert_refused_with(BYTES("K\x01\x85\x86."), NULL, F2B_PICKLE_ERROR_INVALID, "underflow");
  assert_refused_with(BYTES("\xff."), NULL, F2B_PICKLE_ERROR_INVALID, "invalid pickle opcode");
  assert_refused_with(BYTES(""), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("N"), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
}
END_TEST

/* ------------------------------------------------------------ code execution */

static const char *
marker_path(void)
{
  static char path[256];
  g_snprintf(path, sizeof path, "%s/f2bc-pickle-pwned-%d", g_get_tmp_dir(), (int) getpid());
  return path;
}

START_TEST(test_rce_refused)
{
  const char *marker = marker_path();
  g_unlink(marker);
  g_autofree char *cmd = g_strdup_printf("touch %s", marker);
  g_autofree char *p0 = g_strdup_printf("cos\nsystem\n(S'%s'\ntR.", cmd);
  F2bPickleLimits with_exc = limits_with_exceptions();
  const F2bPickleLimits *limits[] = { NULL, &with_exc };
  for (int i = 0; i < 2; i++) {
    assert_refused_with((const guint8 *) p0, strlen(p0), limits[i], F2B_PICKLE_ERROR_REFUSED,
                        i == 0 ? "pickle opcode GLOBAL refused" : "pickle global 'os system' refused");
    /* the protocol 4 form: STACK_GLOBAL of two memoized strings */
    GByteArray *p4 = g_byte_array_new();
    g_byte_array_append(p4, BYTES("\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c"));
    guint8 n = strlen(cmd);
    g_byte_array_append(p4, &n, 1);
    g_byte_array_append(p4, (const guint8 *) cmd, n);
    g_byte_array_append(p4, BYTES("\x94\x85\x94R\x94."));
    assert_refused_with(p4->data, p4->len, limits[i], F2B_PICKLE_ERROR_REFUSED,
                        i == 0 ? "pickle opcode STACK_GLOBAL refused"
                               : "pickle global 'os system' refused");
    g_byte_array_unref(p4);
  }
  ck_assert(!g_file_test(marker, G_FILE_TEST_EXISTS));
  /* every opcode that names or calls something */
  assert_refused_with(BYTES("(S'ls'\nios\nsystem\n."), NULL, F2B_PICKLE_ERROR_REFUSED,
                      "pickle opcode INST refused");
  assert_refused_with(BYTES("(N)o."), NULL, F2B_PICKLE_ERROR_REFUSED, "pickle opcode OBJ refused");
  assert_refused_with(BYTES("N)\x81."), NULL, F2B_PICKLE_ERROR_REFUSED, "NEWOBJ refused");
  assert_refused_with(BYTES("N)}\x92."), NULL, F2B_PICKLE_ERROR_REFUSED, "NEWOBJ_EX refused");
  assert_refused_with(BYTES("\x82\x01."), NULL, F2B_PICKLE_ERROR_REFUSED, "EXT1 refused");
  assert_refused_with(BYTES("\x83\x01\0."), NULL, F2B_PICKLE_ERROR_REFUSED, "EXT2 refused");
  assert_refused_with(BYTES("\x84\x01\0\0\0."), NULL, F2B_PICKLE_ERROR_REFUSED, "EXT4 refused");
  assert_refused_with(BYTES("P1\n."), NULL, F2B_PICKLE_ERROR_REFUSED, "PERSID refused");
  assert_refused_with(BYTES("NQ."), NULL, F2B_PICKLE_ERROR_REFUSED, "BINPERSID refused");
  assert_refused_with(BYTES("NN}R."), NULL, F2B_PICKLE_ERROR_REFUSED, "REDUCE refused");
  assert_refused_with(BYTES("N}b."), NULL, F2B_PICKLE_ERROR_REFUSED, "BUILD refused");
  assert_refused_with(BYTES("\x97."), NULL, F2B_PICKLE_ERROR_REFUSED, "NEXT_BUFFER refused");
  assert_refused_with(BYTES("\x98."), NULL, F2B_PICKLE_ERROR_REFUSED, "READONLY_BUFFER refused");
}
END_TEST

START_TEST(test_exceptions_allow_list)
{
  F2bPickleLimits lim = limits_with_exceptions();
  ck_assert(f2b_pickle_exception_allowed("builtins", "ValueError"));
  ck_assert(f2b_pickle_exception_allowed("exceptions", "ValueError"));
  ck_assert(f2b_pickle_exception_allowed("fail2ban.exceptions", "UnknownJailException"));
  ck_assert(!f2b_pickle_exception_allowed("builtins", "eval"));
  ck_assert(!f2b_pickle_exception_allowed("os", "system"));
  assert_refused_with(BYTES("cbuiltins\neval\n(S'1'\ntR."), &lim, F2B_PICKLE_ERROR_REFUSED,
                      "pickle global 'builtins eval' refused");
  assert_refused_with(BYTES("c__builtin__\ngetattr\n."), &lim, F2B_PICKLE_ERROR_REFUSED,
                      "'__builtin__ getattr' refused");
  /* a class is only ever called, never returned or stored */
  assert_refused_with(BYTES("cbuiltins\nValueError\n."), &lim, F2B_PICKLE_ERROR_REFUSED, "class");
  assert_refused_with(BYTES("]cbuiltins\nValueError\na."), &lim, F2B_PICKLE_ERROR_INVALID,
                      "REDUCE");
  assert_refused_with(BYTES("cbuiltins\nValueError\nK\x01R."), &lim, F2B_PICKLE_ERROR_INVALID,
                      "not a tuple");
  assert_refused_with(BYTES("\x8c\x01x)R."), &lim, F2B_PICKLE_ERROR_REFUSED, "not a class");
  assert_refused_with(BYTES("K\x01K\x02\x93."), &lim, F2B_PICKLE_ERROR_INVALID, "requires str");
  assert_refused_with(BYTES("N}b."), &lim, F2B_PICKLE_ERROR_REFUSED, "not an exception");
  /* Python 2 names, as protocols 0-2 write them */
  g_autoptr(F2bPyObj) v2 = decode_ok(BYTES("cexceptions\nValueError\n(Vx\ntR."), &lim);
  ck_assert_str_eq(f2b_py_instance_module(v2), "builtins");
  /* re.error as CPython 3.11 pickles it: REDUCE, then BUILD with its attributes */
  static const char re_error[] = /* pickle.dumps(re.error("bad"), 5) */
    "\x80\x05\x95\x4c\x00\x00\x00\x00\x00\x00\x00\x8c\x02re\x94\x8c\x05" "error\x94\x93\x94"
    "\x8c\x03" "bad\x94\x85\x94R\x94}\x94(\x8c\x03msg\x94h\x03\x8c\x07pattern\x94N"
    "\x8c\x03pos\x94N\x8c\x06lineno\x94N\x8c\x05" "colno\x94Nub.";
  g_autoptr(F2bPyObj) v = decode_ok((const guint8 *) re_error, sizeof re_error - 1, &lim);
  g_autofree char *text = f2b_py_repr(v);
  ck_assert_str_eq(text, "error('bad')");
  /* a memoized class is reused through GET, as Python writes it */
  g_autoptr(F2bPyObj) two = make_value(11);
  g_autoptr(GByteArray) out = g_byte_array_new();
  ck_assert(f2b_pickle_encode(two, 5, out, NULL));
  g_autoptr(F2bPyObj) back = decode_ok(out->data, out->len, &lim);
  assert_same(back, two);
}
END_TEST

/* ------------------------------------------------------------------ limits */

START_TEST(test_limits)
{
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.max_input = 4;
  assert_refused_with(BYTES("K\x01K\x02\x86."), &lim, F2B_PICKLE_ERROR_LIMIT, "exceeds the limit");
  f2b_pickle_limits_init(&lim);
  lim.max_string = 3;
  assert_refused_with(BYTES("\x8c\x04" "abcd."), &lim, F2B_PICKLE_ERROR_LIMIT, "string of 4 bytes");
  assert_decodes_to(BYTES("\x8c\x03" "abc."), "'abc'");
  f2b_pickle_limits_init(&lim);
  lim.max_nodes = 3;
  assert_refused_with(BYTES("(K\x01K\x02K\x03l."), &lim, F2B_PICKLE_ERROR_LIMIT, "more than 3");
  f2b_pickle_limits_init(&lim);
  lim.max_memo = 2;
  assert_refused_with(BYTES("N\x94\x94\x94."), &lim, F2B_PICKLE_ERROR_LIMIT, "memo exceeds");
  assert_refused_with(BYTES("Np4294967296\n."), NULL, F2B_PICKLE_ERROR_LIMIT, "memo index");
  /* a copy is charged exactly its size: 1 + 150 tuples, their copy, the pair
   * (a copy walked twice per level would cost 2^150 and never finish) */
  g_autoptr(GByteArray) deep = g_byte_array_new();
  g_byte_array_append(deep, BYTES("K\x01"));
  for (int i = 0; i < 150; i++)
    g_byte_array_append(deep, BYTES("\x85"));
  g_byte_array_append(deep, BYTES("2\x86."));
  f2b_pickle_limits_init(&lim);
  lim.max_nodes = 303;
  g_autoptr(F2bPyObj) pair = decode_ok(deep->data, deep->len, &lim);
  ck_assert_uint_eq(f2b_py_count_nodes(pair), 303);
  lim.max_nodes = 302;
  assert_refused_with(deep->data, deep->len, &lim, F2B_PICKLE_ERROR_LIMIT, "more than 302");
  assert_refused_with(BYTES("Np-1\n."), NULL, F2B_PICKLE_ERROR_INVALID, "negative memo");
}
END_TEST

/* Announced lengths far beyond the input are refused before any allocation. */
START_TEST(test_huge_lengths)
{
  assert_refused_with(BYTES("\x8d\xff\xff\xff\xff\xff\xff\xff\x7f."), NULL,
                      F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("\x8e\xff\xff\xff\xff\xff\xff\xff\xff."), NULL,
                      F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("\x96\0\0\0\0\0\0\0\x80."), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("X\xff\xff\xff\xff."), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("B\xff\xff\xff\xff."), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("T\xff\xff\xff\x7f."), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("\x8b\xff\xff\xff\x7f."), NULL, F2B_PICKLE_ERROR_TRUNCATED, NULL);
  assert_refused_with(BYTES("\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xffN."), NULL,
                      F2B_PICKLE_ERROR_TRUNCATED, NULL);
}
END_TEST

START_TEST(test_deep_nesting)
{
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  /* (((((...: marks */
  g_autoptr(GByteArray) marks = g_byte_array_new();
  for (int i = 0; i < 100000; i++)
    g_byte_array_append(marks, BYTES("("));
  assert_refused_with(marks->data, marks->len, &lim, F2B_PICKLE_ERROR_LIMIT, "nesting");
  /* N + TUPLE1 repeated: deep without a deep stack */
  g_autoptr(GByteArray) tuples = g_byte_array_new();
  g_byte_array_append(tuples, BYTES("N"));
  for (int i = 0; i < 100000; i++)
    g_byte_array_append(tuples, BYTES("\x85"));
  g_byte_array_append(tuples, BYTES("."));
  assert_refused_with(tuples->data, tuples->len, &lim, F2B_PICKLE_ERROR_LIMIT, "nesting");
  /* ]]]]...aaaa: lists appended into each other */
  g_autoptr(GByteArray) lists = g_byte_array_new();
  for (int i = 0; i < 1000; i++)
    g_byte_array_append(lists, BYTES("]"));
  for (int i = 0; i < 999; i++)
    g_byte_array_append(lists, BYTES("a"));
  g_byte_array_append(lists, BYTES("."));
  assert_refused_with(lists->data, lists->len, &lim, F2B_PICKLE_ERROR_LIMIT, "nesting");
  /* within the bound it works: 199 tuples around None make depth 200 */
  g_byte_array_set_size(tuples, 1 + 199);
  g_byte_array_append(tuples, BYTES("."));
  g_autoptr(F2bPyObj) ok = decode_ok(tuples->data, tuples->len, &lim);
  tuples->data[1 + 199] = 0x85;
  g_byte_array_append(tuples, BYTES("."));
  assert_refused_with(tuples->data, tuples->len, &lim, F2B_PICKLE_ERROR_LIMIT, "nesting");
}
END_TEST

/* "Billion laughs": each level is a list of ten references to the previous. */
START_TEST(test_memo_bomb)
{
  g_autoptr(GByteArray) bomb = g_byte_array_new();
  g_byte_array_append(bomb, BYTES("\x80\x04\x8c\x03lol\x94"));
  for (int level = 1; level <= 30; level++) {
    g_byte_array_append(bomb, BYTES("("));
    for (int i = 0; i < 10; i++) {
      guint8 get[2] = { 'h', (guint8) (level - 1) };
      g_byte_array_append(bomb, get, 2);
    }
    g_byte_array_append(bomb, BYTES("l\x94"));
  }
  g_byte_array_append(bomb, BYTES("."));
  assert_refused_with(bomb->data, bomb->len, NULL, F2B_PICKLE_ERROR_LIMIT, "values");
  /* the same with one big string copied many times: charged by bytes */
  F2bPickleLimits lim;
  f2b_pickle_limits_init(&lim);
  lim.max_total_string = 10 * 1024 * 1024;
  g_autoptr(GByteArray) strings = g_byte_array_new();
  g_byte_array_append(strings, BYTES("B\x00\x00\x10\x00")); /* 1 MiB */
  g_byte_array_set_size(strings, strings->len + (1 << 20));
  g_byte_array_append(strings, BYTES("\x94("));
  for (int i = 0; i < 100; i++)
    g_byte_array_append(strings, BYTES("h\x00"));
  g_byte_array_append(strings, BYTES("l."));
  assert_refused_with(strings->data, strings->len, &lim, F2B_PICKLE_ERROR_LIMIT, "strings exceed");
  /* DUP is charged the same way */
  g_autoptr(GByteArray) dups = g_byte_array_new();
  g_byte_array_append(dups, BYTES("]K\x01" "a"));
  for (int i = 0; i < 64; i++)
    g_byte_array_append(dups, BYTES("2\x86"));
  g_byte_array_append(dups, BYTES("."));
  assert_refused_with(dups->data, dups->len, NULL, F2B_PICKLE_ERROR_LIMIT, "values");
}
END_TEST

/* ------------------------------------------------------------ random input */

/* Seeded random inputs: each must decode or fail cleanly (ASan checks the
 * rest).  Biased toward opcode bytes and small lengths to get far. */
START_TEST(test_random_bytes)
{
  static const char alphabet[] = "().012FIJKLMNSTUVXabcdeghjlpqrstu}]GBC\x80\x85\x86\x87\x88\x89"
                                 "\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x93\x94\x95\x96\x05\x00\x01\n'";
  F2bPickleLimits lim = limits_with_exceptions();
  lim.max_nodes = 10000;
  GRand *rand = g_rand_new_with_seed(20240601);
  guint decoded = 0;
  for (int round = 0; round < 5000; round++) {
    gsize len = g_rand_int_range(rand, 0, 80);
    g_autofree guint8 *buf = g_malloc(len + 1);
    for (gsize i = 0; i < len; i++)
      buf[i] = g_rand_boolean(rand) ? alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 1)]
                                    : (guint8) g_rand_int_range(rand, 0, 256);
    g_autoptr(GError) error = NULL;
    F2bPyObj *obj = f2b_pickle_decode(buf, len, (round & 1) ? &lim : NULL, &error);
    ck_assert((obj == NULL) == (error != NULL));
    decoded += obj != NULL;
    f2b_py_free(obj);
  }
  /* mutations of the golden vectors reach deeper */
  for (int round = 0; round < 5000; round++) {
    const Golden *g = &goldens[g_rand_int_range(rand, 0, G_N_ELEMENTS(goldens))];
    g_autofree guint8 *buf = g_memdup2(g->data, g->len);
    for (int k = g_rand_int_range(rand, 1, 4); k > 0; k--)
      buf[g_rand_int_range(rand, 0, g->len)] = (guint8) g_rand_int_range(rand, 0, 256);
    g_autoptr(GError) error = NULL;
    F2bPyObj *obj = f2b_pickle_decode(buf, g->len, &lim, &error);
    ck_assert((obj == NULL) == (error != NULL));
    decoded += obj != NULL;
    f2b_py_free(obj);
  }
  g_rand_free(rand);
  ck_assert_uint_gt(decoded, 0);
}
END_TEST

/* fail2ban-server pickles IPAddr as str('...'): the client reads a str; a
 * server-side decoder (no allow_exceptions) refuses it, and str() of
 * anything but one str is refused. */
START_TEST(test_ipaddr_as_str)
{
  static const char ipaddr_reply[] =
    "\x80\x05\x95\x41\x00\x00\x00\x00\x00\x00\x00\x4b\x00\x5d\x94\x28\x8c\x08\x62\x75\x69\x6c\x74\x69\x6e\x73"
    "\x94\x8c\x03\x73\x74\x72\x94\x93\x94\x8c\x09\x31\x39\x32\x2e\x30\x2e\x32\x2e\x31\x94\x85\x94\x52\x94\x68"
    "\x03\x8c\x0c\x31\x39\x32\x2e\x30\x2e\x32\x2e\x30\x2f\x32\x34\x94\x85\x94\x52\x94\x65\x86\x94\x2e";
  F2bPickleLimits lim = limits_with_exceptions();
  g_autoptr(F2bPyObj) got = decode_ok(BYTES(ipaddr_reply), &lim);
  g_autofree char *r = f2b_py_repr(got);
  ck_assert_str_eq(r, "(0, ['192.0.2.1', '192.0.2.0/24'])");
  assert_refused_with(BYTES(ipaddr_reply), NULL, F2B_PICKLE_ERROR_REFUSED, "STACK_GLOBAL");
  assert_refused_with(BYTES("\x80\x05\x8c\x08" "builtins\x8c\x03str\x93K\x05\x85R."), &lim,
                      F2B_PICKLE_ERROR_REFUSED, "not a str");
  assert_refused_with(BYTES("\x80\x05\x8c\x08" "builtins\x8c\x03str\x93)R."), &lim,
                      F2B_PICKLE_ERROR_REFUSED, "not a str");
  assert_refused_with(BYTES("\x80\x05\x8c\x08" "builtins\x8c\x03str\x93\x8c\x01x\x8c\x01y\x86R."), &lim,
                      F2B_PICKLE_ERROR_REFUSED, "not a str");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("pickle");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_golden_encode);
  tcase_add_test(tc, test_ipaddr_as_str);
  tcase_add_test(tc, test_golden_decode);
  tcase_add_test(tc, test_golden_truncated_prefixes);
  tcase_add_test(tc, test_round_trip_all_protocols);
  tcase_add_test(tc, test_round_trip_big);
  tcase_add_test(tc, test_text_opcodes);
  tcase_add_test(tc, test_binary_opcodes);
  tcase_add_test(tc, test_containers_and_stack);
  tcase_add_test(tc, test_rce_refused);
  tcase_add_test(tc, test_exceptions_allow_list);
  tcase_add_test(tc, test_limits);
  tcase_add_test(tc, test_huge_lengths);
  tcase_add_test(tc, test_deep_nesting);
  tcase_add_test(tc, test_memo_bomb);
  tcase_add_test(tc, test_random_bytes);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
