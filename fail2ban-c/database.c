/* database.c - fail2ban's persistent database (see database.h).
 *
 * The SQL text of the schema is fail2ban's table layout written anew; what
 * must match fail2ban exactly is the resulting schema (names, columns,
 * declared types - the JSON type of `data` is what makes Python decode it -
 * constraints and indexes), which the compatibility tests check against the
 * Python class itself. */
#include "database.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "pyjson.h"

G_DEFINE_QUARK(f2b-db-error-quark, f2b_db_error)

struct F2bDb {
  sqlite3 *sql;
  char *filename;
  gint64 max_matches;
  gint64 purge_age;
  guint depth;          /* nesting of f2b_db_begin */
  gboolean failed;      /* a write inside the open transaction failed */
  gint64 commit_usec;
  GHashTable *stmts;    /* SQL text -> prepared statement */
  F2bDbCheckpointFunc checkpoint_func;
  gpointer checkpoint_data;
  F2bDbCommitFunc commit_func;
  gpointer commit_data;
  gboolean in_commit_func; /* its own writes do not call it again */
  gboolean readonly;       /* opened read-only: reads work, every write fails */
};

/* ---- schema -------------------------------------------------------------- */

#define T_VERSION "CREATE TABLE IF NOT EXISTS fail2banDb(version INTEGER);"
#define T_JAILS                                                                                              \
  "CREATE TABLE IF NOT EXISTS jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);"         \
  "CREATE INDEX IF NOT EXISTS jails_name ON jails(name);"
#define T_LOGS                                                                                               \
  "CREATE TABLE IF NOT EXISTS logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, "                       \
  "lastfilepos INTEGER DEFAULT 0, FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, "              \
  "UNIQUE(jail, path),UNIQUE(jail, path, firstlinemd5));"                                                   \
  "CREATE INDEX IF NOT EXISTS logs_path ON logs(path);"                                                      \
  "CREATE INDEX IF NOT EXISTS logs_jail_path ON logs(jail, path);"
#define T_BANS                                                                                               \
  "CREATE TABLE IF NOT EXISTS bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, "                \
  "bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON, "                               \
  "FOREIGN KEY(jail) REFERENCES jails(name) );"                                                              \
  "CREATE INDEX IF NOT EXISTS bans_jail_timeofban_ip ON bans(jail, timeofban);"                              \
  "CREATE INDEX IF NOT EXISTS bans_jail_ip ON bans(jail, ip);"                                               \
  "CREATE INDEX IF NOT EXISTS bans_ip ON bans(ip);"
#define T_BIPS                                                                                               \
  "CREATE TABLE IF NOT EXISTS bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, "       \
  "bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail), "       \
  "FOREIGN KEY(jail) REFERENCES jails(name) );"                                                              \
  "CREATE INDEX IF NOT EXISTS bips_timeofban ON bips(timeofban);"                                            \
  "CREATE INDEX IF NOT EXISTS bips_ip ON bips(ip);"

/* The columns each table must have for this code to work on it. */
static const struct {
  const char *table;
  const char *columns[7];
} required[] = {
  { "fail2banDb", { "version", NULL } },
  { "jails", { "name", "enabled", NULL } },
  { "logs", { "jail", "path", "firstlinemd5", "lastfilepos", NULL } },
  { "bans", { "jail", "ip", "timeofban", "bantime", "bancount", "data", NULL } },
  { "bips", { "ip", "jail", "timeofban", "bantime", "bancount", "data", NULL } },
};

/* ---- errors and statements --------------------------------------------- */

static gboolean
sql_fail(F2bDb *db, GError **error, const char *what)
{
  int code = sqlite3_extended_errcode(db->sql);
  int primary = code & 0xff;
  F2bDbError kind = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? F2B_DB_ERROR_CORRUPT
                    : primary == SQLITE_CANTOPEN || primary == SQLITE_PERM ? F2B_DB_ERROR_OPEN
                                                                            : F2B_DB_ERROR_SQL;
  g_set_error(error, F2B_DB_ERROR, kind, "%s: %s: %s", db->filename, what, sqlite3_errmsg(db->sql));
  if (db->depth)
    db->failed = TRUE;
  return FALSE;
}

static gboolean
exec(F2bDb *db, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) == SQLITE_OK)
    return TRUE;
  sqlite3_free(msg);
  return sql_fail(db, error, "statement failed");
}

/* The prepared statement of SQL, reset and unbound (transfer none). */
static sqlite3_stmt *
stmt(F2bDb *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(db->stmts, sql);
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    sql_fail(db, error, "prepare failed");
    return NULL;
  }
  g_hash_table_insert(db->stmts, (gpointer)sql, st);
  return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static void
bind_num(sqlite3_stmt *st, int i, F2bPyNum n)
{
  if (n.is_float)
    sqlite3_bind_double(st, i, n.f);
  else
    sqlite3_bind_int64(st, i, n.i);
}

static F2bPyNum
column_num(sqlite3_stmt *st, int i)
{
  if (sqlite3_column_type(st, i) == SQLITE_FLOAT)
    return f2b_pynum_float(sqlite3_column_double(st, i));
  return f2b_pynum_int(sqlite3_column_int64(st, i));
}

/* Steps a statement that returns no row. */
static gboolean
run(F2bDb *db, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  return sql_fail(db, error, "write failed");
}

/* ---- transactions ------------------------------------------------------- */

gboolean
f2b_db_begin(F2bDb *db, GError **error)
{
  if (db->depth++ > 0)
    return TRUE;
  db->failed = FALSE;
  if (exec(db, "BEGIN IMMEDIATE", error))
    return TRUE;
  db->depth = 0;
  return FALSE;
}

gboolean
f2b_db_commit(F2bDb *db, GError **error)
{
  g_return_val_if_fail(db->depth > 0, FALSE);
  if (db->depth == 1 && db->commit_func && !db->in_commit_func) {
    db->in_commit_func = TRUE;
    db->commit_func(db, db->commit_data);
    db->in_commit_func = FALSE;
  }
  if (--db->depth > 0)
    return TRUE;
  gint64 start = g_get_monotonic_time();
  gboolean ok = exec(db, "COMMIT", error);
  db->commit_usec = g_get_monotonic_time() - start;
  if (!ok)
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
  return ok;
}

void
f2b_db_set_commit_func(F2bDb *db, F2bDbCommitFunc func, gpointer data)
{
  db->commit_func = func;
  db->commit_data = data;
}

#define CHECKPOINT_PAGES 1000 /* SQLite's own threshold */

static int
wal_hook(void *data, sqlite3 *sql, const char *name, int pages)
{
  F2bDb *db = data;
  if (pages >= CHECKPOINT_PAGES && db->checkpoint_func)
    db->checkpoint_func(db->checkpoint_data);
  return SQLITE_OK;
}

void
f2b_db_set_checkpoint_func(F2bDb *db, F2bDbCheckpointFunc func, gpointer data)
{
  db->checkpoint_func = func;
  db->checkpoint_data = data;
  if (func)
    sqlite3_wal_hook(db->sql, wal_hook, db); /* replaces SQLite's auto-checkpoint hook */
  else
    sqlite3_wal_autocheckpoint(db->sql, CHECKPOINT_PAGES);
}

gboolean
f2b_db_checkpoint_file(const char *filename, GError **error)
{
  sqlite3 *sql = NULL;
  int rc = sqlite3_open_v2(filename, &sql, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(sql, 1000);
    /* a connection knows it is in WAL mode only once it has read the file */
    rc = sqlite3_exec(sql, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_wal_checkpoint_v2(sql, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  if (rc != SQLITE_OK)
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_SQL, "%s: checkpoint failed: %s", filename,
                sql ? sqlite3_errmsg(sql) : sqlite3_errstr(rc));
  sqlite3_close(sql);
  return rc == SQLITE_OK;
}

gint64
f2b_db_last_commit_usec(const F2bDb *db)
{
  return db->commit_usec;
}

/* Every public write runs in a transaction of its own unless one is open. */
#define WRITE_BEGIN(db, error)                                                                               \
  if (!f2b_db_begin((db), (error)))                                                                          \
    return FALSE;
static gboolean
write_end(F2bDb *db, gboolean ok, GError **error)
{
  if (ok)
    return f2b_db_commit(db, error);
  if (--db->depth == 0)
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* ---- opening ------------------------------------------------------------- */

static gboolean
table_exists(F2bDb *db, const char *table, gboolean *exists, GError **error)
{
  sqlite3_stmt *st = stmt(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, table);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "schema read failed");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
has_columns(F2bDb *db, const char *table, const char *const *columns, GError **error)
{
  g_autofree char *sql = g_strdup_printf("PRAGMA table_info(%s)", table);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, error, "schema read failed");
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_hash_table_add(seen, g_strdup((const char *)sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(db, error, "schema read failed");
  if (g_hash_table_size(seen) == 0)
    return TRUE; /* absent: created with IF NOT EXISTS */
  for (guint i = 0; columns[i]; i++)
    if (!g_hash_table_contains(seen, columns[i])) {
      g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT,
                  "%s: not fail2ban's schema: table %s has no column %s", db->filename, table, columns[i]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_columns(F2bDb *db, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(required); i++)
    if (!has_columns(db, required[i].table, required[i].columns, error))
      return FALSE;
  return TRUE;
}

static gboolean
create_tables(F2bDb *db, GError **error)
{
  if (!exec(db, T_VERSION T_JAILS T_LOGS T_BANS T_BIPS, error))
    return FALSE;
  return exec(db, "INSERT INTO fail2banDb(version) SELECT 4 WHERE NOT EXISTS (SELECT 1 FROM fail2banDb LIMIT 1)",
              error);
}

/* The version row: *VERSION, or 0 when the table is missing. */
static gboolean
read_version(F2bDb *db, gint64 *version, GError **error)
{
  gboolean exists;
  if (!table_exists(db, "fail2banDb", &exists, error))
    return FALSE;
  *version = 0;
  if (!exists)
    return TRUE;
  sqlite3_stmt *st = stmt(db, "SELECT version FROM fail2banDb LIMIT 1", error);
  if (st == NULL)
    return FALSE;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "version read failed");
  return TRUE;
}

static char *
stamp_name(const char *filename, const char *infix, gint64 now)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
  g_autofree char *stamp = g_date_time_format(dt, "%Y%m%d-%H%M%S");
  return g_strconcat(filename, infix, stamp, NULL);
}

static gboolean
backup_copy(F2bDb *db, gint64 now, GError **error)
{
  g_autofree char *backup = stamp_name(db->filename, ".", now);
  if (g_file_test(backup, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GFile) from = g_file_new_for_path(db->filename);
  g_autoptr(GFile) to = g_file_new_for_path(backup);
  return g_file_copy(from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, error);
}

/* fail2ban's updateDb: versions 1 to 3 brought to 4 in place. */
static gboolean
upgrade(F2bDb *db, gint64 version, gint64 now, GError **error)
{
  gboolean logs, bans, bips;
  if (!backup_copy(db, now, error))
    return FALSE;
  if (!table_exists(db, "logs", &logs, error) || !table_exists(db, "bans", &bans, error) ||
      !table_exists(db, "bips", &bips, error))
    return FALSE;
  if (version < 2 && logs &&
      !exec(db,
            "BEGIN; CREATE TEMPORARY TABLE logs_temp AS SELECT * FROM logs; DROP TABLE logs;" T_LOGS
            "INSERT INTO logs SELECT * from logs_temp; DROP TABLE logs_temp; UPDATE fail2banDb SET version = 2;"
            "COMMIT;",
            error))
    return FALSE;
  if (version < 3 && bans &&
      !exec(db,
            "BEGIN; CREATE TEMPORARY TABLE bans_temp AS SELECT jail, ip, timeofban, -2 as bantime, 1 as bancount, "
            "data FROM bans; DROP TABLE bans;" T_BANS
            "INSERT INTO bans SELECT * from bans_temp; DROP TABLE bans_temp; COMMIT;",
            error))
    return FALSE;
  if (version < 4 && !bips) {
    if (!exec(db, "BEGIN;" T_BIPS "UPDATE fail2banDb SET version = 4; COMMIT;", error))
      return FALSE;
    if (bans && !exec(db,
                      "INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) "
                      "SELECT ip, jail, timeofban, bantime, bancount, data FROM bans order by timeofban",
                      error))
      return FALSE;
  }
  gint64 now_version;
  if (!read_version(db, &now_version, error))
    return FALSE;
  if (now_version != F2B_DB_VERSION) {
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT, "%s: update from version %" G_GINT64_FORMAT
                " reached version %" G_GINT64_FORMAT, db->filename, version, now_version);
    return FALSE;
  }
  return TRUE;
}

static gboolean
set_pragmas(F2bDb *db, gboolean memory, GError **error)
{
  if (!exec(db, "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;", error))
    return FALSE;
  if (memory)
    return TRUE;
  /* WAL: a commit appends to the log; NORMAL: no fsync per commit, yet a
   * killed process loses nothing committed (only a power cut may). */
  return exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 4194304;",
              error);
}

static gboolean
check_integrity(F2bDb *db, GError **error)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db->sql, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, error, "integrity check failed");
  int rc = sqlite3_step(st);
  gboolean ok = rc == SQLITE_ROW && g_strcmp0((const char *)sqlite3_column_text(st, 0), "ok") == 0;
  g_autofree char *first = rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "integrity check failed");
  if (!ok) {
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT, "%s: integrity check failed: %s", db->filename,
                first ? first : "no result");
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_empty(F2bDb *db, gboolean *empty, GError **error)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, error, "schema read failed");
  int rc = sqlite3_step(st);
  *empty = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return sql_fail(db, error, "schema read failed");
  return TRUE;
}

static gboolean
all_tables(F2bDb *db, gboolean *complete, GError **error)
{
  gint64 version;
  *complete = FALSE;
  if (!read_version(db, &version, error))
    return FALSE;
  if (version != F2B_DB_VERSION)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
    gboolean exists;
    if (!table_exists(db, required[i].table, &exists, error))
      return FALSE;
    if (!exists)
      return TRUE;
  }
  *complete = TRUE;
  return TRUE;
}

/* The file's schema version, refused when it is newer than ours (fail2ban:
 * "Attempt to travel to future version of database"). */
static gboolean
read_known_version(F2bDb *db, gint64 *version, GError **error)
{
  if (!read_version(db, version, error))
    return FALSE;
  if (*version > F2B_DB_VERSION) {
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_FUTURE, "%s: database version %" G_GINT64_FORMAT
                " is newer than %d", db->filename, *version, F2B_DB_VERSION);
    return FALSE;
  }
  return TRUE;
}

static gboolean
prepare_schema(F2bDb *db, gint64 now, gint64 *upgraded_from, GError **error)
{
  gboolean memory = strcmp(db->filename, ":memory:") == 0;
  gboolean empty;
  if (!check_integrity(db, error) || !is_empty(db, &empty, error))
    return FALSE;
  /* a new file gives purged pages back to the file system (incremental
   * vacuum after each purge): only possible before anything is written */
  if (empty && !exec(db, "PRAGMA auto_vacuum = INCREMENTAL", error))
    return FALSE;
  gint64 version;
  if (!read_known_version(db, &version, error))
    return FALSE;
  /* a file refused is refused before the journal mode is switched (that
   * rewrites its header and adds -wal/-shm files): it stays untouched */
  if (version == F2B_DB_VERSION && !check_columns(db, error))
    return FALSE;
  if (!set_pragmas(db, memory, error))
    return FALSE;
  if (version > 0 && version < F2B_DB_VERSION) {
    if (!upgrade(db, version, now, error))
      return FALSE;
    if (upgraded_from)
      *upgraded_from = version;
  }
  if (!check_columns(db, error))
    return FALSE;
  gboolean complete;
  if (!all_tables(db, &complete, error))
    return FALSE;
  /* a complete schema is not written to: another connection may hold the lock */
  return complete || create_tables(db, error);
}

/* A file sqlite could only open read-only: nothing may be created or
 * upgraded, so only a complete fail2ban schema of this version is used. */
static gboolean
prepare_readonly(F2bDb *db, GError **error)
{
  if (!check_integrity(db, error) || !exec(db, "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;", error))
    return FALSE;
  gint64 version;
  if (!read_known_version(db, &version, error))
    return FALSE;
  gboolean complete;
  if (!check_columns(db, error) || !all_tables(db, &complete, error))
    return FALSE;
  if (!complete) {
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_OPEN,
                "%s: cannot open: the file is read-only and holds no complete version %d schema", db->filename,
                F2B_DB_VERSION);
    return FALSE;
  }
  db->readonly = TRUE;
  return TRUE;
}

static void
finalize_stmt(gpointer st)
{
  sqlite3_finalize(st);
}

F2bDb *
f2b_db_open(const char *filename, gint64 now, gint64 *upgraded_from, GError **error)
{
  g_autoptr(F2bDb) db = g_new0(F2bDb, 1);
  db->filename = g_strdup(filename);
  db->max_matches = 10;
  db->purge_age = 86400;
  db->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, finalize_stmt);
  if (upgraded_from)
    *upgraded_from = 0;
  int rc = sqlite3_open_v2(filename, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_OPEN, "%s: cannot open: %s", filename,
                db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
    return NULL;
  }
  sqlite3_extended_result_codes(db->sql, 1);
  sqlite3_busy_timeout(db->sql, 1000);
  /* sqlite falls back to read-only when the file cannot be written
   * (immutable, read-only mount): what it holds is still read */
  if (sqlite3_db_readonly(db->sql, "main") == 1)
    return prepare_readonly(db, error) ? g_steal_pointer(&db) : NULL;
  if (!prepare_schema(db, now, upgraded_from, error))
    return NULL;
  return g_steal_pointer(&db);
}

/* The file and its WAL companions renamed to TARGET(-wal, -shm). */
static gboolean
move_aside(const char *filename, const char *target, GError **error)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *from = g_strconcat(filename, suffixes[i], NULL);
    g_autofree char *to = g_strconcat(target, suffixes[i], NULL);
    if (!g_file_test(from, G_FILE_TEST_EXISTS))
      continue;
    if (g_rename(from, to) != 0) {
      int e = errno;
      g_set_error(error, F2B_DB_ERROR, F2B_DB_ERROR_OPEN, "%s: cannot move aside to %s: %s", from, to,
                  g_strerror(e));
      return FALSE;
    }
  }
  return TRUE;
}

F2bDb *
f2b_db_open_or_recover(const char *filename, gint64 now, char **moved_to, GError **why, GError **error)
{
  *moved_to = NULL;
  *why = NULL;
  GError *local = NULL;
  F2bDb *db = f2b_db_open(filename, now, NULL, &local);
  if (db)
    return db;
  if (!g_error_matches(local, F2B_DB_ERROR, F2B_DB_ERROR_CORRUPT) || strcmp(filename, ":memory:") == 0) {
    g_propagate_error(error, local);
    return NULL;
  }
  g_autofree char *target = stamp_name(filename, ".corrupt.", now);
  for (int n = 1; g_file_test(target, G_FILE_TEST_EXISTS); n++) {
    g_free(target);
    g_autofree char *base = stamp_name(filename, ".corrupt.", now);
    target = g_strdup_printf("%s.%d", base, n);
  }
  if (!move_aside(filename, target, error)) {
    g_error_free(local);
    return NULL;
  }
  db = f2b_db_open(filename, now, NULL, error);
  if (db == NULL) {
    g_error_free(local);
    return NULL;
  }
  *moved_to = g_steal_pointer(&target);
  *why = local;
  return db;
}

/* ---- salvage ------------------------------------------------------------- */

/* Copies the rows of TABLE from OLD until a read fails; *COPIED grows by
 * the rows new to DB.  Forwards, *LAST receives the last rowid read;
 * backwards, only rows after *LAST are read (the bans table has no key
 * that would keep a row read twice out).  Reading stops quietly at the damage. */
static gboolean
salvage_rows(F2bDb *db, sqlite3 *old, guint table, gboolean backwards, gint64 *last, gint64 *copied,
             GError **error)
{
  const char *const *cols = required[table].columns;
  g_autofree char *list = g_strjoinv(", ", (char **)cols);
  g_autoptr(GString) marks = g_string_new("?");
  int ncols = 1;
  for (; cols[ncols]; ncols++)
    g_string_append(marks, ", ?");
  g_autofree char *select =
      backwards ? g_strdup_printf("SELECT %s, rowid FROM %s WHERE rowid > %" G_GINT64_FORMAT " ORDER BY rowid DESC",
                                  list, required[table].table, *last)
                : g_strdup_printf("SELECT %s, rowid FROM %s ORDER BY rowid", list, required[table].table);
  g_autofree char *insert =
      g_strdup_printf("INSERT OR IGNORE INTO %s(%s) VALUES(%s)", required[table].table, list, marks->str);
  sqlite3_stmt *from = NULL, *to = NULL;
  if (sqlite3_prepare_v2(old, select, -1, &from, NULL) != SQLITE_OK) {
    sqlite3_finalize(from);
    return TRUE; /* not there, or of another shape: nothing to take */
  }
  gboolean ok = sqlite3_prepare_v2(db->sql, insert, -1, &to, NULL) == SQLITE_OK;
  while (ok && sqlite3_step(from) == SQLITE_ROW) {
    for (int i = 0; i < ncols; i++)
      sqlite3_bind_value(to, i + 1, sqlite3_column_value(from, i));
    if (!backwards)
      *last = sqlite3_column_int64(from, ncols);
    int rc = sqlite3_step(to);
    /* a row the constraints refuse (no jail, NULL) is left behind */
    ok = rc == SQLITE_DONE || (rc & 0xff) == SQLITE_CONSTRAINT;
    if (rc == SQLITE_DONE)
      *copied += sqlite3_changes(db->sql);
    sqlite3_reset(to);
  }
  if (!ok)
    sql_fail(db, error, "salvage failed");
  sqlite3_finalize(from);
  sqlite3_finalize(to);
  return ok;
}

gint64
f2b_db_salvage(F2bDb *db, const char *from, GError **error)
{
  sqlite3 *old = NULL;
  gint64 copied = 0;
  /* immutable: no lock and no -shm/-wal files beside the file kept aside */
  g_autofree char *escaped = g_uri_escape_string(from, "/", FALSE);
  g_autofree char *uri = g_strconcat("file:", escaped, "?immutable=1", NULL);
  if (sqlite3_open_v2(uri, &old, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
    sqlite3_close(old);
    return 0; /* nothing readable */
  }
  /* schema entries whose pages are lost are then skipped, not fatal to
   * every statement (a flag of this connection: nothing is written) */
  sqlite3_exec(old, "PRAGMA writable_schema = ON", NULL, NULL, NULL);
  if (!f2b_db_begin(db, error)) {
    sqlite3_close(old);
    return -1;
  }
  gboolean ok = TRUE;
  /* jails first (the others refer to them); each table forwards, then
   * backwards to reach the rows behind a damaged page, as sqlite3's .dump */
  for (guint t = 1; ok && t < G_N_ELEMENTS(required); t++) {
    gint64 last = G_MININT64;
    ok = salvage_rows(db, old, t, FALSE, &last, &copied, error) &&
         salvage_rows(db, old, t, TRUE, &last, &copied, error);
  }
  sqlite3_close(old);
  return write_end(db, ok, error) ? copied : -1;
}

void
f2b_db_close(F2bDb *db)
{
  if (db == NULL)
    return;
  if (db->stmts)
    g_hash_table_destroy(db->stmts);
  if (db->sql)
    sqlite3_close(db->sql);
  g_free(db->filename);
  g_free(db);
}

gboolean
f2b_db_is_readonly(const F2bDb *db)
{
  return db->readonly;
}

const char *
f2b_db_filename(const F2bDb *db)
{
  return db->filename;
}

void
f2b_db_set_max_matches(F2bDb *db, gint64 max_matches)
{
  db->max_matches = max_matches;
}

gint64
f2b_db_get_max_matches(const F2bDb *db)
{
  return db->max_matches;
}

void
f2b_db_set_purge_age(F2bDb *db, gint64 seconds)
{
  db->purge_age = seconds;
}

gint64
f2b_db_get_purge_age(const F2bDb *db)
{
  return db->purge_age;
}

/* ---- jails --------------------------------------------------------------- */

gboolean
f2b_db_add_jail(F2bDb *db, const char *jail, GError **error)
{
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "INSERT OR IGNORE INTO jails(name, enabled) VALUES(?, 1)", error);
  gboolean ok = st != NULL;
  if (ok) {
    bind_text(st, 1, jail);
    ok = run(db, st, error);
  }
  if (ok && sqlite3_changes(db->sql) <= 0) {
    st = stmt(db, "UPDATE jails SET enabled = 1 WHERE name = ? AND enabled != 1", error);
    ok = st != NULL;
    if (ok) {
      bind_text(st, 1, jail);
      ok = run(db, st, error);
    }
  }
  return write_end(db, ok, error);
}

gboolean
f2b_db_del_jail(F2bDb *db, const char *jail, GError **error)
{
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "UPDATE jails SET enabled=0 WHERE name=?", error);
  gboolean ok = st != NULL;
  if (ok) {
    bind_text(st, 1, jail);
    ok = run(db, st, error);
  }
  return write_end(db, ok, error);
}

gboolean
f2b_db_del_all_jails(F2bDb *db, GError **error)
{
  WRITE_BEGIN(db, error);
  return write_end(db, exec(db, "UPDATE jails SET enabled=0", error), error);
}

/* The text column 0 of every row of ST (bound by the caller), NULL-terminated. */
static char **
collect_strings(F2bDb *db, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *s = (const char *)sqlite3_column_text(st, 0);
    g_ptr_array_add(out, g_strdup(s ? s : ""));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    sql_fail(db, error, "read failed");
    return NULL;
  }
  g_ptr_array_set_free_func(out, NULL);
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

char **
f2b_db_get_jail_names(F2bDb *db, int enabled, GError **error)
{
  sqlite3_stmt *st = enabled < 0 ? stmt(db, "SELECT name FROM jails ORDER BY name", error)
                                 : stmt(db, "SELECT name FROM jails WHERE enabled=? ORDER BY name", error);
  if (st == NULL)
    return NULL;
  if (enabled >= 0)
    sqlite3_bind_int(st, 1, enabled ? 1 : 0);
  return collect_strings(db, st, error);
}

/* ---- logs ---------------------------------------------------------------- */

static gboolean
insert_log(F2bDb *db, const char *jail, const char *path, gint64 pos, const char *md5, GError **error)
{
  sqlite3_stmt *st = stmt(db,
                          "INSERT OR REPLACE INTO logs(jail, path, firstlinemd5, lastfilepos) VALUES(?, ?, ?, ?)",
                          error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, jail);
  bind_text(st, 2, path);
  bind_text(st, 3, md5);
  sqlite3_bind_int64(st, 4, pos);
  return run(db, st, error);
}

gboolean
f2b_db_add_log(F2bDb *db, const char *jail, const char *path, gint64 pos, const char *md5, gboolean *has_pos,
               gint64 *last_pos, GError **error)
{
  *has_pos = FALSE;
  *last_pos = 0;
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "SELECT firstlinemd5, lastfilepos FROM logs WHERE jail=? AND path=?", error);
  if (st == NULL)
    return write_end(db, FALSE, error);
  bind_text(st, 1, jail);
  bind_text(st, 2, path);
  int rc = sqlite3_step(st);
  g_autofree char *old_md5 = NULL;
  gboolean row = rc == SQLITE_ROW;
  if (row) {
    old_md5 = g_strdup((const char *)sqlite3_column_text(st, 0));
    *has_pos = sqlite3_column_type(st, 1) != SQLITE_NULL;
    *last_pos = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return write_end(db, sql_fail(db, error, "read failed"), error);
  gboolean ok = TRUE;
  if (old_md5 == NULL && (pos || md5 != NULL))
    ok = insert_log(db, jail, path, pos, md5, error);
  if (md5 != NULL && g_strcmp0(md5, old_md5) != 0)
    *has_pos = FALSE; /* another first line: a new file */
  return write_end(db, ok, error);
}

gboolean
f2b_db_update_log(F2bDb *db, const char *jail, const char *path, gint64 pos, const char *md5, GError **error)
{
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "UPDATE logs SET firstlinemd5=?, lastfilepos=? WHERE jail=? AND path=?", error);
  gboolean ok = st != NULL;
  if (ok) {
    bind_text(st, 1, md5);
    sqlite3_bind_int64(st, 2, pos);
    bind_text(st, 3, jail);
    bind_text(st, 4, path);
    ok = run(db, st, error);
  }
  if (ok && sqlite3_changes(db->sql) == 0)
    ok = insert_log(db, jail, path, pos, md5, error);
  return write_end(db, ok, error);
}

gboolean
f2b_db_get_journal_pos(F2bDb *db, const char *jail, const char *name, gboolean *found, double *time,
                       GError **error)
{
  *found = FALSE;
  *time = 0;
  sqlite3_stmt *st = stmt(db, "SELECT lastfilepos FROM logs WHERE jail=? AND path=?", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, jail);
  bind_text(st, 2, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    *found = TRUE;
    *time = sqlite3_column_double(st, 0);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "read failed");
  return TRUE;
}

gboolean
f2b_db_update_journal(F2bDb *db, const char *jail, const char *name, double time, const char *iso,
                      GError **error)
{
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "UPDATE logs SET firstlinemd5=?, lastfilepos=? WHERE jail=? AND path=?", error);
  gboolean ok = st != NULL;
  if (ok) {
    bind_text(st, 1, iso);
    sqlite3_bind_double(st, 2, time); /* as Python binds a float: the column keeps it REAL unless integral */
    bind_text(st, 3, jail);
    bind_text(st, 4, name);
    ok = run(db, st, error);
  }
  if (ok && sqlite3_changes(db->sql) == 0) {
    st = stmt(db, "INSERT OR REPLACE INTO logs(jail, path, firstlinemd5, lastfilepos) VALUES(?, ?, ?, ?)", error);
    ok = st != NULL;
    if (ok) {
      bind_text(st, 1, jail);
      bind_text(st, 2, name);
      bind_text(st, 3, iso);
      sqlite3_bind_double(st, 4, time);
      ok = run(db, st, error);
    }
  }
  return write_end(db, ok, error);
}

char **
f2b_db_get_log_paths(F2bDb *db, const char *jail, GError **error)
{
  sqlite3_stmt *st = jail ? stmt(db, "SELECT path FROM logs WHERE jail=? ORDER BY path", error)
                          : stmt(db, "SELECT path FROM logs ORDER BY path", error);
  if (st == NULL)
    return NULL;
  if (jail)
    bind_text(st, 1, jail);
  return collect_strings(db, st, error);
}

/* ---- bans ---------------------------------------------------------------- */

F2bPyObj *
f2b_db_ticket_data(const F2bTicket *t, gint64 max_matches)
{
  F2bPyObj *data = f2b_py_dict_new();
  guint n = t->matches->len;
  if (max_matches > 0 || n == 0) {
    guint first = max_matches > 0 && n > (guint64)max_matches ? n - (guint)max_matches : 0;
    F2bPyObj *list = f2b_py_list_new();
    for (guint i = first; i < n; i++) {
      gsize len;
      const char *line = g_bytes_get_data(t->matches->pdata[i], &len);
      f2b_py_append(list, f2b_py_str_len(line ? line : "", len));
    }
    f2b_py_dict_set(data, f2b_py_str("matches"), list);
  }
  f2b_py_dict_set(data, f2b_py_str("failures"), f2b_py_int(t->failures));
  for (gsize i = 0; t->data && i < f2b_py_len(t->data); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(t->data, i, &k, &v);
    f2b_py_dict_set(data, f2b_py_copy(k), f2b_py_copy(v));
  }
  if (t->ip) {
    gsize len;
    char *ip = f2b_ipaddr_to_string(t->ip, &len);
    f2b_py_dict_set(data, f2b_py_str("ip"), f2b_py_str_take(ip));
  }
  return data;
}

static gboolean
insert_ban(F2bDb *db, const char *sql, const char *jail, const char *ip, gint64 when, F2bPyNum ban_time,
           gint64 count, const GString *json, GError **error)
{
  sqlite3_stmt *st = stmt(db, sql, error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, jail);
  bind_text(st, 2, ip);
  sqlite3_bind_int64(st, 3, when);
  bind_num(st, 4, ban_time);
  sqlite3_bind_int64(st, 5, count);
  /* Python's adapter hands sqlite bytes: the column holds a BLOB */
  sqlite3_bind_blob(st, 6, json->str, (int)json->len, SQLITE_TRANSIENT);
  return run(db, st, error);
}

gboolean
f2b_db_add_ban(F2bDb *db, const char *jail, const F2bTicket *ticket, F2bPyNum ban_time, GError **error)
{
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(ticket->id, &len);
  g_autoptr(F2bPyObj) data = f2b_db_ticket_data(ticket, db->max_matches);
  g_autoptr(GString) json = g_string_new(NULL);
  if (!f2b_pyjson_dump_append(json, data, NULL))
    g_string_assign(json, "{}"); /* as fail2ban's adapter falls back */
  gint64 when = (gint64)nearbyint(ticket->time); /* int(round()): half to even */
  WRITE_BEGIN(db, error);
  gboolean ok =
    insert_ban(db,
               "INSERT INTO bans(jail, ip, timeofban, bantime, bancount, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
               jail, ip, when, ban_time, ticket->ban_count, json, error) &&
    insert_ban(db,
               "INSERT OR REPLACE INTO bips(ip, jail, timeofban, bantime, bancount, data) "
               "VALUES(?2, ?1, ?3, ?4, ?5, ?6)",
               jail, ip, when, ban_time, ticket->ban_count, json, error);
  return write_end(db, ok, error);
}

gboolean
f2b_db_del_ban(F2bDb *db, const char *jail, const char *ip, GError **error)
{
  WRITE_BEGIN(db, error);
  const char *q[2] = { "DELETE FROM bips WHERE jail = ?", "DELETE FROM bans WHERE jail = ?" };
  const char *qip[2] = { "DELETE FROM bips WHERE jail = ? AND ip = ?", "DELETE FROM bans WHERE jail = ? AND ip = ?" };
  gboolean ok = TRUE;
  for (int i = 0; ok && i < 2; i++) {
    sqlite3_stmt *st = stmt(db, ip ? qip[i] : q[i], error);
    ok = st != NULL;
    if (ok) {
      bind_text(st, 1, jail);
      if (ip)
        bind_text(st, 2, ip);
      ok = run(db, st, error);
    }
  }
  return write_end(db, ok, error);
}

void
f2b_db_ban_free(F2bDbBan *ban)
{
  if (ban == NULL)
    return;
  g_free(ban->jail);
  g_free(ban->ip);
  f2b_py_free(ban->data);
  g_free(ban);
}

/* The data column of row ST at COL: a dict; unreadable data is an empty
 * one, as fail2ban's converter gives {}. */
static F2bPyObj *
column_data(sqlite3_stmt *st, int col)
{
  const void *p = sqlite3_column_blob(st, col);
  int n = sqlite3_column_bytes(st, col);
  if (p == NULL)
    return f2b_py_dict_new();
  F2bPyObj *v = f2b_pyjson_load(p, (gsize)n, NULL);
  if (v == NULL || f2b_py_kind(v) != F2B_PY_DICT) {
    f2b_py_free(v);
    return f2b_py_dict_new();
  }
  return v;
}

/* A row "jail, ip, timeofban, bantime, bancount, data" (in that column order). */
static F2bDbBan *
read_ban_row(sqlite3_stmt *st)
{
  F2bDbBan *b = g_new0(F2bDbBan, 1);
  b->jail = g_strdup((const char *)sqlite3_column_text(st, 0));
  b->ip = g_strdup((const char *)sqlite3_column_text(st, 1));
  b->time_of_ban = sqlite3_column_int64(st, 2);
  b->ban_time = column_num(st, 3);
  b->ban_count = sqlite3_column_int64(st, 4);
  b->data = column_data(st, 5);
  return b;
}

static GPtrArray *
collect_bans(F2bDb *db, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_db_ban_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, read_ban_row(st));
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    sql_fail(db, error, "read failed");
    return NULL;
  }
  return g_steal_pointer(&out);
}

GPtrArray *
f2b_db_get_bans(F2bDb *db, const char *jail, const char *ip, gint64 ban_time, double now, GError **error)
{
  sqlite3_stmt *st = stmt(db,
                          "SELECT jail, ip, timeofban, bantime, bancount, data FROM bans "
                          "WHERE (?1 IS NULL OR jail=?1) AND (?2 IS NULL OR timeofban > ?2) AND (?3 IS NULL OR ip=?3) "
                          "ORDER BY ip, timeofban desc",
                          error);
  if (st == NULL)
    return NULL;
  bind_text(st, 1, jail);
  if (ban_time >= 0)
    sqlite3_bind_double(st, 2, now - (double)ban_time);
  bind_text(st, 3, ip);
  return collect_bans(db, st, error);
}

/* One row's part of getBansMerged: its matches before the newer ones (as
 * many as still fit), its failures (1 when it has none) added. */
static void
merge_row(const F2bPyObj *data, gint64 max_matches, GPtrArray *matches, gint64 *failures)
{
  g_autoptr(F2bPyObj) mkey = f2b_py_str("matches"), fkey = f2b_py_str("failures");
  F2bPyObj *m = f2b_py_dict_lookup(data, mkey);
  F2bPyObj *f = f2b_py_dict_lookup(data, fkey);
  gint64 room = max_matches - (gint64)matches->len;
  if (m && (f2b_py_kind(m) == F2B_PY_LIST || f2b_py_kind(m) == F2B_PY_TUPLE) && room > 0) {
    gsize n = f2b_py_len(m);
    gsize first = n > (gsize)room ? n - (gsize)room : 0;
    for (gsize i = n; i-- > first;) {
      F2bPyObj *item = f2b_py_item(m, i);
      if (f2b_py_kind(item) == F2B_PY_STR)
        g_ptr_array_insert(matches, 0, item);
    }
  }
  *failures += f && f2b_py_kind(f) == F2B_PY_INT ? f2b_py_get_int(f) : 1;
}

gboolean
f2b_db_get_bans_merged(F2bDb *db, const char *ip, const char *jail, gboolean *found, gint64 *failures,
                       char **matches, gsize *matches_len, GError **error)
{
  *found = FALSE;
  *failures = 0;
  *matches = NULL;
  g_autoptr(GPtrArray) rows = f2b_db_get_bans(db, jail, ip, -1, 0, error);
  if (rows == NULL)
    return FALSE;
  g_autoptr(GPtrArray) lines = g_ptr_array_new(); /* F2bPyObj* str, borrowed from the rows */
  if (rows->len == 0)
    return TRUE;
  for (guint i = 0; i < rows->len; i++) /* newest first */
    merge_row(((F2bDbBan *)rows->pdata[i])->data, db->max_matches, lines, failures);
  GString *joined = g_string_new(NULL);
  for (guint i = 0; i < lines->len; i++) {
    gsize len;
    const char *text = f2b_py_get_str(lines->pdata[i], &len);
    if (i)
      g_string_append_c(joined, '\n');
    g_string_append_len(joined, text, len);
  }
  *found = TRUE;
  if (matches_len)
    *matches_len = joined->len;
  *matches = g_string_free(joined, FALSE);
  return TRUE;
}

gboolean
f2b_db_get_ban(F2bDb *db, const char *ip, const char *jail, gboolean overalljails, gint64 forbantime,
               gint64 fromtime, double now, gboolean *found, gint64 *ban_count, gint64 *time_of_ban,
               F2bPyNum *ban_time, GError **error)
{
  gboolean sum = overalljails || jail == NULL;
  sqlite3_stmt *st =
    sum ? stmt(db,
               "SELECT sum(bancount), max(timeofban), sum(bantime) FROM bips WHERE ip = ?1 "
               "AND (?3 IS NULL OR timeofban > ?3) AND (?4 IS NULL OR timeofban > ?4) "
               "GROUP BY ip ORDER BY timeofban DESC LIMIT 1",
               error)
        : stmt(db,
               "SELECT bancount, timeofban, bantime FROM bips WHERE ip = ?1 AND jail = ?2 "
               "AND (?3 IS NULL OR timeofban > ?3) AND (?4 IS NULL OR timeofban > ?4)",
               error);
  *found = FALSE;
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, ip);
  if (!sum)
    bind_text(st, 2, jail);
  if (forbantime >= 0)
    sqlite3_bind_double(st, 3, now - (double)forbantime);
  if (fromtime >= 0)
    sqlite3_bind_int64(st, 4, fromtime);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *found = TRUE;
    *ban_count = sqlite3_column_int64(st, 0);
    *time_of_ban = sqlite3_column_int64(st, 1);
    *ban_time = column_num(st, 2);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "read failed");
  return TRUE;
}

/* FailTicket(ip, timeofban, data=data) with the restored ban time and count. */
static F2bTicket *
restored_ticket(const F2bDbBan *b, F2bPyNum ban_time, gint64 max_matches)
{
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(b->ip, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  if (id == NULL)
    return NULL;
  F2bTicket *t = f2b_ticket_new(F2B_TICKET_FAIL, id, (double)b->time_of_ban);
  gboolean has_failures = FALSE;
  for (gsize i = 0; i < f2b_py_len(b->data); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(b->data, i, &k, &v);
    if (f2b_py_kind(v) == F2B_PY_NONE)
      continue; /* fail2ban drops None values */
    if (f2b_py_str_equal(k, "matches") && f2b_py_kind(v) == F2B_PY_LIST) {
      for (gsize j = 0; j < f2b_py_len(v); j++) {
        F2bPyObj *m = f2b_py_item(v, j);
        gsize len;
        if (f2b_py_kind(m) == F2B_PY_STR) {
          const char *s = f2b_py_get_str(m, &len);
          f2b_ticket_add_match(t, s, len);
        }
      }
    } else if (f2b_py_str_equal(k, "failures") && f2b_py_kind(v) == F2B_PY_INT) {
      t->failures = f2b_py_get_int(v);
      has_failures = TRUE;
    } else if (f2b_py_str_equal(k, "ip") && f2b_py_kind(v) == F2B_PY_STR) {
      g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(f2b_py_get_str(v, NULL), -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
      if (ip)
        f2b_ticket_set_ip(t, ip);
    } else if (f2b_py_kind(k) == F2B_PY_STR) {
      f2b_ticket_set_data(t, f2b_py_get_str(k, NULL), f2b_py_copy(v));
    }
  }
  t->retry = has_failures ? t->failures : 1;
  if (max_matches > 0)
    f2b_ticket_truncate_matches(t, (guint)MIN(max_matches, G_MAXUINT));
  else
    f2b_ticket_truncate_matches(t, 0);
  f2b_ticket_set_ban_time(t, ban_time);
  f2b_ticket_set_ban_count(t, b->ban_count, FALSE);
  return t;
}

/* getCurrentBans' correction of a row's ban time: FALSE when the ban is over. */
static gboolean
corrected_ban_time(const F2bDbBan *b, gint64 correct, gint64 jail_ban_time, double fromtime, F2bPyNum *out)
{
  F2bPyNum bt = b->ban_time;
  double v = f2b_pynum_as_double(bt);
  if (v == -2)
    bt = f2b_pynum_int(jail_ban_time);
  else if (correct > 0 && (v == -1 || v > (double)correct))
    bt = f2b_pynum_int(correct);
  v = f2b_pynum_as_double(bt);
  *out = bt;
  return v == -1 || (double)b->time_of_ban + v > fromtime;
}

GPtrArray *
f2b_db_get_current_bans(F2bDb *db, const char *jail, gint64 forbantime, double fromtime,
                        gint64 correct_ban_time, gint64 jail_ban_time, gint64 max_matches, GError **error)
{
  sqlite3_stmt *st = stmt(db,
                          "SELECT jail, ip, timeofban, bantime, bancount, data FROM bips WHERE jail=?1 "
                          "AND (timeofban + bantime > ?2 OR bantime <= -1) AND (?3 IS NULL OR timeofban > ?3) "
                          "GROUP BY ip ORDER BY ip, timeofban DESC",
                          error);
  if (st == NULL)
    return NULL;
  bind_text(st, 1, jail);
  sqlite3_bind_double(st, 2, fromtime);
  if (forbantime >= 0)
    sqlite3_bind_double(st, 3, fromtime - (double)forbantime);
  g_autoptr(GPtrArray) rows = collect_bans(db, st, error);
  if (rows == NULL)
    return NULL;
  if (max_matches < 0)
    max_matches = db->max_matches;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  for (guint i = 0; i < rows->len; i++) {
    const F2bDbBan *b = rows->pdata[i];
    F2bPyNum bt;
    if (b->ip == NULL || !*b->ip || !corrected_ban_time(b, correct_ban_time, jail_ban_time, fromtime, &bt))
      continue;
    F2bTicket *t = restored_ticket(b, bt, max_matches);
    if (t)
      g_ptr_array_add(out, t);
  }
  return out;
}

gboolean
f2b_db_purge(F2bDb *db, double now, GError **error)
{
  WRITE_BEGIN(db, error);
  sqlite3_stmt *st = stmt(db, "DELETE FROM bans WHERE timeofban < ?", error);
  gboolean ok = st != NULL;
  if (ok) {
    sqlite3_bind_double(st, 1, now - (double)db->purge_age);
    ok = run(db, st, error);
  }
  if (ok) {
    st = stmt(db, "DELETE FROM bips WHERE timeofban < ?1 and bantime != -1 and (timeofban + (bantime * 3)) < ?1",
              error);
    ok = st != NULL;
    if (ok) {
      sqlite3_bind_int64(st, 1, (gint64)floor(now) - db->purge_age);
      ok = run(db, st, error);
    }
  }
  if (ok)
    ok = exec(db,
              "DELETE FROM jails WHERE enabled = 0 AND NOT EXISTS(SELECT * FROM bans WHERE jail = jails.name) "
              "AND NOT EXISTS(SELECT * FROM bips WHERE jail = jails.name)",
              error);
  if (!write_end(db, ok, error))
    return FALSE;
  /* the freed pages back to the file system (a no-op without auto_vacuum,
   * and inside a caller's transaction it waits for the next purge) */
  return db->depth > 0 || exec(db, "PRAGMA incremental_vacuum", error);
}
