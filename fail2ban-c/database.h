/* database.h - fail2ban's persistent database (SQLite, schema version 4).
 *
 * The file is the one fail2ban 1.0.2 reads and writes: tables fail2banDb
 * (one version row), jails, logs (file positions), bans (every ban, kept
 * purge-age long) and bips (the last ban of each id per jail), with
 * fail2ban's columns and indexes and a ban's `data` as Python's JSON
 * (pyjson.h).  A user can switch between fail2ban and fail2ban-c on the same
 * file in both directions; older schemas (versions 1 to 3) are upgraded as
 * fail2ban upgrades them.
 *
 * Unlike fail2ban (journal in memory, synchronous off), the file is opened in
 * WAL mode with synchronous=NORMAL: a commit survives the process being
 * killed at any moment, and a commit costs no fsync (only checkpoints do).
 * Statements are prepared once.  Writes can be grouped in a transaction
 * with f2b_db_begin()/f2b_db_commit() (nesting counts; the outermost commit
 * writes): the server groups the writes of one main-loop turn or one
 * command, and reports a ban only once it is committed.
 *
 * Times are integer seconds since the epoch, as fail2ban stores them; NOW is
 * always the caller's (no clock in here).  The module logs nothing: every
 * failure is a GError in F2B_DB_ERROR. */
#pragma once

#include <glib.h>

#include "pyexpr.h"
#include "pyobj.h"
#include "ticket.h"

G_BEGIN_DECLS

#define F2B_DB_ERROR (f2b_db_error_quark())
GQuark f2b_db_error_quark(void);

typedef enum {
  F2B_DB_ERROR_OPEN,    /* the file cannot be opened or created (permissions, directory...) */
  F2B_DB_ERROR_CORRUPT, /* not a database, damaged, or a schema that is not fail2ban's */
  F2B_DB_ERROR_FUTURE,  /* a schema version newer than 4 */
  F2B_DB_ERROR_SQL,     /* a statement failed (disk full, read-only file...) */
} F2bDbError;

#define F2B_DB_VERSION 4

typedef struct F2bDb F2bDb;

/* Opens FILENAME (":memory:" for a private in-memory database), creating
 * the schema in a new file and upgrading an older one (the file is first
 * copied to FILENAME.YYYYmmdd-HHMMSS, UTC, as fail2ban does).  NOW names the
 * backup.  *UPGRADED_FROM (may be NULL) receives the old version, or 0.
 * Transfer full, or NULL with ERROR. */
F2bDb *f2b_db_open(const char *filename, gint64 now, gint64 *upgraded_from, GError **error);

/* f2b_db_open, and when the file is corrupt or of another schema (not when
 * it cannot be opened at all), moves it (and its -wal/-shm files) aside to
 * FILENAME.corrupt.YYYYmmdd-HHMMSS untouched and starts a new database.
 * *MOVED_TO (transfer full) receives the new name of the old file, else
 * NULL; *WHY receives the error that caused it (transfer full), else NULL. */
F2bDb *f2b_db_open_or_recover(const char *filename, gint64 now, char **moved_to, GError **why, GError **error);

/* Copies into DB what sqlite can still read of the fail2ban tables in the
 * damaged file FROM (opened read-only, never written): jails, logs, bans and
 * bips rows, each table read up to its first damaged page and back from its
 * end; rows DB already holds are kept.  Returns the number of rows copied
 * (0 when FROM is not readable at all), or -1 with ERROR when DB could not
 * be written. */
gint64 f2b_db_salvage(F2bDb *db, const char *from, GError **error);

void f2b_db_close(F2bDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bDb, f2b_db_close)

const char *f2b_db_filename(const F2bDb *db);
/* TRUE when the file could only be opened read-only (f2b_db_open then
 * accepts a complete version 4 schema as it is): reads work, every write
 * fails with F2B_DB_ERROR_SQL. */
gboolean f2b_db_is_readonly(const F2bDb *db);
/* dbmaxmatches (fail2ban's maxMatches, default 10; 0 keeps no matches). */
void f2b_db_set_max_matches(F2bDb *db, gint64 max_matches);
gint64 f2b_db_get_max_matches(const F2bDb *db);
/* dbpurgeage in seconds (default 86400). */
void f2b_db_set_purge_age(F2bDb *db, gint64 seconds);
gint64 f2b_db_get_purge_age(const F2bDb *db);

/* A transaction around the writes that follow; nested pairs join the
 * outermost one, whose commit writes.  A failed commit rolls back. */
gboolean f2b_db_begin(F2bDb *db, GError **error);
gboolean f2b_db_commit(F2bDb *db, GError **error);
/* FUNC(DB, DATA) is called by every outermost commit (f2b_db_commit and the
 * commit of a write outside a transaction) just before it writes, inside
 * the transaction: what FUNC writes is committed together with what was
 * written before (the server adds the log positions that go with a ban, so
 * that after a crash neither is there without the other).  Writes of FUNC
 * do not call it again.  FUNC NULL: none. */
typedef void (*F2bDbCommitFunc)(F2bDb *db, gpointer data);
void f2b_db_set_commit_func(F2bDb *db, F2bDbCommitFunc func, gpointer data);
/* Checkpoints (copying the WAL into the file) are the only writes that wait
 * for the disk.  SQLite runs them inside the commit that brings the WAL to
 * 1000 pages, which blocks the caller for the fsync.  With FUNC set, that
 * commit calls FUNC(DATA) instead (in the caller's thread), which is to
 * have f2b_db_checkpoint_file() run elsewhere (another thread); FUNC NULL
 * restores SQLite's own checkpoints. */
typedef void (*F2bDbCheckpointFunc)(gpointer data);
void f2b_db_set_checkpoint_func(F2bDb *db, F2bDbCheckpointFunc func, gpointer data);
/* A passive checkpoint of FILENAME's WAL through a connection of its own
 * (safe to call from another thread while the owner writes). */
gboolean f2b_db_checkpoint_file(const char *filename, GError **error);

/* Microseconds the last outermost commit took (for measurements). */
gint64 f2b_db_last_commit_usec(const F2bDb *db);

/* jails: addJail (enabled again when known), delJail and delAllJails
 * (enabled = 0, the rows stay until purge finds them empty). */
gboolean f2b_db_add_jail(F2bDb *db, const char *jail, GError **error);
gboolean f2b_db_del_jail(F2bDb *db, const char *jail, GError **error);
gboolean f2b_db_del_all_jails(F2bDb *db, GError **error);
/* Names of the jails (ENABLED -1: all, 0/1: those), sorted (transfer full,
 * NULL-terminated). */
char **f2b_db_get_jail_names(F2bDb *db, int enabled, GError **error);

/* logs: fail2ban's addLog.  POS and MD5 (NULL: None) are the file's current
 * position and first-line hash; a new row is written when none is known and
 * POS or MD5 is given.  *HAS_POS and *LAST_POS receive the stored position,
 * which is "none" (FALSE) when unknown or when MD5 differs from the stored
 * hash (the file was rotated). */
gboolean f2b_db_add_log(F2bDb *db, const char *jail, const char *path, gint64 pos, const char *md5,
                        gboolean *has_pos, gint64 *last_pos, GError **error);
/* updateLog: the stored hash and position of JAIL's PATH. */
gboolean f2b_db_update_log(F2bDb *db, const char *jail, const char *path, gint64 pos, const char *md5,
                           GError **error);
/* getJournalPos: the time stored for journal NAME ("systemd-journal") of
 * JAIL (*FOUND FALSE when there is none; nothing is written, as fail2ban's
 * _addLog with time 0 and no hash writes nothing). */
gboolean f2b_db_get_journal_pos(F2bDb *db, const char *jail, const char *name, gboolean *found, double *time,
                                GError **error);
/* updateJournal: TIME (the last entry's, a float as fail2ban stores it) and
 * ISO (its date as the filter got it) in the row of NAME. */
gboolean f2b_db_update_journal(F2bDb *db, const char *jail, const char *name, double time, const char *iso,
                               GError **error);
/* getLogPaths: the paths (of JAIL, or of every jail when NULL), sorted,
 * NULL-terminated, transfer full. */
char **f2b_db_get_log_paths(F2bDb *db, const char *jail, GError **error);

/* addBan: one row in bans and the id's row in bips.  BAN_TIME is the ban
 * time as fail2ban writes it (ticket's, else the jail's).  The ticket's
 * time is rounded to whole seconds, its data written as fail2ban's JSON
 * with the matches cut to the last dbmaxmatches. */
gboolean f2b_db_add_ban(F2bDb *db, const char *jail, const F2bTicket *ticket, F2bPyNum ban_time, GError **error);
/* delBan: the rows of IP in JAIL (IP NULL: every row of JAIL). */
gboolean f2b_db_del_ban(F2bDb *db, const char *jail, const char *ip, GError **error);

/* One row of bans or bips as read. */
typedef struct {
  char *jail;
  char *ip;
  gint64 time_of_ban;
  F2bPyNum ban_time;
  gint64 ban_count;
  F2bPyObj *data; /* the JSON data, a dict (an empty one when unreadable or NULL) */
} F2bDbBan;
void f2b_db_ban_free(F2bDbBan *ban);

/* getBans: rows of bans (JAIL, IP may be NULL: any), those with
 * time_of_ban > NOW - BAN_TIME when BAN_TIME >= 0, ordered by ip then
 * newest first.  Transfer full (an array that frees its F2bDbBan). */
GPtrArray *f2b_db_get_bans(F2bDb *db, const char *jail, const char *ip, gint64 ban_time, double now,
                           GError **error);

/* getBansMerged(IP, JAIL) as the tags ipmatches, ipjailmatches, ipfailures
 * and ipjailfailures read it: the bans of IP (in JAIL, in every jail when
 * NULL) merged: *FAILURES the sum of their failures (1 for a row without),
 * *MATCHES (transfer full) the matches of the newest bans, at most
 * dbmaxmatches, oldest first, joined by "\n" (*MATCHES_LEN bytes, may be
 * NULL; they may hold NUL).  *FOUND FALSE (and *MATCHES NULL) when IP has no
 * ban stored: fail2ban then uses the ticket's own. */
gboolean f2b_db_get_bans_merged(F2bDb *db, const char *ip, const char *jail, gboolean *found, gint64 *failures,
                                char **matches, gsize *matches_len, GError **error);

/* getBan: how often IP was banned: the bips row of JAIL, or with
 * OVERALLJAILS (or JAIL NULL) the sum over jails (count, latest time, sum
 * of ban times).  FORBANTIME / FROMTIME < 0 mean None.  *FOUND FALSE when
 * there is none. */
gboolean f2b_db_get_ban(F2bDb *db, const char *ip, const char *jail, gboolean overalljails, gint64 forbantime,
                        gint64 fromtime, double now, gboolean *found, gint64 *ban_count, gint64 *time_of_ban,
                        F2bPyNum *ban_time, GError **error);

/* getCurrentBans for JAIL (restore at jail start): tickets of the ids whose
 * ban has not ended at FROMTIME (FailTickets at their time of ban, with ban
 * time, ban count, failures, matches cut to MAX_MATCHES (< 0: dbmaxmatches),
 * and the other data values).  FORBANTIME < 0 is None (-1 too, as in
 * fail2ban); else only bans newer than FROMTIME - FORBANTIME.
 * CORRECT_BAN_TIME > 0 caps a ban time (and turns a permanent one into it);
 * JAIL_BAN_TIME replaces the unknown ban time (-2) of upgraded rows.
 * Ordered by ip; transfer full (an array that unrefs the tickets). */
GPtrArray *f2b_db_get_current_bans(F2bDb *db, const char *jail, gint64 forbantime, double fromtime,
                                   gint64 correct_ban_time, gint64 jail_ban_time, gint64 max_matches,
                                   GError **error);

/* purge at NOW: bans older than the purge age, bips whose ban is several
 * times (3) out-dated (never permanent ones), disabled jails without bans. */
gboolean f2b_db_purge(F2bDb *db, double now, GError **error);

/* The ticket's data as fail2ban stores it (matches cut to MAX_MATCHES,
 * dropped when 0), transfer full.  Exposed for tests. */
F2bPyObj *f2b_db_ticket_data(const F2bTicket *ticket, gint64 max_matches);

G_END_DECLS
