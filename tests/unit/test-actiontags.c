/* test-actiontags.c - fail2ban's dynamic tag substitution: tag forms, fallbacks,
 * shell-variable escaping, the -o style caller escaping, and no recursion. */
#include "check-main.h"
#include <stdlib.h>
#include <string.h>
#include "actiontags.h"

/* A tiny info: "name=value" pairs for aInfo and for the ticket data. */
typedef struct {
  const char *const *info;
  const char *const *data;
} Fake;

static gboolean
lookup_pairs(const char *const *pairs, const char *name, GString *value)
{
  for (; pairs != NULL && *pairs != NULL; pairs += 2)
    if (strcmp(pairs[0], name) == 0) {
      g_string_append(value, pairs[1]);
      return TRUE;
    }
  return FALSE;
}

static gboolean
fake_info(const char *name, GString *value, gpointer user_data)
{
  return lookup_pairs(((Fake *)user_data)->info, name, value);
}

static gboolean
fake_data(const char *name, GString *value, gpointer user_data)
{
  return lookup_pairs(((Fake *)user_data)->data, name, value);
}

static gboolean
fake_system(const char *name, GString *value, gpointer user_data)
{
  g_string_append(value, strcmp(name, "fq-hostname") == 0 ? "host.example.org" : "host");
  return TRUE;
}

static F2bActionCommand *
run(const char *cmd, const char *const *info, const char *const *data, gboolean system)
{
  Fake fake = { info, data };
  F2bActionTagsSource src = { fake_info, fake_data, system ? fake_system : NULL, &fake };
  return f2b_actiontags_replace_dynamic(cmd, strlen(cmd), &src);
}

START_TEST(test_plain_tags)
{
  const char *info[] = { "ip", "1.2.3.4", "time", "1118287200.0", "failures", "3", NULL };
  g_autoptr(F2bActionCommand) c = run("ban <ip> at <time> (<failures>x) <unknown> <a b> <> <ip", info, NULL, FALSE);
  ck_assert_str_eq(c->script->str, "ban 1.2.3.4 at 1118287200.0 (3x) <unknown> <a b> <> <ip");
  ck_assert_uint_eq(c->args->len, 0);
}
END_TEST

START_TEST(test_fallback_tags)
{
  const char *info[] = { "ip", "10.0.0.1", "sp", "SP", NULL };
  g_autoptr(F2bActionCommand) c = run("a<br>b<sp>c <fq-hostname> <sh-hostname>", info, NULL, FALSE);
  /* info wins over the fallback; host names stay without a system lookup. */
  ck_assert_str_eq(c->script->str, "a\nbSPc <fq-hostname> <sh-hostname>");
  g_autoptr(F2bActionCommand) d = run("<fq-hostname>|<sh-hostname>|<br>", NULL, NULL, TRUE);
  ck_assert_str_eq(d->script->str, "host.example.org|host|\n");
}
END_TEST

/* A tag name holding a NUL byte is no name fail2ban knows: "<br\0>" stays as it
 * is (it was cut at the NUL and taken for <br>; found by fuzz-actiontags). */
START_TEST(test_fallback_name_with_nul)
{
  static const char cmd[] = "a<br\0>b<sp\0x>c<sh-hostname\0>";
  Fake fake = { NULL, NULL };
  F2bActionTagsSource src = { fake_info, fake_data, fake_system, &fake };
  g_autoptr(F2bActionCommand) c = f2b_actiontags_replace_dynamic(cmd, sizeof cmd - 1, &src);
  ck_assert_uint_eq(c->script->len, sizeof cmd - 1);
  ck_assert_mem_eq(c->script->str, cmd, sizeof cmd - 1);
}
END_TEST

START_TEST(test_nested_tag_innermost)
{
  const char *info[] = { "ip", "1.2.3.4", NULL };
  g_autoptr(F2bActionCommand) c = run("<a<ip>> <<ip>> <ip >", info, NULL, FALSE);
  ck_assert_str_eq(c->script->str, "<a1.2.3.4> <1.2.3.4> <ip >");
}
END_TEST

START_TEST(test_ticket_data_tags)
{
  const char *info[] = { "ip", "1.2.3.4", NULL };
  const char *data[] = { "user", "root", "fid", "id-1", "fport", "22", "my-x", "mx", NULL };
  g_autoptr(F2bActionCommand) c =
      run("<F-USER>/<F-ID>/<F-PORT>/<F-MY-X>/<F-NONE>/<F-user>/<F->", info, data, FALSE);
  ck_assert_str_eq(c->script->str, "root/id-1/22/mx//<F-user>/<F->");
}
END_TEST

START_TEST(test_escaping_as_variables)
{
  const char *info[] = { "ip", "1.2.3.4", "matches", "a $(id) `x`\nq", NULL };
  const char *data[] = { "user", "ro\"ot", NULL };
  g_autoptr(F2bActionCommand) c = run("ban <ip> <F-USER> <matches> <F-USER>", info, data, FALSE);
  /* The order of variables is the order of first use: pass 1 before pass 2. */
  ck_assert_str_eq(c->script->str,
                   "f2bV_matches=$0 f2bV_F_user=$1 \nban 1.2.3.4 $f2bV_F_user $f2bV_matches $f2bV_F_user");
  ck_assert_uint_eq(c->args->len, 2);
  ck_assert_str_eq(((GString *)g_ptr_array_index(c->args, 0))->str, "a $(id) `x`\nq");
  ck_assert_str_eq(((GString *)g_ptr_array_index(c->args, 1))->str, "ro\"ot");
}
END_TEST

START_TEST(test_every_special_character)
{
  const char *specials = "\\#&;`|*?~<>^()[]{}$'\"\n\r";
  for (const char *p = specials; *p; p++) {
    char value[4] = { 'a', *p, 'b', 0 };
    const char *info[] = { "v", value, NULL };
    g_autoptr(F2bActionCommand) c = run("x <v>", info, NULL, FALSE);
    ck_assert_str_eq(c->script->str, "f2bV_v=$0 \nx $f2bV_v");
    ck_assert_str_eq(((GString *)g_ptr_array_index(c->args, 0))->str, value);
  }
  const char *info[] = { "v", "a b\t%!,.=+-_/:@", NULL };
  g_autoptr(F2bActionCommand) c = run("x <v>", info, NULL, FALSE);
  ck_assert_str_eq(c->script->str, "x a b\t%!,.=+-_/:@");
}
END_TEST

START_TEST(test_no_recursion)
{
  /* A value holding tags is not substituted again, in either pass. */
  const char *info[] = { "ip", "<time>", "time", "1.0", "x", "<F-USER>", NULL };
  const char *data[] = { "user", "<ip>", NULL };
  g_autoptr(F2bActionCommand) c = run("<ip> <time> <x>", info, data, FALSE);
  ck_assert_str_eq(c->script->str, "f2bV_ip=$0 f2bV_x=$1 \n$f2bV_ip 1.0 $f2bV_x");
  ck_assert_str_eq(((GString *)g_ptr_array_index(c->args, 0))->str, "<time>");
  ck_assert_str_eq(((GString *)g_ptr_array_index(c->args, 1))->str, "<F-USER>");
  g_autoptr(F2bActionCommand) d = run("<F-USER> <ip>", info, data, FALSE);
  ck_assert_str_eq(d->script->str, "f2bV_ip=$0 f2bV_F_user=$1 \n$f2bV_F_user $f2bV_ip");
  ck_assert_str_eq(((GString *)g_ptr_array_index(d->args, 1))->str, "<ip>");
}
END_TEST

static void
nul_escape(const char *name, const char *value, gsize len, GString *out, gpointer user_data)
{
  (*(int *)user_data)++;
  for (gsize i = 0; i < len; i++) {
    if (value[i] == '\0' && strcmp(name, "msg") != 0)
      g_string_append(out, "\\x00");
    else
      g_string_append_c(out, value[i]);
  }
}

static gboolean
nul_info(const char *name, GString *value, gpointer user_data)
{
  if (strcmp(name, "msg") != 0 && strcmp(name, "ip") != 0)
    return FALSE;
  g_string_append_len(value, "a\0b", 3);
  return TRUE;
}

START_TEST(test_caller_escaping_and_nul)
{
  int calls = 0;
  F2bActionTagsSource src = { nul_info, NULL, NULL, NULL };
  const char cmd[] = "<ip>|<msg>|<F-X>|\0<ip>";
  g_autoptr(GString) s = f2b_actiontags_replace_dynamic_with(cmd, sizeof cmd - 1, &src, nul_escape, &calls);
  ck_assert_int_eq(calls, 3);
  ck_assert_uint_eq(s->len, 19);
  ck_assert_mem_eq(s->str, "a\\x00b|a\0b||\0a\\x00b", 19);
}
END_TEST

START_TEST(test_helpers)
{
  g_autoptr(GString) out = g_string_new(NULL);
  f2b_actiontags_escape_tag("a$b\nc\rd'e f", 12, out);
  ck_assert_str_eq(out->str, "a\\$b\\nc\\rd\\'e f");
  ck_assert(!f2b_actiontags_needs_escape("1.2.3.4 x", 9));
  ck_assert(f2b_actiontags_needs_escape("x~", 2));
  ck_assert(!f2b_actiontags_needs_escape("x\0", 2));
  g_autofree char *v1 = f2b_actiontags_var_name("F_my-tag.x");
  ck_assert_str_eq(v1, "f2bV_F_my_tag_x");
  g_autofree char *v2 = f2b_actiontags_var_name("ip\xc3\xa9");
  ck_assert_str_eq(v2, "f2bV_ip\xc3\xa9");
  g_autofree char *o1 = f2b_actiontags_tag_to_option("ID", 2);
  g_autofree char *o2 = f2b_actiontags_tag_to_option("PORT", 4);
  g_autofree char *o3 = f2b_actiontags_tag_to_option("ALT_USER1", 9);
  ck_assert_str_eq(o1, "fid");
  ck_assert_str_eq(o2, "fport");
  ck_assert_str_eq(o3, "alt_user1");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("actiontags");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_plain_tags);
  tcase_add_test(tc, test_fallback_tags);
  tcase_add_test(tc, test_fallback_name_with_nul);
  tcase_add_test(tc, test_nested_tag_innermost);
  tcase_add_test(tc, test_ticket_data_tags);
  tcase_add_test(tc, test_escaping_as_variables);
  tcase_add_test(tc, test_every_special_character);
  tcase_add_test(tc, test_no_recursion);
  tcase_add_test(tc, test_caller_escaping_and_nul);
  tcase_add_test(tc, test_helpers);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
