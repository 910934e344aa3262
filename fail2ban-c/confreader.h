/* confreader.h - fail2ban's configuration turned into its command stream.
 *
 * This is fail2ban's Configurator with its readers (fail2ban.conf, the
 * jails with their filters and actions): it reads a configuration
 * directory with ini.c and produces the list of commands that
 * `fail2ban-client -d` prints and that the server applies at start-up,
 * in fail2ban's exact order and with its exact values. */
#pragma once

#include <glib.h>

#include "ini.h"
#include "pyobj.h"

#define F2B_CONFREADER_ERROR (f2b_confreader_error_quark())
GQuark f2b_confreader_error_quark(void);

typedef enum {
  F2B_CONFREADER_ERROR_BASEDIR,  /* the configuration directory is missing */
  F2B_CONFREADER_ERROR_VALUE,    /* fail2ban's ValueError (e.g. no log file) */
  F2B_CONFREADER_ERROR_JAILDEF,  /* a jail's definition is wrong */
  F2B_CONFREADER_ERROR_NO_SECTION, /* the jail asked for has no section */
} F2bConfReaderError;

typedef struct F2bConfReader F2bConfReader;

/* BASEDIR is the configuration directory; LOG (copied, may be NULL)
 * receives fail2ban's warnings and errors. */
F2bConfReader *f2b_confreader_new(const char *basedir, const F2bLogSink *log);
void           f2b_confreader_free(F2bConfReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bConfReader, f2b_confreader_free)

/* Reads fail2ban.conf (+ .local, fail2ban.d) and returns the early options
 * (socket, pidfile, loglevel, logtarget, syslogsocket) as a new map. */
F2bIniMap *f2b_confreader_early_options(F2bConfReader *r, GError **error);

/* Reads everything and returns the command stream (a list, transfer full).
 * EARLY supplies the values that override fail2ban.conf's general options
 * (fail2ban-client passes its own settings).  IGNORE_WRONG skips wrong jails
 * (as -d does; -t does not), ALLOW_NO_FILES accepts jails whose log files
 * do not exist.  *OK is fail2ban's verdict on the configuration. On error
 * (fail2ban's "Failed during configuration") returns NULL. */
F2bPyObj *f2b_confreader_stream(F2bConfReader *r, const F2bIniMap *early, gboolean ignore_wrong,
                                gboolean allow_no_files, gboolean *ok, GError **error);

/* The same stream with JAIL as the only jail, as fail2ban-client reads it
 * for `reload JAIL`: the general options, then JAIL's commands (none when
 * the jail is disabled).  A JAIL without a section is an error
 * (F2B_CONFREADER_ERROR_NO_SECTION, "No section: 'name'"). */
F2bPyObj *f2b_confreader_stream_jail(F2bConfReader *r, const F2bIniMap *early, const char *jail,
                                     gboolean ignore_wrong, gboolean allow_no_files, gboolean *ok,
                                     GError **error);

/* Beyond fail2ban, for diagnostics: after f2b_confreader_stream(), where the
 * value OPTION of jail JAIL is written.  For failregex, ignoreregex and
 * journalmatch, INDEX counts the non-empty lines of the value as the stream
 * sends them (0-based) and the line of that one is found; for other options
 * INDEX is ignored and the option's own line is given.  *FILE (transfer full)
 * is the file as it was opened; *LINE is 1-based.
 * A value set in the jail is found in the jail's files, one from the filter in
 * the filter's; a filter argument (filter = name[failregex=...]) at the jail's
 * `filter` line.  A line that interpolates a multi-line value and is nothing
 * but that reference (`%(cmnfailre)s`, `<mdre-<mode>>`, `%(known/failregex)s`)
 * is followed to where the text is written; a line mixing text and a
 * reference is given as the line of the reference.  FALSE when the jail is
 * unknown or the value was not read from a file. */
gboolean f2b_confreader_locate(F2bConfReader *r, const char *jail, const char *option, guint index,
                               char **file, guint *line);

/* Beyond fail2ban, for diagnostics: why the last f2b_confreader_stream*()
 * failed or found a jail wrong, and where the offending value is written.
 * Recorded for a filter or an action that does not exist (OPTION is the
 * jail's `filter`, `action` or `banaction` whose value names it) and for an
 * interpolation that does not resolve (OPTION is the option read).  A syntax
 * error is not recorded: its message already names the file and line. */
typedef struct {
  char *jail;     /* the jail, NULL outside one (fail2ban.conf) */
  char *section;  /* the section read: the jail's, "Definition", ... */
  char *option;
  char *file;     /* as it was opened, NULL when unknown */
  guint line;     /* 1-based, 0 when unknown */
  char *message;  /* "no filter 'x' in DIR/filter.d" */
} F2bConfReaderFailure;

/* The failures (F2bConfReaderFailure*, in the order met; transfer none,
 * valid until the next stream or the reader's end); empty when none. */
const GPtrArray *f2b_confreader_failures(F2bConfReader *r);

/* fail2ban's helpers, exposed for their tests. */
/* extractOptions: "name[a=1, b="x, y"]" -> NAME and an ordered OPTIONS map. */
gboolean f2b_confreader_extract_options(F2bConfReader *r, const char *spec, char **name,
                                        F2bIniMap **options, GError **error);
/* splitWithOptions: the action list split into its entries (transfer full). */
GPtrArray *f2b_confreader_split_with_options(F2bConfReader *r, const char *value);
/* substituteRecursiveTags without a callback: a new map, or NULL with ERROR. */
F2bIniMap *f2b_confreader_substitute_tags(const F2bIniMap *tags, GHashTable *ignore, GError **error);
/* The same with CONDITIONAL ("family=inet6", NULL or "" for none): a tag's
 * replacement is "<tag>?CONDITIONAL" when the map has it, as CommandAction
 * substitutes its properties for one address family. */
F2bIniMap *f2b_confreader_substitute_tags_cond(const F2bIniMap *tags, GHashTable *ignore, const char *conditional,
                                               GError **error);
/* shlex.split in POSIX mode (transfer full), NULL with ERROR when unbalanced. */
GPtrArray *f2b_confreader_shlex_split(const char *s, GError **error);
/* Python's glob.glob order and rules (no sorting: directory order). */
GPtrArray *f2b_confreader_glob(const char *pattern);

/* FilterReader as fail2ban-regex drives it: reads filter NAME (under the base
 * directory's filter.d/, with .local and .d/ files; or, with EXPLICIT_FILE, the
 * file NAME alone with its includes), with the filter arguments OPTIONS (may
 * be NULL), applies the log type of BACKEND (applyAutoOptions; BACKEND NULL skips
 * that, as fail2ban's own sample tests do), and returns the commands of
 * convert() for JAIL (a list, transfer full).  *FOUND is FALSE (and the list
 * empty) when no file could be read; NULL with ERROR when reading fails. */
F2bPyObj *f2b_confreader_filter_stream(F2bConfReader *r, const char *name, const F2bIniMap *options,
                                       gboolean explicit_file, const char *jail, const char *backend,
                                       gboolean *found, GError **error);

/* An option of [Definition] in fail2ban.conf (+ .local, fail2ban.d) that
 * fail2ban itself does not read, such as fail2ban-c's `socketgroup`:
 * its interpolated value (transfer full), or NULL when it is not set (or
 * with ERROR when the files cannot be read). */
char *f2b_confreader_general_option(F2bConfReader *r, const char *option, GError **error);
