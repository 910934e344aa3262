/* logwatch.c - a jail's watched log files: inotify or polling sources that
 * decide when each F2bLogFile is read, and the log lines fail2ban writes
 * about rotation, absence and errors.
 *
 * Files are few per jail, so events are matched to files by scanning the
 * list (no maps to keep in step when inotify reuses a watch descriptor for
 * a hard link or a shared directory). */
#include "logwatch.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serverlog.h"

#define FILE_MASK (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
#define DIR_MASK \
  (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_ONLYDIR)
#define RETRY_MS_MIN 200
#define RETRY_MS_MAX 60000

typedef enum { STATE_OK, STATE_ABSENT, STATE_ERROR } FileState;

/* What a polling check compares (FilterPoll: mtime, inode, size). */
typedef struct {
  gboolean exists;
  int err;
  guint64 dev, ino;
  gint64 size, mtime_ns, ctime_ns;
} Snapshot;

typedef struct {
  F2bsLogWatch *lw;
  char *path, *dir, *base;
  F2bLogFile *file;
  int wd, dir_wd;     /* -1: none */
  guint64 watched_ino;
  gboolean dirty;
  const char *reason; /* the event that made it dirty (for the absence message) */
  gboolean autoseek;  /* added with head: seek to now - findtime on the first read */
  FileState state;
  int state_code;     /* F2B_LOGFILE_ERROR code of STATE_ERROR */
  Snapshot prev;
} Entry;

struct F2bsLogWatch {
  F2bsLogWatchKind kind;
  F2bsLogWatchLineFunc func;
  gpointer user_data;
  GPtrArray *entries; /* Entry*, insertion order */
  gboolean started;
  guint poll_ms;
  int ifd;
  GSource *ifd_source, *timer, *initial;
  guint retry_ms;
  F2bLogFileTimeFunc seek_func;
  gpointer seek_data;
  double findtime;
  F2bsLogWatchBusyFunc busy;
  gpointer busy_data;
};

gboolean
f2bs_logwatch_kind_for_backend(const char *backend, F2bsLogWatchKind *kind)
{
  gsize n = strcspn(backend, "[");
  g_autofree char *name = g_ascii_strdown(backend, n);
  g_strstrip(name);
  if (!strcmp(name, "auto") || !strcmp(name, "pyinotify") || !strcmp(name, "inotify"))
    *kind = F2BS_LOGWATCH_INOTIFY;
  else if (!strcmp(name, "polling") || !strcmp(name, "gamin"))
    *kind = F2BS_LOGWATCH_POLLING;
  else
    return FALSE;
  return TRUE;
}

static GSource *
attach(GSource *source, GSourceFunc func, gpointer data)
{
  g_source_set_callback(source, func, data, NULL);
  g_source_attach(source, g_main_context_get_thread_default());
  return source;
}

static void
drop_source(GSource **source)
{
  if (*source) {
    g_source_destroy(*source);
    g_source_unref(*source);
    *source = NULL;
  }
}

F2bsLogWatch *
f2bs_logwatch_new(F2bsLogWatchKind kind, F2bsLogWatchLineFunc func, gpointer user_data)
{
  F2bsLogWatch *lw = g_new0(F2bsLogWatch, 1);
  lw->kind = kind;
  lw->func = func;
  lw->user_data = user_data;
  lw->entries = g_ptr_array_new();
  lw->poll_ms = F2BS_LOGWATCH_POLL_MS_DEFAULT;
  lw->ifd = -1;
  return lw;
}

F2bsLogWatchKind f2bs_logwatch_get_kind(const F2bsLogWatch *lw) { return lw->kind; }
gboolean f2bs_logwatch_is_started(const F2bsLogWatch *lw) { return lw->started; }

void
f2bs_logwatch_set_autoseek(F2bsLogWatch *lw, F2bLogFileTimeFunc func, gpointer user_data, double findtime)
{
  lw->seek_func = func;
  lw->seek_data = user_data;
  lw->findtime = findtime;
}

void
f2bs_logwatch_set_poll_interval(F2bsLogWatch *lw, guint ms)
{
  lw->poll_ms = MAX(ms, 1);
}

void
f2bs_logwatch_set_busy_func(F2bsLogWatch *lw, F2bsLogWatchBusyFunc func, gpointer user_data)
{
  lw->busy = func;
  lw->busy_data = user_data;
}

static gboolean
is_busy(const F2bsLogWatch *lw)
{
  return lw->busy && lw->busy(lw->busy_data);
}

static Entry *
find_entry(const F2bsLogWatch *lw, const char *path, guint *index)
{
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    if (strcmp(e->path, path) == 0) {
      if (index)
        *index = i;
      return e;
    }
  }
  return NULL;
}

GPtrArray *
f2bs_logwatch_paths(const F2bsLogWatch *lw)
{
  GPtrArray *paths = g_ptr_array_new();
  for (guint i = 0; i < lw->entries->len; i++)
    g_ptr_array_add(paths, ((Entry *)lw->entries->pdata[i])->path);
  return paths;
}

F2bLogFile *
f2bs_logwatch_get_file(const F2bsLogWatch *lw, const char *path)
{
  Entry *e = find_entry(lw, path, NULL);
  return e ? e->file : NULL;
}

/* ---- reading and what fail2ban logs about it ---- */

static void
on_line(const char *line, gsize len, gpointer user_data)
{
  Entry *e = user_data;
  e->lw->func(e->path, line, len, e->lw->user_data);
  if (is_busy(e->lw))
    f2b_logfile_stop_read(e->file);
}

static const char *
logger(const F2bsLogWatch *lw)
{
  return lw->kind == F2BS_LOGWATCH_INOTIFY ? "fail2ban.filterpyinotify" : "fail2ban.filterpoll";
}

/* Logs a failed read once per change of state. */
static void
note_failure(Entry *e, const GError *error)
{
  gboolean absent = error->code == F2B_LOGFILE_ERROR_MISSING;
  FileState state = absent ? STATE_ABSENT : STATE_ERROR;
  if (e->state == state && e->state_code == error->code)
    return;
  e->state = state;
  e->state_code = error->code;
  if (absent && e->lw->kind == F2BS_LOGWATCH_POLLING) {
    f2bs_log(F2BS_LOG_MSG, logger(e->lw), "Log absence detected (possibly rotation) for %s, reason: %s", e->path,
             error->message);
  } else if (absent) {
    f2bs_log(F2BS_LOG_MSG, logger(e->lw), "Log absence detected (possibly rotation) for %s, reason: %s of %s",
             e->path, e->reason ? e->reason : "CHECK", e->path);
  } else {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "Unable to open %s", e->path);
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter", "%s", error->message);
  }
}

static void
note_result(Entry *e, const F2bLogFileResult *r)
{
  if (r->rotated) {
    g_autofree char *reason = f2b_logfile_rotation_repr(&r->rotation);
    f2bs_log(F2BS_LOG_MSG, "fail2ban.filter", "Log rotation detected for %s, reason: %s", e->path, reason);
  }
  if (r->long_lines)
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.filter",
             "Skipped %" G_GUINT64_FORMAT " line(s) of %s longer than %" G_GSIZE_FORMAT " bytes (%" G_GUINT64_FORMAT
             " bytes in all)",
             r->long_lines, e->path, f2b_logfile_get_max_line(e->file), r->long_bytes);
}

static void watch_file(Entry *e);
static void schedule_initial(F2bsLogWatch *lw);

/* fail2ban seeks once, at the first read that finds the file open. */
static void
auto_seek(Entry *e)
{
  if (!e->autoseek || !e->lw->seek_func || !f2b_logfile_is_open(e->file))
    return;
  e->autoseek = FALSE;
  double start = g_get_real_time() / (double)G_USEC_PER_SEC - e->lw->findtime;
  f2b_logfile_seek_to_time(e->file, start, e->lw->seek_func, e->lw->seek_data);
}

static void
read_entry(Entry *e)
{
  auto_seek(e);
  g_autoptr(GError) error = NULL;
  F2bLogFileResult r;
  f2bs_log_hold(); /* a "Found" line per failure: written in blocks */
  gboolean ok = f2b_logfile_read(e->file, on_line, e, &r, &error);
  f2bs_log_release();
  note_result(e, &r);
  if (!ok) {
    note_failure(e, error);
  } else if (e->state != STATE_OK) {
    e->state = STATE_OK;
    f2bs_log(F2BS_LOG_MSG, logger(e->lw), "Log presence detected for file %s", e->path);
  }
  /* a read cut short goes on in the next turn, or at resume when busy */
  e->dirty = ok && r.more;
  e->reason = NULL;
  if (e->dirty && !is_busy(e->lw))
    schedule_initial(e->lw);
  if (ok && e->lw->ifd >= 0)
    watch_file(e);
}

/* ---- inotify ---- */

static gboolean
wd_shared(const F2bsLogWatch *lw, const Entry *self, int wd)
{
  for (guint i = 0; i < lw->entries->len; i++) {
    const Entry *o = lw->entries->pdata[i];
    if (o != self && (o->wd == wd || o->dir_wd == wd))
      return TRUE;
  }
  return FALSE;
}

static void
release_wd(Entry *e, int *wd)
{
  if (*wd >= 0 && e->lw->ifd >= 0 && !wd_shared(e->lw, e, *wd))
    inotify_rm_watch(e->lw->ifd, *wd);
  *wd = -1;
}

/* Puts the file watch on the file the path names now (a new file after a
 * rotation gets a new inode). */
static void
watch_file(Entry *e)
{
  guint64 ino = f2b_logfile_get_ino(e->file);
  if (e->wd >= 0 && e->watched_ino == ino)
    return;
  if (f2b_logfile_following_old(e->file))
    return; /* the watch follows the renamed file until a new one appears */
  int wd = inotify_add_watch(e->lw->ifd, e->path, FILE_MASK);
  e->watched_ino = ino;
  if (wd == e->wd)
    return;
  release_wd(e, &e->wd);
  e->wd = wd;
}

static gboolean
watch_dir(Entry *e)
{
  if (e->dir_wd < 0)
    e->dir_wd = inotify_add_watch(e->lw->ifd, e->dir, DIR_MASK);
  return e->dir_wd >= 0;
}

static void
unwatch(Entry *e)
{
  release_wd(e, &e->wd);
  release_wd(e, &e->dir_wd);
}

static void
mark(Entry *e, const char *reason)
{
  e->dirty = TRUE;
  /* the absence message names the event that tells most */
  if (reason && (!e->reason || strcmp(e->reason, "IN_MODIFY") == 0))
    e->reason = reason;
}

static const char *
mask_name(guint32 mask)
{
  if (mask & IN_DELETE_SELF)
    return "IN_DELETE_SELF";
  if (mask & IN_MOVE_SELF)
    return "IN_MOVE_SELF";
  if (mask & IN_DELETE)
    return "IN_DELETE";
  if (mask & IN_MOVED_FROM)
    return "IN_MOVED_FROM";
  if (mask & IN_ATTRIB)
    return "IN_ATTRIB";
  if (mask & IN_CREATE)
    return (mask & IN_ISDIR) ? "IN_CREATE|IN_ISDIR" : "IN_CREATE";
  if (mask & IN_MOVED_TO)
    return "IN_MOVED_TO";
  return "IN_MODIFY";
}

static void
dispatch_event(F2bsLogWatch *lw, const struct inotify_event *ev)
{
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    if (ev->mask & IN_Q_OVERFLOW) {
      mark(e, "IN_Q_OVERFLOW");
      continue;
    }
    if (e->wd == ev->wd) {
      if (ev->mask & IN_IGNORED)
        e->wd = -1;
      mark(e, mask_name(ev->mask));
    }
    if (e->dir_wd == ev->wd) {
      if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        /* the directory is gone or elsewhere: watch its path again later */
        if (!(ev->mask & IN_IGNORED))
          release_wd(e, &e->dir_wd);
        e->dir_wd = -1;
        mark(e, mask_name(ev->mask));
      } else if (ev->len && strcmp(ev->name, e->base) == 0) {
        mark(e, mask_name(ev->mask));
      }
    }
  }
}

static void schedule_retry(F2bsLogWatch *lw);

static void
read_dirty(F2bsLogWatch *lw)
{
  gboolean missing_dir = FALSE;
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    if (lw->ifd >= 0 && e->dir_wd < 0 && !watch_dir(e))
      missing_dir = TRUE;
    if (e->dirty && !is_busy(lw))
      read_entry(e);
  }
  if (missing_dir)
    schedule_retry(lw);
}

static gboolean
on_inotify(int fd, GIOCondition condition, gpointer user_data)
{
  F2bsLogWatch *lw = user_data;
  /* aligned for struct inotify_event; an event is at most NAME_MAX+1 bytes of name */
  char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    for (char *p = buf; p < buf + n;) {
      const struct inotify_event *ev = (const struct inotify_event *)p;
      dispatch_event(lw, ev);
      p += sizeof *ev + ev->len;
    }
  }
  read_dirty(lw);
  return G_SOURCE_CONTINUE;
}

/* A file whose directory is missing: the directory's path is tried again
 * with fail2ban's back-off; everything else is left to the events. */
static gboolean
on_retry(gpointer user_data)
{
  F2bsLogWatch *lw = user_data;
  drop_source(&lw->timer);
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    if (e->dir_wd < 0 && watch_dir(e))
      mark(e, "FROM_PARDIR");
  }
  read_dirty(lw);
  if (lw->timer == NULL)
    lw->retry_ms = 0; /* every directory is back: the next absence starts the back-off anew */
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(F2bsLogWatch *lw)
{
  if (lw->timer)
    return;
  lw->retry_ms = lw->retry_ms ? MIN(lw->retry_ms * 2, RETRY_MS_MAX) : RETRY_MS_MIN;
  lw->timer = attach(g_timeout_source_new(lw->retry_ms), on_retry, lw);
}

static gboolean
start_inotify(F2bsLogWatch *lw, GError **error)
{
  lw->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (lw->ifd < 0) {
    int err = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "inotify_init1: %s", g_strerror(err));
    return FALSE;
  }
  lw->ifd_source = attach(g_unix_fd_source_new(lw->ifd, G_IO_IN), (GSourceFunc)(void (*)(void))on_inotify, lw);
  return TRUE;
}

/* ---- polling ---- */

static Snapshot
snapshot(const char *path)
{
  Snapshot s = { 0 };
  struct stat st;
  if (stat(path, &st) < 0) {
    s.err = errno;
    return s;
  }
  s.exists = TRUE;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec;
  s.ctime_ns = (gint64)st.st_ctim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_ctim.tv_nsec;
  return s;
}

static gboolean
same_snapshot(const Snapshot *a, const Snapshot *b)
{
  return a->exists == b->exists && a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
         a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static gboolean
on_poll(gpointer user_data)
{
  F2bsLogWatch *lw = user_data;
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    Snapshot now = snapshot(e->path);
    /* a file renamed away is read on until a new one appears */
    if (!same_snapshot(&now, &e->prev) || f2b_logfile_following_old(e->file)) {
      e->prev = now;
      mark(e, NULL);
    }
    if (e->dirty && !is_busy(lw))
      read_entry(e);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- files ---- */

static void
entry_free(Entry *e)
{
  unwatch(e);
  f2b_logfile_free(e->file);
  g_free(e->path);
  g_free(e->dir);
  g_free(e->base);
  g_free(e);
}

static gboolean
on_initial(gpointer user_data)
{
  F2bsLogWatch *lw = user_data;
  drop_source(&lw->initial);
  if (lw->kind == F2BS_LOGWATCH_INOTIFY)
    read_dirty(lw);
  else
    on_poll(lw);
  return G_SOURCE_REMOVE;
}

/* A read of what is marked in a coming main-loop turn (not inside
 * add/start, nor within the turn that read a file's share); at the default
 * priority, as the file and timer events, so that it takes turns with them. */
static void
schedule_initial(F2bsLogWatch *lw)
{
  if (!lw->initial) {
    lw->initial = g_idle_source_new();
    g_source_set_priority(lw->initial, G_PRIORITY_DEFAULT);
    attach(lw->initial, on_initial, lw);
  }
}

void
f2bs_logwatch_resume(F2bsLogWatch *lw)
{
  if (!lw->started)
    return;
  for (guint i = 0; i < lw->entries->len; i++)
    if (((Entry *)lw->entries->pdata[i])->dirty) {
      schedule_initial(lw);
      return;
    }
}

static void
begin_entry(Entry *e)
{
  if (e->lw->ifd >= 0) {
    watch_dir(e);
    watch_file(e);
  }
  mark(e, "INITIAL");
  schedule_initial(e->lw);
}

gboolean
f2bs_logwatch_add(F2bsLogWatch *lw, const char *path, gboolean tail, GError **error)
{
  if (find_entry(lw, path, NULL))
    return TRUE;
  F2bLogFile *file = f2b_logfile_new(path, tail, error);
  if (file == NULL)
    return FALSE;
  Entry *e = g_new0(Entry, 1);
  e->lw = lw;
  e->path = g_strdup(path);
  e->dir = g_path_get_dirname(path);
  e->base = g_path_get_basename(path);
  e->file = file;
  e->autoseek = !tail;
  e->wd = e->dir_wd = -1;
  f2b_logfile_set_read_limit(file, F2BS_LOGWATCH_READ_LIMIT);
  g_ptr_array_add(lw->entries, e);
  if (lw->started)
    begin_entry(e);
  return TRUE;
}

gboolean
f2bs_logwatch_remove(F2bsLogWatch *lw, const char *path)
{
  guint index;
  Entry *e = find_entry(lw, path, &index);
  if (e == NULL)
    return FALSE;
  g_ptr_array_remove_index(lw->entries, index);
  entry_free(e);
  return TRUE;
}

gboolean
f2bs_logwatch_start(F2bsLogWatch *lw, GError **error)
{
  if (lw->started)
    return TRUE;
  if (lw->kind == F2BS_LOGWATCH_INOTIFY) {
    if (!start_inotify(lw, error))
      return FALSE;
  } else {
    lw->timer = attach(g_timeout_source_new(lw->poll_ms), on_poll, lw);
  }
  lw->started = TRUE;
  for (guint i = 0; i < lw->entries->len; i++)
    begin_entry(lw->entries->pdata[i]);
  return TRUE;
}

void
f2bs_logwatch_stop(F2bsLogWatch *lw)
{
  for (guint i = 0; i < lw->entries->len; i++) {
    Entry *e = lw->entries->pdata[i];
    unwatch(e);
    f2b_logfile_close(e->file);
    e->dirty = FALSE;
    e->prev = (Snapshot){ 0 };
  }
  drop_source(&lw->ifd_source);
  drop_source(&lw->timer);
  drop_source(&lw->initial);
  if (lw->ifd >= 0)
    close(lw->ifd);
  lw->ifd = -1;
  lw->retry_ms = 0;
  lw->started = FALSE;
}

void
f2bs_logwatch_free(F2bsLogWatch *lw)
{
  if (lw == NULL)
    return;
  f2bs_logwatch_stop(lw);
  g_ptr_array_foreach(lw->entries, (GFunc)(void (*)(void))entry_free, NULL);
  g_ptr_array_unref(lw->entries);
  g_free(lw);
}
