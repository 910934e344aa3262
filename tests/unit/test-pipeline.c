/* test-pipeline.c - server/pipeline.c through a real jail: lines fed to
 * f2bs_jail_process_line on a GMainLoop, the jail configured by the same
 * commands the transmitter runs, a test GResolver instead of DNS.  Asserts
 * the fail2ban log lines, the fail and ban managers, and a shell action's
 * output file. */
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "actions.h"
#include "check-main.h"
#include "dnscache.h"
#include "pipeline.h"
#include "serverlog.h"
#include "timeutil.h"
#include "transmitter.h"

/* ---- a resolver that knows a few names ------------------------------------ */

typedef struct {
  GResolver parent;
} TestResolver;
typedef struct {
  GResolverClass parent_class;
} TestResolverClass;

GType test_resolver_get_type(void);
G_DEFINE_TYPE(TestResolver, test_resolver, G_TYPE_RESOLVER)

static guint lookups; /* lookups asked of the resolver */

static const struct {
  const char *name;
  const char *addrs[3];
} known_names[] = {
  { "host.test", { "192.0.2.10", "2001:db8::10", NULL } },
  { "trusted.test", { "203.0.113.9", NULL } },
  { "localhost", { "127.0.0.1", "::1", NULL } },
};

static GList *
answer_for(const char *name, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(known_names); i++)
    if (strcmp(known_names[i].name, name) == 0) {
      GList *l = NULL;
      for (guint k = 0; known_names[i].addrs[k]; k++)
        l = g_list_append(l, g_inet_address_new_from_string(known_names[i].addrs[k]));
      return l;
    }
  if (strcmp(name, g_get_host_name()) == 0)
    return g_list_append(NULL, g_inet_address_new_from_string("198.51.100.77"));
  /* GIO's wording: "Error resolving “%s”: " + gai_strerror */
  g_set_error(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "Error resolving \u201c%s\u201d: %s", name,
              "Name or service not known");
  return NULL;
}

static void
tr_lookup_by_name_async(GResolver *r, const gchar *name, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  lookups++;
  GTask *task = g_task_new(r, c, cb, data);
  GError *error = NULL;
  GList *l = answer_for(name, &error);
  if (l)
    g_task_return_pointer(task, l, (GDestroyNotify)g_resolver_free_addresses);
  else
    g_task_return_error(task, error);
  g_object_unref(task);
}

static GList *
tr_lookup_by_name_finish(GResolver *r, GAsyncResult *res, GError **error)
{
  (void)r;
  return g_task_propagate_pointer(G_TASK(res), error);
}

static GList *
tr_lookup_by_name(GResolver *r, const gchar *name, GCancellable *c, GError **error)
{
  (void)r;
  (void)c;
  return answer_for(name, error);
}

static void
test_resolver_class_init(TestResolverClass *klass)
{
  GResolverClass *rc = G_RESOLVER_CLASS(klass);
  rc->lookup_by_name = tr_lookup_by_name;
  rc->lookup_by_name_async = tr_lookup_by_name_async;
  rc->lookup_by_name_finish = tr_lookup_by_name_finish;
}

static void
test_resolver_init(TestResolver *r)
{
  (void)r;
}

/* ---- fixture ------------------------------------------------------------------ */

static char *tmpdir;
static char *logpath;
static F2bsTransmitter *tx;

static void
setup(void)
{
  tmpdir = g_dir_make_tmp("f2bc-pipeline-XXXXXX", NULL);
  logpath = g_build_filename(tmpdir, "log", NULL);
  ck_assert(f2bs_log_set_level("DEBUG", NULL));
  ck_assert(f2bs_log_set_target(logpath, NULL));
  f2bs_dns_reset();
  lookups = 0;
  tx = f2bs_transmitter_new(NULL, NULL);
}

static gboolean
nothing_pending(gpointer data)
{
  (void)data;
  return f2bs_actions_pending() == 0;
}

static void spin_until(GSourceFunc cond, gpointer data);
static char *log_text(void);

static void
teardown(void)
{
  if (g_getenv("F2B_SHOW_LOG")) {
    g_autofree char *text = log_text();
    g_printerr("%s\n-----\n", text);
  }
  f2bs_transmitter_stop_all(tx);
  spin_until(nothing_pending, NULL);
  f2bs_transmitter_free(tx);
  f2bs_log_shutdown();
  g_autoptr(GDir) d = g_dir_open(tmpdir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(tmpdir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(tmpdir);
  g_free(tmpdir);
  g_free(logpath);
}

/* Iterates the main loop until COND holds (bounded: a stuck test fails, it does not hang). */
static void
spin_until(GSourceFunc cond, gpointer data)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (!cond(data)) {
    ck_assert_msg(g_get_monotonic_time() < end, "condition not reached in 10 s");
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
}

/* Runs a command; its reply must be a success. */
static void
cmd(const char *first, ...)
{
  va_list ap;
  va_start(ap, first);
  g_autoptr(F2bPyObj) c = f2b_py_list_new();
  for (const char *s = first; s; s = va_arg(ap, const char *))
    f2b_py_append(c, f2b_py_str(s));
  va_end(ap);
  g_autoptr(F2bPyObj) reply = f2bs_transmitter_proceed_sync(tx, c);
  g_autofree char *r = f2b_py_repr(reply);
  ck_assert_msg(g_str_has_prefix(r, "(0, "), "%s", r);
}

static F2bsJail *
jail(const char *name)
{
  return f2bs_jails_get(f2bs_transmitter_jails(tx), name, NULL);
}

/* A jail "j": failregex "fail <HOST>$" (after the given usedns), ignoreself off. */
static F2bsJail *
mkjail(const char *usedns, const char *maxretry)
{
  cmd("add", "j", "polling", NULL);
  if (usedns)
    cmd("set", "j", "usedns", usedns, NULL);
  cmd("set", "j", "addfailregex", "fail <HOST>$", NULL);
  cmd("set", "j", "ignoreself", "false", NULL);
  cmd("set", "j", "maxretry", maxretry, NULL);
  return jail("j");
}

static void
feed(F2bsJail *j, const char *line)
{
  f2bs_jail_process_line(j, line, strlen(line));
}

static char *
log_text(void)
{
  char *text = NULL;
  if (!g_file_get_contents(logpath, &text, NULL, NULL))
    return g_strdup("");
  return text;
}

static guint
log_count(const char *what)
{
  g_autofree char *text = log_text();
  guint n = 0;
  for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
    n++;
  return n;
}

/* The offset of WHAT in the log (-1 when absent), to check order. */
static gssize
log_pos(const char *what)
{
  g_autofree char *text = log_text();
  const char *p = strstr(text, what);
  return p ? p - text : -1;
}

static gboolean
queue_empty(gpointer data)
{
  return f2bs_pipeline_pending(((F2bsJail *)data)->pipeline) == 0;
}

static guint
failed_now(F2bsJail *j)
{
  return f2b_failmanager_size(f2bs_actions_failmanager(j->rt));
}

static gint64
failed_total(F2bsJail *j)
{
  return f2b_failmanager_get_fail_total(f2bs_actions_failmanager(j->rt));
}

static gboolean
is_banned(F2bsJail *j, const char *id)
{
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(id, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  return f2b_banmanager_lookup(f2bs_actions_banmanager(j->rt), ip) != NULL;
}

/* A line stamped now, and the text fail2ban's "Found" shows for it. */
static char *
stamped(const char *rest, char **shown)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *date = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
  *shown = g_strdup(date);
  return g_strdup_printf("%s %s", date, rest);
}

/* ---- tests ---------------------------------------------------------------------- */

static gboolean
file_has(gpointer data)
{
  const char **want = data;
  g_autofree char *text = NULL;
  return g_file_get_contents(want[0], &text, NULL, NULL) && strcmp(text, want[1]) == 0;
}

START_TEST(test_ban_at_maxretry)
{
  F2bsJail *j = mkjail(NULL, "3");
  g_autofree char *out = g_build_filename(tmpdir, "bans", NULL);
  g_autofree char *ban = g_strdup_printf("echo <ip> >> %s", out);
  cmd("set", "j", "addaction", "dummy", NULL);
  cmd("set", "j", "action", "dummy", "actionban", ban, NULL);
  cmd("start", "j", NULL);
  g_autofree char *date = NULL;
  g_autofree char *line = stamped("fail 192.0.2.1", &date);
  g_autofree char *found = g_strdup_printf("fail2ban.filter         [%d]: INFO    [j] Found 192.0.2.1 - %s\n",
                                           (int)getpid(), date);
  feed(j, line);
  feed(j, line);
  ck_assert_uint_eq(failed_now(j), 1);
  ck_assert_int_eq(failed_total(j), 2);
  ck_assert(!is_banned(j, "192.0.2.1"));
  g_autofree char *summary = g_strdup_printf("fail2ban.failmanager    [%d]: DEBUG   Total # of detected failures: "
                                             "2. Current failures from 1 IPs (IP:count): 192.0.2.1:2\n",
                                             (int)getpid());
  ck_assert_uint_eq(log_count(summary), 1);
  feed(j, line);
  ck_assert(is_banned(j, "192.0.2.1"));
  ck_assert_uint_eq(failed_now(j), 0);
  ck_assert_uint_eq(log_count(found), 3);
  ck_assert_uint_eq(log_count("NOTICE  [j] Ban 192.0.2.1\n"), 1);
  ck_assert_uint_eq(log_count("DEBUG   Banned 1 / 1, 1 ticket(s) in 'j'\n"), 1);
  const char *want[] = { out, "192.0.2.1\n" };
  spin_until(file_has, want);
  /* the next failure starts a new count; a 4th ban attempt is "already banned" */
  feed(j, line);
  feed(j, line);
  ck_assert_uint_eq(failed_now(j), 1);
  feed(j, line);
  ck_assert_uint_eq(log_count("[j] 192.0.2.1 already banned\n"), 1);
  ck_assert_uint_eq(log_count("[j] Ban 192.0.2.1"), 1);
  /* a line without failure and another address */
  feed(j, "nothing here");
  feed(j, "fail 192.0.2.2");
  ck_assert_uint_eq(failed_now(j), 1);
  ck_assert_uint_eq(log_count("[j] Found 192.0.2.2 - "), 1);
  /* that dateless match (it borrowed the last date) was warned about once, then at level 7 */
  feed(j, "fail 192.0.2.3");
  g_autofree char *nodate = g_strdup_printf("WARNING [j] Found a match but no valid date/time found for '%s'.\n",
                                            date);
  ck_assert_uint_eq(log_count(nodate), 1);
  g_autofree char *matched = g_strdup_printf("WARNING [j] Match without a timestamp: %sfail 192.0.2.2\n", date);
  ck_assert_uint_eq(log_count(matched), 1);
  ck_assert_uint_eq(log_count("WARNING [j] Please try setting a custom date pattern (see man page jail.conf(5)).\n"),
                    1);
  ck_assert_uint_eq(log_count("no valid date/time"), 1);
}
END_TEST

START_TEST(test_ignoreip)
{
  F2bsJail *j = mkjail(NULL, "1");
  cmd("set", "j", "addignoreip", "192.0.2.0/24", "198.51.100.7", "trusted.test", NULL);
  feed(j, "fail 192.0.2.5");
  feed(j, "fail 198.51.100.7");
  ck_assert_uint_eq(log_count("INFO    [j] Ignore 192.0.2.5 by ip\n"), 1);
  ck_assert_uint_eq(log_count("INFO    [j] Ignore 198.51.100.7 by ip\n"), 1);
  /* a host name in ignoreip: the failure waits for its lookup */
  feed(j, "fail 203.0.113.9");
  feed(j, "fail 203.0.113.1");
  ck_assert_uint_eq(f2bs_pipeline_pending(j->pipeline), 2);
  ck_assert_uint_eq(log_count("INFO    [j] Found "), 0);
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("INFO    [j] Ignore 203.0.113.9 by dns\n"), 1);
  ck_assert(log_pos("Ignore 203.0.113.9 by dns") < log_pos("[j] Found 203.0.113.1 - "));
  ck_assert(is_banned(j, "203.0.113.1"));
  ck_assert(!is_banned(j, "203.0.113.9"));
  ck_assert_int_eq(failed_total(j), 1);
  /* the answer is cached: no second lookup */
  guint before = lookups;
  feed(j, "fail 203.0.113.9");
  ck_assert_uint_eq(f2bs_pipeline_pending(j->pipeline), 0);
  ck_assert_uint_eq(lookups, before);
  ck_assert_uint_eq(log_count("Ignore 203.0.113.9 by dns"), 2);
}
END_TEST

START_TEST(test_ignoreself)
{
  F2bsJail *j = mkjail(NULL, "1");
  cmd("set", "j", "ignoreself", "true", NULL);
  feed(j, "fail 127.0.0.1");
  g_autofree char *mine = g_strdup_printf("fail %s", "198.51.100.77");
  feed(j, mine);
  feed(j, "fail 192.0.2.3");
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("[j] Ignore 127.0.0.1 by ignoreself rule\n"), 1);
  ck_assert_uint_eq(log_count("[j] Ignore 198.51.100.77 by ignoreself rule\n"), 1);
  ck_assert(is_banned(j, "192.0.2.3"));
  cmd("set", "j", "ignoreself", "false", NULL);
  feed(j, "fail 127.0.0.1");
  ck_assert(is_banned(j, "127.0.0.1"));
}
END_TEST

START_TEST(test_ignorecommand_and_cache)
{
  F2bsJail *j = mkjail(NULL, "1");
  g_autofree char *runs = g_build_filename(tmpdir, "runs", NULL);
  g_autofree char *ic = g_strdup_printf("echo <ip> >> %s; test <ip> = 192.0.2.66", runs);
  cmd("set", "j", "ignorecommand", ic, NULL);
  cmd("set", "j", "ignorecache", "key=\"<ip>\", max-count=10, max-time=5m", NULL);
  feed(j, "fail 192.0.2.66");
  feed(j, "fail 192.0.2.66"); /* waits behind the first: decided from the cache */
  feed(j, "fail 192.0.2.67");
  ck_assert_uint_eq(f2bs_pipeline_pending(j->pipeline), 3);
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("INFO    [j] Ignore 192.0.2.66 by command\n"), 1); /* a cache hit logs nothing */
  ck_assert(!is_banned(j, "192.0.2.66"));
  ck_assert(is_banned(j, "192.0.2.67"));
  ck_assert_int_eq(failed_total(j), 1);
  g_autofree char *ran = NULL;
  ck_assert(g_file_get_contents(runs, &ran, NULL, NULL));
  ck_assert_str_eq(ran, "192.0.2.66\n192.0.2.67\n");
  ck_assert_uint_eq(log_count("ignore command: echo 192.0.2.66 >> "), 1);
  ck_assert_uint_eq(log_count("returned successfully 1\n"), 1); /* exit 1: not ignored, no error */
  /* without a cache every failure runs the command */
  cmd("set", "j", "ignorecache", "", NULL);
  feed(j, "fail 192.0.2.66");
  feed(j, "fail 192.0.2.66");
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("Ignore 192.0.2.66 by command"), 3);
}
END_TEST

static gboolean
nothing_failed(gpointer data)
{
  return failed_now(data) == 0;
}

START_TEST(test_findtime_expiry)
{
  F2bsJail *j = mkjail(NULL, "3");
  cmd("set", "j", "findtime", "1", NULL);
  feed(j, "fail 192.0.2.1");
  feed(j, "fail 192.0.2.2");
  ck_assert_uint_eq(failed_now(j), 2);
  /* a timer, not the next line, forgets them */
  spin_until(nothing_failed, j);
  ck_assert_int_eq(failed_total(j), 2);
  feed(j, "fail 192.0.2.1");
  ck_assert_uint_eq(failed_now(j), 1);
  ck_assert(!is_banned(j, "192.0.2.1"));
}
END_TEST

START_TEST(test_maxmatches)
{
  F2bsJail *j = mkjail(NULL, "3");
  cmd("set", "j", "maxmatches", "2", NULL);
  feed(j, "a fail 192.0.2.1");
  feed(j, "b fail 192.0.2.1");
  feed(j, "c fail 192.0.2.1");
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new("192.0.2.1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  F2bTicket *t = f2b_banmanager_lookup(f2bs_actions_banmanager(j->rt), ip);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(t->failures, 3);
  g_autofree char *m = f2b_ticket_matches_joined(t, NULL);
  ck_assert_str_eq(m, "b fail 192.0.2.1\nc fail 192.0.2.1");
}
END_TEST

START_TEST(test_fid)
{
  cmd("add", "j", "polling", NULL);
  cmd("set", "j", "addfailregex", "user <F-ID>\\S+</F-ID> failed from <F-USER>.*</F-USER>$", NULL);
  cmd("set", "j", "maxretry", "2", NULL);
  F2bsJail *j = jail("j");
  feed(j, "user bob failed from here");
  feed(j, "user bob failed from there");
  spin_until(queue_empty, j); /* ignoreself is on: the host's addresses are looked up first */
  ck_assert_uint_eq(log_count("[j] Found bob - "), 2);
  ck_assert_uint_eq(log_count("[j] Ban bob\n"), 1);
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new("bob", -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  F2bTicket *t = f2b_banmanager_lookup(f2bs_actions_banmanager(j->rt), id);
  ck_assert_ptr_nonnull(t);
  /* the fail manager keeps the first ticket: its groups are the first line's */
  ck_assert_str_eq(f2b_py_get_str(f2b_ticket_get_data(t, "user"), NULL), "here");
  ck_assert_int_eq(t->failures, 2);
}
END_TEST

START_TEST(test_usedns_yes)
{
  F2bsJail *j = mkjail("yes", "1");
  feed(j, "fail host.test");
  ck_assert_uint_eq(f2bs_pipeline_pending(j->pipeline), 1);
  spin_until(queue_empty, j);
  ck_assert(is_banned(j, "192.0.2.10"));
  ck_assert(is_banned(j, "2001:db8::10"));
  ck_assert(log_pos("[j] Found 192.0.2.10 - ") < log_pos("[j] Found 2001:db8::10 - "));
  ck_assert_uint_eq(log_count("Determined IP using DNS Lookup"), 0);
  /* a name that does not resolve: fail2ban's warning and no failure */
  feed(j, "fail nx.test");
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("WARNING Unable to find a corresponding IP address for nx.test: "
                              "[Errno -2] Name or service not known\n"), 1);
  ck_assert_int_eq(failed_total(j), 2);
  /* cached, answered while the filter runs */
  guint before = lookups;
  feed(j, "fail nx.test");
  feed(j, "fail host.test");
  ck_assert_uint_eq(f2bs_pipeline_pending(j->pipeline), 0);
  ck_assert_uint_eq(lookups, before);
  ck_assert_uint_eq(log_count("[j] 192.0.2.10 already banned"), 1);
}
END_TEST

START_TEST(test_usedns_warn_no_raw)
{
  F2bsJail *j = mkjail(NULL, "1"); /* warn is the default */
  feed(j, "fail host.test");
  spin_until(queue_empty, j);
  ck_assert_uint_eq(log_count("WARNING Determined IP using DNS Lookup: host.test = {'192.0.2.10', "
                              "'2001:db8::10'}\n"), 1);
  ck_assert(is_banned(j, "192.0.2.10"));
  /* the second time from the cache, during the filter call: warned again, as textToIp does */
  cmd("set", "j", "unbanip", "--report-absent", "192.0.2.10", NULL);
  feed(j, "fail host.test");
  ck_assert_uint_eq(log_count("Determined IP using DNS Lookup: host.test"), 2);

  cmd("add", "n", "polling", NULL);
  cmd("set", "n", "usedns", "no", NULL);
  cmd("set", "n", "addfailregex", "fail <HOST>$", NULL);
  cmd("set", "n", "maxretry", "1", NULL);
  cmd("set", "n", "ignoreself", "false", NULL);
  F2bsJail *n = jail("n");
  guint before = lookups;
  feed(n, "fail other.test");
  feed(n, "fail 192.0.2.20");
  ck_assert_uint_eq(lookups, before);
  ck_assert_int_eq(failed_total(n), 1);
  ck_assert(is_banned(n, "192.0.2.20"));

  cmd("add", "r", "polling", NULL);
  cmd("set", "r", "usedns", "raw", NULL);
  cmd("set", "r", "addfailregex", "fail <HOST>$", NULL);
  cmd("set", "r", "maxretry", "1", NULL);
  cmd("set", "r", "ignoreself", "false", NULL);
  F2bsJail *r = jail("r");
  feed(r, "fail raw.test");
  ck_assert_uint_eq(lookups, before);
  ck_assert_uint_eq(log_count("[r] Found raw.test - "), 1);
  ck_assert_uint_eq(log_count("[r] Ban raw.test\n"), 1);
}
END_TEST

START_TEST(test_idle)
{
  F2bsJail *j = mkjail(NULL, "3");
  cmd("set", "j", "idle", "on", NULL);
  feed(j, "fail 192.0.2.1");
  ck_assert_int_eq(failed_total(j), 0);
  ck_assert_uint_eq(log_count("Found"), 0);
  cmd("set", "j", "idle", "off", NULL);
  feed(j, "fail 192.0.2.1");
  ck_assert_int_eq(failed_total(j), 1);
}
END_TEST

START_TEST(test_old_lines_on_start)
{
  F2bsJail *j = mkjail(NULL, "3");
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autoptr(GDateTime) old = g_date_time_add_hours(now, -2);
  g_autofree char *date = g_date_time_format(old, "%Y-%m-%d %H:%M:%S");
  g_autofree char *line = g_strdup_printf("%s fail 192.0.2.1", date);
  /* first reading (not in operation): too old, read but not counted, warned once */
  f2bs_jail_process_log_line(j, line, strlen(line), FALSE);
  f2bs_jail_process_log_line(j, line, strlen(line), FALSE);
  ck_assert_int_eq(failed_total(j), 0);
  ck_assert_uint_eq(log_count("WARNING [j] Ignoring all log entries older than 600s; these are probably "
                              "messages generated while fail2ban was not running.\n"), 1);
  g_autofree char *odd = g_strdup_printf("WARNING [j] Please check a jail for a timing issue. Line with odd "
                                         "timestamp: %s\n", line);
  ck_assert_uint_eq(log_count(odd), 1);
  ck_assert_uint_eq(log_count("TRACE   Ignoring all log entries older than 600s"), 0); /* level 7 is below DEBUG */
  /* in operation the same line counts, as if it just happened, with fail2ban's warning */
  f2bs_jail_process_log_line(j, line, strlen(line), TRUE);
  ck_assert_int_eq(failed_total(j), 1);
  ck_assert_uint_eq(log_count("WARNING [j] Detected a log entry 2h before the current time in operation mode. "
                              "This looks like a timezone problem. Treating such entries as if they just "
                              "happened.\n"), 1);
}
END_TEST

START_TEST(test_failed_line)
{
  cmd("add", "j", "polling", NULL);
  cmd("set", "j", "addfailregex", "fail <ADDR>(?:/<F-CIDR>\\w+</F-CIDR>)?$", NULL);
  cmd("set", "j", "ignoreself", "false", NULL);
  F2bsJail *j = jail("j");
  feed(j, "fail 192.0.2.1/xx");
  ck_assert_uint_eq(log_count("ERROR   Failed to process line: 'fail 192.0.2.1/xx', caught exception: "
                              "ValueError(\"invalid literal for int() with base 10: 'xx'\")\n"), 1);
  feed(j, "fail 192.0.2.1/24");
  ck_assert_uint_eq(log_count("[j] Found 192.0.2.0/24 - "), 1);
}
END_TEST

START_TEST(test_error_text)
{
  GError e = { G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, (char *)"Error resolving \u201cx\u201d: Name or service not known" };
  g_autofree char *a = f2bs_dns_error_text(&e);
  ck_assert_str_eq(a, "[Errno -2] Name or service not known");
  e.message = (char *)"Error resolving \u201cx\u201d: Temporary failure in name resolution";
  g_autofree char *b = f2bs_dns_error_text(&e);
  ck_assert_str_eq(b, "[Errno -3] Temporary failure in name resolution");
  e.message = (char *)"something else";
  g_autofree char *c = f2bs_dns_error_text(&e);
  ck_assert_str_eq(c, "something else");
}
END_TEST

/* ---- back-pressure ------------------------------------------------------------ */

typedef struct {
  F2bsJail *jail;
  gint64 want;
  guint max_pending;
} Flood;

static gboolean
flood_done(gpointer data)
{
  Flood *f = data;
  f->max_pending = MAX(f->max_pending, f2bs_pipeline_pending(f->jail->pipeline));
  return failed_total(f->jail) >= f->want && f2bs_pipeline_pending(f->jail->pipeline) == 0;
}

/* A flood of failures behind a slow ignorecommand (cached after its first
 * run): the watcher stops reading at the pipeline's bound and goes on when
 * it drains; every failure is counted, none dropped. */
START_TEST(test_backpressure)
{
  static const char *const backends[] = { "polling", "auto" };
  const guint lines = 3 * F2BS_PIPELINE_PAUSE_AT;
  ck_assert(f2bs_log_set_level("INFO", NULL));
  g_autofree char *watched = g_build_filename(tmpdir, "flood.log", NULL);
  g_autofree char *date = NULL;
  g_autofree char *line = stamped("fail 192.0.2.5\n", &date);
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < lines; i++)
    g_string_append(text, line);
  ck_assert(g_file_set_contents(watched, text->str, (gssize)text->len, NULL));
  g_string_free(text, TRUE);
  cmd("add", "j", backends[_i], NULL);
  cmd("set", "j", "addfailregex", "fail <HOST>$", NULL);
  cmd("set", "j", "ignoreself", "false", NULL);
  cmd("set", "j", "maxretry", "1000000", NULL);
  cmd("set", "j", "ignorecommand", "sleep 0.5; exit 1", NULL);
  cmd("set", "j", "ignorecache", "key=\"<ip>\", max-count=10, max-time=5m", NULL);
  cmd("set", "j", "addlogpath", watched, "head", NULL);
  cmd("start", "j", NULL);
  Flood f = { jail("j"), lines, 0 };
  spin_until(flood_done, &f);
  ck_assert_int_eq(failed_total(f.jail), lines);
  ck_assert_uint_eq(f.max_pending, F2BS_PIPELINE_PAUSE_AT); /* it filled up to the bound, no further */
  ck_assert_uint_eq(log_count("] Found 192.0.2.5 - "), lines);
  ck_assert_uint_eq(log_count("ERROR"), 0);
  ck_assert(!f2bs_pipeline_is_busy(f.jail->pipeline));
}
END_TEST

int
main(void)
{
  g_autoptr(GResolver) resolver = g_object_new(test_resolver_get_type(), NULL);
  g_resolver_set_default(resolver);
  Suite *s = suite_create("pipeline");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_ban_at_maxretry);
  tcase_add_test(tc, test_ignoreip);
  tcase_add_test(tc, test_ignoreself);
  tcase_add_test(tc, test_ignorecommand_and_cache);
  tcase_add_test(tc, test_findtime_expiry);
  tcase_add_test(tc, test_maxmatches);
  tcase_add_test(tc, test_fid);
  tcase_add_test(tc, test_usedns_yes);
  tcase_add_test(tc, test_usedns_warn_no_raw);
  tcase_add_test(tc, test_idle);
  tcase_add_test(tc, test_old_lines_on_start);
  tcase_add_test(tc, test_failed_line);
  tcase_add_test(tc, test_error_text);
  tcase_add_loop_test(tc, test_backpressure, 0, 2);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
