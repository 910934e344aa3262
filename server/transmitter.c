/* transmitter.c - fail2ban-server's command dispatcher (see transmitter.h).
 *
 * The handlers follow fail2ban's Transmitter and Server methods one by one:
 * arguments are taken in the same order (so the same missing argument
 * gives the same IndexError), the jail is looked up where fail2ban looks it
 * up, and the same exception classes and texts come back.
 *
 * A request runs as a job: a stack of frames, one per server-stream or
 * reload being executed, so that a `sleep` anywhere in it parks the job on
 * a timer and resumes it later, while the loop serves everyone else. */
#include "transmitter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "actnative.h"
#include "journalwatch.h"
#include "pyexc.h"
#include "pystr.h"
#include "persist.h"
#include "serverlog.h"
#include "timeutil.h"
#include "version.h"

#define LOGGER "fail2ban.transmitter"

struct F2bsTransmitter {
  F2bsJails *jails;
  GHashTable *reload_state; /* jail name -> GINT_TO_POINTER(1: pending, 2: None) */
  GHashTable *reload_logs;  /* "jail\npath": log paths of a reloading jail not yet given again */
  char *dbfile;             /* NULL: no database */
  gint64 dbmaxmatches;
  F2bPyObj *dbpurgeage;
  F2bsPersist *persist;     /* the open database of dbfile */
  F2bsQuitFunc quit;
  gpointer quit_data;
  gboolean quitting;
  GPtrArray *jobs;          /* parked jobs (sleeping) */
};

typedef enum { RUN_DONE, RUN_FAILED, RUN_SLEEP, RUN_NESTED } RunStatus;

typedef struct {
  F2bPyObj *list;   /* the commands of this frame (owned copy, unless borrowed) */
  gboolean borrowed; /* LIST belongs to the job's command or an outer frame, both
                      * alive until this frame is popped */
  gsize index;
  gboolean reload;
  char *reload_name; /* reload: the name and options given */
  F2bPyObj *reload_opts;
} Frame;

typedef struct {
  F2bsTransmitter *tx;
  F2bPyObj *command; /* the request (owned copy) */
  GArray *frames;    /* Frame */
  F2bsReplyFunc done;
  gpointer user_data;
  guint timer;
  double sleep_for;  /* set by a handler returning RUN_SLEEP */
  gboolean waiting;  /* parked until queued actions are done (f2bs_actions_wait) */
  gboolean reloaded; /* a reload was committed: "Reload finished." once its actions are done */
  F2bPyObj *value;   /* the reply value held while waiting */
  Frame pushed;      /* set by a handler returning RUN_NESTED */
} Job;

/* ---- arguments ------------------------------------------------------ */

static const F2bPyObj *
arg(const F2bPyObj *cmd, gsize i, GError **error)
{
  if (i >= f2b_py_len(cmd)) {
    f2bs_pyexc_index(error);
    return NULL;
  }
  return f2b_py_item(cmd, i);
}

/* The text of an item: a str as is, anything else as str() shows it. */
static char *
text_of(const F2bPyObj *v)
{
  GString *s = g_string_new(NULL);
  f2b_py_str_append(s, v);
  return g_string_free(s, FALSE);
}

static char *
text_arg(const F2bPyObj *cmd, gsize i, GError **error)
{
  const F2bPyObj *v = arg(cmd, i, error);
  return v ? text_of(v) : NULL;
}

/* Python's int(value). */
static gboolean
int_of(const F2bPyObj *v, gint64 *out, GError **error)
{
  switch (f2b_py_kind(v)) {
  case F2B_PY_INT:
    *out = f2b_py_get_int(v);
    return TRUE;
  case F2B_PY_BOOL:
    *out = f2b_py_get_bool(v);
    return TRUE;
  case F2B_PY_FLOAT:
    *out = (gint64)f2b_py_get_float(v);
    return TRUE;
  case F2B_PY_STR: {
    gsize len;
    const char *s = f2b_py_get_str(v, &len);
    if (f2b_pystr_to_int(s, len, out, NULL))
      return TRUE;
    g_autofree char *r = f2b_py_repr(v);
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "invalid literal for int() with base 10: %s", r);
  }
  default:
    return f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR,
                          "int() argument must be a string, a bytes-like object or a real number");
  }
}

static gboolean
int_arg(const F2bPyObj *cmd, gsize i, gint64 *out, GError **error)
{
  const F2bPyObj *v = arg(cmd, i, error);
  return v && int_of(v, out, error);
}

static gboolean
is(const F2bPyObj *v, const char *s)
{
  return v && f2b_py_str_equal(v, s);
}

/* A sub-list command[from:] (transfer full). */
static F2bPyObj *
slice(const F2bPyObj *cmd, gsize from)
{
  F2bPyObj *l = f2b_py_list_new();
  for (gsize i = from; i < f2b_py_len(cmd); i++)
    f2b_py_append(l, f2b_py_copy(f2b_py_item(cmd, i)));
  return l;
}

static gboolean
as_bool(const char *v)
{
  return !g_ascii_strcasecmp(v, "1") || !g_ascii_strcasecmp(v, "on") || !g_ascii_strcasecmp(v, "true")
         || !g_ascii_strcasecmp(v, "yes");
}

/* ---- jails ---------------------------------------------------------- */

static F2bsJail *
jail_of(F2bsTransmitter *tx, const F2bPyObj *cmd, GError **error)
{
  g_autofree char *name = text_arg(cmd, 0, error);
  return name ? f2bs_jails_get(tx->jails, name, error) : NULL;
}

static char *
reload_log_key(const char *jail, const char *path)
{
  return g_strconcat(jail, "\n", path, NULL);
}

/* Drops the reload marks of jail NAME's log paths; with REMOVE, the paths
 * left (not in the new configuration) leave the jail, as Filter.reload ends. */
static void
reload_logs_forget(F2bsTransmitter *tx, const char *name, gboolean remove)
{
  g_autofree char *prefix = g_strconcat(name, "\n", NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, tx->reload_logs);
  while (g_hash_table_iter_next(&it, &k, NULL))
    if (g_str_has_prefix(k, prefix)) {
      g_ptr_array_add(paths, g_strdup((char *)k + strlen(prefix)));
      g_hash_table_iter_remove(&it);
    }
  F2bsJail *jail = remove ? f2bs_jails_get(tx->jails, name, NULL) : NULL;
  for (guint i = 0; jail && i < jail->logpaths->len; i++)
    for (guint j = 0; j < paths->len; j++)
      if (strcmp(jail->logpaths->pdata[i], paths->pdata[j]) == 0) {
        f2bs_jail_del_logpath(jail, paths->pdata[j]);
        i--;
        break;
      }
}

static void
log_jail_stopped(gpointer data)
{
  f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Jail '%s' stopped", (char *)data);
  g_free(data);
}

/* fail2ban's jail.stop: the filter lets its logs go, the actions flush and
 * stop (queued: they run on after the jail is gone), and "stopped" is said
 * when they are done, as the thread join lets fail2ban say it. */
static void
jail_stop(F2bsTransmitter *tx, const char *name)
{
  f2bs_log(F2BS_LOG_DEBUG, "fail2ban.jail", "Stopping jail '%s'", name);
  F2bsJail *jail = f2bs_jails_get(tx->jails, name, NULL);
  if (jail) {
    while (jail->logpaths->len)
      f2bs_jail_del_logpath(jail, jail->logpaths->pdata[0]);
    if (tx->persist)
      f2bs_persist_jail_stopped(tx->persist, name);
    f2bs_actions_stop_full(jail->rt, log_jail_stopped, g_strdup(name));
  }
  f2bs_jails_remove(tx->jails, name, NULL);
  reload_logs_forget(tx, name, FALSE);
}

static gboolean
cmd_add(F2bsTransmitter *tx, const F2bPyObj *cmd, F2bPyObj **value, GError **error)
{
  g_autofree char *name = text_arg(cmd, 1, error);
  if (name == NULL)
    return FALSE;
  if (strcmp(name, "--all") == 0)
    return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Reserved name '--all'");
  g_autofree char *backend = f2b_py_len(cmd) > 2 ? text_of(f2b_py_item(cmd, 2)) : g_strdup("auto");
  gboolean add = TRUE;
  gpointer state = g_hash_table_lookup(tx->reload_state, name);
  F2bsJail *old = f2bs_jails_get(tx->jails, name, NULL);
  if (GPOINTER_TO_INT(state) == 1 && old != NULL) {
    if (strcmp(old->backend, backend) == 0) {
      add = FALSE;
      f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Reload jail '%s'", name);
      g_hash_table_insert(tx->reload_state, g_strdup(name), GINT_TO_POINTER(2));
    } else {
      f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Restart jail '%s' (reason: '%s' != '%s')", name, old->backend,
               backend);
      jail_stop(tx, name);
      g_hash_table_remove(tx->reload_state, name);
    }
  }
  if (add) {
    if (f2bs_jails_exists(tx->jails, name)) /* fail2ban 1.0.2 tests an undefined name here */
      return f2bs_pyexc_set(error, F2BS_PYEXC_NAME_ERROR, "name 'noduplicates' is not defined");
    F2bsJail *jail = f2bs_jail_new(name, backend, error);
    if (jail == NULL)
      return FALSE;
    f2bs_jails_add(tx->jails, jail);
    if (tx->persist)
      f2bs_persist_jail_added(tx->persist, jail);
  }
  *value = f2b_py_str(name);
  return TRUE;
}

static gboolean
cmd_start(F2bsTransmitter *tx, const F2bPyObj *cmd, GError **error)
{
  g_autofree char *name = text_arg(cmd, 1, error);
  F2bsJail *jail = name ? f2bs_jails_get(tx->jails, name, error) : NULL;
  if (jail == NULL)
    return FALSE;
  if (!jail->started) {
    f2bs_log(F2BS_LOG_DEBUG, "fail2ban.jail", "Starting jail '%s'", name);
    jail->started = TRUE;
    f2bs_actions_start(jail->rt);
    if (tx->persist)
      f2bs_persist_restore(tx->persist, jail);
    GError *local = NULL;
    if (!f2bs_jail_start_watching(jail, &local)) {
      f2bs_log(F2BS_LOG_ERROR, "fail2ban.jail", "Jail '%s': %s", name, local->message);
      g_error_free(local);
    }
    f2bs_log(F2BS_LOG_INFO, "fail2ban.jail", "Jail '%s' started", name);
  } else if (g_hash_table_contains(tx->reload_state, name)) {
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Jail '%s' reloaded", name);
    g_hash_table_remove(tx->reload_state, name);
  }
  jail->idle = FALSE;
  f2bs_actions_set_idle(jail->rt, FALSE);
  return TRUE;
}

void
f2bs_transmitter_stop_all(F2bsTransmitter *tx)
{
  f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Stopping all jails");
  /* fail2ban signals every jail first (the filters let their logs go), then joins them one by one */
  for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
    F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
    while (jail->logpaths->len)
      f2bs_jail_del_logpath(jail, jail->logpaths->pdata[0]);
  }
  while (f2bs_jails_count(tx->jails) > 0) {
    g_autofree char *name = g_strdup(f2bs_jails_nth(tx->jails, 0)->name);
    jail_stop(tx, name);
  }
}

static gboolean
cmd_stop(F2bsTransmitter *tx, const F2bPyObj *cmd, GError **error)
{
  if (f2b_py_len(cmd) == 1) {
    if (!tx->quitting && tx->quit) {
      tx->quitting = TRUE;
      tx->quit(tx->quit_data);
    }
    return TRUE;
  }
  g_autofree char *name = text_of(f2b_py_item(cmd, 1));
  if (strcmp(name, "--all") == 0) {
    f2bs_transmitter_stop_all(tx);
    return TRUE;
  }
  if (f2bs_jails_get(tx->jails, name, error) == NULL)
    return FALSE;
  jail_stop(tx, name);
  return TRUE;
}

/* ---- reload --------------------------------------------------------- */

static gboolean
opts_contain(const F2bPyObj *opts, const char *opt)
{
  if (f2b_py_kind(opts) == F2B_PY_STR) {
    const char *s = f2b_py_get_str(opts, NULL);
    return strstr(s, opt) != NULL;
  }
  if (f2b_py_kind(opts) != F2B_PY_LIST && f2b_py_kind(opts) != F2B_PY_TUPLE)
    return FALSE;
  for (gsize i = 0; i < f2b_py_len(opts); i++)
    if (is(f2b_py_item(opts, i), opt))
      return TRUE;
  return FALSE;
}

static gboolean
reload_args(const F2bPyObj *cmd, GError **error)
{
  gsize n = f2b_py_len(cmd);
  if (n >= 3)
    return TRUE;
  if (n == 2)
    return f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR,
                          "Server.reloadJails() missing 1 required positional argument: 'opts'");
  return f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR,
                        "Server.reloadJails() missing 2 required positional arguments: 'name' and 'opts'");
}

static void
reload_clear(F2bsJail *jail)
{
  f2bs_jail_clear_regexes(jail);
  g_ptr_array_set_size(jail->ignoreip, 0);
  if (jail->journalwatch)
    f2bs_journalwatch_clear_matches(jail->journalwatch);
}

/* `reload --unban`: every ban of the jail undone first (setUnbanIP). */
static void
reload_unban(F2bsJail *jail)
{
  gint64 n;
  f2bs_actions_unban(jail->rt, NULL, 0, TRUE, &n, NULL);
}

static gboolean
reload_begin(F2bsTransmitter *tx, const char *name, const F2bPyObj *opts, GError **error)
{
  gboolean all = strcmp(name, "--all") == 0;
  if (g_hash_table_size(tx->reload_state) && (all || g_hash_table_contains(tx->reload_state, name)))
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Reload already in progress");
  if (all)
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Reload all jails");
  else
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Reload jail %s", name);
  if (!all) {
    F2bsJail *jail = NULL;
    if (!opts_contain(opts, "--if-exists") || f2bs_jails_exists(tx->jails, name)) {
      jail = f2bs_jails_get(tx->jails, name, error);
      if (jail == NULL)
        return FALSE;
    }
    if (jail && opts_contain(opts, "--unban"))
      reload_unban(jail);
    if (jail && opts_contain(opts, "--restart"))
      jail_stop(tx, name);
  } else {
    if (opts_contain(opts, "--unban"))
      for (guint i = 0; i < f2bs_jails_count(tx->jails); i++)
        reload_unban(f2bs_jails_nth(tx->jails, i));
    if (opts_contain(opts, "--restart"))
      f2bs_transmitter_stop_all(tx);
  }
  for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
    F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
    if (all || strcmp(jail->name, name) == 0) {
      jail->idle = TRUE;
      f2bs_actions_set_idle(jail->rt, TRUE);
      g_hash_table_insert(tx->reload_state, g_strdup(jail->name), GINT_TO_POINTER(1));
      reload_clear(jail);
      if (!jail->journal)
        for (guint j = 0; j < jail->logpaths->len; j++)
          g_hash_table_add(tx->reload_logs, reload_log_key(jail->name, jail->logpaths->pdata[j]));
      f2bs_actions_reload_begin(jail->rt);
    }
  }
  return TRUE;
}

static void
reload_commit(F2bsTransmitter *tx)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
    F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
    if (g_hash_table_contains(tx->reload_state, jail->name)) {
      g_ptr_array_add(gone, g_strdup(jail->name));
      continue;
    }
    /* committed: the log paths and actions not configured again go */
    reload_logs_forget(tx, jail->name, TRUE);
    f2bs_actions_reload_end(jail->rt);
  }
  for (guint i = 0; i < gone->len; i++)
    jail_stop(tx, gone->pdata[i]);
  g_hash_table_remove_all(tx->reload_state);
}

static void
reload_end(F2bsTransmitter *tx)
{
  reload_commit(tx);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Reload finished.");
}

/* ---- set ------------------------------------------------------------ */

static gboolean set_jail(F2bsTransmitter *tx, const F2bPyObj *c, gboolean multiple, F2bPyObj **value,
                         GError **error);

static gboolean
set_server(F2bsTransmitter *tx, const char *name, const F2bPyObj *c, F2bPyObj **value, GError **error,
           gboolean *handled)
{
  *handled = TRUE;
  if (strcmp(name, "loglevel") == 0) {
    g_autofree char *v = text_arg(c, 1, error);
    GError *local = NULL;
    if (v == NULL)
      return FALSE;
    if (!f2bs_log_set_level(v, &local)) {
      f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
      g_error_free(local);
      return FALSE;
    }
    *value = f2b_py_str(f2bs_log_get_level());
    return TRUE;
  }
  if (strcmp(name, "logtarget") == 0 || strcmp(name, "syslogsocket") == 0) {
    gboolean target = name[3] == 't';
    g_autofree char *v = text_arg(c, 1, error);
    if (v == NULL)
      return FALSE;
    GError *local = NULL;
    gboolean ok = target ? f2bs_log_set_target(v, &local) : f2bs_log_set_syslogsocket(v, &local);
    if (local) {
      f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
      g_error_free(local);
      return FALSE;
    }
    if (!ok)
      return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, target ? "Failed to change log target"
                                                                : "Failed to change syslog socket");
    const char *now = target ? f2bs_log_get_target() : f2bs_log_get_syslogsocket();
    *value = now ? f2b_py_str(now) : f2b_py_none();
    return TRUE;
  }
  if (strcmp(name, "allowipv6") == 0) {
    const F2bPyObj *v = arg(c, 1, error);
    if (v == NULL)
      return FALSE;
    *value = f2b_py_copy(v);
    return TRUE;
  }
  if (strcmp(name, "thread") == 0) {
    const F2bPyObj *v = arg(c, 1, error);
    if (v == NULL)
      return FALSE;
    return f2bs_pyexc_set(error, F2BS_PYEXC_ATTRIBUTE_ERROR, "'%s' object has no attribute 'items'",
                          f2b_py_kind(v) == F2B_PY_INT ? "int" : "str");
  }
  if (strcmp(name, "dbfile") == 0) {
    g_autofree char *v = text_arg(c, 1, error);
    if (v == NULL)
      return FALSE;
    gboolean none = g_ascii_strcasecmp(v, "none") == 0;
    gboolean same = tx->dbfile && strcmp(tx->dbfile, v) == 0;
    if (!same && !(tx->dbfile == NULL && none)) {
      if (f2bs_jails_count(tx->jails) != 0)
        return f2bs_pyexc_set(error, F2BS_PYEXC_RUNTIME_ERROR, "Cannot change database when there are jails present");
      g_clear_pointer(&tx->persist, f2bs_persist_close);
      g_clear_pointer(&tx->dbfile, g_free);
      if (!none) {
        /* a database that cannot be opened is logged and the server runs
         * without one (fail2ban's start-up would end here) */
        tx->persist = f2bs_persist_open(v, NULL);
        tx->dbfile = tx->persist ? g_strdup(v) : NULL;
      }
      tx->dbmaxmatches = 10;
      f2b_py_free(tx->dbpurgeage);
      tx->dbpurgeage = f2b_py_int(86400);
    }
    *value = tx->dbfile ? f2b_py_str(tx->dbfile) : f2b_py_none();
    return TRUE;
  }
  if (strcmp(name, "dbmaxmatches") == 0 || strcmp(name, "dbpurgeage") == 0) {
    if (tx->dbfile == NULL) {
      f2bs_log(F2BS_LOG_MSG, LOGGER, "%s setting was not in effect since no db yet", name);
      *value = f2b_py_none();
      return TRUE;
    }
    const F2bPyObj *v = arg(c, 1, error);
    if (v == NULL)
      return FALSE;
    if (name[2] == 'm') {
      if (!int_of(v, &tx->dbmaxmatches, error))
        return FALSE;
      f2b_db_set_max_matches(f2bs_persist_db(tx->persist), tx->dbmaxmatches);
      *value = f2b_py_int(tx->dbmaxmatches);
      return TRUE;
    }
    g_autoptr(F2bsJail) scratch = NULL;
    GError *local = NULL;
    g_autoptr(F2bPyObj) secs = NULL;
    if (f2b_py_kind(v) == F2B_PY_STR) {
      secs = f2b_timeutil_str2sec(f2b_py_get_str(v, NULL), &local);
      if (secs == NULL) {
        f2bs_pyexc_set(error, F2BS_PYEXC_SYNTAX_ERROR, "%s", local->message);
        g_error_free(local);
        return FALSE;
      }
    } else {
      secs = f2b_py_copy(v);
    }
    f2b_py_free(tx->dbpurgeage);
    tx->dbpurgeage = f2b_py_copy(secs);
    if (f2b_py_kind(secs) == F2B_PY_INT || f2b_py_kind(secs) == F2B_PY_FLOAT)
      f2b_db_set_purge_age(f2bs_persist_db(tx->persist), f2b_py_kind(secs) == F2B_PY_INT
                                                             ? f2b_py_get_int(secs)
                                                             : (gint64)f2b_py_get_float(secs));
    *value = g_steal_pointer(&secs);
    return TRUE;
  }
  *handled = FALSE;
  return FALSE;
}

static gboolean
cmd_set(F2bsTransmitter *tx, const F2bPyObj *c, gboolean multiple, F2bPyObj **value, GError **error)
{
  g_autofree char *name = text_arg(c, 0, error);
  if (name == NULL)
    return FALSE;
  gboolean handled;
  gboolean ok = set_server(tx, name, c, value, error, &handled);
  if (handled)
    return ok;
  return set_jail(tx, c, multiple, value, error);
}

/* The value returned after a jail setter: the matching getter's. */
static F2bPyObj *get_jail_value(F2bsTransmitter *tx, F2bsJail *jail, const char *opt);

/* addjournalmatch / deljournalmatch on the jail's open journal. */
static gboolean
journal_match(F2bsJail *jail, const F2bPyObj *c, gboolean add, GError **error)
{
  g_autoptr(GPtrArray) terms = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 2; i < f2b_py_len(c); i++)
    g_ptr_array_add(terms, text_of(f2b_py_item(c, i)));
  const char *const *t = (const char *const *)terms->pdata;
  return add ? f2bs_journalwatch_add_match(jail->journalwatch, t, terms->len, error)
             : f2bs_journalwatch_del_match(jail->journalwatch, t, terms->len, error);
}

static gboolean
set_regex_list(F2bsJail *jail, const F2bPyObj *c, gboolean multiple, gboolean fail, GError **error)
{
  const F2bPyObj *v = arg(c, 2, error);
  if (v == NULL)
    return FALSE;
  if (multiple && (f2b_py_kind(v) == F2B_PY_LIST || f2b_py_kind(v) == F2B_PY_TUPLE)) {
    for (gsize i = 0; i < f2b_py_len(v); i++) {
      g_autofree char *re = text_of(f2b_py_item(v, i));
      f2bs_log(F2BS_LOG_DEBUG, "fail2ban.server", "  %s: '%s'", fail ? "failregex" : "ignoreregex", re);
      if (!(fail ? f2bs_jail_add_failregex(jail, re, error) : f2bs_jail_add_ignoreregex(jail, re, error)))
        return FALSE;
    }
    return TRUE;
  }
  g_autofree char *re = text_of(v);
  return fail ? f2bs_jail_add_failregex(jail, re, error) : f2bs_jail_add_ignoreregex(jail, re, error);
}

static gboolean
set_action(F2bsTransmitter *tx, F2bsJail *jail, const F2bPyObj *c, gboolean multiple, F2bPyObj **value,
           GError **error)
{
  g_autofree char *actname = text_arg(c, 2, error);
  if (actname == NULL)
    return FALSE;
  F2bsAction *action = f2bs_jail_get_action(jail, actname, error);
  if (action == NULL)
    return FALSE;
  if (multiple) {
    const F2bPyObj *list = arg(c, 3, error);
    if (list == NULL)
      return FALSE;
    for (gsize i = 0; i < f2b_py_len(list); i++) {
      const F2bPyObj *kv = f2b_py_item(list, i);
      g_autofree char *key = text_arg(kv, 0, error);
      const F2bPyObj *v = key ? arg(kv, 1, error) : NULL;
      if (v == NULL || !f2bs_action_set(action, key, f2b_py_copy(v), error))
        return FALSE;
    }
    *value = f2b_py_bool(TRUE);
    return TRUE;
  }
  g_autofree char *key = text_arg(c, 3, error);
  const F2bPyObj *v = key ? arg(c, 4, error) : NULL;
  if (v == NULL || !f2bs_action_set(action, key, f2b_py_copy(v), error))
    return FALSE;
  *value = f2bs_action_get(action, key, error);
  return *value != NULL;
}

static gboolean
set_jail_filter(F2bsTransmitter *tx, F2bsJail *jail, const char *opt, const F2bPyObj *c, gboolean multiple,
                GError **error, gboolean *handled)
{
  *handled = TRUE;
  g_autofree char *v = NULL;
  gint64 n;
  if (!strcmp(opt, "ignoreself")) {
    v = text_arg(c, 2, error);
    if (v)
      jail->ignoreself = as_bool(v);
    return v != NULL;
  }
  if (!strcmp(opt, "addignoreip")) {
    for (gsize i = 2; i < f2b_py_len(c); i++) {
      g_autofree char *ip = text_of(f2b_py_item(c, i));
      if (!f2bs_jail_add_ignoreip(jail, ip, error))
        return FALSE;
    }
    return TRUE;
  }
  if (!strcmp(opt, "delignoreip"))
    return (v = text_arg(c, 2, error)) && f2bs_jail_del_ignoreip(jail, v, error);
  if (!strcmp(opt, "ignorecommand")) {
    const F2bPyObj *x = arg(c, 2, error);
    if (x) {
      f2b_py_free(jail->ignorecommand);
      jail->ignorecommand = f2b_py_copy(x);
    }
    return x != NULL;
  }
  if (!strcmp(opt, "ignorecache"))
    return (v = text_arg(c, 2, error)) && f2bs_jail_set_ignorecache(jail, v, error);
  if (!strcmp(opt, "addlogpath")) {
    if (!(v = text_arg(c, 2, error)))
      return FALSE;
    gboolean tail = FALSE;
    if (f2b_py_len(c) == 4) {
      g_autofree char *mode = g_ascii_strdown(f2b_py_get_str(f2b_py_item(c, 3), NULL), -1);
      tail = strcmp(mode, "tail") == 0;
      if (!tail && strcmp(mode, "head") != 0)
        return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "File option must be 'head' or 'tail'");
    } else if (f2b_py_len(c) > 4) {
      return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Only one file can be added at a time");
    }
    g_autofree char *key = reload_log_key(jail->name, v);
    if (g_hash_table_remove(tx->reload_logs, key))
      return TRUE; /* kept by the reload, as it was */
    return f2bs_jail_add_logpath(jail, v, tail, error);
  }
  if (!strcmp(opt, "dellogpath")) {
    if ((v = text_arg(c, 2, error)))
      f2bs_jail_del_logpath(jail, v);
    return v != NULL;
  }
  if (!strcmp(opt, "logencoding"))
    return (v = text_arg(c, 2, error)) && f2bs_jail_set_logencoding(jail, v, error);
  if (!strcmp(opt, "addjournalmatch") || !strcmp(opt, "deljournalmatch")) {
    /* a jail of another backend ignores them, as fail2ban's does */
    return !jail->journalwatch || journal_match(jail, c, opt[0] == 'a', error);
  }
  if (!strcmp(opt, "prefregex")) {
    if (!(v = text_arg(c, 2, error)))
      return FALSE;
    f2bs_log(F2BS_LOG_DEBUG, "fail2ban.server", "  prefregex: '%s'", v);
    return f2bs_jail_set_prefregex(jail, v, error);
  }
  if (!strcmp(opt, "addfailregex") || !strcmp(opt, "addignoreregex"))
    return set_regex_list(jail, c, multiple, opt[3] == 'f', error);
  if (!strcmp(opt, "delfailregex") || !strcmp(opt, "delignoreregex")) {
    if (!int_arg(c, 2, &n, error))
      return FALSE;
    f2bs_jail_del_regex(jail, opt[3] == 'f', n);
    return TRUE;
  }
  if (!strcmp(opt, "usedns")) {
    if ((v = text_arg(c, 2, error)))
      f2bs_jail_set_usedns(jail, v);
    return v != NULL;
  }
  if (!strcmp(opt, "findtime")) {
    const F2bPyObj *x = arg(c, 2, error);
    return x && f2bs_jail_set_findtime(jail, x, error);
  }
  if (!strcmp(opt, "datepattern"))
    return (v = text_arg(c, 2, error)) && f2bs_jail_set_datepattern(jail, v, error);
  if (!strcmp(opt, "logtimezone"))
    return (v = text_arg(c, 2, error)) && f2bs_jail_set_logtimezone(jail, v, error);
  if (!strcmp(opt, "maxmatches")) {
    if (int_arg(c, 2, &n, error)) {
      jail->maxmatches = n;
      f2b_failmanager_set_max_matches(f2bs_actions_failmanager(jail->rt), n < 0 ? 0 : (guint)n);
    } else {
      return FALSE;
    }
    return TRUE;
  }
  if (!strcmp(opt, "maxretry")) {
    if (!int_arg(c, 2, &n, error))
      return FALSE;
    f2bs_jail_set_maxretry(jail, n);
    return TRUE;
  }
  if (!strcmp(opt, "maxlines"))
    return int_arg(c, 2, &n, error) && f2bs_jail_set_maxlines(jail, n, error);
  *handled = FALSE;
  return FALSE;
}

/* Commands whose reply is the getter of the same option. */
static const char *
getter_for(const char *opt)
{
  static const char *const map[][2] = {
    { "ignoreself", "ignoreself" }, { "addignoreip", "ignoreip" }, { "delignoreip", "ignoreip" },
    { "ignorecommand", "ignorecommand" }, { "ignorecache", "ignorecache" }, { "addlogpath", "logpath" },
    { "dellogpath", "logpath" }, { "logencoding", "logencoding" }, { "addjournalmatch", "journalmatch" },
    { "deljournalmatch", "journalmatch" }, { "prefregex", "prefregex" }, { "addfailregex", "failregex" },
    { "delfailregex", "failregex" }, { "addignoreregex", "ignoreregex" }, { "delignoreregex", "ignoreregex" },
    { "usedns", "usedns" }, { "findtime", "findtime" }, { "datepattern", "datepattern" },
    { "logtimezone", "logtimezone" }, { "maxmatches", "maxmatches" }, { "maxretry", "maxretry" },
    { "maxlines", "maxlines" }, { "bantime", "bantime" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(map); i++)
    if (strcmp(map[i][0], opt) == 0)
      return map[i][1];
  return NULL;
}

/* TRUE for an option `get <JAIL> OPT` answers from get_jail_value. */
static gboolean
is_getter(const char *opt)
{
  static const char *const names[] = { "logpath", "logencoding", "journalmatch", "ignoreself", "ignoreip",
                                       "ignorecommand", "ignorecache", "prefregex", "failregex", "ignoreregex",
                                       "usedns", "findtime", "datepattern", "logtimezone", "maxmatches",
                                       "maxretry", "maxlines", "bantime", NULL };
  return g_strv_contains(names, opt);
}

/* The items from FROM on as C strings (str() of each). */
static GPtrArray *
texts_from(const F2bPyObj *c, gsize from)
{
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = from; i < f2b_py_len(c); i++)
    g_ptr_array_add(a, text_of(f2b_py_item(c, i)));
  g_ptr_array_add(a, NULL);
  return a;
}

/* set JAIL banip|unbanip|attempt ... */
static gboolean
set_bans(F2bsTransmitter *tx, const F2bPyObj *c, const char *opt, F2bPyObj **value, GError **error)
{
  gsize from = 2;
  gboolean ifexists = TRUE;
  if (!strcmp(opt, "unbanip")) {
    if (arg(c, 2, error) == NULL)
      return FALSE;
    if (is(f2b_py_item(c, 2), "--report-absent")) {
      ifexists = FALSE;
      from = 3;
    }
  }
  F2bsJail *jail = jail_of(tx, c, error);
  if (jail == NULL)
    return FALSE;
  g_autoptr(GPtrArray) ids = texts_from(c, from);
  guint n = ids->len - 1;
  const char *const *v = (const char *const *)ids->pdata;
  gint64 count = 0;
  if (!strcmp(opt, "attempt")) {
    if (n == 0)
      return f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR,
                            "Server.addAttemptIP() missing 1 required positional argument: 'ip'");
    if (!f2bs_actions_attempt(jail->rt, v[0], v + 1, n - 1, error))
      return FALSE;
    *value = f2b_py_int(1);
    return TRUE;
  }
  if (!strcmp(opt, "banip")) {
    if (!f2bs_actions_ban(jail->rt, v, n, &count, error))
      return FALSE;
  } else if (!f2bs_actions_unban(jail->rt, v, n, ifexists, &count, error)) {
    return FALSE;
  }
  *value = f2b_py_int(count);
  return TRUE;
}

static gboolean
set_jail(F2bsTransmitter *tx, const F2bPyObj *c, gboolean multiple, F2bPyObj **value, GError **error)
{
  const F2bPyObj *o = arg(c, 1, error);
  if (o == NULL)
    return FALSE;
  g_autofree char *opt = text_of(o);
  if (f2b_py_kind(o) == F2B_PY_STR && strcmp(opt, "idle") == 0) {
    const F2bPyObj *v = arg(c, 2, error);
    if (v == NULL)
      return FALSE;
    if (!is(v, "on") && !is(v, "off"))
      return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid idle option, must be 'on' or 'off'");
    F2bsJail *jail = jail_of(tx, c, error);
    if (jail == NULL)
      return FALSE;
    jail->idle = is(v, "on");
    f2bs_actions_set_idle(jail->rt, jail->idle);
    *value = f2b_py_bool(jail->idle);
    return TRUE;
  }
  F2bsJail *jail = NULL;
  gboolean handled = FALSE;
  const char *getter = f2b_py_kind(o) == F2B_PY_STR ? getter_for(opt) : NULL;
  if (getter) {
    /* fail2ban reads the value argument before it looks the jail up; these
     * three take the rest of the command, which may be empty */
    gboolean rest = !strcmp(opt, "addignoreip") || !strcmp(opt, "addjournalmatch") || !strcmp(opt, "deljournalmatch");
    if (!rest && arg(c, 2, error) == NULL)
      return FALSE;
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    if (strcmp(opt, "bantime") == 0) {
      if (!f2bs_jail_set_bantime(jail, f2b_py_item(c, 2), error))
        return FALSE;
    } else if (!set_jail_filter(tx, jail, opt, c, multiple, error, &handled)) {
      return FALSE;
    }
    if (multiple && (!strcmp(opt, "addfailregex") || !strcmp(opt, "addignoreregex"))) {
      *value = f2b_py_bool(TRUE);
      return TRUE;
    }
    *value = get_jail_value(tx, jail, getter);
    return TRUE;
  }
  if (!strcmp(opt, "attempt") || !strcmp(opt, "banip") || !strcmp(opt, "unbanip"))
    return set_bans(tx, c, opt, value, error);
  if (g_str_has_prefix(opt, "bantime.")) {
    g_autofree char *v = text_arg(c, 2, error);
    if (v == NULL || !(jail = jail_of(tx, c, error)))
      return FALSE;
    const char *extra = opt + strlen("bantime.");
    if (!f2bs_jail_set_bantime_extra(jail, extra, v, error))
      return FALSE;
    *value = f2bs_jail_get_bantime_extra(jail, extra);
    return TRUE;
  }
  if (!strcmp(opt, "addaction")) {
    g_autofree char *name = text_arg(c, 2, error);
    if (name == NULL)
      return FALSE;
    if (f2b_py_len(c) > 3) {
      if (arg(c, 4, error) == NULL)
        return FALSE;
      return f2bs_pyexc_set(error, F2BS_PYEXC_NOT_IMPLEMENTED,
                            "Python action '%s': Python actions are not supported by f2bc-server", name);
    }
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    F2bsAction *old = f2bs_jail_get_action(jail, name, NULL);
    if (old && g_hash_table_contains(tx->reload_state, jail->name)
        && f2bs_actions_reload_keep(jail->rt, name)) {
      f2bs_action_clear_params(old); /* the stream sets them again; actionreload runs at the end */
    } else if (!f2bs_jail_add_action(jail, name, error)) {
      return FALSE;
    }
    *value = f2b_py_str(name);
    return TRUE;
  }
  if (!strcmp(opt, "delaction")) {
    g_autofree char *name = text_arg(c, 2, error);
    if (name == NULL || !(jail = jail_of(tx, c, error)))
      return FALSE;
    if (!f2bs_jail_del_action(jail, name, error))
      return FALSE;
    *value = f2b_py_none();
    return TRUE;
  }
  if (!strcmp(opt, "action")) {
    if (arg(c, 2, error) == NULL || !(jail = jail_of(tx, c, error)))
      return FALSE;
    return set_action(tx, jail, c, multiple, value, error);
  }
  g_autofree char *r = f2b_py_repr(o);
  return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid command %s (no set action or not yet implemented)", r);
}

/* ---- get ------------------------------------------------------------ */

static F2bPyObj *
str_list(GPtrArray *strings)
{
  F2bPyObj *l = f2b_py_list_new();
  for (guint i = 0; i < strings->len; i++)
    f2b_py_append(l, f2b_py_str(strings->pdata[i]));
  return l;
}

static F2bPyObj *
get_jail_value(F2bsTransmitter *tx, F2bsJail *jail, const char *opt)
{
  if (!strcmp(opt, "logpath"))
    return jail->journal ? f2b_py_list_new() : str_list(jail->logpaths);
  if (!strcmp(opt, "logencoding"))
    return f2b_py_str(jail->logencoding);
  if (!strcmp(opt, "journalmatch"))
    return jail->journalwatch ? f2bs_journalwatch_matches_py(jail->journalwatch) : f2b_py_list_new();
  if (!strcmp(opt, "ignoreself"))
    return f2b_py_bool(jail->ignoreself);
  if (!strcmp(opt, "ignoreip"))
    return f2bs_jail_get_ignoreip(jail);
  if (!strcmp(opt, "ignorecommand"))
    return f2b_py_copy(jail->ignorecommand);
  if (!strcmp(opt, "ignorecache"))
    return f2b_py_copy(jail->ignorecache);
  if (!strcmp(opt, "prefregex"))
    return f2b_py_str(f2bs_jail_get_prefregex(jail));
  if (!strcmp(opt, "failregex"))
    return f2bs_jail_get_regexes(jail, TRUE);
  if (!strcmp(opt, "ignoreregex"))
    return f2bs_jail_get_regexes(jail, FALSE);
  if (!strcmp(opt, "usedns"))
    return f2b_py_str(jail->usedns);
  if (!strcmp(opt, "findtime"))
    return f2b_py_copy(jail->findtime);
  if (!strcmp(opt, "datepattern"))
    return f2bs_jail_get_datepattern(jail);
  if (!strcmp(opt, "logtimezone"))
    return jail->logtimezone ? f2b_py_str(jail->logtimezone) : f2b_py_none();
  if (!strcmp(opt, "maxmatches"))
    return f2b_py_int(jail->maxmatches);
  if (!strcmp(opt, "maxretry"))
    return f2b_py_int(jail->maxretry);
  if (!strcmp(opt, "maxlines"))
    return f2b_py_int(jail->maxlines);
  if (!strcmp(opt, "bantime"))
    return f2b_py_copy(jail->bantime);
  return NULL;
}

static gboolean
get_jail(F2bsTransmitter *tx, const F2bPyObj *c, F2bPyObj **value, GError **error)
{
  const F2bPyObj *o = arg(c, 1, error);
  if (o == NULL)
    return FALSE;
  g_autofree char *opt = f2b_py_kind(o) == F2B_PY_STR ? text_of(o) : g_strdup("");
  F2bsJail *jail = NULL;
  if (!strcmp(opt, "banned")) {
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    g_autoptr(GPtrArray) ids = texts_from(c, 2);
    *value = f2b_banmanager_banned_reply(f2bs_actions_banmanager(jail->rt), (const char *const *)ids->pdata,
                                         ids->len - 1, error);
    return *value != NULL;
  }
  if (is_getter(opt)) {
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    *value = get_jail_value(tx, jail, opt);
    return TRUE;
  }
  if (!strcmp(opt, "banip")) {
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    F2bBanManager *bm = f2bs_actions_banmanager(jail->rt);
    if (f2b_py_len(c) > 2 && is(f2b_py_item(c, 2), "--with-time")) {
      g_autoptr(GPtrArray) l = f2b_banmanager_get_ban_list_with_time(bm);
      *value = str_list(l);
    } else {
      g_autoptr(GPtrArray) l = f2b_banmanager_get_ban_list_ordered(bm);
      *value = f2b_py_list_new();
      for (guint i = 0; i < l->len; i++) {
        gsize len;
        char *ip = f2b_ipaddr_to_string(l->pdata[i], &len);
        f2b_py_append(*value, f2b_py_str_take(ip));
      }
    }
    return TRUE;
  }
  if (g_str_has_prefix(opt, "bantime.")) {
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    *value = f2bs_jail_get_bantime_extra(jail, opt + strlen("bantime."));
    return TRUE;
  }
  if (!strcmp(opt, "actions")) {
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    *value = f2b_py_list_new();
    for (guint i = 0; i < jail->actions->len; i++)
      f2b_py_append(*value, f2b_py_str(((F2bsAction *)jail->actions->pdata[i])->name));
    return TRUE;
  }
  if (!strcmp(opt, "actionbackend")) { /* not in fail2ban: how the action's bans are applied */
    g_autofree char *actname = text_arg(c, 2, error);
    if (actname == NULL || !(jail = jail_of(tx, c, error)))
      return FALSE;
    F2bsAction *action = f2bs_jail_get_action(jail, actname, error);
    if (action == NULL)
      return FALSE;
    const char *backend = f2bs_actnative_backend(action, jail->name);
    *value = f2b_py_str(backend ? backend : "shell");
    return TRUE;
  }
  if (!strcmp(opt, "action") || !strcmp(opt, "actionproperties") || !strcmp(opt, "actionmethods")) {
    g_autofree char *actname = text_arg(c, 2, error);
    g_autofree char *prop = NULL;
    if (actname == NULL)
      return FALSE;
    if (!strcmp(opt, "action") && !(prop = text_arg(c, 3, error)))
      return FALSE;
    if (!(jail = jail_of(tx, c, error)))
      return FALSE;
    F2bsAction *action = f2bs_jail_get_action(jail, actname, error);
    if (action == NULL)
      return FALSE;
    if (!strcmp(opt, "actionproperties"))
      *value = f2bs_action_properties(action);
    else if (!strcmp(opt, "actionmethods"))
      *value = f2bs_action_methods();
    else
      *value = f2bs_action_get(action, prop, error);
    return *value != NULL;
  }
  return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid command (no get action or not yet implemented)");
}

static gboolean
cmd_get(F2bsTransmitter *tx, const F2bPyObj *c, F2bPyObj **value, GError **error)
{
  g_autofree char *name = text_arg(c, 0, error);
  if (name == NULL)
    return FALSE;
  const char *s = NULL;
  if (!strcmp(name, "loglevel"))
    s = f2bs_log_get_level();
  else if (!strcmp(name, "logtarget"))
    s = f2bs_log_get_target();
  else if (!strcmp(name, "syslogsocket"))
    s = f2bs_log_get_syslogsocket();
  else if (!strcmp(name, "thread")) {
    *value = f2b_py_dict_new();
    f2b_py_dict_set(*value, f2b_py_str("stacksize"), f2b_py_int(0));
    return TRUE;
  } else if (!strcmp(name, "dbfile") || !strcmp(name, "dbmaxmatches") || !strcmp(name, "dbpurgeage")) {
    if (tx->dbfile == NULL)
      *value = f2b_py_none();
    else if (name[2] == 'f')
      *value = f2b_py_str(tx->dbfile);
    else if (name[2] == 'm')
      *value = f2b_py_int(tx->dbmaxmatches);
    else
      *value = f2b_py_copy(tx->dbpurgeage);
    return TRUE;
  } else
    return get_jail(tx, c, value, error);
  *value = s ? f2b_py_str(s) : f2b_py_none();
  return TRUE;
}

static gboolean
cmd_status(F2bsTransmitter *tx, const F2bPyObj *cmd, F2bPyObj **value, GError **error)
{
  gsize n = f2b_py_len(cmd) - 1;
  if (n == 0) {
    *value = f2b_py_list_new();
    f2b_py_append(*value, f2b_py_tuple_of(f2b_py_str("Number of jail"), f2b_py_int(f2bs_jails_count(tx->jails)), NULL));
    f2b_py_append(*value, f2b_py_tuple_of(f2b_py_str("Jail list"), f2b_py_str_take(f2bs_jails_list(tx->jails)), NULL));
    return TRUE;
  }
  if (n > 2)
    return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid command (no status)");
  g_autofree char *name = text_of(f2b_py_item(cmd, 1));
  F2bsJail *jail = f2bs_jails_get(tx->jails, name, error);
  if (jail == NULL)
    return FALSE;
  g_autofree char *flavor = n == 2 ? text_of(f2b_py_item(cmd, 2)) : g_strdup("basic");
  *value = f2bs_jail_status(jail, flavor);
  return TRUE;
}

/* ---- top level ------------------------------------------------------ */

/* Python's float(text) for sleep. */
static gboolean
sleep_seconds(const F2bPyObj *v, double *out, GError **error)
{
  if (f2b_py_kind(v) == F2B_PY_INT || f2b_py_kind(v) == F2B_PY_FLOAT) {
    *out = f2b_py_kind(v) == F2B_PY_INT ? (double)f2b_py_get_int(v) : f2b_py_get_float(v);
  } else {
    g_autofree char *s = text_of(v);
    g_strstrip(s);
    char *end = NULL;
    *out = g_ascii_strtod(s, &end);
    if (*s == '\0' || end == NULL || *end != '\0') {
      g_autofree char *r = f2b_py_repr(v);
      return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "could not convert string to float: %s", r);
    }
  }
  if (*out < 0 || isnan(*out))
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "sleep length must be non-negative");
  if (*out > 1e9)
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "sleep length is too large");
  return TRUE;
}

/* unban --all | unban ID...: every jail, absent ids ignored. */
static gboolean
server_unban(F2bsTransmitter *tx, const F2bPyObj *cmd, F2bPyObj **value, GError **error)
{
  gboolean all = f2b_py_len(cmd) == 2 && is(f2b_py_item(cmd, 1), "--all");
  g_autoptr(GPtrArray) ids = texts_from(cmd, 1);
  gint64 total = 0;
  for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
    gint64 n = 0;
    F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
    if (!f2bs_actions_unban(jail->rt, all ? NULL : (const char *const *)ids->pdata, ids->len - 1, TRUE, &n, error))
      return FALSE;
    total += n;
  }
  *value = f2b_py_int(total);
  return TRUE;
}

/* banned [ID...] over every jail (Server.banned(None, ids)). */
static gboolean
server_banned(F2bsTransmitter *tx, const F2bPyObj *cmd, F2bPyObj **value, GError **error)
{
  g_autoptr(GPtrArray) ids = texts_from(cmd, 1);
  guint n = ids->len - 1;
  g_autoptr(F2bPyObj) res = f2b_py_list_new();
  if (n > 0) {
    for (guint k = 0; k < n; k++) {
      F2bPyObj *names = f2b_py_list_new();
      f2b_py_append(res, names);
      for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
        F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
        gboolean banned = FALSE;
        const char *id = ids->pdata[k];
        if (!f2b_banmanager_is_banned(f2bs_actions_banmanager(jail->rt), id, -1, &banned, error)) {
          if (error && *error && (*error)->domain != F2BS_PYEXC) {
            GError *e = *error;
            *error = NULL;
            f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", e->message);
            g_error_free(e);
          }
          return FALSE;
        }
        if (banned)
          f2b_py_append(names, f2b_py_str(jail->name));
      }
    }
  } else {
    for (guint i = 0; i < f2bs_jails_count(tx->jails); i++) {
      F2bsJail *jail = f2bs_jails_nth(tx->jails, i);
      F2bPyObj *l = f2b_banmanager_banned_reply(f2bs_actions_banmanager(jail->rt), NULL, 0, error);
      if (l == NULL)
        return FALSE;
      F2bPyObj *d = f2b_py_dict_new();
      f2b_py_dict_set(d, f2b_py_str(jail->name), l);
      f2b_py_append(res, d);
    }
  }
  *value = g_steal_pointer(&res);
  return TRUE;
}

static RunStatus
handle(Job *job, const F2bPyObj *cmd, F2bPyObj **value, GError **error)
{
  F2bsTransmitter *tx = job->tx;
  *value = NULL;
  F2bPyKind kind = f2b_py_kind(cmd);
  if (kind == F2B_PY_STR) {
    gsize len;
    f2b_py_get_str(cmd, &len);
    if (len == 0)
      f2bs_pyexc_set(error, F2BS_PYEXC_INDEX_ERROR, "string index out of range");
    else
      f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid command");
    return RUN_FAILED;
  }
  if (kind != F2B_PY_LIST && kind != F2B_PY_TUPLE) {
    f2bs_pyexc_set(error, F2BS_PYEXC_TYPE_ERROR, "object is not subscriptable");
    return RUN_FAILED;
  }
  const F2bPyObj *name = arg(cmd, 0, error);
  if (name == NULL)
    return RUN_FAILED;
  gboolean ok = TRUE;
  g_autoptr(F2bPyObj) rest = NULL;
  if (is(name, "ping")) {
    *value = f2b_py_str("pong");
  } else if (is(name, "add")) {
    ok = cmd_add(tx, cmd, value, error);
  } else if (is(name, "multi-set") || is(name, "set")) {
    rest = slice(cmd, 1);
    ok = cmd_set(tx, rest, is(name, "multi-set"), value, error);
  } else if (is(name, "start")) {
    ok = cmd_start(tx, cmd, error);
  } else if (is(name, "stop")) {
    ok = cmd_stop(tx, cmd, error);
  } else if (is(name, "reload")) {
    if (!reload_args(cmd, error))
      return RUN_FAILED;
    Frame f = { .reload = TRUE };
    f.reload_name = text_of(f2b_py_item(cmd, 1));
    f.reload_opts = f2b_py_copy(f2b_py_item(cmd, 2));
    ok = reload_begin(tx, f.reload_name, f.reload_opts, error);
    const F2bPyObj *list = ok ? arg(cmd, 3, error) : NULL;
    if (list == NULL) {
      reload_end(tx);
      g_free(f.reload_name);
      f2b_py_free(f.reload_opts);
      return RUN_FAILED;
    }
    f.list = f2b_py_copy(list);
    job->pushed = f;
    return RUN_NESTED;
  } else if (is(name, "unban") && f2b_py_len(cmd) >= 2) {
    ok = server_unban(tx, cmd, value, error);
  } else if (is(name, "banned")) {
    ok = server_banned(tx, cmd, value, error);
  } else if (is(name, "echo")) {
    *value = slice(cmd, 1);
  } else if (is(name, "server-status")) {
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Status: ready");
    *value = f2b_py_str("Server ready");
  } else if (is(name, "server-stream")) {
    const F2bPyObj *list = arg(cmd, 1, error);
    if (list == NULL)
      return RUN_FAILED;
    /* not copied: a whole configuration is a megabyte of objects */
    job->pushed = (Frame){ .list = (F2bPyObj *)list, .borrowed = TRUE };
    return RUN_NESTED;
  } else if (is(name, "sleep")) {
    const F2bPyObj *v = arg(cmd, 1, error);
    if (v == NULL || !sleep_seconds(v, &job->sleep_for, error))
      return RUN_FAILED;
    return RUN_SLEEP;
  } else if (is(name, "flushlogs")) {
    *value = f2b_py_str(f2bs_log_flush());
  } else if (is(name, "get")) {
    rest = slice(cmd, 1);
    ok = cmd_get(tx, rest, value, error);
  } else if (is(name, "status")) {
    ok = cmd_status(tx, cmd, value, error);
  } else if (is(name, "version")) {
    *value = f2b_py_str(F2B_COMPAT_VERSION);
  } else if (is(name, "config-error")) {
    g_autofree char *msg = text_arg(cmd, 1, error);
    if (msg == NULL)
      return RUN_FAILED;
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", msg);
  } else {
    f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Invalid command");
    return RUN_FAILED;
  }
  if (!ok)
    return RUN_FAILED;
  if (*value == NULL)
    *value = f2b_py_none();
  return RUN_DONE;
}

static void
frame_clear(Frame *f)
{
  if (!f->borrowed)
    f2b_py_free(f->list);
  g_free(f->reload_name);
  f2b_py_free(f->reload_opts);
}

static void
job_free(Job *job)
{
  for (guint i = 0; i < job->frames->len; i++)
    frame_clear(&g_array_index(job->frames, Frame, i));
  g_array_unref(job->frames);
  f2b_py_free(job->command);
  f2b_py_free(job->value);
  g_free(job);
}

static void
job_reply(Job *job, F2bPyObj *value, GError *error)
{
  F2bPyObj *reply;
  if (error) {
    g_autofree char *cr = f2b_py_repr(job->command);
    g_autofree char *er = f2bs_pyexc_repr(error);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Command %s has failed. Received %s", cr, er);
    reply = f2b_py_tuple_of(f2b_py_int(1), f2bs_pyexc_to_py(error), NULL);
    g_error_free(error);
    f2b_py_free(value);
  } else {
    reply = f2b_py_tuple_of(f2b_py_int(0), value ? value : f2b_py_none(), NULL);
  }
  job->done(reply, job->user_data);
  job_free(job);
}

/* Ends the innermost frame (a finished reload commits). */
static F2bPyObj *
frame_pop(Job *job)
{
  Frame *f = &g_array_index(job->frames, Frame, job->frames->len - 1);
  F2bPyObj *result = f->reload ? f2b_py_str("OK") : f2b_py_none();
  if (f->reload) {
    reload_commit(job->tx);
    job->reloaded = TRUE;
  }
  frame_clear(f);
  g_array_set_size(job->frames, job->frames->len - 1);
  return result;
}

static gboolean job_resume(gpointer data);

static void
job_log_reloaded(Job *job)
{
  if (job->reloaded)
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Reload finished.");
  job->reloaded = FALSE;
}

/* fail2ban starts a jail and takes an attempt in the jail's own thread; every
 * other command runs the actions it causes itself, before it replies. */
static gboolean
waits_for_actions(const F2bPyObj *cmd)
{
  F2bPyKind kind = f2b_py_kind(cmd);
  if (kind != F2B_PY_LIST && kind != F2B_PY_TUPLE)
    return FALSE;
  gsize n = f2b_py_len(cmd);
  if (n >= 1 && is(f2b_py_item(cmd, 0), "start"))
    return FALSE;
  return !(n >= 3 && is(f2b_py_item(cmd, 0), "set") && is(f2b_py_item(cmd, 2), "attempt"));
}

static void
job_waited(gpointer data)
{
  job_resume(data);
}

/* Parks JOB (holding VALUE for its reply) until the actions queued since
 * BEFORE are done; FALSE when nothing is to wait for. */
static gboolean
job_wait(Job *job, guint64 before, const F2bPyObj *cmd, F2bPyObj *value)
{
  guint64 now = f2bs_actions_seq();
  if (now == before || (cmd && !waits_for_actions(cmd)) || !f2bs_actions_wait(now, job_waited, job))
    return FALSE;
  job->waiting = TRUE;
  job->value = value;
  g_ptr_array_add(job->tx->jobs, job);
  return TRUE;
}

static void
job_sleep(Job *job)
{
  g_ptr_array_add(job->tx->jobs, job);
  job->timer = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)(job->sleep_for * 1000), job_resume, job, NULL);
}

/* Runs the frames until the job ends or sleeps. */
static void
job_run(Job *job)
{
  while (job->frames->len > 0) {
    Frame *f = &g_array_index(job->frames, Frame, job->frames->len - 1);
    guint64 before = f2bs_actions_seq();
    if (f->index >= f2b_py_len(f->list)) {
      F2bPyObj *result = frame_pop(job);
      if (job->frames->len == 0) {
        if (!job_wait(job, before, NULL, result)) {
          job_log_reloaded(job);
          job_reply(job, result, NULL);
        }
        return;
      }
      f2b_py_free(result);
      if (job_wait(job, before, NULL, NULL))
        return;
      job_log_reloaded(job);
      continue;
    }
    const F2bPyObj *cmd = f2b_py_item(f->list, f->index++);
    F2bPyObj *value = NULL;
    GError *error = NULL;
    RunStatus st = handle(job, cmd, &value, &error);
    f2b_py_free(value);
    if (st == RUN_DONE && job_wait(job, before, cmd, NULL))
      return;
    if (st == RUN_FAILED) {
      while (job->frames->len > 0) {
        f2b_py_free(frame_pop(job));
        job_log_reloaded(job);
      }
      job_reply(job, NULL, error);
      return;
    }
    if (st == RUN_NESTED) {
      g_array_append_val(job->frames, job->pushed);
      if (job_wait(job, before, NULL, NULL)) /* reload --unban / --restart */
        return;
    }
    if (st == RUN_SLEEP) {
      job_sleep(job);
      return;
    }
  }
}

static gboolean
job_resume(gpointer data)
{
  Job *job = data;
  job->timer = 0;
  job->waiting = FALSE;
  g_ptr_array_remove(job->tx->jobs, job);
  job_log_reloaded(job);
  if (job->frames->len == 0)
    job_reply(job, g_steal_pointer(&job->value), NULL);
  else
    job_run(job);
  return G_SOURCE_REMOVE;
}

void
f2bs_transmitter_proceed(F2bsTransmitter *tx, const F2bPyObj *command, F2bsReplyFunc done, gpointer user_data)
{
  f2bs_transmitter_proceed_take(tx, f2b_py_copy(command), done, user_data);
}

void
f2bs_transmitter_proceed_take(F2bsTransmitter *tx, F2bPyObj *command, F2bsReplyFunc done,
                              gpointer user_data)
{
  Job *job = g_new0(Job, 1);
  job->tx = tx;
  job->command = command;
  job->frames = g_array_new(FALSE, TRUE, sizeof(Frame));
  job->done = done;
  job->user_data = user_data;
  if (f2bs_log_enabled(F2BS_LOG_HEAVYDEBUG)) {
    g_autofree char *r = f2b_py_repr(command);
    f2bs_log(F2BS_LOG_HEAVYDEBUG, LOGGER, "Command: %s", r);
  }
  F2bPyObj *value = NULL;
  GError *error = NULL;
  guint64 before = f2bs_actions_seq();
  switch (handle(job, job->command, &value, &error)) {
  case RUN_DONE:
    if (!job_wait(job, before, job->command, value))
      job_reply(job, value, NULL);
    return;
  case RUN_FAILED:
    job_reply(job, value, error);
    return;
  case RUN_SLEEP:
    job_sleep(job);
    return;
  case RUN_NESTED:
    g_array_append_val(job->frames, job->pushed);
    if (!job_wait(job, before, NULL, NULL))
      job_run(job);
    return;
  }
}

static void
sync_reply(F2bPyObj *reply, gpointer user_data)
{
  *(F2bPyObj **)user_data = reply;
}

F2bPyObj *
f2bs_transmitter_proceed_sync(F2bsTransmitter *tx, const F2bPyObj *command)
{
  F2bPyObj *reply = NULL;
  f2bs_transmitter_proceed(tx, command, sync_reply, &reply);
  g_return_val_if_fail(reply != NULL, f2b_py_none());
  return reply;
}

F2bsTransmitter *
f2bs_transmitter_new(F2bsQuitFunc quit, gpointer quit_data)
{
  F2bsTransmitter *tx = g_new0(F2bsTransmitter, 1);
  tx->jails = f2bs_jails_new();
  tx->reload_state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tx->reload_logs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tx->dbpurgeage = f2b_py_int(86400);
  tx->dbmaxmatches = 10;
  tx->quit = quit;
  tx->quit_data = quit_data;
  tx->jobs = g_ptr_array_new();
  return tx;
}

void
f2bs_transmitter_free(F2bsTransmitter *tx)
{
  if (tx == NULL)
    return;
  /* parked jobs are told that no reply will come (NULL) so that their
   * owners can let go of them */
  while (tx->jobs->len > 0) {
    Job *job = g_ptr_array_steal_index(tx->jobs, tx->jobs->len - 1);
    if (job->waiting)
      f2bs_actions_wait_cancel(job);
    else
      g_source_remove(job->timer);
    job->done(NULL, job->user_data);
    job_free(job);
  }
  g_ptr_array_unref(tx->jobs);
  f2bs_jails_free(tx->jails);
  f2bs_persist_close(tx->persist);
  g_hash_table_unref(tx->reload_state);
  g_hash_table_unref(tx->reload_logs);
  g_free(tx->dbfile);
  f2b_py_free(tx->dbpurgeage);
  g_free(tx);
}

F2bsJails *
f2bs_transmitter_jails(F2bsTransmitter *tx)
{
  return tx->jails;
}
