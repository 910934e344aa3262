/* test-cmdrun.c - the action command runner: a command runs through
 * /bin/sh -c with its arguments, its exit code decides success, and a
 * command holding a NUL byte (a tag value from a log line can) is refused
 * without running anything, as Python's subprocess refuses it. */
#include "check-main.h"
#include <glib/gstdio.h>
#include <string.h>

#include "cmdrun.h"
#include "serverlog.h"

typedef struct {
  gboolean done, ok;
  int code;
  GMainLoop *loop;
} Outcome;

static void
on_done(gboolean ok, int code, gpointer data)
{
  Outcome *o = data;
  o->done = TRUE;
  o->ok = ok;
  o->code = code;
  g_main_loop_quit(o->loop);
}

/* Runs the SLEN bytes of SCRIPT with the ARGS (N of them, lengths given)
 * and waits for it. */
static Outcome
run_len(const char *script, gsize slen, const char *const *args, const gsize *lens, guint n)
{
  F2bActionCommand cmd = { g_string_new_len(script, (gssize)slen), g_ptr_array_new() };
  for (guint i = 0; i < n; i++)
    g_ptr_array_add(cmd.args, g_string_new_len(args[i], (gssize)lens[i]));
  Outcome o = { FALSE, FALSE, -1, g_main_loop_new(NULL, FALSE) };
  f2bs_cmdrun_zero_one(&cmd, 10, on_done, &o);
  if (!o.done)
    g_main_loop_run(o.loop);
  g_main_loop_unref(o.loop);
  for (guint i = 0; i < cmd.args->len; i++)
    g_string_free(cmd.args->pdata[i], TRUE);
  g_ptr_array_free(cmd.args, TRUE);
  g_string_free(cmd.script, TRUE);
  return o;
}

static Outcome
run(const char *script, const char *const *args, const gsize *lens, guint n)
{
  return run_len(script, strlen(script), args, lens, n);
}

START_TEST(test_runs_with_arguments)
{
  g_autofree char *dir = g_dir_make_tmp("f2bc-cmdrun-XXXXXX", NULL);
  g_autofree char *file = g_build_filename(dir, "out", NULL);
  static const char *const args[] = { "sh", "a b" };
  gsize lens[] = { 2, 3 };
  g_autofree char *script = g_strdup_printf("printf '%%s' \"$1\" > '%s'", file);
  Outcome o = run(script, args, lens, 2);
  ck_assert(o.done && o.ok);
  ck_assert_int_eq(o.code, 0);
  g_autofree char *got = NULL;
  ck_assert(g_file_get_contents(file, &got, NULL, NULL));
  ck_assert_str_eq(got, "a b");
  o = run("exit 3", NULL, NULL, 0);
  ck_assert(o.done && !o.ok);
  ck_assert_int_eq(o.code, 3);
  g_unlink(file);
  g_rmdir(dir);
}
END_TEST

START_TEST(test_nul_refused)
{
  g_autofree char *dir = g_dir_make_tmp("f2bc-cmdrun-XXXXXX", NULL);
  g_autofree char *file = g_build_filename(dir, "ran", NULL);
  /* an argument with a NUL: exec would cut it and run the rest */
  static const char *const args[] = { "sh", "x\0; touch RAN" };
  gsize lens[] = { 2, 13 };
  g_autofree char *script = g_strdup_printf("touch '%s'", file);
  Outcome o = run(script, args, lens, 2);
  ck_assert(o.done && !o.ok);
  ck_assert(!g_file_test(file, G_FILE_TEST_EXISTS));
  /* a NUL in the script itself */
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "touch '%s'", file);
  g_string_append_len(s, "\0; exit 0", 9);
  o = run_len(s->str, s->len, NULL, NULL, 0);
  ck_assert(o.done && !o.ok);
  ck_assert(!g_file_test(file, G_FILE_TEST_EXISTS));
  /* the same script without the NUL runs */
  o = run(s->str, NULL, NULL, 0);
  ck_assert(o.done && o.ok);
  ck_assert(g_file_test(file, G_FILE_TEST_EXISTS));
  g_unlink(file);
  g_string_free(s, TRUE);
  g_rmdir(dir);
}
END_TEST

int
main(void)
{
  f2bs_log_set_level("CRITICAL", NULL);
  Suite *s = suite_create("cmdrun");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_runs_with_arguments);
  tcase_add_test(tc, test_nul_refused);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
