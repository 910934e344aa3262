/* journalwatch.c - the systemd backend on the main loop (see journalwatch.h).
 *
 * The order of sd-journal calls on start is fail2ban's (seek_tail, previous,
 * next, seek_realtime, previous): the same library given the same calls lands
 * on the same first entry, which is what makes the two servers read the same
 * lines from the same journal. */
#include "journalwatch.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "journalread.h"
#include "pyexc.h"
#include "serverlog.h"

#define LOGGER "fail2ban.filtersystemd"
#define DEFAULT_BATCH 100

struct F2bsJournalWatch {
  char *jail;
  sd_journal *journal;
  F2bJournalMatches *matches;
  char *encoding;
  gint32 utc_offset; /* python-systemd's local zone, fixed when the reader is made */
  guint batch;

  F2bsJournalLineFunc func;
  gpointer user_data;
  gboolean started;
  gboolean in_operation;
  /* fail2ban's startTime: mode 1 waits for START_CURSOR or a time past
   * START_TIME, then gives the filter as long again (mode 0) */
  int start_mode;
  double start_time;
  char *start_cursor;

  guint fd_source;
  guint timeout_source;
  guint idle_source;
  gboolean (*busy)(gpointer);
  gpointer busy_data;
  gboolean paused; /* BUSY said so: nothing is read until resume */
};

static double
now_seconds(void)
{
  return (double) g_get_real_time() / 1e6;
}

/* python-systemd's set_error for a failed open. */
static gboolean
open_error(GError **error, int r)
{
  if (r == -EINVAL)
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Opening the journal failed");
  if (r == -ENOMEM)
    return f2bs_pyexc_set(error, F2BS_PYEXC_EXCEPTION, "Not enough memory"); /* MemoryError in fact */
  return f2bs_pyexc_set_errno(error, -r);
}

F2bsJournalWatch *
f2bs_journalwatch_new(const char *jail, const F2bJournalOptions *options, GError **error)
{
  g_return_val_if_fail(jail != NULL && options != NULL, NULL);
  if (options->path && options->files) {
    f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "path and files cannot be specified simultaneously");
    return NULL;
  }
  sd_journal *j = NULL;
  int r = f2b_journalread_open(&j, options);
  if (r < 0) {
    open_error(error, r);
    return NULL;
  }
  F2bsJournalWatch *w = g_new0(F2bsJournalWatch, 1);
  w->jail = g_strdup(jail);
  w->journal = j;
  w->matches = f2b_journal_matches_new();
  w->utc_offset = f2b_journalread_utc_offset();
  w->batch = DEFAULT_BATCH;
  return w;
}

static void
remove_sources(F2bsJournalWatch *w)
{
  g_clear_handle_id(&w->fd_source, g_source_remove);
  g_clear_handle_id(&w->timeout_source, g_source_remove);
  g_clear_handle_id(&w->idle_source, g_source_remove);
}

void
f2bs_journalwatch_free(F2bsJournalWatch *watch)
{
  if (!watch)
    return;
  remove_sources(watch);
  if (watch->journal)
    sd_journal_close(watch->journal);
  f2b_journal_matches_free(watch->matches);
  g_free(watch->jail);
  g_free(watch->encoding);
  g_free(watch->start_cursor);
  g_free(watch);
}

void
f2bs_journalwatch_set_encoding(F2bsJournalWatch *watch, const char *encoding)
{
  g_free(watch->encoding);
  watch->encoding = g_strdup(encoding);
}

void
f2bs_journalwatch_set_batch(F2bsJournalWatch *watch, guint batch)
{
  watch->batch = batch ? batch : 1;
}

gboolean
f2bs_journalwatch_in_operation(const F2bsJournalWatch *watch)
{
  return watch->in_operation;
}

/* ---- matches ------------------------------------------------------------------- */

/* resetJournalMatches: sd-journal cannot drop one group, so all are re-added. */
static gboolean
reset_matches(F2bsJournalWatch *w, GError **error)
{
  sd_journal_flush_matches(w->journal);
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "[%s] Flushed all journal matches", w->jail);
  if (f2b_journalread_add_matches(w->journal, w->matches, 0) < 0) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Error restoring journal matches");
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "Invalid match");
  }
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Journal matches restored");
  return TRUE;
}

static char *
joined_repr(const char *const *terms, gsize n)
{
  g_autoptr(GString) joined = g_string_new(NULL);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(joined, "%s%s", i ? " " : "", terms[i]);
  GString *r = g_string_new(NULL);
  f2b_py_repr_str_append(r, joined->str, joined->len);
  return g_string_free(r, FALSE);
}

gboolean
f2bs_journalwatch_add_match(F2bsJournalWatch *watch, const char *const *terms, gsize n, GError **error)
{
  guint before = watch->matches->groups->len;
  g_autoptr(GError) local = NULL;
  g_autofree char *what = joined_repr(terms, n);
  if (!f2b_journal_matches_add(watch->matches, terms, n, &local)) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Error adding journal match for: %s", what);
    reset_matches(watch, NULL);
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
  }
  /* the new groups only: the old ones are in the journal already */
  if (before)
    sd_journal_add_disjunction(watch->journal);
  f2b_journalread_add_matches(watch->journal, watch->matches, before);
  f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Added journal match for: %s", watch->jail, what);
  return TRUE;
}

gboolean
f2bs_journalwatch_del_match(F2bsJournalWatch *watch, const char *const *terms, gsize n, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!f2b_journal_matches_del(watch->matches, terms, n, &local))
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
  if (!reset_matches(watch, error))
    return FALSE;
  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  for (gsize i = 0; i < n; i++)
    f2b_py_append(list, f2b_py_str(terms[i]));
  g_autofree char *repr = n ? f2b_py_repr(list) : g_strdup("'*'");
  f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Removed journal match for: %s", watch->jail, repr);
  return TRUE;
}

void
f2bs_journalwatch_clear_matches(F2bsJournalWatch *watch)
{
  if (watch->matches->groups->len == 0)
    return;
  f2b_journal_matches_clear(watch->matches);
  reset_matches(watch, NULL);
  f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Removed journal match for: '*'", watch->jail);
}

const F2bJournalMatches *
f2bs_journalwatch_get_matches(const F2bsJournalWatch *watch)
{
  return watch->matches;
}

F2bPyObj *
f2bs_journalwatch_matches_py(const F2bsJournalWatch *watch)
{
  F2bPyObj *list = f2b_py_list_new();
  for (guint i = 0; i < watch->matches->groups->len; i++) {
    const GPtrArray *group = watch->matches->groups->pdata[i];
    F2bPyObj *g = f2b_py_list_new();
    for (guint k = 0; k < group->len; k++)
      f2b_py_append(g, f2b_py_str(group->pdata[k]));
    f2b_py_append(list, g);
  }
  return list;
}

F2bPyObj *
f2bs_journalwatch_status_py(const F2bsJournalWatch *watch)
{
  F2bPyObj *value = f2b_py_list_new();
  f2b_py_append(value, f2b_py_str_take(f2b_journal_matches_status(watch->matches)));
  return f2b_py_tuple_of(f2b_py_str("Journal matches"), value, NULL);
}

/* ---- reading ------------------------------------------------------------------- */

static void
enter_operation(F2bsJournalWatch *w)
{
  w->in_operation = TRUE;
  f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Jail is in operation now (process new journal entries)", w->jail);
}

/* fail2ban's switch to "in operation" while it reads old entries. */
static void
check_operation(F2bsJournalWatch *w, double tm)
{
  double now = now_seconds();
  if (tm >= now - 1) {
    enter_operation(w);
  } else if (w->start_mode == 1) {
    char *cursor = NULL;
    gboolean at_start = sd_journal_get_cursor(w->journal, &cursor) >= 0 && w->start_cursor
                        && strcmp(cursor, w->start_cursor) == 0;
    free(cursor);
    if (at_start || tm > w->start_time) {
      w->start_mode = 0;
      w->start_time = now * 2 - w->start_time;
    }
  } else if (tm > w->start_time) {
    enter_operation(w);
  }
}

static void
deliver(F2bsJournalWatch *w, const F2bJournalEntry *entry)
{
  F2bJournalLine line;
  g_autoptr(GError) error = NULL;
  if (!f2b_journalfmt_format(entry, w->encoding, w->utc_offset, &line, &error)) {
    g_autoptr(GString) repr = g_string_new(error->code == F2B_JOURNALFMT_ERROR_TYPE ? "TypeError(" : "AttributeError(");
    f2b_py_repr_str_append(repr, error->message, strlen(error->message));
    g_string_append_c(repr, ')');
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Caught unhandled exception in main cycle: %s", repr->str);
    return;
  }
  if (f2bs_log_enabled(F2BS_LOG_HEAVYDEBUG))
    f2bs_log(F2BS_LOG_HEAVYDEBUG, LOGGER, "[%s] Read systemd journal entry: %s%s", w->jail, line.date, line.line);
  if (!w->in_operation)
    check_operation(w, line.time);
  F2bsJournalRecord rec = { line.date, line.line, line.line_len, line.time, w->in_operation };
  w->func(&rec, w->user_data);
  f2b_journal_line_clear(&line);
}

static gboolean continue_reading(gpointer data);

/* Reads up to one batch of entries; schedules the rest for the next turn. */
static void
read_batch(F2bsJournalWatch *w)
{
  for (guint n = 0; n < w->batch; n++) {
    if (w->busy && w->busy(w->busy_data)) {
      w->paused = TRUE;
      return;
    }
    int r = sd_journal_next(w->journal);
    g_autoptr(F2bJournalEntry) entry = r > 0 ? f2b_journalread_entry(w->journal, &r) : NULL;
    if (r < 0)
      f2bs_log(F2BS_LOG_ERROR, LOGGER, "Error reading line from systemd journal: [Errno %d] %s", -r,
               g_strerror(-r));
    if (!entry) {
      if (!w->in_operation)
        enter_operation(w);
      return;
    }
    deliver(w, entry);
  }
  if (!w->idle_source)
    w->idle_source = g_idle_add_full(G_PRIORITY_DEFAULT, continue_reading, w, NULL);
}

void
f2bs_journalwatch_set_busy_func(F2bsJournalWatch *watch, gboolean (*busy)(gpointer), gpointer user_data)
{
  watch->busy = busy;
  watch->busy_data = user_data;
}

void
f2bs_journalwatch_resume(F2bsJournalWatch *watch)
{
  if (!watch->started || !watch->paused)
    return;
  watch->paused = FALSE;
  if (!watch->idle_source)
    watch->idle_source = g_idle_add_full(G_PRIORITY_DEFAULT, continue_reading, watch, NULL);
}

static gboolean
continue_reading(gpointer data)
{
  F2bsJournalWatch *w = data;
  w->idle_source = 0;
  read_batch(w);
  return G_SOURCE_REMOVE;
}

static void arm_timeout(F2bsJournalWatch *w);

/* The journal changed (or its timeout passed): fail2ban's wait() returned. */
static void
journal_changed(F2bsJournalWatch *w)
{
  int r = sd_journal_process(w->journal);
  if (r == SD_JOURNAL_INVALIDATE && sd_journal_previous(w->journal) > 0)
    sd_journal_next(w->journal); /* back and forth: not in dead space after a rotation */
  if (!w->idle_source)
    read_batch(w);
  arm_timeout(w);
}

static gboolean
on_timeout(gpointer data)
{
  F2bsJournalWatch *w = data;
  w->timeout_source = 0;
  journal_changed(w);
  return G_SOURCE_REMOVE;
}

static void
arm_timeout(F2bsJournalWatch *w)
{
  guint64 when = 0;
  g_clear_handle_id(&w->timeout_source, g_source_remove);
  if (sd_journal_get_timeout(w->journal, &when) < 0 || when == G_MAXUINT64)
    return;
  gint64 now = g_get_monotonic_time(); /* CLOCK_MONOTONIC, as sd-journal's */
  guint ms = when > (guint64) now ? (guint) MIN((when - (guint64) now + 999) / 1000, G_MAXUINT) : 0;
  w->timeout_source = g_timeout_add(ms, on_timeout, w);
}

static gboolean
on_journal_fd(int fd, GIOCondition cond, gpointer data)
{
  journal_changed(data);
  return G_SOURCE_CONTINUE;
}

/* run()'s positioning before the first read. */
static void
seek_start(F2bsJournalWatch *w, double findtime, double db_position)
{
  double now = now_seconds();
  gboolean has_last = FALSE;
  char *cursor = NULL;
  if (sd_journal_seek_tail(w->journal) >= 0 && sd_journal_previous(w->journal) > 0) {
    has_last = sd_journal_get_cursor(w->journal, &cursor) >= 0;
    sd_journal_next(w->journal);
  }
  double start;
  if (has_last) {
    start = MAX(db_position, now - (double) (gint64) findtime);
    w->in_operation = FALSE;
    w->start_mode = 1;
    w->start_time = now;
    g_free(w->start_cursor);
    w->start_cursor = g_strdup(cursor);
  } else {
    enter_operation(w);
    start = now;
    w->start_mode = 0;
    w->start_time = now;
  }
  free(cursor);
  sd_journal_seek_realtime_usec(w->journal, start > 0 ? (guint64) (start * 1e6) : 0);
  sd_journal_previous(w->journal); /* not past the end when the start is beyond it */
}

gboolean
f2bs_journalwatch_start(F2bsJournalWatch *watch, double findtime, double db_position,
                        F2bsJournalLineFunc func, gpointer user_data, GError **error)
{
  g_return_val_if_fail(watch != NULL && func != NULL && !watch->started, FALSE);
  if (watch->matches->groups->len == 0)
    f2bs_log(F2BS_LOG_NOTICE, LOGGER,
             "[%s] Jail started without 'journalmatch' set. Jail regexs will be checked against all journal "
             "entries, which is not advised for performance reasons.",
             watch->jail);
  int fd = sd_journal_get_fd(watch->journal);
  if (fd < 0)
    return open_error(error, fd);
  watch->func = func;
  watch->user_data = user_data;
  watch->started = TRUE;
  seek_start(watch, findtime, db_position);
  int events = sd_journal_get_events(watch->journal);
  watch->fd_source = g_unix_fd_add(fd, events > 0 ? (GIOCondition) events : G_IO_IN, on_journal_fd, watch);
  arm_timeout(watch);
  /* what is there already is read at once, in batches */
  watch->idle_source = g_idle_add_full(G_PRIORITY_DEFAULT, continue_reading, watch, NULL);
  return TRUE;
}
