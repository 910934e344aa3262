/* test-confreader.c - jail assembly and command order on small configs. */
#include "check-main.h"
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "confreader.h"

static char *tmpdir;
static GString *logged;

static void
collect(int level, const char *logger, const char *message, gpointer data)
{
  g_string_append_printf(logged, "%d %s %s\n", level, logger, message);
}

static void
setup(void)
{
  tmpdir = g_dir_make_tmp("f2b-conf-XXXXXX", NULL);
  logged = g_string_new(NULL);
}

static void
teardown(void)
{
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
  g_free(tmpdir);
  g_string_free(logged, TRUE);
}

static void
write_file(const char *rel, const char *text)
{
  g_autofree char *p = g_build_filename(tmpdir, rel, NULL);
  g_autofree char *d = g_path_get_dirname(p);
  g_mkdir_with_parents(d, 0700);
  ck_assert(g_file_set_contents(p, text, -1, NULL));
}

/* The dump as fail2ban-client -d prints it (one repr per line). */
static char *
dump(gboolean *ok, GError **error)
{
  F2bLogSink sink = { collect, NULL };
  g_autoptr(F2bConfReader) r = f2b_confreader_new(tmpdir, &sink);
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r, error);
  if (early == NULL)
    return NULL;
  g_autoptr(F2bPyObj) s = f2b_confreader_stream(r, early, TRUE, TRUE, ok, error);
  if (s == NULL)
    return NULL;
  GString *out = g_string_new(NULL);
  for (gsize i = 0; i < f2b_py_len(s); i++) {
    f2b_py_repr_append(out, f2b_py_item(s, i));
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

static const char *base_f2b = "[Definition]\nloglevel = INFO\nlogtarget = STDERR\nsyslogsocket = auto\n"
                              "socket = /s\npidfile = /p\nallowipv6 = auto\ndbfile = :memory:\ndbpurgeage = 1d\n";

START_TEST(test_minimal_jail_order)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("filter.d/f.conf", "[Definition]\nfailregex = ^fail <HOST>$\n  ^bad <HOST>\nignoreregex =\n"
                                "datepattern = {^LN-BEG}\n");
  write_file("action.d/a.conf", "[Definition]\nactionban = echo <ip> <name> <p>\n[Init]\np = 1\n");
  write_file("jail.conf", "[j]\nenabled = true\nfilter = f\naction = a[p=\"x, y\"]\nmaxretry = 3\n"
                          "logpath = /nonexistent/log\nbackend = auto\nusedns = no\nignoreip = 1.2.3.4, ::1\n");
  gboolean ok;
  GError *error = NULL;
  g_autofree char *d = dump(&ok, &error);
  ck_assert_msg(d != NULL, "%s", error ? error->message : "");
  ck_assert(ok);
  ck_assert_str_eq(d,
    "['set', 'syslogsocket', 'auto']\n['set', 'loglevel', 'INFO']\n['set', 'logtarget', 'STDERR']\n"
    "['set', 'allowipv6', 'auto']\n['set', 'dbfile', ':memory:']\n['set', 'dbpurgeage', '1d']\n"
    "['add', 'j', 'auto']\n"
    "['set', 'j', 'usedns', 'no']\n"
    "['multi-set', 'j', 'addfailregex', ['^fail <HOST>$', '^bad <HOST>']]\n"
    "['set', 'j', 'datepattern', '{^LN-BEG}']\n"
    "['set', 'j', 'maxretry', 3]\n"
    "['set', 'j', 'addignoreip', '1.2.3.4', '::1']\n"
    "['set', 'j', 'addaction', 'a']\n"
    "['multi-set', 'j', 'action', 'a', [['actionban', 'echo <ip> j x, y'], ['p', 'x, y'], ['name', 'j'], "
    "['actname', 'a']]]\n"
    "['start', 'j']\n");
  ck_assert_ptr_nonnull(strstr(logged->str, "Have not found any log file for j jail"));
}
END_TEST

START_TEST(test_missing_filter_is_config_error)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("jail.conf", "[j]\nenabled = true\nfilter = nosuch\n");
  gboolean ok;
  GError *error = NULL;
  g_autofree char *d = dump(&ok, &error);
  ck_assert_ptr_nonnull(d);
  ck_assert(!ok);
  ck_assert_ptr_nonnull(strstr(d, "['config-error', \"Jail 'j' skipped, because of wrong configuration: "
                                  "Unable to read the filter 'nosuch'\"]"));
  ck_assert_ptr_null(strstr(d, "'start'"));
}
END_TEST

START_TEST(test_unresolvable_interpolation_fails)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("jail.conf", "[j]\nenabled = true\nfilter =\nbantime = %(nope)s\n");
  gboolean ok;
  GError *error = NULL;
  g_autofree char *d = dump(&ok, &error);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(error->code, F2B_INI_ERROR_INTERPOLATION_MISSING);
  g_error_free(error);
}
END_TEST

START_TEST(test_missing_basedir)
{
  F2bLogSink sink = { collect, NULL };
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/nonexistent/dir/", &sink);
  GError *error = NULL;
  ck_assert_ptr_null(f2b_confreader_early_options(r, &error));
  ck_assert_str_eq(error->message, "Base configuration directory /nonexistent/dir does not exist ");
  g_error_free(error);
}
END_TEST

START_TEST(test_extract_and_split_options)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/", NULL);
  char *name = NULL;
  F2bIniMap *opts = NULL;
  GError *error = NULL;
  ck_assert(f2b_confreader_extract_options(r, "act[a=1, b=\"q, c\", c='x'][d=4]", &name, &opts, &error));
  ck_assert_str_eq(name, "act");
  ck_assert_uint_eq(f2b_ini_map_size(opts), 4);
  ck_assert_str_eq(f2b_ini_map_get(opts, "b"), "q, c");
  ck_assert_str_eq(f2b_ini_map_get(opts, "d"), "4");
  g_free(name);
  f2b_ini_map_free(opts);
  ck_assert(!f2b_confreader_extract_options(r, "act[a=\"x\" junk]", &name, &opts, &error));
  ck_assert_str_eq(error->message, "unexpected syntax at 5 after option 'a':  junk");
  g_clear_error(&error);
  ck_assert(!f2b_confreader_extract_options(r, "[x]", &name, &opts, &error));
  g_clear_error(&error);
  g_autoptr(GPtrArray) parts = f2b_confreader_split_with_options(r, "a[x=1,\n y=2]\n b  c[p=\"1 2\"]");
  ck_assert_uint_eq(parts->len, 3);
  ck_assert_str_eq(g_strstrip((char *)parts->pdata[0]), "a[x=1,\n y=2]");
  ck_assert_str_eq(g_strstrip((char *)parts->pdata[2]), "c[p=\"1 2\"]");
}
END_TEST

START_TEST(test_substitute_tags)
{
  g_autoptr(F2bIniMap) t = f2b_ini_map_new();
  f2b_ini_map_set(t, "a", "<b>-<c>");
  f2b_ini_map_set(t, "b", "<c>");
  f2b_ini_map_set(t, "c", "C");
  f2b_ini_map_set(t, "d", "<unknown>");
  GError *error = NULL;
  g_autoptr(F2bIniMap) r = f2b_confreader_substitute_tags(t, NULL, &error);
  ck_assert_str_eq(f2b_ini_map_get(r, "a"), "C-C");
  ck_assert_str_eq(f2b_ini_map_get(r, "d"), "<unknown>");
  f2b_ini_map_set(t, "c", "<a>");
  ck_assert_ptr_null(f2b_confreader_substitute_tags(t, NULL, &error));
  ck_assert_ptr_nonnull(strstr(error->message, "self referencing"));
  g_error_free(error);
}
END_TEST

START_TEST(test_shlex)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) w = f2b_confreader_shlex_split("_SYSTEMD_UNIT=a + \"x y\" 'q'\\ z", &error);
  ck_assert_uint_eq(w->len, 4);
  ck_assert_str_eq(w->pdata[2], "x y");
  ck_assert_str_eq(w->pdata[3], "q z");
  ck_assert_ptr_null(f2b_confreader_shlex_split("'open", &error));
  g_error_free(error);
}
END_TEST

/* readConfig(jail), as `reload JAIL` sends it: the general options, then
 * that jail alone; a jail without a section is configparser's error. */
START_TEST(test_stream_of_one_jail)
{
  write_file("fail2ban.conf", "[Definition]\nloglevel = INFO\n");
  write_file("filter.d/f.conf", "[Definition]\nfailregex = ^fail <HOST>$\n");
  write_file("jail.conf", "[DEFAULT]\nfilter = f\nbackend = polling\nlogpath = /nonexistent/log\n"
                          "[j]\nenabled = true\n[k]\nenabled = true\nmaxretry = 2\n[off]\nenabled = false\n");
  F2bLogSink sink = { collect, NULL };
  g_autoptr(F2bConfReader) r = f2b_confreader_new(tmpdir, &sink);
  g_autoptr(F2bIniMap) early = f2b_ini_map_new();
  gboolean ok = FALSE;
  GError *error = NULL;
  g_autoptr(F2bPyObj) k = f2b_confreader_stream_jail(r, early, "k", TRUE, TRUE, &ok, &error);
  ck_assert_msg(k != NULL, "%s", error ? error->message : "");
  ck_assert(ok);
  g_autofree char *rk = f2b_py_repr(k);
  /* fail2ban 1.0.2's Configurator printed the same for this configuration */
  ck_assert_str_eq(rk, "[['set', 'syslogsocket', 'auto'], ['set', 'loglevel', 'INFO'], ['set', 'logtarget', 'STDERR'], "
                       "['set', 'allowipv6', 'auto'], ['set', 'dbfile', '/var/lib/fail2ban/fail2ban.sqlite3'], "
                       "['set', 'dbpurgeage', '1d'], ['add', 'k', 'polling'], "
                       "['set', 'k', 'addfailregex', '^fail <HOST>$'], ['set', 'k', 'maxretry', 2], ['start', 'k']]");
  g_autoptr(F2bPyObj) off = f2b_confreader_stream_jail(r, early, "off", TRUE, TRUE, &ok, &error);
  g_autofree char *roff = f2b_py_repr(off);
  ck_assert_str_eq(roff, "[['set', 'syslogsocket', 'auto'], ['set', 'loglevel', 'INFO'], ['set', 'logtarget', 'STDERR'], "
                       "['set', 'allowipv6', 'auto'], ['set', 'dbfile', '/var/lib/fail2ban/fail2ban.sqlite3'], "
                       "['set', 'dbpurgeage', '1d']]");
  ck_assert_ptr_null(f2b_confreader_stream_jail(r, early, "nojail", TRUE, TRUE, &ok, &error));
  ck_assert(g_error_matches(error, F2B_CONFREADER_ERROR, F2B_CONFREADER_ERROR_NO_SECTION));
  ck_assert_str_eq(error->message, "No section: 'nojail'");
  g_clear_error(&error);
}
END_TEST

/* A reader that has made the stream of the files in TMPDIR (transfer full). */
static F2bConfReader *
reader_with_stream(void)
{
  F2bLogSink sink = { collect, NULL };
  F2bConfReader *r = f2b_confreader_new(tmpdir, &sink);
  GError *error = NULL;
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r, &error);
  ck_assert_ptr_nonnull(early);
  gboolean ok;
  g_autoptr(F2bPyObj) s = f2b_confreader_stream(r, early, TRUE, TRUE, &ok, &error);
  ck_assert_msg(s != NULL, "%s", error ? error->message : "");
  return r;
}

/* Asserts that value INDEX of JAIL's OPTION is written at REL:LINE. */
static void
assert_located(F2bConfReader *r, const char *jail, const char *option, guint index, const char *rel,
               guint line)
{
  g_autofree char *file = NULL;
  guint got = 0;
  ck_assert_msg(f2b_confreader_locate(r, jail, option, index, &file, &got), "%s %s[%u] not located", jail,
                option, index);
  g_autofree char *want = g_build_filename(tmpdir, rel, NULL);
  ck_assert_msg(strcmp(file, want) == 0 && got == line, "%s %s[%u]: %s:%u, expected %s:%u", jail, option,
                index, file, got, want, line);
}

START_TEST(test_locate_filter_lines)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("filter.d/f.conf",
             "[INCLUDES]\nbefore = common.conf\n"                         /* 1-2 */
             "[Definition]\n"                                             /* 3 */
             "cmn = ^one <HOST>$\n"                                       /* 4 */
             "      # a comment line inside the value\n"                  /* 5 */
             "      ^two <HOST>$\n"                                       /* 6 */
             "mode-normal = ^normal <HOST>$\n"                            /* 7 */
             "mode-ddos = ^ddos1 <HOST>$\n\n     ^ddos2 <HOST>$\n"         /* 8-10 */
             "failregex = %(cmn)s\n"                                      /* 11 */
             "            ^%(__prefix)s three <HOST>$\n"                  /* 12 */
             "\n"                                                         /* 13 */
             "            <mode-<mode>>\n"                                /* 14 */
             "            ^last <HOST>$\n"                                /* 15 */
             "ignoreregex =\n  ^ign$\n"                                   /* 16-17 */
             "datepattern = {^LN-BEG}\n"                                  /* 18 */
             "[Init]\nmode = normal\n");
  write_file("filter.d/common.conf", "[DEFAULT]\n__prefix = \\s*\n");
  write_file("filter.d/f.local", "[Definition]\n# override\n\nprefregex = ^<F-CONTENT>.+</F-CONTENT>$\n");
  write_file("jail.conf",
             "[DEFAULT]\nlogpath = /nonexistent/log\n"
             "[a]\nenabled = true\nfilter = f\n"
             "[b]\nenabled = true\nfilter = f[mode=ddos]\n"
             "[c]\nenabled = true\nfilter = f\n"
             "failregex = %(known/failregex)s\n"                          /* 12 */
             "  # comment\n  ^jail <HOST>$\n"                             /* 13-14 */
             "[d]\nenabled = true\nfilter = f[failregex=\"^arg <HOST>\"]\n" /* 15-17 */
             "[off]\nenabled = false\nfilter = f\n");
  g_autoptr(F2bConfReader) r = reader_with_stream();
  /* a: one, two (from cmn), three, normal, last */
  assert_located(r, "a", "failregex", 0, "filter.d/f.conf", 4);
  assert_located(r, "a", "failregex", 1, "filter.d/f.conf", 6);
  assert_located(r, "a", "failregex", 2, "filter.d/f.conf", 12);
  assert_located(r, "a", "failregex", 3, "filter.d/f.conf", 7);
  assert_located(r, "a", "failregex", 4, "filter.d/f.conf", 15);
  assert_located(r, "a", "ignoreregex", 0, "filter.d/f.conf", 17);
  /* single values are at their option's line; the .local's definition wins */
  assert_located(r, "a", "prefregex", 0, "filter.d/f.local", 4);
  assert_located(r, "a", "datepattern", 3, "filter.d/f.conf", 18);
  /* b: mode=ddos gives two lines, the empty line between them is not sent */
  assert_located(r, "b", "failregex", 3, "filter.d/f.conf", 8);
  assert_located(r, "b", "failregex", 4, "filter.d/f.conf", 10);
  assert_located(r, "b", "failregex", 5, "filter.d/f.conf", 15);
  /* c: the jail's own value, its known/ part followed into the filter */
  assert_located(r, "c", "failregex", 1, "filter.d/f.conf", 6);
  assert_located(r, "c", "failregex", 4, "filter.d/f.conf", 15);
  assert_located(r, "c", "failregex", 5, "jail.conf", 14);
  /* d: a filter argument is at the jail's filter line */
  assert_located(r, "d", "failregex", 0, "jail.conf", 17);
  /* unknown jails, disabled jails, options set nowhere, indices past the end */
  g_autofree char *file = NULL;
  guint line = 7;
  ck_assert(!f2b_confreader_locate(r, "nosuch", "failregex", 0, &file, &line));
  ck_assert_ptr_null(file);
  ck_assert_uint_eq(line, 0);
  ck_assert(!f2b_confreader_locate(r, "off", "failregex", 0, &file, &line));
  ck_assert(!f2b_confreader_locate(r, "a", "journalmatch", 0, &file, &line));
  ck_assert(f2b_confreader_locate(r, "a", "failregex", 99, &file, &line));
  ck_assert_uint_eq(line, 11);
  /* locating logs nothing again */
  g_autofree char *before = g_strdup(logged->str);
  assert_located(r, "a", "failregex", 0, "filter.d/f.conf", 4);
  ck_assert_str_eq(logged->str, before);
}
END_TEST

START_TEST(test_locate_jail_local_override)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("filter.d/f.conf", "[Definition]\nfailregex = ^x <HOST>$\n");
  write_file("jail.conf", "[j]\nenabled = false\nfilter = f\nlogpath = /nonexistent/log\nmaxlines = 2\n");
  write_file("jail.d/override.conf", "[j]\nmaxlines = 0\n");
  write_file("jail.local", "[j]\n\nenabled = true\n");
  g_autoptr(F2bConfReader) r = reader_with_stream();
  assert_located(r, "j", "maxlines", 0, "jail.d/override.conf", 2);
  assert_located(r, "j", "failregex", 0, "filter.d/f.conf", 2);
  /* before any stream, nothing is known */
  g_autoptr(F2bConfReader) fresh = f2b_confreader_new(tmpdir, NULL);
  g_autofree char *file = NULL;
  guint line;
  ck_assert(!f2b_confreader_locate(fresh, "j", "failregex", 0, &file, &line));
}
END_TEST

/* Reads the stream (-t's way: wrong jails are not skipped) and returns the
 * reader for its failures; *OK and the stream's ERROR as the stream gives them. */
static F2bConfReader *
reader_with_failures(gboolean *ok, GError **error)
{
  F2bLogSink sink = { collect, NULL };
  F2bConfReader *r = f2b_confreader_new(tmpdir, &sink);
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r, NULL);
  ck_assert_ptr_nonnull(early);
  g_autoptr(F2bPyObj) s = f2b_confreader_stream(r, early, FALSE, TRUE, ok, error);
  return r;
}

/* Asserts failure I of R: JAIL, SECTION, OPTION at REL:LINE, MESSAGE (with
 * DIR standing for the configuration directory). */
static void
assert_failure(F2bConfReader *r, guint i, const char *jail, const char *section, const char *option,
               const char *rel, guint line, const char *message)
{
  const GPtrArray *fs = f2b_confreader_failures(r);
  ck_assert_uint_gt(fs->len, i);
  const F2bConfReaderFailure *f = fs->pdata[i];
  ck_assert_str_eq(f->jail ? f->jail : "(null)", jail ? jail : "(null)");
  ck_assert_str_eq(f->section, section);
  ck_assert_str_eq(f->option, option);
  g_autofree char *want = g_build_filename(tmpdir, rel, NULL);
  ck_assert_str_eq(f->file ? f->file : "(null)", want);
  ck_assert_uint_eq(f->line, line);
  g_auto(GStrv) parts = g_strsplit(message, "DIR", -1);
  g_autofree char *msg = g_strjoinv(tmpdir, parts);
  ck_assert_str_eq(f->message, msg);
}

START_TEST(test_failure_missing_filter)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("jail.conf", "[DEFAULT]\nfilter = %(__name__)s\n[a]\nenabled = true\n"
                          "[b]\nenabled = true\n\nfilter = nosuch[mode=x]\n[c]\nenabled = false\n");
  gboolean ok = TRUE;
  GError *error = NULL;
  g_autoptr(F2bConfReader) r = reader_with_failures(&ok, &error);
  ck_assert_ptr_null(error);
  ck_assert(!ok);
  ck_assert_uint_eq(f2b_confreader_failures(r)->len, 2);
  /* a's filter comes from DEFAULT; the disabled jail reads no filter */
  assert_failure(r, 0, "a", "a", "filter", "jail.conf", 2, "no filter 'a' in DIR/filter.d");
  assert_failure(r, 1, "b", "b", "filter", "jail.conf", 8, "no filter 'nosuch' in DIR/filter.d");
}
END_TEST

START_TEST(test_failure_missing_action)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("action.d/ok.conf", "[Definition]\nactionban = true\n");
  write_file("jail.conf", "[DEFAULT]\nbanaction = ok\naction_ = %(banaction)s[name=%(__name__)s]\n"
                          "action = %(action_)s\n"
                          "[lit]\nenabled = true\naction = ok\n  nosuch[x=1]\n"
                          "[ban]\nenabled = true\n");
  write_file("jail.local", "[ban]\n# comment\nbanaction = missing\n");
  gboolean ok = TRUE;
  GError *error = NULL;
  g_autoptr(F2bConfReader) r = reader_with_failures(&ok, &error);
  ck_assert_ptr_null(error);
  ck_assert(!ok);
  ck_assert_uint_eq(f2b_confreader_failures(r)->len, 2);
  /* the second entry of a literal list is on its own line */
  assert_failure(r, 0, "lit", "lit", "action", "jail.conf", 8, "no action 'nosuch' in DIR/action.d");
  /* an action list built on %(banaction)s names it where banaction is set */
  assert_failure(r, 1, "ban", "ban", "banaction", "jail.local", 3, "no action 'missing' in DIR/action.d");
}
END_TEST

START_TEST(test_failure_interpolation)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("jail.conf", "[DEFAULT]\nfindtime = 10\n[j]\nenabled = true\nfilter =\n\nbantime = 1%(nope)s\n");
  gboolean ok = TRUE;
  GError *error = NULL;
  g_autoptr(F2bConfReader) r = reader_with_failures(&ok, &error);
  ck_assert_ptr_nonnull(error);
  ck_assert_int_eq(error->code, F2B_INI_ERROR_INTERPOLATION_MISSING);
  g_clear_error(&error);
  ck_assert_uint_eq(f2b_confreader_failures(r)->len, 1);
  assert_failure(r, 0, "j", "j", "bantime", "jail.conf", 7,
                 "'%(nope)s' does not resolve: no option 'nope' in [j] or [DEFAULT]");
  /* in a filter: the filter's line, the jail that reads it */
  write_file("jail.conf", "[j]\nenabled = true\nfilter = f\n");
  write_file("filter.d/f.conf", "[Definition]\nfailregex = ^x <HOST>$\nprefregex = %(a)s\na = %(b)s\n");
  g_autoptr(F2bConfReader) r2 = reader_with_failures(&ok, &error);
  ck_assert_ptr_nonnull(error);
  ck_assert_uint_eq(f2b_confreader_failures(r2)->len, 1);
  /* prefregex's own reference resolves: the message is configparser's */
  assert_failure(r2, 0, "j", "Definition", "prefregex", "filter.d/f.conf", 3, error->message);
  g_clear_error(&error);
  /* a second stream of the same reader starts afresh */
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r2, NULL);
  ck_assert_ptr_nonnull(early);
  ck_assert_ptr_null(f2b_confreader_stream(r2, early, FALSE, TRUE, &ok, &error));
  g_clear_error(&error);
  ck_assert_uint_eq(f2b_confreader_failures(r2)->len, 1);
}
END_TEST

START_TEST(test_failure_syntax_not_recorded)
{
  write_file("fail2ban.conf", base_f2b);
  write_file("jail.conf", "[j]\nno delimiter here\n");
  gboolean ok = TRUE;
  GError *error = NULL;
  g_autoptr(F2bConfReader) r = reader_with_failures(&ok, &error);
  ck_assert_ptr_nonnull(error);
  ck_assert_int_eq(error->code, F2B_INI_ERROR_PARSE);
  g_clear_error(&error);
  ck_assert_uint_eq(f2b_confreader_failures(r)->len, 0);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("confreader");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_minimal_jail_order);
  tcase_add_test(tc, test_stream_of_one_jail);
  tcase_add_test(tc, test_missing_filter_is_config_error);
  tcase_add_test(tc, test_unresolvable_interpolation_fails);
  tcase_add_test(tc, test_missing_basedir);
  tcase_add_test(tc, test_extract_and_split_options);
  tcase_add_test(tc, test_substitute_tags);
  tcase_add_test(tc, test_shlex);
  tcase_add_test(tc, test_locate_filter_lines);
  tcase_add_test(tc, test_locate_jail_local_override);
  tcase_add_test(tc, test_failure_missing_filter);
  tcase_add_test(tc, test_failure_missing_action);
  tcase_add_test(tc, test_failure_interpolation);
  tcase_add_test(tc, test_failure_syntax_not_recorded);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
