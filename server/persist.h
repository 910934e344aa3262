/* persist.h - the server's use of the database (database.h): fail2ban's
 * Server.setDatabase, the observer's hourly purge, a jail's restore of
 * its still-valid bans at start (Jail.restoreCurrentBans), and the log
 * positions of the `logs` table (FileFilter's addLog / updateLog).
 *
 * Log positions: a log path added to a jail is looked up (addLog: a new
 * row when unknown); when the stored first-line hash is the file's, reading
 * resumes at the stored position (not for a path added with tail, as in
 * fail2ban).  Positions that moved are written back as fail2ban writes
 * them: after the first read and then at most every 10 s while lines come
 * (Utils.DEFAULT_SLEEP_TIME * 5), and when the path is removed (jail stop,
 * SIGTERM, dellogpath).  Beyond fail2ban, every commit of the database (a
 * ban above all) carries the positions of every log as far as it has been
 * read (the systemd journal's too: the time and date of its last entry in
 * the row "systemd-journal", fail2ban's getJournalPos / updateJournal): a ban and the lines that made it are committed together, so that a
 * server killed at any moment neither reads those lines again after its
 * restart nor has a reported ban that is not in the file.
 *
 * Opening never stops the server: a corrupt file or one of another schema is
 * moved aside untouched and a new database started (logged as errors); a
 * file that cannot be opened at all leaves the server without a database,
 * as an error reply of `set dbfile`. */
#pragma once

#include <glib.h>

#include "database.h"
#include "jail.h"

typedef struct F2bsPersist F2bsPersist;

/* Opens FILENAME (":memory:" too) with its purge timer; NULL (logged, and
 * ERROR set when not NULL: a pyexc.h exception) when no database could be had. */
F2bsPersist *f2bs_persist_open(const char *filename, GError **error);
void f2bs_persist_close(F2bsPersist *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsPersist, f2bs_persist_close)

F2bDb *f2bs_persist_db(F2bsPersist *p);

/* addJail: the jail recorded (enabled) and its actions writing bans here. */
void f2bs_persist_jail_added(F2bsPersist *p, F2bsJail *jail);
/* delJail: the jail disabled in the database (its bans stay). */
void f2bs_persist_jail_stopped(F2bsPersist *p, const char *name);
/* restoreCurrentBans: the bans of JAIL still valid now banned again. */
void f2bs_persist_restore(F2bsPersist *p, F2bsJail *jail);
/* The hourly purge, now (for tests and `set dbpurgeage`). */
void f2bs_persist_purge(F2bsPersist *p);

/* addLog for PATH of JAIL, just added to its log watcher: the stored
 * position restored when the first line is the same (and TAIL is FALSE).
 * *POS (may be NULL) receives the position reading starts at. */
void f2bs_persist_log_added(F2bsPersist *p, F2bsJail *jail, const char *path, gboolean tail, gint64 *pos);
/* Lines were read from a log of a jail: a write of the positions is due
 * (now after the first read, else 10 s after the last one). */
void f2bs_persist_logs_read(F2bsPersist *p);
/* PATH is about to leave JAIL's watcher: its position written if it moved. */
void f2bs_persist_log_removing(F2bsPersist *p, F2bsJail *jail, const char *path);
/* getJournalPos: the time JAIL's journal was read to (0: none stored). */
double f2bs_persist_journal_pos(F2bsPersist *p, F2bsJail *jail);
/* An entry of JAIL's journal is about to be processed (TIME, its date as
 * the filter gets it): fail2ban's pending updateJournal, written as the
 * log positions are (and inside any commit the entry causes). */
void f2bs_persist_journal_read(F2bsPersist *p, F2bsJail *jail, double time, const char *date);
/* JAIL is being freed: its logs are forgotten (nothing written). */
void f2bs_persist_jail_freed(F2bsPersist *p, F2bsJail *jail);
/* Every position that moved written now, in one commit. */
void f2bs_persist_flush_logs(F2bsPersist *p);
