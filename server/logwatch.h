/* logwatch.h - a jail's watched log files, as GLib main-loop sources.
 *
 * fail2ban's file backends (FileFilter with FilterPyinotify or FilterPoll):
 * each path is an F2bLogFile (logfile.h: position, first-line hash,
 * rotation, complete lines); the watcher decides when to read it.
 *
 *  - F2BS_LOGWATCH_INOTIFY (backends auto, pyinotify; fail2ban's `auto` picks
 *    pyinotify when python3-pyinotify is installed): raw inotify on an fd
 *    source.  Each file is watched (modify, attrib, move/delete self) and so
 *    is its directory (create, move, delete, attrib of the name), so that a
 *    rename, a recreation, a chmod or a directory put in its place is seen
 *    at once.  The events of one wake-up are coalesced into one read per
 *    file.  No timer runs unless a file's directory itself is missing
 *    (retried with fail2ban's back-off, 0.2 s doubling up to 60 s).
 *  - F2BS_LOGWATCH_POLLING (backend polling, and gamin: fail2ban 1.0.2 has no
 *    gamin module on Debian 12 and falls back to polling, logging "Backend
 *    'gamin' failed to initialize ..." and "Could only initiated 'polling'
 *    backend whenever 'gamin' was requested"): a timer stats every path
 *    (mtime, ctime, inode, size, as FilterPoll compares mtime, inode, size)
 *    and reads those that changed.
 *
 * A missing path at add time is refused as fail2ban's addLogPath refuses it
 * (FileNotFoundError from FileContainer).  A watched file that vanishes,
 * becomes a directory or unreadable is logged once (absence: MSG "Log
 * absence detected (possibly rotation) for PATH, reason: ..."; an error:
 * ERROR "Unable to open PATH" then the OSError text), what it held until
 * then is read to its end, the other files go on, and the file is picked up
 * again when it is back (MSG "Log presence detected for file PATH").  Unlike
 * FilterPoll, a file is never dropped after 50 failed checks.
 *
 * Wiring (the lead's part): at `add JAIL BACKEND` for a file backend the
 * jail creates the watcher with f2bs_logwatch_kind_for_backend(jail->backend)
 * and a callback that calls f2bs_jail_process_line(jail, line, len);
 * f2bs_logwatch_set_autoseek with the jail's date detector and findtime;
 * `addlogpath` calls f2bs_logwatch_add (it opens the file, as fail2ban does
 * at that moment: the tail position is taken then) and logs "Added logfile"
 * with f2b_logfile_get_pos/get_hash of f2bs_logwatch_get_file;
 * `dellogpath` calls f2bs_logwatch_remove; `start JAIL` calls
 * f2bs_logwatch_start, `stop JAIL` f2bs_logwatch_stop then _free.  `status`
 * "File list" and `get JAIL logpath` are f2bs_logwatch_paths (insertion
 * order, as fail2ban's dict).  The database (issue 7) reads and restores
 * position and hash through f2bs_logwatch_get_file.
 *
 * Flow: a read takes at most F2BS_LOGWATCH_READ_LIMIT bytes of a file per
 * main-loop turn (the rest follows in the next turns, so that a flood of
 * lines does not keep the loop from other work), and a watcher given a busy
 * function (f2bs_logwatch_set_busy_func) asks it after every line: while it
 * says TRUE, nothing more is read (lines wait in the file, not in memory)
 * until f2bs_logwatch_resume.  No line is lost or read twice by a pause,
 * whatever happens to the file meanwhile (rotation, deletion).
 *
 * The line callback must not add, remove, stop or free files of the
 * watcher it is called from. */
#pragma once

#include <glib.h>

#include "logfile.h"

typedef enum {
  F2BS_LOGWATCH_INOTIFY,
  F2BS_LOGWATCH_POLLING,
} F2bsLogWatchKind;

/* fail2ban's FilterPoll checks at 0.2, 0.4, 0.6, 0.8 s steps of each 2 s
 * sleeptime: half a second on average. */
#define F2BS_LOGWATCH_POLL_MS_DEFAULT 500

/* Bytes of one file read per main-loop turn. */
#define F2BS_LOGWATCH_READ_LIMIT ((gsize)256 << 10)

typedef void (*F2bsLogWatchLineFunc)(const char *path, const char *line, gsize len, gpointer user_data);
/* TRUE while the consumer of the lines can take no more. */
typedef gboolean (*F2bsLogWatchBusyFunc)(gpointer user_data);

typedef struct F2bsLogWatch F2bsLogWatch;

/* The kind for a jail's backend string (options in brackets ignored, case
 * ignored): auto, pyinotify, inotify -> INOTIFY; polling, gamin -> POLLING.
 * FALSE for systemd and anything else (not a file backend). */
gboolean f2bs_logwatch_kind_for_backend(const char *backend, F2bsLogWatchKind *kind);

/* Transfer full.  FUNC gets every complete line of every file, with the
 * path as given to add. */
F2bsLogWatch *f2bs_logwatch_new(F2bsLogWatchKind kind, F2bsLogWatchLineFunc func, gpointer user_data);
void f2bs_logwatch_free(F2bsLogWatch *lw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsLogWatch, f2bs_logwatch_free)

F2bsLogWatchKind f2bs_logwatch_get_kind(const F2bsLogWatch *lw);
/* Polling period in milliseconds (before start). */
void f2bs_logwatch_set_poll_interval(F2bsLogWatch *lw, guint ms);

/* fail2ban's autoSeek: the first read of each file added with head starts
 * with f2b_logfile_seek_to_time(now - FINDTIME) using FUNC (the jail's date
 * detector), so that a big old log is not read from its start.  Without it
 * (the default) head files are read from their start.  Call before start. */
void f2bs_logwatch_set_autoseek(F2bsLogWatch *lw, F2bLogFileTimeFunc func, gpointer user_data, double findtime);

/* Adds PATH (TAIL: start at its current end).  FALSE with the
 * F2B_LOGFILE_ERROR of f2b_logfile_new when it cannot be opened.  A path
 * already there is left as it is (TRUE); the jail logs "already exists".
 * On a started watcher the file is watched and read at once. */
gboolean f2bs_logwatch_add(F2bsLogWatch *lw, const char *path, gboolean tail, GError **error);
/* FALSE when PATH was not watched. */
gboolean f2bs_logwatch_remove(F2bsLogWatch *lw, const char *path);
/* The paths in insertion order (transfer container: the strings stay the
 * watcher's). */
GPtrArray *f2bs_logwatch_paths(const F2bsLogWatch *lw);
/* The followed file of PATH (the watcher's), or NULL. */
F2bLogFile *f2bs_logwatch_get_file(const F2bsLogWatch *lw, const char *path);

/* Reading pauses while FUNC returns TRUE (see Flow above); NULL: never. */
void f2bs_logwatch_set_busy_func(F2bsLogWatch *lw, F2bsLogWatchBusyFunc func, gpointer user_data);
/* The consumer can take lines again: what waits is read from the next
 * main-loop turn on.  Nothing happens on a stopped watcher. */
void f2bs_logwatch_resume(F2bsLogWatch *lw);

/* Starts watching (inotify instance or timer) and schedules a first read of
 * every file from its position in the thread-default main context.  FALSE
 * when inotify cannot be initialised (the limit of instances reached). */
gboolean f2bs_logwatch_start(F2bsLogWatch *lw, GError **error);
/* Stops watching and closes the files; positions are kept. */
void f2bs_logwatch_stop(F2bsLogWatch *lw);
gboolean f2bs_logwatch_is_started(const F2bsLogWatch *lw);
