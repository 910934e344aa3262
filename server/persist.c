/* persist.c - the server's use of the database (see persist.h). */
#include "persist.h"

#include <string.h>

#include "actions.h"
#include "bantime.h"
#include "logwatch.h"
#include "pyexc.h"
#include "serverlog.h"

#define LOGGER "fail2ban.database"
#define PURGE_INTERVAL_S 3600 /* fail2ban's observer purges hourly */
#define LOG_UPDATE_INTERVAL_US (10 * G_USEC_PER_SEC) /* fail2ban: Utils.DEFAULT_SLEEP_TIME * 5 */

/* A log path of a jail and what the database holds for it. */
typedef struct {
  F2bsJail *jail; /* borrowed: forgotten when the jail is freed */
  char *path;
  gint64 pos;     /* the stored position, -1 when not known */
  char hash[41];  /* the stored first-line hash */
} TrackedLog;

/* The journal of a jail: the entry last read, not yet written. */
typedef struct {
  F2bsJail *jail; /* borrowed */
  double time;
  char *iso;
  gboolean pending;
} TrackedJournal;

#define JOURNAL_NAME "systemd-journal"

struct F2bsPersist {
  F2bDb *db;
  char *filename;
  guint purge_timer;
  GPtrArray *logs;            /* TrackedLog* */
  GPtrArray *journals;        /* TrackedJournal* */
  guint log_timer;            /* the positions' next write is due */
  gint64 next_log_update_us;  /* monotonic: not before (after the first write) */
  GThread *checkpointer;  /* the last checkpoint thread, joined before the next */
  gint checkpoint_done;   /* atomic: it has ended */
  GError *checkpoint_error;
};

/* Checkpoints run in a thread of their own, so that their fsync never
 * holds up the loop (commits then only append to the WAL). */
static gpointer
checkpoint_thread(gpointer data)
{
  F2bsPersist *p = data;
  f2b_db_checkpoint_file(p->filename, &p->checkpoint_error);
  g_atomic_int_set(&p->checkpoint_done, 1);
  return NULL;
}

/* Joins the last checkpoint thread (waits when it still runs). */
static void
checkpoint_join(F2bsPersist *p)
{
  if (p->checkpointer == NULL)
    return;
  g_thread_join(g_steal_pointer(&p->checkpointer));
  if (p->checkpoint_error)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", p->checkpoint_error->message);
  g_clear_error(&p->checkpoint_error);
}

/* The WAL is long (a commit said so): a checkpoint thread, unless one runs. */
static void
want_checkpoint(gpointer data)
{
  F2bsPersist *p = data;
  if (p->checkpointer && !g_atomic_int_get(&p->checkpoint_done))
    return; /* still at it; a later commit asks again */
  checkpoint_join(p);
  g_atomic_int_set(&p->checkpoint_done, 0);
  p->checkpointer = g_thread_new("f2bc-checkpoint", checkpoint_thread, p);
}

static void
tracked_log_free(gpointer data)
{
  TrackedLog *t = data;
  g_free(t->path);
  g_free(t);
}

/* The followed file of T now (NULL: not watched any more). */
static F2bLogFile *
tracked_file(const TrackedLog *t)
{
  return t->jail->logwatch ? f2bs_logwatch_get_file(t->jail->logwatch, t->path) : NULL;
}

static gboolean
tracked_moved(const TrackedLog *t)
{
  F2bLogFile *lf = tracked_file(t);
  return lf && (f2b_logfile_get_pos(lf) != t->pos || strcmp(f2b_logfile_get_hash(lf), t->hash) != 0);
}

static void
tracked_journal_free(gpointer data)
{
  TrackedJournal *t = data;
  g_free(t->iso);
  g_free(t);
}

static void
write_journals(F2bsPersist *p, F2bDb *db)
{
  for (guint i = 0; i < p->journals->len; i++) {
    TrackedJournal *t = p->journals->pdata[i];
    g_autoptr(GError) error = NULL;
    if (!t->pending)
      continue;
    if (f2b_db_update_journal(db, t->jail->name, JOURNAL_NAME, t->time, t->iso, &error))
      t->pending = FALSE;
    else
      f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
  }
}

/* Inside every commit: the positions that moved join it. */
static void
on_commit(F2bDb *db, gpointer data)
{
  F2bsPersist *p = data;
  write_journals(p, db);
  for (guint i = 0; i < p->logs->len; i++) {
    TrackedLog *t = p->logs->pdata[i];
    if (!tracked_moved(t))
      continue;
    F2bLogFile *lf = tracked_file(t);
    gint64 pos = f2b_logfile_get_pos(lf);
    const char *hash = f2b_logfile_get_hash(lf);
    g_autoptr(GError) error = NULL;
    if (!f2b_db_update_log(db, t->jail->name, t->path, pos, hash, &error)) {
      f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
      continue;
    }
    t->pos = pos;
    g_strlcpy(t->hash, hash, sizeof t->hash);
  }
}

static double
now_s(void)
{
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static gboolean
on_purge(gpointer data)
{
  f2bs_persist_purge(data);
  return G_SOURCE_CONTINUE;
}

/* What sqlite can still read of the file kept aside joins the new
 * database (fail2ban's repair dumps and reloads it), so its bans are restored. */
static void
salvage(F2bDb *db, const char *moved)
{
  g_autoptr(GError) error = NULL;
  gint64 rows = f2b_db_salvage(db, moved, &error);
  if (rows < 0)
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "  %s", error->message);
  else
    f2bs_log(F2BS_LOG_INFO, LOGGER, "  %" G_GINT64_FORMAT " readable row(s) of '%s' copied into the new database",
             rows, moved);
}

F2bsPersist *
f2bs_persist_open(const char *filename, GError **error)
{
  g_autofree char *moved = NULL;
  g_autoptr(GError) why = NULL, local = NULL;
  F2bDb *db = f2b_db_open_or_recover(filename, (gint64)now_s(), &moved, &why, &local);
  if (db == NULL) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Error connecting to fail2ban persistent database '%s': %s", filename,
             local->message);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "  running without a database: bans will not survive a restart");
    return f2bs_pyexc_set(error, F2BS_PYEXC_RUNTIME_ERROR, "%s", local->message), NULL;
  }
  if (moved) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Database '%s' unusable: %s", filename, why->message);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "  kept aside untouched as '%s'; a new database was started", moved);
    salvage(db, moved);
  }
  f2bs_log(F2BS_LOG_INFO, LOGGER, "Connected to fail2ban persistent database '%s'", filename);
  if (f2b_db_is_readonly(db))
    f2bs_log(F2BS_LOG_ERROR, LOGGER,
             "Database '%s' is read-only: its bans are restored, but new bans and log positions cannot be "
             "saved (each failed write is logged)", filename);
  g_autoptr(GError) e = NULL;
  if (!f2b_db_del_all_jails(db, &e))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", e->message);
  F2bsPersist *p = g_new0(F2bsPersist, 1);
  p->db = db;
  p->filename = g_strdup(filename);
  p->purge_timer = g_timeout_add_seconds(PURGE_INTERVAL_S, on_purge, p);
  p->logs = g_ptr_array_new_with_free_func(tracked_log_free);
  p->journals = g_ptr_array_new_with_free_func(tracked_journal_free);
  f2b_db_set_commit_func(db, on_commit, p);
  if (strcmp(filename, ":memory:") != 0)
    f2b_db_set_checkpoint_func(db, want_checkpoint, p);
  return p;
}

void
f2bs_persist_close(F2bsPersist *p)
{
  if (p == NULL)
    return;
  if (p->purge_timer)
    g_source_remove(p->purge_timer);
  if (p->log_timer)
    g_source_remove(p->log_timer);
  f2b_db_set_commit_func(p->db, NULL, NULL);
  g_ptr_array_unref(p->logs);
  g_ptr_array_unref(p->journals);
  checkpoint_join(p);
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Close connection to database ...");
  f2b_db_close(p->db); /* the last connection checkpoints whatever is left */
  g_free(p->filename);
  f2bs_log(F2BS_LOG_INFO, LOGGER, "Connection to database closed.");
  g_free(p);
}

F2bDb *
f2bs_persist_db(F2bsPersist *p)
{
  return p->db;
}

void
f2bs_persist_purge(F2bsPersist *p)
{
  f2bs_log(F2BS_LOG_DEBUG, "fail2ban.observer", "Purge database event occurred");
  g_autoptr(GError) error = NULL;
  if (!f2b_db_purge(p->db, now_s(), &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
}

void
f2bs_persist_jail_added(F2bsPersist *p, F2bsJail *jail)
{
  g_autoptr(GError) error = NULL;
  if (!f2b_db_add_jail(p->db, jail->name, &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
  f2bs_actions_set_database(jail->rt, p->db);
  jail->has_database = TRUE;
  jail->persist = p;
}

void
f2bs_persist_jail_stopped(F2bsPersist *p, const char *name)
{
  f2bs_persist_flush_logs(p); /* the journal's last entry, as fail2ban's onStop */
  g_autoptr(GError) error = NULL;
  if (!f2b_db_del_jail(p->db, name, &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
}

static gboolean
extra_true(const F2bsJail *jail, const char *opt)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(opt);
  F2bPyObj *v = f2b_py_dict_lookup(jail->banextra, key);
  return v && f2b_py_kind(v) == F2B_PY_BOOL && f2b_py_get_bool(v);
}

static gint64
extra_int(const F2bsJail *jail, const char *opt, gint64 dflt)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(opt);
  F2bPyObj *v = f2b_py_dict_lookup(jail->banextra, key);
  if (v && f2b_py_kind(v) == F2B_PY_INT)
    return f2b_py_get_int(v);
  if (v && f2b_py_kind(v) == F2B_PY_FLOAT)
    return (gint64)f2b_py_get_float(v);
  return dflt;
}

static gboolean
ignored(const F2bsJail *jail, const F2bTicket *t)
{
  for (guint i = 0; jail->ignoreip && i < jail->ignoreip->len; i++)
    if (f2b_ipaddr_contains(jail->ignoreip->pdata[i], t->id))
      return TRUE;
  return FALSE;
}

/* A bantime.* value as the text bantime.h reads (maxtime and rndtime are
 * kept in seconds), transfer full, NULL when unset. */
static char *
extra_text(const F2bsJail *jail, const char *opt)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(opt);
  F2bPyObj *v = f2b_py_dict_lookup(jail->banextra, key);
  if (v == NULL || f2b_py_kind(v) == F2B_PY_NONE)
    return NULL;
  if (f2b_py_kind(v) == F2B_PY_STR)
    return g_strdup(f2b_py_get_str(v, NULL));
  return f2b_py_repr(v);
}

/* bantime.increment of JAIL handed to its actions (or turned off). */
static void
set_increment(F2bsJail *jail)
{
  if (!extra_true(jail, "increment")) {
    f2bs_actions_set_increment(jail->rt, NULL, FALSE);
    return;
  }
  g_autofree char *factor = extra_text(jail, "factor"), *formula = extra_text(jail, "formula");
  g_autofree char *multipliers = extra_text(jail, "multipliers"), *maxtime = extra_text(jail, "maxtime");
  g_autofree char *rndtime = extra_text(jail, "rndtime");
  F2bBanTimeOptions opts = { factor, formula, multipliers, maxtime, rndtime };
  g_autoptr(GError) error = NULL;
  F2bBanTimeIncr *incr = f2b_bantime_incr_new(&opts, &error);
  if (incr == NULL)
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.jail", "[%s] bantime.increment is off: %s", jail->name, error->message);
  /* fail2ban tests the option's text for truth: even "false" turns it on */
  g_autofree char *overall = extra_text(jail, "overalljails");
  f2bs_actions_set_increment(jail->rt, incr, overall && *overall && strcmp(overall, "False") != 0);
}

void
f2bs_persist_restore(F2bsPersist *p, F2bsJail *jail)
{
  set_increment(jail);
  F2bBanManager *bm = f2bs_actions_banmanager(jail->rt);
  gint64 jail_bt = f2b_banmanager_get_ban_time(bm);
  gint64 forbantime, correct;
  if (extra_true(jail, "increment")) {
    forbantime = -1; /* None */
    correct = extra_int(jail, "maxtime", -1);
  } else {
    forbantime = jail_bt;
    correct = jail_bt;
  }
  double now = now_s();
  g_autoptr(GError) error = NULL;
  guint maxm = f2b_failmanager_get_max_matches(f2bs_actions_failmanager(jail->rt));
  g_autoptr(GPtrArray) found =
    f2b_db_get_current_bans(p->db, jail->name, forbantime, now, correct, jail_bt, maxm, &error);
  if (found == NULL) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.jail", "Restore bans failed: %s", error->message);
    return;
  }
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  for (guint i = 0; i < found->len; i++) {
    F2bTicket *t = found->pdata[i];
    if (ignored(jail, t))
      continue;
    /* the time left of the ban, as fail2ban counts it */
    double btm = f2b_pynum_as_double(f2b_ticket_get_ban_time(t, f2b_pynum_int(forbantime)));
    double diff = now - t->time;
    if (btm != -1 && diff > 0)
      btm -= diff;
    if (btm != -1 && btm <= 0)
      continue;
    g_ptr_array_add(keep, f2b_ticket_ref(t));
  }
  f2bs_actions_restore(jail->rt, keep);
}

/* ---- log positions ------------------------------------------------------ */

static TrackedLog *
find_log(F2bsPersist *p, const F2bsJail *jail, const char *path, guint *index)
{
  for (guint i = 0; i < p->logs->len; i++) {
    TrackedLog *t = p->logs->pdata[i];
    if (t->jail == jail && strcmp(t->path, path) == 0) {
      if (index)
        *index = i;
      return t;
    }
  }
  return NULL;
}

void
f2bs_persist_log_added(F2bsPersist *p, F2bsJail *jail, const char *path, gboolean tail, gint64 *pos)
{
  F2bLogFile *lf = jail->logwatch ? f2bs_logwatch_get_file(jail->logwatch, path) : NULL;
  if (lf == NULL)
    return;
  gboolean known = FALSE;
  gint64 last = 0;
  g_autoptr(GError) error = NULL;
  if (!f2b_db_add_log(p->db, jail->name, path, f2b_logfile_get_pos(lf), f2b_logfile_get_hash(lf), &known, &last,
                      &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
  /* fail2ban: `if lastpos and not tail` (a stored 0 is no position) */
  if (known && last && !tail)
    f2b_logfile_set_pos(lf, last);
  TrackedLog *t = find_log(p, jail, path, NULL);
  if (t == NULL) {
    t = g_new0(TrackedLog, 1);
    t->jail = jail;
    t->path = g_strdup(path);
    g_ptr_array_add(p->logs, t);
  }
  /* what the row holds: the same file at LAST, or (a new row, another
   * file's row) not known here, written at the next occasion */
  t->pos = known ? last : -1;
  g_strlcpy(t->hash, known ? f2b_logfile_get_hash(lf) : "", sizeof t->hash);
  if (pos)
    *pos = f2b_logfile_get_pos(lf);
}

void
f2bs_persist_flush_logs(F2bsPersist *p)
{
  gboolean moved = FALSE;
  for (guint i = 0; !moved && i < p->logs->len; i++)
    moved = tracked_moved(p->logs->pdata[i]);
  for (guint i = 0; !moved && i < p->journals->len; i++)
    moved = ((TrackedJournal *)p->journals->pdata[i])->pending;
  if (!moved)
    return;
  /* an empty transaction: the commit function writes the positions */
  g_autoptr(GError) error = NULL;
  if (!f2b_db_begin(p->db, &error) || !f2b_db_commit(p->db, &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
}

static gboolean
on_log_timer(gpointer data)
{
  F2bsPersist *p = data;
  p->log_timer = 0;
  f2bs_persist_flush_logs(p);
  p->next_log_update_us = g_get_monotonic_time() + LOG_UPDATE_INTERVAL_US;
  return G_SOURCE_REMOVE;
}

void
f2bs_persist_logs_read(F2bsPersist *p)
{
  if (p->log_timer)
    return;
  gint64 wait_us = MAX(p->next_log_update_us - g_get_monotonic_time(), 0);
  /* low priority: after the read that called this has ended */
  p->log_timer = g_timeout_add_full(G_PRIORITY_LOW, (guint)(wait_us / 1000), on_log_timer, p, NULL);
}

void
f2bs_persist_log_removing(F2bsPersist *p, F2bsJail *jail, const char *path)
{
  guint index;
  if (find_log(p, jail, path, &index) == NULL)
    return;
  f2bs_persist_flush_logs(p);
  g_ptr_array_remove_index(p->logs, index);
}

void
f2bs_persist_jail_freed(F2bsPersist *p, F2bsJail *jail)
{
  for (guint i = p->logs->len; i-- > 0;)
    if (((TrackedLog *)p->logs->pdata[i])->jail == jail)
      g_ptr_array_remove_index(p->logs, i);
  for (guint i = p->journals->len; i-- > 0;)
    if (((TrackedJournal *)p->journals->pdata[i])->jail == jail)
      g_ptr_array_remove_index(p->journals, i);
}

double
f2bs_persist_journal_pos(F2bsPersist *p, F2bsJail *jail)
{
  gboolean found;
  double time = 0;
  g_autoptr(GError) error = NULL;
  if (!f2b_db_get_journal_pos(p->db, jail->name, JOURNAL_NAME, &found, &time, &error))
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "%s", error->message);
  return time; /* fail2ban: `... or 0` */
}

void
f2bs_persist_journal_read(F2bsPersist *p, F2bsJail *jail, double time, const char *date)
{
  TrackedJournal *t = NULL;
  for (guint i = 0; t == NULL && i < p->journals->len; i++)
    if (((TrackedJournal *)p->journals->pdata[i])->jail == jail)
      t = p->journals->pdata[i];
  if (t == NULL) {
    t = g_new0(TrackedJournal, 1);
    t->jail = jail;
    g_ptr_array_add(p->journals, t);
  }
  t->time = time;
  if (g_strcmp0(t->iso, date) != 0) {
    g_free(t->iso);
    t->iso = g_strdup(date);
  }
  t->pending = TRUE;
  f2bs_persist_logs_read(p);
}
