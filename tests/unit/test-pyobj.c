/* test-pyobj.c - Python values and their repr(), checked against what
 * CPython 3.11 prints for the same values. */
#include "check-main.h"
#include <string.h>
#include "pyobj.h"

static void
assert_repr(F2bPyObj *obj, const char *expected)
{
  g_autofree char *text = f2b_py_repr(obj);
  ck_assert_str_eq(text, expected);
  f2b_py_free(obj);
}

START_TEST(test_str_quotes)
{
  assert_repr(f2b_py_str("a"), "'a'");
  assert_repr(f2b_py_str("it's"), "\"it's\"");
  assert_repr(f2b_py_str("say \"hi\""), "'say \"hi\"'");
  assert_repr(f2b_py_str("both ' \""), "'both \\' \"'");
  assert_repr(f2b_py_str(""), "''");
}
END_TEST

START_TEST(test_str_escapes)
{
  assert_repr(f2b_py_str_len("tab\tnl\n\r\0\x7f", 10), "'tab\\tnl\\n\\r\\x00\\x7f'");
  assert_repr(f2b_py_str("back\\slash"), "'back\\\\slash'");
  /* printable non-ASCII stays, non-printable is escaped by code point */
  assert_repr(f2b_py_str("\xc3\xa9 \xc3\xbc \xc2\xa0 \xe2\x80\xa8 \xe2\x80\x8b \xf0\x9f\x98\x80"),
              "'\xc3\xa9 \xc3\xbc \\xa0 \\u2028 \\u200b \xf0\x9f\x98\x80'");
  /* an undecodable byte shows as its surrogateescape code point */
  assert_repr(f2b_py_str("a\xff" "b"), "'a\\udcffb'");
}
END_TEST

START_TEST(test_containers)
{
  assert_repr(f2b_py_tuple_of(f2b_py_int(1), NULL), "(1,)");
  assert_repr(f2b_py_tuple_new(), "()");
  F2bPyObj *d = f2b_py_dict_new();
  f2b_py_dict_set(d, f2b_py_str("a"), f2b_py_int(1));
  F2bPyObj *l = f2b_py_list_new();
  f2b_py_append(l, f2b_py_none());
  f2b_py_append(l, f2b_py_bool(TRUE));
  f2b_py_dict_set(d, f2b_py_str("b"), l);
  f2b_py_dict_set(d, f2b_py_str("a"), f2b_py_int(2)); /* replaces, keeps order */
  ck_assert_uint_eq(f2b_py_len(d), 2);
  assert_repr(d, "{'a': 2, 'b': [None, True]}");
  assert_repr(f2b_py_list_of_strs("add", "sshd", "auto", NULL), "['add', 'sshd', 'auto']");
  assert_repr(f2b_py_list_new(), "[]");
}
END_TEST

START_TEST(test_numbers)
{
  assert_repr(f2b_py_int(-42), "-42");
  assert_repr(f2b_py_int(G_MAXINT64), "9223372036854775807");
  static const struct { double v; const char *text; } cases[] = {
    { 0.1, "0.1" }, { 1.0, "1.0" }, { 1e16, "1e+16" }, { 1.5e-05, "1.5e-05" },
    { 123456789.123, "123456789.123" }, { -0.0, "-0.0" }, { 1e15, "1000000000000000.0" },
    { 12345678901234567.0, "1.2345678901234568e+16" }, { 0.0001, "0.0001" }, { 2.5e-4, "0.00025" },
    { 600.0, "600.0" }, { -1.25, "-1.25" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_repr(f2b_py_float(cases[i].v), cases[i].text);
  assert_repr(f2b_py_bool(FALSE), "False");
}
END_TEST

START_TEST(test_bytes_and_instances)
{
  assert_repr(f2b_py_bytes("ab'c\0\xff", 6), "b\"ab'c\\x00\\xff\"");
  assert_repr(f2b_py_instance_new("builtins", "ValueError",
                                  f2b_py_tuple_of(f2b_py_str("x"), NULL)), "ValueError('x')");
  assert_repr(f2b_py_instance_new("builtins", "ValueError",
                                  f2b_py_tuple_of(f2b_py_str("a"), f2b_py_str("b"), NULL)),
              "ValueError('a', 'b')");
  assert_repr(f2b_py_instance_new("builtins", "ValueError", NULL), "ValueError()");

  g_autoptr(F2bPyObj) e = f2b_py_instance_new("builtins", "ValueError",
                                              f2b_py_tuple_of(f2b_py_str("a"), f2b_py_str("b"), NULL));
  g_autoptr(GString) s = g_string_new(NULL);
  f2b_py_str_append(s, e);
  ck_assert_str_eq(s->str, "('a', 'b')");
  ck_assert_str_eq(f2b_py_instance_module(e), "builtins");
  ck_assert_str_eq(f2b_py_instance_name(e), "ValueError");
  ck_assert_uint_eq(f2b_py_len(e), 2);
  ck_assert(f2b_py_str_equal(f2b_py_item(e, 1), "b"));
}
END_TEST

START_TEST(test_equal_copy_count)
{
  g_autoptr(F2bPyObj) a = f2b_py_list_of_strs("x", "y", NULL);
  f2b_py_append(a, f2b_py_tuple_of(f2b_py_int(1), f2b_py_float(2.0), NULL));
  g_autoptr(F2bPyObj) b = f2b_py_copy(a);
  ck_assert(f2b_py_equal(a, b));
  ck_assert_uint_eq(f2b_py_count_nodes(b), 6);
  f2b_py_append(b, f2b_py_none());
  ck_assert(!f2b_py_equal(a, b));

  g_autoptr(F2bPyObj) one = f2b_py_int(1);
  g_autoptr(F2bPyObj) one_f = f2b_py_float(1.0);
  g_autoptr(F2bPyObj) yes = f2b_py_bool(TRUE);
  g_autoptr(F2bPyObj) str1 = f2b_py_str("1");
  ck_assert(f2b_py_equal(one, one_f));
  ck_assert(f2b_py_equal(one, yes));
  ck_assert(!f2b_py_equal(one, str1));

  gsize len = 0;
  g_autoptr(F2bPyObj) nul = f2b_py_str_len("a\0b", 3);
  const char *data = f2b_py_get_str(nul, &len);
  ck_assert_uint_eq(len, 3);
  ck_assert_int_eq(memcmp(data, "a\0b", 4), 0);
  ck_assert(!f2b_py_str_equal(nul, "a"));
}
END_TEST

/* Copies of immutable values share one node: each copy must still own its
 * value (freed in any order, the others unchanged), and a copied container
 * must stay independent of the original. */
START_TEST(test_copy_sharing)
{
  F2bPyObj *s = f2b_py_str_len("a\0b", 3);
  F2bPyObj *c1 = f2b_py_copy(s), *c2 = f2b_py_copy(c1);
  f2b_py_free(s);
  gsize len;
  ck_assert_int_eq(memcmp(f2b_py_get_str(c1, &len), "a\0b", 3), 0);
  ck_assert_uint_eq(len, 3);
  f2b_py_free(c1);
  g_autofree char *r = f2b_py_repr(c2);
  ck_assert_str_eq(r, "'a\\x00b'");
  f2b_py_free(c2);

  F2bPyObj *taken = f2b_py_str_take(g_strdup("owned"));
  F2bPyObj *tc = f2b_py_copy(taken);
  f2b_py_free(taken);
  ck_assert_str_eq(f2b_py_get_str(tc, NULL), "owned");
  f2b_py_free(tc);

  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  f2b_py_append(list, f2b_py_str("x"));
  f2b_py_append(list, f2b_py_none());
  f2b_py_append(list, f2b_py_bool(TRUE));
  f2b_py_append(list, f2b_py_int(7));
  g_autoptr(F2bPyObj) copy = f2b_py_copy(list);
  f2b_py_append(list, f2b_py_float(1.5));
  ck_assert_uint_eq(f2b_py_len(copy), 4);
  ck_assert_uint_eq(f2b_py_len(list), 5);
  ck_assert(f2b_py_get_bool(f2b_py_item(copy, 2)));
  ck_assert(!f2b_py_get_bool(f2b_py_bool(FALSE)));
  ck_assert_int_eq(f2b_py_kind(f2b_py_item(copy, 1)), F2B_PY_NONE);
  g_autofree char *rl = f2b_py_repr(list), *rc = f2b_py_repr(copy);
  ck_assert_str_eq(rl, "['x', None, True, 7, 1.5]");
  ck_assert_str_eq(rc, "['x', None, True, 7]");
  f2b_py_free(f2b_py_none()); /* the singletons survive any number of frees */
  f2b_py_free(f2b_py_bool(TRUE));
  g_autofree char *rn = f2b_py_repr(f2b_py_none());
  ck_assert_str_eq(rn, "None");
}
END_TEST

START_TEST(test_dict_str_keys)
{
  g_autoptr(F2bPyObj) d = f2b_py_dict_new();
  f2b_py_dict_set(d, f2b_py_int(1), f2b_py_str("one"));
  f2b_py_dict_set(d, f2b_py_str("ab"), f2b_py_int(2));
  f2b_py_dict_set(d, f2b_py_str_len("a\0c", 3), f2b_py_int(3));
  f2b_py_dict_set(d, f2b_py_bytes("ab", 2), f2b_py_int(4));
  ck_assert_int_eq(f2b_py_get_int(f2b_py_dict_get_str(d, "ab", 2)), 2);
  ck_assert_int_eq(f2b_py_get_int(f2b_py_dict_get_str(d, "a\0c", 3)), 3);
  ck_assert_ptr_null(f2b_py_dict_get_str(d, "a", 1));
  ck_assert_ptr_null(f2b_py_dict_get_str(d, "1", 1)); /* 1 is not '1' */
  ck_assert_ptr_null(f2b_py_dict_pop_str(d, "abc", 3));
  g_autoptr(F2bPyObj) v = f2b_py_dict_pop_str(d, "ab", 2); /* the str, not the bytes key */
  ck_assert_int_eq(f2b_py_get_int(v), 2);
  ck_assert_uint_eq(f2b_py_len(d), 3);
  g_autofree char *r = f2b_py_repr(d);
  ck_assert_str_eq(r, "{1: 'one', 'a\\x00c': 3, b'ab': 4}");
}
END_TEST

/* A sized dict is an ordinary dict: it grows past its room, copies and compares. */
START_TEST(test_dict_sized)
{
  g_autoptr(F2bPyObj) empty = f2b_py_dict_new_sized(0);
  ck_assert_uint_eq(f2b_py_len(empty), 0);
  g_autoptr(F2bPyObj) d = f2b_py_dict_new_sized(2);
  f2b_py_dict_append_new(d, f2b_py_str("a"), f2b_py_int(1));
  f2b_py_dict_append_new(d, f2b_py_str("b"), f2b_py_none());
  f2b_py_dict_set(d, f2b_py_str("c"), f2b_py_int(3)); /* beyond the room */
  f2b_py_dict_set(d, f2b_py_str("a"), f2b_py_int(4)); /* keeps its place */
  g_autofree char *r = f2b_py_repr(d);
  ck_assert_str_eq(r, "{'a': 4, 'b': None, 'c': 3}");
  g_autoptr(F2bPyObj) c = f2b_py_copy(d);
  ck_assert(f2b_py_equal(c, d));
  ck_assert(!f2b_py_equal(c, empty));
  /* its items start in the node's block and move out as it grows, twice over */
  g_autoptr(F2bPyObj) big = f2b_py_dict_new_sized(1);
  g_autoptr(GString) want = g_string_new("{");
  for (int i = 0; i < 40; i++) {
    f2b_py_dict_set(big, f2b_py_int(i), f2b_py_int(i * i));
    g_string_append_printf(want, "%s%d: %d", i ? ", " : "", i, i * i);
  }
  g_string_append_c(want, '}');
  g_autofree char *rb = f2b_py_repr(big);
  ck_assert_str_eq(rb, want->str);
  g_autoptr(F2bPyObj) k0 = f2b_py_int(0);
  g_autoptr(F2bPyObj) v0 = f2b_py_dict_pop(big, k0);
  ck_assert_int_eq(f2b_py_get_int(v0), 0);
  ck_assert_uint_eq(f2b_py_len(big), 39);
  g_autoptr(F2bPyObj) one = f2b_py_dict_new_sized(1); /* freed with its items inline */
  f2b_py_dict_append_new(one, f2b_py_str("nofail"), f2b_py_str("x"));
  ck_assert_uint_eq(f2b_py_len(one), 1);
}
END_TEST

/* Keys by identity: only the very key object is found, not an equal one. */
START_TEST(test_dict_same)
{
  g_autoptr(F2bPyObj) ka = f2b_py_str("a");
  g_autoptr(F2bPyObj) kb = f2b_py_str("b");
  g_autoptr(F2bPyObj) other_a = f2b_py_str("a");
  g_autoptr(F2bPyObj) d = f2b_py_dict_new();
  ck_assert_ptr_null(f2b_py_dict_get_same(d, ka));
  ck_assert_ptr_null(f2b_py_dict_pop_same(d, ka));
  f2b_py_dict_set_same(d, f2b_py_copy(ka), f2b_py_int(1));
  f2b_py_dict_set_same(d, f2b_py_copy(kb), f2b_py_int(2));
  f2b_py_dict_set_same(d, f2b_py_copy(ka), f2b_py_int(3)); /* replaces, keeps its place */
  ck_assert_uint_eq(f2b_py_len(d), 2);
  ck_assert_int_eq(f2b_py_get_int(f2b_py_dict_get_same(d, ka)), 3);
  ck_assert_ptr_null(f2b_py_dict_get_same(d, other_a));
  g_autofree char *r = f2b_py_repr(d);
  ck_assert_str_eq(r, "{'a': 3, 'b': 2}");
  g_autoptr(F2bPyObj) v = f2b_py_dict_pop_same(d, ka);
  ck_assert_int_eq(f2b_py_get_int(v), 3);
  ck_assert_ptr_null(f2b_py_dict_pop_same(d, ka));
  g_autofree char *r2 = f2b_py_repr(d);
  ck_assert_str_eq(r2, "{'b': 2}");
}
END_TEST

START_TEST(test_str_repr_cut)
{
  g_autoptr(GString) out = g_string_new("x=");
  f2b_py_repr_str_append_cut(out, "abc", 3, 5); /* fits: unchanged */
  ck_assert_str_eq(out->str, "x='abc'");
  g_string_assign(out, "x=");
  f2b_py_repr_str_append_cut(out, "abcdef", 6, 4); /* the cut drops the closing quote */
  ck_assert_str_eq(out->str, "x='abc");
  g_string_assign(out, "");
  /* characters, not bytes: a two-byte letter and a six-character escape */
  f2b_py_repr_str_append_cut(out, "\xc3\xa9\xe2\x80\x8b", 5, 4);
  ck_assert_str_eq(out->str, "'\xc3\xa9\\u");
  g_string_assign(out, "");
  f2b_py_repr_str_append_cut(out, "a\xff", 2, 0);
  ck_assert_str_eq(out->str, "");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("pyobj");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_str_quotes);
  tcase_add_test(tc, test_str_escapes);
  tcase_add_test(tc, test_containers);
  tcase_add_test(tc, test_numbers);
  tcase_add_test(tc, test_bytes_and_instances);
  tcase_add_test(tc, test_equal_copy_count);
  tcase_add_test(tc, test_str_repr_cut);
  tcase_add_test(tc, test_copy_sharing);
  tcase_add_test(tc, test_dict_str_keys);
  tcase_add_test(tc, test_dict_sized);
  tcase_add_test(tc, test_dict_same);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
