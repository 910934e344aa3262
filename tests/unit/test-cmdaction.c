/* test-cmdaction.c - CommandAction's static tags (replaceTag): recursion among the
 * properties, per-family values, escaped tags, fallbacks, self-references; families. */
#include "check-main.h"
#include <string.h>
#include "cmdaction.h"

static F2bIniMap *
props(const char *const *pairs)
{
  F2bIniMap *m = f2b_ini_map_new();
  for (; *pairs; pairs += 2)
    f2b_ini_map_set(m, pairs[0], pairs[1]);
  return m;
}

static const char *const iptables[] = {
  "actionban", "<iptables> -I <chain> -s <ip> -j <blocktype>", "iptables", "iptables <lockingopt>",
  "lockingopt", "-w", "chain", "f2b-<name>", "name", "x", "blocktype", "REJECT",
  "blocktype?family=inet6", "DROP6", "iptables?family=inet6", "ip6tables <lockingopt>",
  "matches", "a;b\nc", "m", "<matches>", NULL,
};

static char *
expand(const char *const *pairs, const char *query, const char *family, GError **error)
{
  g_autoptr(F2bIniMap) p = props(pairs);
  return f2b_cmdaction_replace_tag(query, p, family, NULL, NULL, error);
}

START_TEST(test_recursive)
{
  g_autofree char *v = expand(iptables, "<actionban>", NULL, NULL);
  ck_assert_str_eq(v, "iptables -w -I f2b-x -s <ip> -j REJECT");
  g_autofree char *v4 = expand(iptables, "<actionban>", "inet4", NULL);
  ck_assert_str_eq(v4, "iptables -w -I f2b-x -s <ip> -j REJECT");
}
END_TEST

START_TEST(test_family)
{
  g_autofree char *v = expand(iptables, "<actionban>", "inet6", NULL);
  ck_assert_str_eq(v, "ip6tables -w -I f2b-x -s <ip> -j DROP6");
}
END_TEST

START_TEST(test_escaped_and_fallbacks)
{
  g_autofree char *v = expand(iptables, "<m>|<br>|<sp>|<nosuch>|< a>|<>", NULL, NULL);
  ck_assert_str_eq(v, "a\\;b\\nc|\n| |<nosuch>|< a>|<>");
  g_autofree char *plain = expand(iptables, "no tags here", NULL, NULL);
  ck_assert_str_eq(plain, "no tags here");
}
END_TEST

START_TEST(test_self_reference)
{
  static const char *const loop[] = { "a", "<b>", "b", "<a>", NULL };
  GError *error = NULL;
  char *v = expand(loop, "<a>", NULL, &error);
  ck_assert_ptr_null(v);
  ck_assert(g_error_matches(error, F2B_CMDACTION_ERROR, F2B_CMDACTION_ERROR_RECURSION));
  ck_assert_str_eq(error->message, "properties contain self referencing definitions and cannot be resolved, "
                                   "fail tag: a, found: a in {'b': 1}, value: <a>");
  g_clear_error(&error);
  static const char *const self[] = { "a", "x<a>", NULL };
  v = expand(self, "<a>", NULL, &error);
  ck_assert_ptr_null(v);
  ck_assert_str_eq(error->message, "properties contain self referencing definitions and cannot be resolved, "
                                   "fail tag: a, found: a in {}, value: x<a>");
  g_clear_error(&error);
}
END_TEST

static gboolean
host(const char *name, GString *value, gpointer data)
{
  (void)data;
  g_string_append(value, strcmp(name, "sh-hostname") == 0 ? "h" : "h.example.org");
  return TRUE;
}

START_TEST(test_hostnames)
{
  static const char *const none[] = { "x", "<sh-hostname>", NULL };
  g_autoptr(F2bIniMap) p = props(none);
  g_autofree char *v = f2b_cmdaction_replace_tag("<x> <fq-hostname>", p, NULL, host, NULL, NULL);
  ck_assert_str_eq(v, "h h.example.org");
  g_autofree char *w = f2b_cmdaction_replace_tag("<fq-hostname>", p, NULL, NULL, NULL, NULL);
  ck_assert_str_eq(w, "<fq-hostname>");
}
END_TEST

START_TEST(test_families)
{
  g_autoptr(F2bIniMap) cond = props(iptables);
  const char *const *f = f2b_cmdaction_families(cond, TRUE);
  ck_assert_str_eq(f[0], "inet4");
  ck_assert_str_eq(f[1], "inet6");
  ck_assert_ptr_null(f[2]);
  f = f2b_cmdaction_families(cond, FALSE);
  ck_assert_str_eq(f[0], "inet4");
  ck_assert_ptr_null(f[1]);
  static const char *const plain[] = { "actionban", "x", "a?b", "c", "w-x?family=inet6", "y", NULL };
  g_autoptr(F2bIniMap) p = props(plain);
  ck_assert(!f2b_cmdaction_has_cond_section(p));
  f = f2b_cmdaction_families(p, TRUE);
  ck_assert_str_eq(f[0], "");
  ck_assert_ptr_null(f[1]);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("cmdaction");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_recursive);
  tcase_add_test(tc, test_family);
  tcase_add_test(tc, test_escaped_and_fallbacks);
  tcase_add_test(tc, test_self_reference);
  tcase_add_test(tc, test_hostnames);
  tcase_add_test(tc, test_families);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
