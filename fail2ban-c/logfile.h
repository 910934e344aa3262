/* logfile.h - one followed log file, with fail2ban's FileContainer semantics.
 *
 * A F2bLogFile knows a path, the file it follows (kept open, so that a
 * renamed or deleted file can be read to its end and its inode number is
 * not reused under us), the position of the first byte not yet delivered
 * and the hash of the file's first line, which fail2ban uses to recognise
 * a rotated file and stores with the position in its database (`logs` table:
 * firstlinemd5, lastfilepos).  Position and hash mean what they mean there.
 * The hash is SHA-1, not MD5, despite the column's name: fail2ban 1.0.2
 * probes hashlib.md5 with a str, which raises under Python 3, and falls
 * back to hashlib.sha1 (40 hex digits).
 *
 * f2b_logfile_read() delivers every complete line once: bytes up to a "\n",
 * with trailing "\r"/"\n" bytes stripped (Python's readline on a binary file,
 * then rstrip('\r\n')).  A last line without its "\n" waits for it; one that
 * ends in "\r" at the end of the file counts as complete, as in fail2ban (the
 * "\n" arriving later then makes an empty line).  Lines are bytes with a
 * length and may hold NUL bytes; decoding is the filter's job.
 *
 * Rotation (fail2ban's reasons, plus what an open descriptor tells): the
 * path names another file (rename + new file, delete + recreate), the file
 * is shorter than what was read (copytruncate, shrink), or its first line
 * changed.  The old file is read to its end before the new one is started
 * at position 0.
 *
 * Lines longer than the bound (F2B_LOGFILE_MAX_LINE_DEFAULT, 16 MiB, or
 * f2b_logfile_set_max_line) are skipped whole and counted in the result:
 * memory per file stays bounded whatever a log holds.  fail2ban has no bound.
 *
 * No logging here: the caller gets results and GErrors and decides. */
#pragma once

#include <glib.h>
#include <sys/types.h>

#define F2B_LOGFILE_ERROR (f2b_logfile_error_quark())
GQuark f2b_logfile_error_quark(void);

typedef enum {
  F2B_LOGFILE_ERROR_MISSING,    /* ENOENT (or ENOTDIR) on the path */
  F2B_LOGFILE_ERROR_UNREADABLE, /* EACCES, EPERM */
  F2B_LOGFILE_ERROR_NOT_FILE,   /* the path names a directory */
  F2B_LOGFILE_ERROR_IO,         /* any other open/read/stat failure */
} F2bLogFileError;

/* 16 MiB: ten times the longest line the acceptance tests ask for, small
 * enough that a runaway writer cannot make the daemon grow without end. */
#define F2B_LOGFILE_MAX_LINE_DEFAULT ((gsize)16 << 20)

typedef struct F2bLogFile F2bLogFile;

/* Called for each complete line.  LINE is valid during the call only. */
typedef void (*F2bLogFileLineFunc)(const char *line, gsize len, gpointer user_data);

/* Why the file was taken as rotated: fail2ban's log tuple
 * (size, pos, ino, old ino, new hash, old hash). */
typedef struct {
  gint64 size, pos;
  guint64 ino, old_ino;
  char hash[41], old_hash[41];
} F2bLogFileRotation;

typedef struct {
  gboolean more;         /* the read stopped early (f2b_logfile_stop_read or the read
                          * limit): lines may be waiting; read again */
  guint64 lines;         /* lines delivered */
  guint64 long_lines;    /* lines skipped for exceeding the bound */
  guint64 long_bytes;    /* bytes of those lines */
  gboolean rotated;      /* a rotation was detected (see rotation) */
  F2bLogFileRotation rotation;
} F2bLogFileResult;

/* Opens PATH as FileContainer(path, tail) does: fails when the path cannot be
 * opened (messages as Python's OSError: "[Errno 2] No such file or directory:
 * 'PATH'"); hashes the first line when it is complete; TAIL starts at the
 * current end of the file, otherwise at 0.  Transfer full. */
F2bLogFile *f2b_logfile_new(const char *path, gboolean tail, GError **error);
void f2b_logfile_free(F2bLogFile *lf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bLogFile, f2b_logfile_free)

const char *f2b_logfile_get_path(const F2bLogFile *lf);
gboolean f2b_logfile_get_tail(const F2bLogFile *lf);

/* Position of the first byte not yet delivered (fail2ban's getPos). */
gint64 f2b_logfile_get_pos(const F2bLogFile *lf);
/* setPos (a position restored from the database): the next read starts
 * there (a partial line already buffered is dropped and read again). */
void f2b_logfile_set_pos(F2bLogFile *lf, gint64 pos);
/* SHA-1 hex digest of the first complete line (with its line end), or "". */
const char *f2b_logfile_get_hash(const F2bLogFile *lf);
void f2b_logfile_set_hash(F2bLogFile *lf, const char *hash);
/* Inode number of the followed file (fail2ban's rotation check). */
guint64 f2b_logfile_get_ino(const F2bLogFile *lf);
/* TRUE while a file is open (after new, until it vanishes or is closed). */
gboolean f2b_logfile_is_open(const F2bLogFile *lf);
/* TRUE once a read reached the end of the file (fail2ban's inOperation:
 * lines from then on are new ones).  Starts as TAIL. */
gboolean f2b_logfile_in_operation(const F2bLogFile *lf);

/* Lines longer than MAX_LINE bytes (without line end) are skipped. */
void f2b_logfile_set_max_line(F2bLogFile *lf, gsize max_line);
gsize f2b_logfile_get_max_line(const F2bLogFile *lf);

/* Reads every complete line available now, calling FUNC for each, after
 * checking the path for rotation.  RESULT (may be NULL) is reset and filled.
 * FALSE with an F2B_LOGFILE_ERROR when the path cannot be read now (missing,
 * unreadable, a directory): the file followed until then has been read to
 * its end first; lines delivered before the failure count in RESULT.
 * Position and identity are kept, so a file that comes back unchanged
 * (permissions restored) continues where it stopped, and one that is new
 * starts at 0. */
gboolean f2b_logfile_read(F2bLogFile *lf, F2bLogFileLineFunc func, gpointer user_data,
                          F2bLogFileResult *result, GError **error);

/* Bounded reads, for a caller that shares its thread or whose consumer can
 * be full.  From inside FUNC, f2b_logfile_stop_read ends the current read
 * after that line; with a read limit (bytes, 0: none, the default) a read
 * ends after the line that reaches it.  A read that ended early sets
 * RESULT->more; the next read goes on from there: lines already in memory
 * first, then rotation checks and new data as usual.  A rotated or vanished
 * file's remaining lines are read before the switch to the new file, across
 * as many reads as it takes. */
void f2b_logfile_stop_read(F2bLogFile *lf);
void f2b_logfile_set_read_limit(F2bLogFile *lf, gsize bytes);

/* TRUE when the file followed is open and its path no longer names it (renamed
 * away and still readable): a polling caller keeps reading it. */
gboolean f2b_logfile_following_old(const F2bLogFile *lf);

/* The time of a log line for f2b_logfile_seek_to_time: TRUE when a date
 * template matched LINE (without its line end), *TIME its time in seconds
 * since the epoch, or NAN when the match gave no time. */
typedef gboolean (*F2bLogFileTimeFunc)(const char *line, gsize len, double *time, gpointer user_data);

/* fail2ban's FileFilter.seekToTime, done on the first read of a file added
 * with head: the position moves forward from where it is to about the first
 * line at or after START (fail2ban's half-interval search with its
 * accuracy 3 and 5 lines to find a date, so that it lands where fail2ban
 * lands).  Nothing happens on an empty or closed file.  Returns the number
 * of seeks (the "within %s seeks" of fail2ban's debug line). */
guint f2b_logfile_seek_to_time(F2bLogFile *lf, double start, F2bLogFileTimeFunc func, gpointer user_data);

/* Releases the open descriptor (jail stop); position and hash are kept. */
void f2b_logfile_close(F2bLogFile *lf);

/* fail2ban's repr of the rotation reason:
 * "(size, pos, ino, old_ino, 'hash', 'old_hash')".  Transfer full. */
char *f2b_logfile_rotation_repr(const F2bLogFileRotation *rotation);
