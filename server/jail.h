/* jail.h - one jail's configuration and state, as fail2ban-server holds it.
 *
 * This is the data behind `set <JAIL> ...` / `get <JAIL> ...`: the filter's
 * options (regexes compiled and validated with failregex.c exactly as
 * fail2ban compiles them, ignore lists, log paths, date pattern), the
 * actions' options (bantime and bantime.*, the actions with their
 * properties) and the run state.  Setters validate as fail2ban does and
 * report refusals as pyexc.h errors (ValueError, RegexException, ...) so
 * that the transmitter answers with the same exception.
 *
 * The filter options live in the jail's F2bFilter (filter.h), which the
 * setters keep in step and the `get` answers read; the log watchers hand
 * each new line to f2bs_jail_process_line (pipeline.h does the rest:
 * ignore checks, failure counting, bans).  Bans, counters and the shell
 * actions live in `rt` (actions.h); the setters of bantime, maxretry,
 * findtime and maxmatches keep its managers in step. */
#pragma once

#include <glib.h>

#include "datedetect.h"
#include "failregex.h"
#include "filter.h"
#include "ini.h"
#include "ipaddr.h"
#include "pyobj.h"

typedef struct {
  char *name;
  F2bPyObj *props; /* dict: property name -> value (CommandAction's attributes) */
  /*< private: the action runner's state (actions.c) >*/
  int refcount;          /* a running command keeps its action alive */
  GHashTable *started;   /* family -> GINT_TO_POINTER(bits: 1 started, 2 holds bans) */
  GPtrArray *started_order; /* its keys in insertion order (fail2ban walks its dict in that order) */
  GHashTable *executed;  /* "<tag>\nfamily" -> the command last run for it (_operationExecuted) */
  gpointer native;       /* actnative.c's recognition (NULL: not made yet) */
} F2bsAction;

F2bsAction *f2bs_action_ref(F2bsAction *action);
void f2bs_action_unref(F2bsAction *action);

/* The jail's ban and fail managers, command queue and unban timer (actions.h). */
typedef struct F2bsActions F2bsActions;
/* The jail's failures on their way from the filter to the fail manager (pipeline.h). */
typedef struct F2bsPipeline F2bsPipeline;

typedef struct {
  char *name;
  char *backend;         /* as given to `add` (may carry [options]) */
  gboolean journal;      /* systemd backend: log paths ignored, journal matches in journalwatch */
  gboolean started;
  gboolean idle;
  /* filter */
  gboolean ignoreself;
  GPtrArray *ignoreip;   /* F2bIPAddr*: subnets first then single addresses, as fail2ban lists them */
  F2bPyObj *ignorecommand; /* str, or False when unset (fail2ban's default) */
  F2bPyObj *ignorecache;   /* [key, max-count, max-time] or None */
  GPtrArray *logpaths;   /* char* */
  char *logencoding;
  F2bFilter *filter;     /* regexes, date detector, usedns, maxlines, encoding, findtime */
  char *usedns;
  F2bPyObj *findtime;
  char *logtimezone;     /* NULL: None */
  gint64 maxmatches, maxretry, maxlines;
  /* actions */
  F2bPyObj *bantime;
  F2bPyObj *banextra;    /* dict of bantime.* options as fail2ban stores them */
  GPtrArray *actions;    /* F2bsAction*, in insertion order */
  F2bsActions *rt;       /* bans and the action runner (owned; outlives the jail while commands run) */
  F2bsPipeline *pipeline; /* owned */
  /* where the lines come from (one of the two, by backend; owned) */
  struct F2bsLogWatch *logwatch;         /* file backends (logwatch.h) */
  struct F2bsJournalWatch *journalwatch; /* systemd (journalwatch.h) */
  gboolean has_database; /* the server has a database (fail2ban's jail.database is not None) */
  struct F2bsPersist *persist; /* that database (persist.h; borrowed), NULL: none */
} F2bsJail;

/* A jail with fail2ban's defaults; FALSE-path: ValueError for an unknown
 * backend ("Unknown backend x. Must be among [...] or 'auto'"). */
F2bsJail *f2bs_jail_new(const char *name, const char *backend, GError **error);
void f2bs_jail_free(F2bsJail *jail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsJail, f2bs_jail_free)

/* Filter options.  VALUE arguments are the command's items (str or int). */
gboolean f2bs_jail_add_ignoreip(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_del_ignoreip(F2bsJail *jail, const char *value, GError **error);
F2bPyObj *f2bs_jail_get_ignoreip(const F2bsJail *jail);
gboolean f2bs_jail_set_ignorecache(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_add_logpath(F2bsJail *jail, const char *path, gboolean tail, GError **error);
void f2bs_jail_del_logpath(F2bsJail *jail, const char *path);
gboolean f2bs_jail_set_logencoding(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_set_prefregex(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_add_failregex(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_add_ignoreregex(F2bsJail *jail, const char *value, GError **error);
/* delfailregex (FAIL) / delignoreregex: Python list indexing (negative from
 * the end); an index out of range is logged, not an error. */
void f2bs_jail_del_regex(F2bsJail *jail, gboolean fail, gint64 index);
/* get failregex (FAIL) / ignoreregex: the list of their texts. */
F2bPyObj *f2bs_jail_get_regexes(const F2bsJail *jail, gboolean fail);
/* get prefregex: its text, "" when unset (borrowed). */
const char *f2bs_jail_get_prefregex(const F2bsJail *jail);
/* reload: every failregex and ignoreregex removed. */
void f2bs_jail_clear_regexes(F2bsJail *jail);
void f2bs_jail_set_usedns(F2bsJail *jail, const char *value);
gboolean f2bs_jail_set_findtime(F2bsJail *jail, const F2bPyObj *value, GError **error);
gboolean f2bs_jail_set_datepattern(F2bsJail *jail, const char *value, GError **error);
F2bPyObj *f2bs_jail_get_datepattern(const F2bsJail *jail);
gboolean f2bs_jail_set_logtimezone(F2bsJail *jail, const char *value, GError **error);
gboolean f2bs_jail_set_maxlines(F2bsJail *jail, gint64 value, GError **error);
void f2bs_jail_set_maxretry(F2bsJail *jail, gint64 value);

/* Action options. */
gboolean f2bs_jail_set_bantime(F2bsJail *jail, const F2bPyObj *value, GError **error);
gboolean f2bs_jail_set_bantime_extra(F2bsJail *jail, const char *opt, const char *value, GError **error);
F2bPyObj *f2bs_jail_get_bantime_extra(const F2bsJail *jail, const char *opt);
/* addaction NAME: a command action with CommandAction's default properties;
 * ValueError when it exists ("Action NAME already exists"). */
gboolean f2bs_jail_add_action(F2bsJail *jail, const char *name, GError **error);
gboolean f2bs_jail_del_action(F2bsJail *jail, const char *name, GError **error);
/* The action, or NULL with KeyError "Invalid Action name: NAME". */
F2bsAction *f2bs_jail_get_action(F2bsJail *jail, const char *name, GError **error);
/* CommandAction.clearAllParams (an action configured again by a reload):
 * timeout 60 and every action* command empty; other properties stay. */
void f2bs_action_clear_params(F2bsAction *action);
gboolean f2bs_action_set(F2bsAction *action, const char *prop, F2bPyObj *value, GError **error);
/* A property's value (transfer full) or NULL with AttributeError. */
F2bPyObj *f2bs_action_get(const F2bsAction *action, const char *prop, GError **error);
F2bPyObj *f2bs_action_properties(const F2bsAction *action);
/* Adds every property of ACTION to MAP as str() of its value (CommandAction._properties,
 * what its tags are replaced from), in the action's order. */
void f2bs_action_props_into(const F2bsAction *action, F2bIniMap *map);
F2bPyObj *f2bs_action_methods(void);

/* A complete line of the jail's log (LEN bytes, without its line end; may
 * hold NUL bytes and invalid UTF-8), as the log watchers deliver it: the
 * filter finds its failures, which go through the ignore checks to the fail
 * manager and on to a ban (pipeline.h).  Never blocks.  An idle jail skips
 * the line (fail2ban's watchers do not read while idle: a watcher that wants
 * fail2ban's catch-up after `idle off` keeps its position while jail->idle).
 * IN_OPERATION FALSE is the first reading of a log at start (fail2ban's
 * inOperation): lines older than findtime are read but not counted. */
void f2bs_jail_process_line(F2bsJail *jail, const char *line, gsize len);
void f2bs_jail_process_log_line(F2bsJail *jail, const char *line, gsize len, gboolean in_operation);
/* A journal entry already split (prefix, date, rest; UTF-8) with its time. */
void f2bs_jail_process_tuple(F2bsJail *jail, const F2bRegexLine *tuple, double date, gboolean in_operation);

/* `start JAIL`: the log files or the journal are watched from now on.
 * FALSE with an error when the watcher cannot start (inotify instances
 * exhausted, the journal unreadable). */
gboolean f2bs_jail_start_watching(F2bsJail *jail, GError **error);

/* status [flavor]: fail2ban's nested list of (label, value) tuples. */
F2bPyObj *f2bs_jail_status(const F2bsJail *jail, const char *flavor);
