/* jail.c - one jail's configuration and state (see jail.h).
 *
 * Each setter mirrors the fail2ban method behind the command (Filter,
 * FileFilter, Actions, Jail.setBanTimeExtra): the same conversions, the
 * same log lines, the same exceptions. */
#include "jail.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "actnative.h"
#include "confreader.h"
#include "dnscache.h"
#include "journalwatch.h"
#include "logwatch.h"
#include "persist.h"
#include "pipeline.h"
#include "pyexc.h"
#include "pystr.h"
#include "serverlog.h"
#include "timeutil.h"

static const char *const backends[] = { "pyinotify", "gamin", "polling", "systemd" };

F2bsAction *
f2bs_action_ref(F2bsAction *action)
{
  action->refcount++;
  return action;
}

void
f2bs_action_unref(F2bsAction *a)
{
  if (a == NULL || --a->refcount > 0)
    return;
  g_free(a->name);
  f2b_py_free(a->props);
  g_hash_table_unref(a->started);
  g_ptr_array_unref(a->started_order);
  g_hash_table_unref(a->executed);
  f2bs_actnative_forget(a);
  g_free(a);
}

/* The date templates of all jails, built once (fail2ban shares them process-wide);
 * made with the first jail, so the year %ExY accepts is fixed at start-up as in
 * fail2ban.  Jails run in the main loop's thread. */
static F2bDateCache *
shared_dates(void)
{
  static F2bDateCache *dates;
  if (!dates)
    dates = f2b_datedetect_cache_new((double)g_get_real_time() / G_USEC_PER_SEC);
  return dates;
}

static void
action_free(gpointer p)
{
  f2bs_action_unref(p);
}

static void
ipaddr_free(gpointer p)
{
  f2b_ipaddr_free(p);
}

/* The backend's options as fail2ban logs them: a dict of str, in their order. */
static char *
options_repr(const F2bIniMap *opts)
{
  g_autoptr(F2bPyObj) dict = f2b_py_dict_new();
  for (guint i = 0; opts && i < f2b_ini_map_size(opts); i++) {
    const char *value = f2b_ini_map_value(opts, i);
    f2b_py_dict_set(dict, f2b_py_str(f2b_ini_map_key(opts, i)), value ? f2b_py_str(value) : f2b_py_none());
  }
  return f2b_py_repr(dict);
}

/* Jail._setBackend: the backend name is checked and its [options] logged (init_watching uses them). */
static gboolean
check_backend(F2bsJail *jail, const char *spec, GError **error)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/", NULL);
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) opts = NULL;
  GError *local = NULL;
  if (!f2b_confreader_extract_options(r, spec, &name, &opts, &local)) {
    f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  g_autofree char *lower = g_ascii_strdown(name, -1);
  const char *chosen = "pyinotify";
  if (strcmp(lower, "auto") != 0) {
    chosen = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(backends); i++)
      if (strcmp(lower, backends[i]) == 0)
        chosen = backends[i];
    if (chosen == NULL) {
#define UNKNOWN_BACKEND "Unknown backend %s. Must be among ['pyinotify', 'gamin', 'polling', 'systemd'] or 'auto'"
      f2bs_log(F2BS_LOG_ERROR, "fail2ban.jail", UNKNOWN_BACKEND, lower);
      return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, UNKNOWN_BACKEND, lower);
    }
  }
  /* gamin does not exist on Debian 12: fail2ban falls back to polling. */
  if (strcmp(chosen, "gamin") == 0) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.jail", "Backend 'gamin' failed to initialize due to No module named 'gamin'");
    chosen = "polling";
  }
  const char *verb = strcmp(chosen, "polling") == 0 ? "poller" : chosen;
  g_autofree char *kwargs = options_repr(opts);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Jail '%s' uses %s %s", jail->name, verb, kwargs);
  if (strcmp(lower, "auto") != 0 && strcmp(lower, chosen) != 0)
    f2bs_log(F2BS_LOG_WARNING, "fail2ban.jail", "Could only initiated '%s' backend whenever '%s' was requested",
             chosen, lower);
  else
    f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Initiated '%s' backend", chosen);
  jail->journal = strcmp(chosen, "systemd") == 0;
  return TRUE;
}

/* ---- where the lines come from ---------------------------------------- */

static void
on_file_line(const char *path, const char *line, gsize len, gpointer user_data)
{
  F2bsJail *jail = user_data;
  F2bLogFile *lf = f2bs_logwatch_get_file(jail->logwatch, path);
  f2bs_jail_process_log_line(jail, line, len, lf == NULL || f2b_logfile_in_operation(lf));
  if (jail->persist)
    f2bs_persist_logs_read(jail->persist);
}

static void
on_journal_entry(const F2bsJournalRecord *record, gpointer user_data)
{
  F2bsJail *jail = user_data;
  if (jail->persist) /* first: a ban the entry makes is committed with it */
    f2bs_persist_journal_read(jail->persist, jail, record->time, record->date);
  F2bRegexLine tuple = { "", 0, record->date, strlen(record->date), record->line, record->line_len };
  f2bs_jail_process_tuple(user_data, &tuple, record->time, record->in_operation);
}

/* The time of a log line for fail2ban's seekToTime (the jail's date detector). */
static gboolean
line_time(const char *line, gsize len, double *time, gpointer user_data)
{
  F2bsJail *jail = user_data;
  gsize dlen = 0;
  g_autofree char *text = f2b_filter_decode_line(line, len, f2b_filter_get_logencoding(jail->filter), &dlen, NULL);
  F2bDateMatch m;
  double now = (double)g_get_real_time() / G_USEC_PER_SEC;
  if (!f2b_datedetect_match(f2b_filter_get_datedetector(jail->filter), text, dlen, now, &m))
    return FALSE;
  *time = m.time;
  return TRUE;
}

/* Back-pressure (pipeline.h): the watchers wait while failures queue up. */
static gboolean
lines_wait(gpointer user_data)
{
  F2bsJail *jail = user_data;
  return f2bs_pipeline_is_busy(jail->pipeline);
}

static gboolean
resume_watching(gpointer user_data)
{
  F2bsJail *jail = user_data;
  if (jail->logwatch)
    f2bs_logwatch_resume(jail->logwatch);
  if (jail->journalwatch)
    f2bs_journalwatch_resume(jail->journalwatch);
  return G_SOURCE_REMOVE;
}

/* fail2ban creates the filter with the jail: a file watcher, or the journal
 * opened with the backend's options (whose errors answer `add`). */
static gboolean
init_watching(F2bsJail *jail, const char *spec, GError **error)
{
  f2bs_pipeline_set_resume_func(jail->pipeline, resume_watching, jail);
  if (!jail->journal) {
    F2bsLogWatchKind kind = F2BS_LOGWATCH_INOTIFY;
    f2bs_logwatch_kind_for_backend(spec, &kind);
    jail->logwatch = f2bs_logwatch_new(kind, on_file_line, jail);
    f2bs_logwatch_set_busy_func(jail->logwatch, lines_wait, jail);
    return TRUE;
  }
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/", NULL);
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) opts = NULL;
  if (!f2b_confreader_extract_options(r, spec, &name, &opts, NULL))
    return TRUE; /* check_backend has refused it already */
  GError *local = NULL;
  g_autoptr(F2bJournalOptions) jo = f2b_journal_options_parse(opts, g_getenv("F2B_SYSTEMD_DEFAULT_FLAGS"), &local);
  if (jo == NULL) {
    F2bsPyExc kind = local->code == F2B_JOURNALFMT_ERROR_TYPE ? F2BS_PYEXC_TYPE_ERROR
                     : local->code == F2B_JOURNALFMT_ERROR_ATTRIBUTE ? F2BS_PYEXC_ATTRIBUTE_ERROR
                                                                      : F2BS_PYEXC_VALUE_ERROR;
    f2bs_pyexc_set(error, kind, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  jail->journalwatch = f2bs_journalwatch_new(jail->name, jo, error);
  if (jail->journalwatch)
    f2bs_journalwatch_set_busy_func(jail->journalwatch, lines_wait, jail);
  return jail->journalwatch != NULL;
}

gboolean
f2bs_jail_start_watching(F2bsJail *jail, GError **error)
{
  double findtime = f2b_filter_get_findtime(jail->filter);
  /* ignoreself needs the host's own addresses: ask now, so that the first
   * failures do not wait in the pipeline for the answer */
  GPtrArray *self = NULL;
  if (jail->ignoreself && f2bs_dns_self_ips(&self) && self)
    g_ptr_array_unref(self);
  if (jail->journalwatch) {
    f2bs_journalwatch_set_encoding(jail->journalwatch, f2b_filter_get_logencoding(jail->filter));
    double position = jail->persist ? f2bs_persist_journal_pos(jail->persist, jail) : 0;
    return f2bs_journalwatch_start(jail->journalwatch, findtime, position, on_journal_entry, jail, error);
  }
  f2bs_logwatch_set_autoseek(jail->logwatch, line_time, jail, findtime);
  return f2bs_logwatch_start(jail->logwatch, error);
}

F2bsJail *
f2bs_jail_new(const char *name, const char *backend, GError **error)
{
  g_autoptr(F2bsJail) jail = g_new0(F2bsJail, 1);
  jail->name = g_strdup(name);
  jail->backend = g_strdup(backend);
  jail->ignoreself = TRUE;
  jail->ignoreip = g_ptr_array_new_with_free_func(ipaddr_free);
  jail->ignorecommand = f2b_py_bool(FALSE);
  jail->ignorecache = f2b_py_none();
  jail->logpaths = g_ptr_array_new_with_free_func(g_free);
  jail->logencoding = g_strdup("UTF-8");
  jail->filter = f2b_filter_new_shared((double)g_get_real_time() / G_USEC_PER_SEC, shared_dates());
  jail->usedns = g_strdup("warn");
  jail->findtime = f2b_py_int(600);
  jail->maxmatches = 5;
  jail->maxretry = 3;
  jail->maxlines = 1;
  jail->bantime = f2b_py_int(600);
  jail->banextra = f2b_py_dict_new();
  jail->actions = g_ptr_array_new_with_free_func(action_free);
  jail->rt = f2bs_actions_new(name, jail->actions);
  jail->pipeline = f2bs_pipeline_new(jail);
  if (g_utf8_strlen(name, -1) >= 26) {
    g_autofree char *r = f2b_py_repr_str(name);
    f2bs_log(F2BS_LOG_WARNING, "fail2ban.jail",
             "Jail name %s might be too long and some commands might not function correctly. Please shorten", r);
  }
  f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Creating new jail '%s'", name);
  if (!check_backend(jail, backend, error) || !init_watching(jail, backend, error))
    return NULL;
  return g_steal_pointer(&jail);
}

void
f2bs_jail_free(F2bsJail *jail)
{
  if (jail == NULL)
    return;
  g_free(jail->name);
  g_free(jail->backend);
  g_ptr_array_unref(jail->ignoreip);
  f2b_py_free(jail->ignorecommand);
  f2b_py_free(jail->ignorecache);
  g_ptr_array_unref(jail->logpaths);
  g_free(jail->logencoding);
  if (jail->persist)
    f2bs_persist_jail_freed(jail->persist, jail);
  f2bs_logwatch_free(jail->logwatch); /* before the pipeline its lines go to */
  f2bs_journalwatch_free(jail->journalwatch);
  f2bs_pipeline_free(jail->pipeline);
  f2b_filter_free(jail->filter);
  g_free(jail->usedns);
  f2b_py_free(jail->findtime);
  g_free(jail->logtimezone);
  f2b_py_free(jail->bantime);
  f2b_py_free(jail->banextra);
  f2bs_actions_release(jail->rt);
  g_ptr_array_unref(jail->actions);
  g_free(jail);
}

/* ---- time values ---------------------------------------------------- */

/* MyTime.str2seconds: numbers pass through, strings are evaluated.  The
 * Python evaluator's failures are NameError for a word it does not know and
 * SyntaxError for the rest; CPython words nearly all of those "invalid
 * syntax", and clients see only that text, so it is used for every one
 * (pyexpr's own, more precise message goes to the debug log). */
static F2bPyObj *
str2sec(const F2bPyObj *value, GError **error)
{
  if (f2b_py_kind(value) == F2B_PY_INT || f2b_py_kind(value) == F2B_PY_FLOAT)
    return f2b_py_copy(value);
  if (f2b_py_kind(value) != F2B_PY_STR) {
    f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR, "expected string or bytes-like object");
    return NULL;
  }
  const char *s = f2b_py_get_str(value, NULL);
  GError *local = NULL;
  F2bPyObj *r = f2b_timeutil_str2sec(s, &local);
  if (r != NULL)
    return r;
  g_autofree char *expanded = f2b_timeutil_str2sec_expand(s);
  const char *p = expanded;
  while (*p && !(g_ascii_isalpha(*p) || *p == '_'))
    p++;
  if (*p) {
    const char *e = p;
    while (g_ascii_isalnum(*e) || *e == '_')
      e++;
    g_autofree char *word = g_strndup(p, e - p);
    f2bs_pyexc_set(error, F2BS_PYEXC_NAME_ERROR, "name '%s' is not defined", word);
  } else {
    f2bs_log(F2BS_LOG_DEBUG, "fail2ban.transmitter", "time value %s: %s", s, local->message);
    f2bs_pyexc_set(error, F2BS_PYEXC_SYNTAX_ERROR, "invalid syntax");
  }
  g_error_free(local);
  return NULL;
}

/* ---- filter --------------------------------------------------------- */

gboolean
f2bs_jail_add_ignoreip(F2bsJail *jail, const char *value, GError **error)
{
  if (*value == '\0')
    return TRUE;
  GError *local = NULL;
  F2bIPAddr *ip = f2b_ipaddr_new(value, -1, F2B_IPADDR_CIDR_UNSPEC, &local);
  if (ip == NULL) {
    f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  for (guint i = 0; i < jail->ignoreip->len; i++)
    if (f2b_ipaddr_equal(jail->ignoreip->pdata[i], ip)) {
      f2bs_log(F2BS_LOG_MSG, "fail2ban.filter", "  Ignore duplicate '%s', already in ignore list", value);
      f2b_ipaddr_free(ip);
      return TRUE;
    }
  /* fail2ban lists its subnets (a list) before its single addresses (a set) */
  if (f2b_ipaddr_is_single(ip)) {
    g_ptr_array_add(jail->ignoreip, ip);
  } else {
    guint pos = 0;
    while (pos < jail->ignoreip->len && !f2b_ipaddr_is_single(jail->ignoreip->pdata[pos]))
      pos++;
    g_ptr_array_insert(jail->ignoreip, pos, ip);
  }
  return TRUE;
}

gboolean
f2bs_jail_del_ignoreip(F2bsJail *jail, const char *value, GError **error)
{
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(value, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  for (guint i = 0; ip && i < jail->ignoreip->len; i++)
    if (f2b_ipaddr_equal(jail->ignoreip->pdata[i], ip)) {
      g_ptr_array_remove_index(jail->ignoreip, i);
      return TRUE;
    }
  return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "list.remove(x): x not in list");
}

F2bPyObj *
f2bs_jail_get_ignoreip(const F2bsJail *jail)
{
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; i < jail->ignoreip->len; i++)
    f2b_py_append(list, f2b_py_str_take(f2b_ipaddr_to_string(jail->ignoreip->pdata[i], NULL)));
  return list;
}

gboolean
f2bs_jail_set_ignorecache(F2bsJail *jail, const char *value, GError **error)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/", NULL);
  g_autofree char *spec = g_strconcat("cache[", value, "]", NULL);
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) opts = NULL;
  GError *local = NULL;
  if (!f2b_confreader_extract_options(r, spec, &name, &opts, &local)) {
    f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  if (f2b_ini_map_size(opts) == 0) {
    f2b_py_free(jail->ignorecache);
    jail->ignorecache = f2b_py_none();
    f2bs_pipeline_reset_ignorecache(jail->pipeline);
    return TRUE;
  }
  const char *key = f2b_ini_map_get(opts, "key");
  if (key == NULL)
    return f2bs_pyexc_set(error, F2BS_PYEXC_KEY_ERROR, "key");
  gint64 count = 100;
  const char *c = f2b_ini_map_get(opts, "max-count");
  if (c && !f2b_pystr_to_int(c, strlen(c), &count, NULL)) {
    g_autofree char *rc = f2b_py_repr_str(c);
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "invalid literal for int() with base 10: %s", rc);
  }
  const char *t = f2b_ini_map_get(opts, "max-time");
  g_autoptr(F2bPyObj) tv = t ? f2b_py_str(t) : f2b_py_int(300);
  g_autoptr(F2bPyObj) secs = str2sec(tv, error);
  if (secs == NULL)
    return FALSE;
  f2b_py_free(jail->ignorecache);
  jail->ignorecache = f2b_py_list_new();
  f2b_py_append(jail->ignorecache, f2b_py_str(key));
  f2b_py_append(jail->ignorecache, f2b_py_int(count));
  f2b_py_append(jail->ignorecache, g_steal_pointer(&secs));
  f2bs_pipeline_reset_ignorecache(jail->pipeline);
  return TRUE;
}

/* The first line's SHA-1, as FileContainer hashes a log to recognise it (fail2ban 1.0.2 means MD5,
 * but its probe md5(str) raises TypeError under Python 3 and it falls back to SHA-1). */
static char *
first_line_hash(FILE *f)
{
  GString *line = g_string_new(NULL);
  int c;
  while ((c = fgetc(f)) != EOF) {
    g_string_append_c(line, (char)c);
    if (c == '\n')
      break;
  }
  /* only a first line with its line end is hashed */
  gboolean ended = line->len && (line->str[line->len - 1] == '\n' || line->str[line->len - 1] == '\r');
  char *hash = ended ? g_compute_checksum_for_data(G_CHECKSUM_SHA1, (guchar *)line->str, line->len)
                         : g_strdup("");
  g_string_free(line, TRUE);
  return hash;
}

gboolean
f2bs_jail_add_logpath(F2bsJail *jail, const char *path, gboolean tail, GError **error)
{
  if (jail->journal)
    return TRUE; /* fail2ban ignores log paths of a journal filter */
  for (guint i = 0; i < jail->logpaths->len; i++)
    if (strcmp(jail->logpaths->pdata[i], path) == 0) {
      f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "%s already exists", path);
      return TRUE;
    }
  FILE *f = fopen(path, "rbe");
  if (f == NULL)
    return errno == ENOENT ? f2bs_pyexc_set(error, F2BS_PYEXC_FILE_NOT_FOUND, "%s", path)
                           : f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "[Errno %d] %s: '%s'", errno,
                                            g_strerror(errno), path);
  g_autofree char *hash = first_line_hash(f);
  gint64 pos = 0;
  if (tail) {
    fseek(f, 0, SEEK_END);
    pos = ftell(f);
  }
  fclose(f);
  GError *local = NULL;
  if (jail->logwatch && !f2bs_logwatch_add(jail->logwatch, path, tail, &local)) { /* it went in between */
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "Unable to open %s: %s", path, local->message);
    g_error_free(local);
  }
  if (jail->persist) /* fail2ban's addLog: the stored position when the first line is the same */
    f2bs_persist_log_added(jail->persist, jail, path, tail, &pos);
  g_ptr_array_add(jail->logpaths, g_strdup(path));
  g_autofree char *r = f2b_py_repr_str(path);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "Added logfile: %s (pos = %" G_GINT64_FORMAT ", hash = %s)", r, pos,
           hash);
  return TRUE;
}

void
f2bs_jail_del_logpath(F2bsJail *jail, const char *path)
{
  for (guint i = 0; i < jail->logpaths->len; i++)
    if (strcmp(jail->logpaths->pdata[i], path) == 0) {
      g_autofree char *r = f2b_py_repr_str(path);
      if (jail->persist) /* its position, as far as it was read */
        f2bs_persist_log_removing(jail->persist, jail, path);
      if (jail->logwatch) /* first: PATH may be the very string the array frees */
        f2bs_logwatch_remove(jail->logwatch, path);
      g_ptr_array_remove_index(jail->logpaths, i);
      f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "Removed logfile: %s", r);
      return;
    }
}

gboolean
f2bs_jail_set_logencoding(F2bsJail *jail, const char *value, GError **error)
{
  const char *enc = g_ascii_strcasecmp(value, "auto") == 0 ? "UTF-8" : value;
  /* codecs.lookup: iconv knows the same names for the encodings logs use */
  GIConv cd = g_iconv_open("UTF-8", enc);
  g_autofree char *known = g_strdup(enc); /* the name iconv knows */
  if (cd == (GIConv)-1) {
    /* Python's aliases drop the separators iconv wants ("latin-1", "latin_1") */
    g_autofree char *bare = g_strdup(enc);
    char *w = bare;
    for (const char *r = enc; *r; r++)
      if (*r != '-' && *r != '_')
        *w++ = *r;
    *w = '\0';
    cd = g_iconv_open("UTF-8", bare);
    g_free(known);
    known = g_strdup(bare);
  }
  if (cd == (GIConv)-1 || *enc == '\0')
    return f2bs_pyexc_set(error, F2BS_PYEXC_LOOKUP_ERROR, "unknown encoding: %s", enc);
  g_iconv_close(cd);
  if (!f2b_filter_set_logencoding(jail->filter, known, NULL))
    f2b_filter_set_logencoding(jail->filter, "UTF-8", NULL); /* unreachable: iconv knows it */
  g_free(jail->logencoding);
  jail->logencoding = g_strdup(enc);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "  encoding: %s", enc);
  return TRUE;
}

static gboolean
regex_error(GError *local, GError **error, gboolean log)
{
  if (log)
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "%s", local->message);
  f2bs_pyexc_set(error, F2BS_PYEXC_REGEX, "%s", local->message);
  g_error_free(local);
  return FALSE;
}

gboolean
f2bs_jail_set_prefregex(F2bsJail *jail, const char *value, GError **error)
{
  GError *local = NULL;
  if (!f2b_filter_set_prefregex(jail->filter, value, &local))
    return regex_error(local, error, FALSE);
  return TRUE;
}

gboolean
f2bs_jail_add_failregex(F2bsJail *jail, const char *value, GError **error)
{
  GError *local = NULL;
  if (!f2b_filter_add_failregex(jail->filter, value, &local))
    return regex_error(local, error, TRUE);
  return TRUE;
}

gboolean
f2bs_jail_add_ignoreregex(F2bsJail *jail, const char *value, GError **error)
{
  GError *local = NULL;
  if (!f2b_filter_add_ignoreregex(jail->filter, value, &local))
    return regex_error(local, error, TRUE);
  return TRUE;
}

void
f2bs_jail_del_regex(F2bsJail *jail, gboolean fail, gint64 index)
{
  guint len = fail ? f2b_filter_n_failregex(jail->filter) : f2b_filter_n_ignoreregex(jail->filter);
  gint64 i = index < 0 ? index + (gint64)len : index;
  if (i < 0 || i >= (gint64)len) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "Cannot remove regular expression. Index %" G_GINT64_FORMAT
             " is not valid", index);
    return;
  }
  if (fail)
    f2b_filter_del_failregex(jail->filter, (gint)i);
  else
    f2b_filter_del_ignoreregex(jail->filter, (gint)i);
}

void
f2bs_jail_clear_regexes(F2bsJail *jail)
{
  f2b_filter_del_failregex(jail->filter, -1);
  f2b_filter_del_ignoreregex(jail->filter, -1);
}

F2bPyObj *
f2bs_jail_get_regexes(const F2bsJail *jail, gboolean fail)
{
  F2bPyObj *r = f2b_py_list_new();
  guint n = fail ? f2b_filter_n_failregex(jail->filter) : f2b_filter_n_ignoreregex(jail->filter);
  for (guint i = 0; i < n; i++) {
    F2bRegex *re = fail ? f2b_filter_get_failregex(jail->filter, i) : f2b_filter_get_ignoreregex(jail->filter, i);
    f2b_py_append(r, f2b_py_str(f2b_failregex_get_regex(re)));
  }
  return r;
}

const char *
f2bs_jail_get_prefregex(const F2bsJail *jail)
{
  F2bRegex *re = f2b_filter_get_prefregex(jail->filter);
  return re ? f2b_failregex_get_regex(re) : "";
}

void
f2bs_jail_set_usedns(F2bsJail *jail, const char *value)
{
  g_autofree char *v = g_ascii_strdown(value, -1);
  if (strcmp(v, "yes") && strcmp(v, "warn") && strcmp(v, "no") && strcmp(v, "raw")) {
    g_autofree char *r = f2b_py_repr_str(v);
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "Incorrect value %s specified for usedns. Using safe 'no'", r);
    g_free(v);
    v = g_strdup("no");
  }
  f2b_filter_set_usedns(jail->filter, v);
  g_free(jail->usedns);
  jail->usedns = g_steal_pointer(&v);
}

gboolean
f2bs_jail_set_findtime(F2bsJail *jail, const F2bPyObj *value, GError **error)
{
  F2bPyObj *secs = str2sec(value, error);
  if (secs == NULL)
    return FALSE;
  f2b_py_free(jail->findtime);
  jail->findtime = secs;
  double seconds = f2b_py_kind(secs) == F2B_PY_FLOAT ? f2b_py_get_float(secs) : (double)f2b_py_get_int(secs);
  f2b_failmanager_set_max_time(f2bs_actions_failmanager(jail->rt), seconds);
  f2b_filter_set_findtime(jail->filter, seconds);
  f2bs_pipeline_rearm(jail->pipeline);
  g_autoptr(GString) s = g_string_new(NULL);
  f2b_py_str_append(s, secs);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "  findtime: %s", s->str);
  return TRUE;
}

gboolean
f2bs_jail_set_datepattern(F2bsJail *jail, const char *value, GError **error)
{
  GError *local = NULL;
  if (!f2b_filter_set_datepattern(jail->filter, value, &local)) {
    f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  return TRUE;
}

F2bPyObj *
f2bs_jail_get_datepattern(const F2bsJail *jail)
{
  F2bDateDetector *dd = f2b_filter_get_datedetector(jail->filter);
  guint n = f2b_datedetect_n_templates(dd);
  if (n == 0 || n > 2)
    return f2b_py_tuple_of(f2b_py_none(), f2b_py_str("Default Detectors"), NULL);
  const char *pattern = f2b_datedetect_template_pattern(dd, 0);
  return f2b_py_tuple_of(pattern ? f2b_py_str(pattern) : f2b_py_none(),
                         f2b_py_str(f2b_datedetect_template_name(dd, 0)), NULL);
}

gboolean
f2bs_jail_set_logtimezone(F2bsJail *jail, const char *value, GError **error)
{
  if (!f2b_filter_set_logtimezone(jail->filter, value, NULL)) {
    g_autofree char *r = f2b_py_repr_str(value);
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Unknown or unsupported time zone: %s", r);
  }
  g_free(jail->logtimezone);
  jail->logtimezone = g_strdup(value);
  return TRUE;
}

gboolean
f2bs_jail_set_maxlines(F2bsJail *jail, gint64 value, GError **error)
{
  if (value <= 0)
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "maxlines must be integer greater than zero");
  if (!f2b_filter_set_maxlines(jail->filter, value, NULL))
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "maxlines must be integer greater than zero");
  jail->maxlines = value;
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "  maxLines: %" G_GINT64_FORMAT, value);
  return TRUE;
}

void
f2bs_jail_set_maxretry(F2bsJail *jail, gint64 value)
{
  jail->maxretry = value;
  f2b_failmanager_set_max_retry(f2bs_actions_failmanager(jail->rt), value);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "  maxRetry: %" G_GINT64_FORMAT, value);
}

/* ---- actions -------------------------------------------------------- */

gboolean
f2bs_jail_set_bantime(F2bsJail *jail, const F2bPyObj *value, GError **error)
{
  F2bPyObj *secs = str2sec(value, error);
  if (secs == NULL)
    return FALSE;
  f2b_py_free(jail->bantime);
  jail->bantime = secs;
  /* BanManager keeps int(value) */
  f2b_banmanager_set_ban_time(f2bs_actions_banmanager(jail->rt),
                              f2b_py_kind(secs) == F2B_PY_FLOAT ? (gint64)f2b_py_get_float(secs)
                                                                 : f2b_py_get_int(secs));
  g_autoptr(GString) s = g_string_new(NULL);
  f2b_py_str_append(s, secs);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.actions", "  banTime: %s", s->str);
  return TRUE;
}

static void
extra_set(F2bsJail *jail, const char *opt, F2bPyObj *value)
{
  f2b_py_dict_set(jail->banextra, f2b_py_str(opt), value);
}

static void
extra_del(F2bsJail *jail, const char *opt)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(opt);
  F2bPyObj *old = f2b_py_dict_pop(jail->banextra, key);
  f2b_py_free(old);
}

static gboolean
is_true(const char *v)
{
  return v && (!g_ascii_strcasecmp(v, "1") || !g_ascii_strcasecmp(v, "on") || !g_ascii_strcasecmp(v, "true")
               || !g_ascii_strcasecmp(v, "yes"));
}

/* bantime.multipliers: [int(i) for i in value.split(' ')]. */
static gboolean
extra_multipliers(F2bsJail *jail, const char *value, GError **error)
{
  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  if (value && *value) {
    g_auto(GStrv) parts = g_strsplit(value, " ", -1);
    for (guint i = 0; parts[i]; i++) {
      gint64 n;
      if (!f2b_pystr_to_int(parts[i], strlen(parts[i]), &n, NULL)) {
        g_autofree char *r = f2b_py_repr_str(parts[i]);
        return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "invalid literal for int() with base 10: %s", r);
      }
      f2b_py_append(list, f2b_py_int(n));
    }
  }
  extra_set(jail, "evmultipliers", g_steal_pointer(&list));
  return TRUE;
}

gboolean
f2bs_jail_set_bantime_extra(F2bsJail *jail, const char *opt, const char *value, GError **error)
{
  if (value && *value == '\0')
    value = NULL;
  if (value)
    extra_set(jail, opt, f2b_py_str(value));
  else
    extra_del(jail, opt);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Set banTime.%s = %s", opt, value ? value : "None");
  if (strcmp(opt, "increment") == 0) {
    extra_set(jail, opt, f2b_py_bool(is_true(value)));
    if (is_true(value) && !jail->has_database)
      f2bs_log(F2BS_LOG_WARNING, "fail2ban.jail",
               "ban time increment is not available as long jail database is not set");
  }
  if ((strcmp(opt, "maxtime") == 0 || strcmp(opt, "rndtime") == 0) && value) {
    g_autoptr(F2bPyObj) v = f2b_py_str(value);
    F2bPyObj *secs = str2sec(v, error);
    if (secs == NULL)
      return FALSE;
    extra_set(jail, opt, secs);
  }
  if (strcmp(opt, "multipliers") == 0)
    return extra_multipliers(jail, value, error);
  if (strcmp(opt, "factor") == 0 && value) {
    /* fail2ban eval()s the factor: a number expression is what it accepts */
    g_autoptr(F2bPyObj) v = f2b_py_str(value);
    g_autoptr(F2bPyObj) n = str2sec(v, error);
    if (n == NULL)
      return FALSE;
  }
  return TRUE;
}

F2bPyObj *
f2bs_jail_get_bantime_extra(const F2bsJail *jail, const char *opt)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(opt);
  F2bPyObj *v = f2b_py_dict_lookup(jail->banextra, key);
  return v ? f2b_py_copy(v) : f2b_py_none();
}

/* CommandAction's attributes, in dir() order. */
static const char *const action_props[] = { "actionban", "actioncheck", "actionflush", "actionreban",
                                            "actionreload", "actionrepair", "actionstart", "actionstop",
                                            "actionunban", NULL };
static const char *const action_methods[] = { "ban", "clearAllParams", "consistencyCheck", "escapeTag",
                                              "executeCmd", "flush", "invalidateBanEpoch", "prolong", "reban",
                                              "reload", "replaceDynamicTags", "replaceTag", "start", "stop",
                                              "unban", NULL };

gboolean
f2bs_jail_add_action(F2bsJail *jail, const char *name, GError **error)
{
  for (guint i = 0; i < jail->actions->len; i++)
    if (strcmp(((F2bsAction *)jail->actions->pdata[i])->name, name) == 0)
      return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Action %s already exists", name);
  F2bsAction *a = g_new0(F2bsAction, 1);
  a->name = g_strdup(name);
  a->refcount = 1;
  a->started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  a->started_order = g_ptr_array_new_with_free_func(g_free);
  a->executed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->props = f2b_py_dict_new();
  for (guint i = 0; action_props[i]; i++)
    f2b_py_dict_set(a->props, f2b_py_str(action_props[i]), f2b_py_str(""));
  f2b_py_dict_set(a->props, f2b_py_str("timeout"), f2b_py_int(60));
  g_ptr_array_add(jail->actions, a);
  return TRUE;
}

void
f2bs_action_clear_params(F2bsAction *action)
{
  for (guint i = 0; action_props[i]; i++)
    f2b_py_dict_set(action->props, f2b_py_str(action_props[i]), f2b_py_str(""));
  f2b_py_dict_set(action->props, f2b_py_str("timeout"), f2b_py_int(60));
}

static gint
find_action(const F2bsJail *jail, const char *name, GError **error)
{
  for (guint i = 0; i < jail->actions->len; i++)
    if (strcmp(((F2bsAction *)jail->actions->pdata[i])->name, name) == 0)
      return (gint)i;
  f2bs_pyexc_set(error, F2BS_PYEXC_KEY_ERROR, "Invalid Action name: %s", name);
  return -1;
}

gboolean
f2bs_jail_del_action(F2bsJail *jail, const char *name, GError **error)
{
  gint i = find_action(jail, name, error);
  if (i < 0)
    return FALSE;
  g_ptr_array_remove_index(jail->actions, (guint)i);
  return TRUE;
}

F2bsAction *
f2bs_jail_get_action(F2bsJail *jail, const char *name, GError **error)
{
  gint i = find_action(jail, name, error);
  return i < 0 ? NULL : jail->actions->pdata[i];
}

static gboolean
is_method(const char *prop)
{
  for (guint i = 0; action_methods[i]; i++)
    if (strcmp(action_methods[i], prop) == 0)
      return TRUE;
  return FALSE;
}

gboolean
f2bs_action_set(F2bsAction *action, const char *prop, F2bPyObj *value, GError **error)
{
  if (is_method(prop)) {
    f2b_py_free(value);
    return f2bs_pyexc_set(error, F2BS_PYEXC_NOT_IMPLEMENTED,
                          "action method %s: not implemented in this build of f2bc-server", prop);
  }
  f2b_py_dict_set(action->props, f2b_py_str(prop), value);
  f2bs_actnative_forget(action);
  /* CommandAction drops its substitution cache, and with it the record of
   * the commands it ran (_operationExecuted), whenever a property changes */
  g_hash_table_remove_all(action->executed);
  return TRUE;
}

F2bPyObj *
f2bs_action_get(const F2bsAction *action, const char *prop, GError **error)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(prop);
  F2bPyObj *v = f2b_py_dict_lookup(action->props, key);
  if (v == NULL) {
    f2bs_pyexc_set(error, F2BS_PYEXC_ATTRIBUTE_ERROR, "'CommandAction' object has no attribute '%s'", prop);
    return NULL;
  }
  return f2b_py_copy(v);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
f2bs_action_props_into(const F2bsAction *action, F2bIniMap *map)
{
  for (gsize i = 0; i < f2b_py_len(action->props); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(action->props, i, &k, &v);
    GString *s = g_string_new(NULL);
    f2b_py_str_append(s, v);
    f2b_ini_map_take(map, f2b_py_get_str(k, NULL), g_string_free(s, FALSE));
  }
}

F2bPyObj *
f2bs_action_properties(const F2bsAction *action)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  /* dir() also lists the class constants ESCAPE_CRE, ESCAPE_VN_CRE and banEpoch,
   * which are regex objects and internals: they stay out of a data reply. */
  for (gsize i = 0; i < f2b_py_len(action->props); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(action->props, i, &k, &v);
    const char *name = f2b_py_get_str(k, NULL);
    if (name[0] != '_' && !is_method(name))
      g_ptr_array_add(names, (gpointer)name);
  }
  g_ptr_array_sort(names, cmp_str);
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; i < names->len; i++)
    f2b_py_append(list, f2b_py_str(names->pdata[i]));
  return list;
}

F2bPyObj *
f2bs_action_methods(void)
{
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; action_methods[i]; i++)
    f2b_py_append(list, f2b_py_str(action_methods[i]));
  return list;
}

/* ---- lines --------------------------------------------------------- */

void
f2bs_jail_process_line(F2bsJail *jail, const char *line, gsize len)
{
  f2bs_pipeline_line(jail->pipeline, line, len, TRUE);
}

void
f2bs_jail_process_log_line(F2bsJail *jail, const char *line, gsize len, gboolean in_operation)
{
  f2bs_pipeline_line(jail->pipeline, line, len, in_operation);
}

void
f2bs_jail_process_tuple(F2bsJail *jail, const F2bRegexLine *tuple, double date, gboolean in_operation)
{
  f2bs_pipeline_tuple(jail->pipeline, tuple, date, in_operation);
}

/* ---- status --------------------------------------------------------- */

static F2bPyObj *
pair(const char *label, F2bPyObj *value)
{
  return f2b_py_tuple_of(f2b_py_str(label), value, NULL);
}

F2bPyObj *
f2bs_jail_status(const F2bsJail *jail, const char *flavor)
{
  if (strcmp(flavor, "short") && strcmp(flavor, "basic") && strcmp(flavor, "cymru"))
    f2bs_log(F2BS_LOG_WARNING, "fail2ban.actions",
             "Unsupported extended jail status flavor '%s'. Supported: ['short', 'basic', 'cymru']", flavor);
  F2bPyObj *filter = f2bs_actions_filter_status(jail->rt);
  if (jail->journalwatch) {
    f2b_py_append(filter, f2bs_journalwatch_status_py(jail->journalwatch));
  } else {
    F2bPyObj *files = f2b_py_list_new();
    for (guint i = 0; i < jail->logpaths->len; i++)
      f2b_py_append(files, f2b_py_str(jail->logpaths->pdata[i]));
    f2b_py_append(filter, pair("File list", files));
  }
  F2bPyObj *actions = f2bs_actions_status(jail->rt, strcmp(flavor, "short") == 0);
  if (strcmp(flavor, "cymru") == 0) {
    f2b_py_append(actions, pair("Banned ASN list", f2b_py_list_new()));
    f2b_py_append(actions, pair("Banned Country list", f2b_py_list_new()));
    f2b_py_append(actions, pair("Banned RIR list", f2b_py_list_new()));
  }
  F2bPyObj *status = f2b_py_list_new();
  f2b_py_append(status, pair("Filter", filter));
  f2b_py_append(status, pair("Actions", actions));
  return status;
}
