/* serverlog.c - fail2ban-server's logging (see serverlog.h).
 *
 * One target at a time, as fail2ban replaces its one handler: a stream
 * (stdout/stderr), a file opened in append mode (reopened by flushlogs,
 * which is what logrotate's postrotate relies on), or a syslog datagram
 * socket.  Writes are small and synchronous, as Python's handlers are.
 *
 * A busy jail logs a line per failure: a file or stream record is formatted
 * straight into one reused buffer, with the time stamp of the current second
 * and the process id kept from the previous record. */
#include "serverlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
/* no CODE_FILE/LINE/FUNC of this file in every record */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "confreader.h"
#include "version.h"

G_DEFINE_QUARK(f2bs-log-error-quark, f2bs_log_error)

typedef enum { TARGET_NONE, TARGET_STREAM, TARGET_FILE, TARGET_SYSLOG, TARGET_JOURNAL } TargetKind;

typedef struct {
  int threshold;        /* effective level */
  char *level_name;     /* as set, upper-cased; NULL before the first set */
  char *target;         /* as set; NULL before the first set */
  char *syslogsocket;   /* as set ("auto" until resolved by SYSLOG) */
  TargetKind kind;
  FILE *stream;         /* TARGET_STREAM (borrowed) or TARGET_FILE (owned) */
  int syslog_fd;
  int facility;
  gboolean addtime, padding;
  GString *record;      /* the record being formatted (reused) */
  gint64 stamp_second;  /* the second STAMP shows */
  char stamp[32];       /* "%Y-%m-%d %H:%M:%S" of STAMP_SECOND, local time */
  int pid;              /* getpid(), 0: not known (reset in a forked child) */
  guint held;           /* f2bs_log_hold depth: file records wait in the stream's buffer */
} LogState;

static LogState log_state = { .threshold = F2BS_LOG_WARNING, .syslog_fd = -1, .addtime = TRUE,
                              .padding = TRUE, .stamp_second = G_MININT64 };

static const struct {
  const char *name;
  int level;
} level_names[] = {
  { "CRITICAL", 50 }, { "FATAL", 50 }, { "ERROR", 40 }, { "WARN", 30 }, { "WARNING", 30 },
  { "NOTICE", 25 }, { "INFO", 20 }, { "MSG", 18 }, { "DEBUG", 10 }, { "TRACEDEBUG", 7 },
  { "HEAVYDEBUG", 5 }, { "NOTSET", 0 },
};

gboolean
f2bs_log_parse_level(const char *value, int *level, GError **error)
{
  gboolean digits = *value != '\0';
  for (const char *p = value; *p; p++)
    digits = digits && g_ascii_isdigit(*p);
  if (digits && strlen(value) < 10) {
    *level = atoi(value);
    return TRUE;
  }
  g_autofree char *up = g_ascii_strup(value, -1);
  for (guint i = 0; i < G_N_ELEMENTS(level_names); i++)
    if (strcmp(up, level_names[i].name) == 0) {
      *level = level_names[i].level;
      return TRUE;
    }
  GString *r = g_string_new(NULL);
  f2b_py_repr_str_append(r, value, strlen(value));
  g_set_error(error, F2BS_LOG_ERROR_DOMAIN, 0, "Invalid log level %s", r->str);
  g_string_free(r, TRUE);
  return FALSE;
}

char *
f2bs_log_level_name(int level)
{
  switch (level) {
  case 50: return g_strdup("CRITICAL");
  case 40: return g_strdup("ERROR");
  case 30: return g_strdup("WARNING");
  case 25: return g_strdup("NOTICE");
  case 20: return g_strdup("INFO");
  case 18: return g_strdup("MSG");
  case 10: return g_strdup("DEBUG");
  case 7: return g_strdup("TRACE");
  case 5: return g_strdup("HEAVY");
  case 0: return g_strdup("NOTSET");
  default: return g_strdup_printf("Level %d", level);
  }
}

/* The level's name as %(levelname)s shows it; static text, or NULL for a
 * number without one. */
static const char *
level_name_static(int level)
{
  switch (level) {
  case 50: return "CRITICAL";
  case 40: return "ERROR";
  case 30: return "WARNING";
  case 25: return "NOTICE";
  case 20: return "INFO";
  case 18: return "MSG";
  case 10: return "DEBUG";
  case 7: return "TRACE";
  case 5: return "HEAVY";
  case 0: return "NOTSET";
  default: return NULL;
  }
}

static void
append_padded(GString *out, const char *text, gsize width)
{
  gsize len = strlen(text);
  g_string_append_len(out, text, (gssize)len);
  for (; len < width; len++)
    g_string_append_c(out, ' ');
}

/* "2026-11-25 19:11:32,123 " */
static void
append_time(GString *out, gint64 time_us, gint64 *cached_second, char *cached, gsize cached_size)
{
  gint64 second = time_us / G_USEC_PER_SEC;
  if (second != *cached_second) {
    /* localtime_r, as Python's time.localtime: the zone is read once, not
     * stat()ed again for every stamp (g_time_zone_new_local does) */
    time_t secs = (time_t)second;
    struct tm tm;
    if (localtime_r(&secs, &tm) == NULL || strftime(cached, cached_size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
      g_strlcpy(cached, "?", cached_size);
    *cached_second = second;
  }
  g_string_append(out, cached);
  int ms = (int)(time_us % G_USEC_PER_SEC / 1000);
  g_string_append_c(out, ',');
  g_string_append_c(out, (char)('0' + ms / 100));
  g_string_append_c(out, (char)('0' + ms / 10 % 10));
  g_string_append_c(out, (char)('0' + ms % 10));
  g_string_append_c(out, ' ');
}

/* Everything of a record before its message. */
static void
append_head(GString *out, gint64 time_us, gint64 *cached_second, char *cached, gsize cached_size,
            const char *logger, int pid, int level, gboolean addtime, gboolean padding)
{
  if (addtime)
    append_time(out, time_us, cached_second, cached, cached_size);
  const char *lname = level_name_static(level);
  g_autofree char *numbered = lname ? NULL : f2bs_log_level_name(level);
  if (padding) {
    append_padded(out, logger, 24);
    g_string_append_printf(out, "[%d]: ", pid);
    append_padded(out, lname ? lname : numbered, 7);
    g_string_append_c(out, ' ');
  } else {
    g_string_append_printf(out, "%s[%d]: %s ", logger, pid, lname ? lname : numbered);
  }
}

void
f2bs_log_format(GString *out, gint64 time_us, const char *logger, int pid, int level,
                const char *message, gboolean addtime, gboolean padding)
{
  gint64 second = G_MININT64;
  char stamp[32];
  append_head(out, time_us, &second, stamp, sizeof stamp, logger, pid, level, addtime, padding);
  g_string_append(out, message);
  g_string_append_c(out, '\n');
}

static void
forget_pid(void)
{
  log_state.pid = 0;
}

static int
log_pid(LogState *s)
{
  static gsize registered;
  if (g_once_init_enter(&registered))
    g_once_init_leave(&registered, pthread_atfork(NULL, NULL, forget_pid) == 0 ? 1 : 2);
  if (s->pid == 0)
    s->pid = getpid();
  return s->pid;
}

/* Python's SysLogHandler.mapPriority with the NOTICE entry fail2ban adds to
 * its map: other levels than those six (MSG, TRACEDEBUG, HEAVYDEBUG) are sent
 * as "warning". */
static int
syslog_priority(int level)
{
  switch (level) {
  case 50: return 2;
  case 40: return 3;
  case 25: return 5;
  case 20: return 6;
  case 10: return 7;
  default: return 4;
  }
}

/* python-systemd's JournalHandler.map_priority: every level up to a standard
 * one takes its priority (NOTICE is "warning", MSG "info", TRACE "debug"). */
static int
journal_priority(int level)
{
  if (level <= 10)
    return 7;
  if (level <= 20)
    return 6;
  if (level <= 30)
    return 4;
  if (level <= 40)
    return 3;
  return level <= 50 ? 2 : 1;
}

/* fail2ban's JournalHandler(SYSLOG_IDENTIFIER='fail2ban'): the bare message
 * (no formatter) and the handler's fields.  Python's CODE_FILE/LINE/FUNC
 * (its own source lines) and CODE_ARGS (the unformatted arguments) have no
 * counterpart here and are not sent; the record attributes Python adds too
 * are lower-case names that journald drops. */
static void
emit_journal(int level, const char *logger, const char *message)
{
  g_autofree char *msg = g_strconcat("MESSAGE=", message, NULL);
  g_autofree char *pri = g_strdup_printf("PRIORITY=%d", journal_priority(level));
  g_autofree char *lg = g_strconcat("LOGGER=", logger, NULL);
  static const char thread[] = "THREAD_NAME=MainThread", process[] = "PROCESS_NAME=MainProcess",
                    ident[] = "SYSLOG_IDENTIFIER=fail2ban";
  struct iovec iov[] = {
    { msg, strlen(msg) }, { pri, strlen(pri) }, { lg, strlen(lg) },
    { (void *) thread, sizeof thread - 1 }, { (void *) process, sizeof process - 1 },
    { (void *) ident, sizeof ident - 1 },
  };
  /* as for syslog, a failed send has no better place to be reported */
  (void) sd_journal_sendv(iov, G_N_ELEMENTS(iov));
}

/* A file or stream record: HEAD of the record, then the message. */
static void
record_head(LogState *s, GString *line, int level, const char *logger)
{
  append_head(line, g_get_real_time(), &s->stamp_second, s->stamp, sizeof s->stamp, logger, log_pid(s), level,
              s->addtime, s->padding);
}

static void
write_record(LogState *s, GString *line)
{
  FILE *f = s->kind == TARGET_NONE ? stderr : s->stream;
  g_string_append_c(line, '\n');
  fwrite(line->str, 1, line->len, f);
  if (!s->held || s->kind != TARGET_FILE)
    fflush(f);
}

void
f2bs_log_hold(void)
{
  log_state.held++;
}

void
f2bs_log_release(void)
{
  LogState *s = &log_state;
  g_return_if_fail(s->held > 0);
  if (--s->held == 0 && s->kind == TARGET_FILE && s->stream)
    fflush(s->stream);
}

static void
emit(int level, const char *logger, const char *message)
{
  LogState *s = &log_state;
  if (s->kind == TARGET_JOURNAL) {
    emit_journal(level, logger, message);
    return;
  }
  g_autoptr(GString) line = g_string_new(NULL);
  if (s->kind == TARGET_SYSLOG) {
    g_string_append_printf(line, "<%d>", s->facility << 3 | syslog_priority(level));
    f2bs_log_format(line, g_get_real_time(), logger, log_pid(s), level, message, s->addtime, s->padding);
    g_string_truncate(line, line->len - 1); /* no newline; a NUL ends the message */
    if (send(s->syslog_fd, line->str, line->len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      /* nothing sensible to do: the log is the place errors would go */
    }
    return;
  }
  record_head(s, line, level, logger);
  g_string_append(line, message);
  write_record(s, line);
}

gboolean
f2bs_log_enabled(int level)
{
  return level >= log_state.threshold;
}

void
f2bs_log(int level, const char *logger, const char *fmt, ...)
{
  if (!f2bs_log_enabled(level))
    return;
  LogState *s = &log_state;
  va_list ap;
  va_start(ap, fmt);
  if (s->kind == TARGET_NONE || s->kind == TARGET_STREAM || s->kind == TARGET_FILE) {
    if (s->record == NULL)
      s->record = g_string_sized_new(256);
    GString *line = s->record;
    g_string_truncate(line, 0);
    record_head(s, line, level, logger);
    g_string_append_vprintf(line, fmt, ap);
    write_record(s, line);
    if (line->allocated_len > 64 * 1024) { /* an odd long record gives its memory back */
      g_string_free(line, TRUE);
      s->record = NULL;
    }
  } else {
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    emit(level, logger, msg);
  }
  va_end(ap);
}

gboolean
f2bs_log_set_level(const char *value, GError **error)
{
  g_autofree char *up = g_ascii_strup(value, -1);
  if (log_state.level_name && strcmp(log_state.level_name, up) == 0)
    return TRUE;
  int level;
  if (!f2bs_log_parse_level(up, &level, error))
    return FALSE;
  log_state.threshold = level;
  g_free(log_state.level_name);
  log_state.level_name = g_steal_pointer(&up);
  return TRUE;
}

const char *
f2bs_log_get_level(void)
{
  return log_state.level_name;
}

static void
close_target(LogState *s)
{
  if (s->kind == TARGET_FILE && s->stream)
    fclose(s->stream);
  else if (s->kind == TARGET_STREAM && s->stream)
    fflush(s->stream);
  if (s->syslog_fd >= 0)
    close(s->syslog_fd);
  s->stream = NULL;
  s->syslog_fd = -1;
  s->kind = TARGET_NONE;
}

static int
facility_number(const char *name)
{
  static const char *const names[] = { "KERN", "USER", "MAIL", "DAEMON", "AUTH", "SYSLOG", "LPR", "NEWS",
                                        "UUCP", "CRON", "AUTHPRIV", "FTP", "NTP", "SECURITY", "CONSOLE",
                                        "SOLARIS_CRON", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4",
                                        "LOCAL5", "LOCAL6", "LOCAL7" };
  g_autofree char *up = g_ascii_strup(name, -1);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(up, names[i]) == 0)
      return (int)i;
  return -1;
}

static int
open_syslog(const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof sa.sun_path)
    return -1;
  strcpy(sa.sun_path, path);
  int types[] = { SOCK_DGRAM, SOCK_STREAM };
  for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
    int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
      return fd;
    close(fd);
  }
  return -1;
}

static gboolean
is_socket(const char *path)
{
  struct stat st;
  return path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The options of "TARGET[...]": fail2ban's extractOptions. */
static gboolean
split_target(const char *spec, char **name, F2bIniMap **options, GError **error)
{
  g_autoptr(F2bConfReader) r = f2b_confreader_new("/", NULL);
  return f2b_confreader_extract_options(r, spec, name, options, error);
}

static gboolean
as_bool(const char *v)
{
  return !g_ascii_strcasecmp(v, "1") || !g_ascii_strcasecmp(v, "on") || !g_ascii_strcasecmp(v, "true")
         || !g_ascii_strcasecmp(v, "yes");
}

/* Opens the new target into *NEW; FALSE (logged) when fail2ban refuses it. */
static gboolean
open_target(LogState *s, const char *name, const char *systarget, F2bIniMap *opts, LogState *new)
{
  if (strcmp(systarget, "SYSTEMD-JOURNAL") == 0) {
    /* like python-systemd's handler: no connection until a record is sent */
    new->kind = TARGET_JOURNAL;
    return TRUE;
  }
  if (strcmp(systarget, "SYSLOG") == 0) {
    const char *fac = f2b_ini_map_get(opts, "facility");
    new->facility = facility_number(fac ? fac : "DAEMON");
    if (new->facility < 0) {
      f2bs_log(F2BS_LOG_ERROR, "fail2ban.server", "Unable to set facility '%s', using 'DAEMON'", fac);
      new->facility = 3;
    }
    if (s->syslogsocket && strcmp(s->syslogsocket, "auto") == 0) {
      g_free(s->syslogsocket);
      s->syslogsocket = g_strdup("/dev/log");
    }
    new->syslog_fd = is_socket(s->syslogsocket) ? open_syslog(s->syslogsocket) : -1;
    if (new->syslog_fd < 0) {
      f2bs_log(F2BS_LOG_ERROR, "fail2ban.server", "Syslog socket file: %s does not exists or is not a socket",
               s->syslogsocket ? s->syslogsocket : "None");
      return FALSE;
    }
    new->kind = TARGET_SYSLOG;
    return TRUE;
  }
  if (strcmp(systarget, "STDOUT") == 0 || strcmp(systarget, "SYSOUT") == 0 || strcmp(systarget, "STDERR") == 0) {
    new->kind = TARGET_STREAM;
    new->stream = strcmp(systarget, "STDERR") == 0 ? stderr : stdout;
    return TRUE;
  }
  new->stream = fopen(name, "ae");
  if (new->stream == NULL) {
    GString *r = g_string_new(NULL);
    f2b_py_repr_str_append(r, name, strlen(name));
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.server", "Unable to log to %s", r->str);
    g_string_truncate(r, 0);
    if (s->target)
      f2b_py_repr_str_append(r, s->target, strlen(s->target));
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Logging to previous target %s", s->target ? r->str : "None");
    g_string_free(r, TRUE);
    return FALSE;
  }
  /* room for a held turn's records (f2bs_log_hold) in few writes */
  setvbuf(new->stream, NULL, _IOFBF, 64 * 1024);
  new->kind = TARGET_FILE;
  return TRUE;
}

gboolean
f2bs_log_set_target(const char *target, GError **error)
{
  LogState *s = &log_state;
  g_autofree char *name = NULL;
  g_autoptr(F2bIniMap) opts = NULL;
  if (!split_target(target, &name, &opts, error))
    return FALSE;
  g_autofree char *systarget = g_ascii_strup(name, -1);
  if (s->target && strcmp(s->target, name) == 0)
    return TRUE;
  LogState new = { .syslog_fd = -1 };
  if (!open_target(s, name, systarget, opts, &new))
    return FALSE;
  const char *padding = f2b_ini_map_get(opts, "padding");
  const char *datetime = f2b_ini_map_get(opts, "datetime");
  gboolean is_syslog = strcmp(systarget, "SYSLOG") == 0;
  new.padding = padding ? as_bool(padding) : !is_syslog;
  new.addtime = datetime ? as_bool(datetime) : !is_syslog && strcmp(systarget, "SYSOUT") != 0;
  close_target(s);
  s->kind = new.kind;
  s->stream = new.stream;
  s->syslog_fd = new.syslog_fd;
  s->facility = new.facility;
  s->padding = new.padding;
  s->addtime = new.addtime;
  if (s->target != NULL) {
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Start Fail2ban v%s", F2B_COMPAT_VERSION);
    if (strcmp(name, "SYSLOG") == 0)
      f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Changed logging target to %s (%s) for Fail2ban v%s", name,
               s->syslogsocket ? s->syslogsocket : "None", F2B_COMPAT_VERSION);
    else
      f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "Changed logging target to %s for Fail2ban v%s", name,
               F2B_COMPAT_VERSION);
  }
  g_free(s->target);
  s->target = g_steal_pointer(&name);
  return TRUE;
}

const char *
f2bs_log_get_target(void)
{
  return log_state.target;
}

gboolean
f2bs_log_set_syslogsocket(const char *path, GError **error)
{
  LogState *s = &log_state;
  if (s->syslogsocket && strcmp(s->syslogsocket, path) == 0)
    return TRUE;
  g_free(s->syslogsocket);
  s->syslogsocket = g_strdup(path);
  if (s->target == NULL || strcmp(s->target, "SYSLOG") != 0)
    return TRUE;
  /* fail2ban re-applies the SYSLOG target, which its equality test makes a
   * no-op: the new socket is used at the next target change. */
  return f2bs_log_set_target(s->target, error);
}

const char *
f2bs_log_get_syslogsocket(void)
{
  return log_state.syslogsocket;
}

const char *
f2bs_log_flush(void)
{
  LogState *s = &log_state;
  const char *t = s->target ? s->target : "None";
  /* fail2ban rolls over every target but the four named ones; a stream
   * (SYSOUT) cannot roll over and is flushed, and the answer still says
   * "rolled over". */
  gboolean named = s->target && (!strcmp(t, "STDERR") || !strcmp(t, "STDOUT") || !strcmp(t, "SYSLOG")
                                 || !strcmp(t, "SYSTEMD-JOURNAL"));
  if (s->kind == TARGET_FILE) {
    FILE *f = fopen(s->target, "ae");
    if (f != NULL) {
      setvbuf(f, NULL, _IOFBF, 64 * 1024);
      fclose(s->stream);
      s->stream = f;
    }
    f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "rollover performed on %s", t);
  } else {
    if (s->stream)
      fflush(s->stream);
    if (s->kind != TARGET_NONE)
      f2bs_log(F2BS_LOG_INFO, "fail2ban.server", "flush performed on %s", t);
  }
  return named ? "flushed" : "rolled over";
}

void
f2bs_log_shutdown(void)
{
  close_target(&log_state);
  g_clear_pointer(&log_state.level_name, g_free);
  g_clear_pointer(&log_state.target, g_free);
  g_clear_pointer(&log_state.syslogsocket, g_free);
  if (log_state.record)
    g_string_free(log_state.record, TRUE);
  log_state.record = NULL;
}
