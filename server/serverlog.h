/* serverlog.h - fail2ban-server's logging: levels, targets, line format.
 *
 * fail2ban logs through Python's logging with one handler on the
 * "fail2ban" logger.  A line on a stream or file reads
 *   2026-11-25 19:11:32,943 fail2ban.server         [4740]: INFO    text
 * (asctime, logger name padded to 24, pid, level name padded to 7); syslog
 * lines carry no time and no padding ("fail2ban.server[4740]: INFO text").
 * Levels are Python's numbers plus fail2ban's own: NOTICE 25, MSG 18,
 * TRACEDEBUG 7 (shown "TRACE"), HEAVYDEBUG 5 (shown "HEAVY").
 *
 * The pure helpers (level parsing and naming, line formatting) have no
 * state and are unit-tested.  The rest is the server process's one log:
 * process-wide state, as the Python server's root logger is, since every
 * server module logs. */
#pragma once

#include <glib.h>

enum {
  F2BS_LOG_NOTSET = 0,
  F2BS_LOG_HEAVYDEBUG = 5,
  F2BS_LOG_TRACEDEBUG = 7,
  F2BS_LOG_DEBUG = 10,
  F2BS_LOG_MSG = 18,
  F2BS_LOG_INFO = 20,
  F2BS_LOG_NOTICE = 25,
  F2BS_LOG_WARNING = 30,
  F2BS_LOG_ERROR = 40,
  F2BS_LOG_CRITICAL = 50,
};

#define F2BS_LOG_ERROR_DOMAIN (f2bs_log_error_quark())
GQuark f2bs_log_error_quark(void);

/* fail2ban's str2LogLevel: digits, or a level name in any case (CRITICAL,
 * FATAL, ERROR, WARN, WARNING, NOTICE, INFO, MSG, DEBUG, TRACEDEBUG,
 * HEAVYDEBUG, NOTSET).  FALSE with "Invalid log level 'X'" otherwise. */
gboolean f2bs_log_parse_level(const char *value, int *level, GError **error);

/* Python's logging.getLevelName for a number: "INFO", "TRACE", or
 * "Level 3" for a number without a name.  Transfer full. */
char *f2bs_log_level_name(int level);

/* Appends one formatted line (with its "\n") to OUT.  TIME_US: wall time in
 * microseconds; ADDTIME false drops the stamp (syslog); PADDING false drops
 * the column padding (syslog's default). */
void f2bs_log_format(GString *out, gint64 time_us, const char *logger, int pid, int level,
                     const char *message, gboolean addtime, gboolean padding);

/* The process's log.  Before f2bs_log_set_target succeeds lines go to
 * stderr, at WARNING and above, as fail2ban's command line logs. */
void f2bs_log(int level, const char *logger, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
gboolean f2bs_log_enabled(int level);

/* Between hold and release (nested), records to a file target are written
 * in blocks instead of one write per record: a reader of many lines in one
 * main-loop turn holds the log for the turn.  Release writes what waits. */
void f2bs_log_hold(void);
void f2bs_log_release(void);

/* set loglevel: VALUE is upper-cased and kept as given ("debug" -> "DEBUG"). */
gboolean f2bs_log_set_level(const char *value, GError **error);
const char *f2bs_log_get_level(void); /* NULL before the first set */

/* set logtarget: STDOUT, SYSOUT, STDERR, SYSLOG[facility=..], SYSTEMD-JOURNAL
 * or a file name (options in brackets: padding, datetime).  FALSE when
 * fail2ban would refuse (the reason is logged as fail2ban logs it); ERROR is
 * set only for a syntax error of the options. */
gboolean f2bs_log_set_target(const char *target, GError **error);
const char *f2bs_log_get_target(void);
gboolean f2bs_log_set_syslogsocket(const char *path, GError **error);
const char *f2bs_log_get_syslogsocket(void);

/* flushlogs: a file target is reopened ("rolled over"), a stream flushed
 * ("flushed").  Returns that word (static). */
const char *f2bs_log_flush(void);

/* Releases the target (at exit). */
void f2bs_log_shutdown(void);
