/* logfile.c - one followed log file: position, first-line hash, rotation,
 * complete lines out of a large read buffer.
 *
 * The file is read with pread() at an explicit offset in chunks of
 * READ_CHUNK bytes; lines are cut out of the buffer and only a partial last
 * line stays in it.  The descriptor stays open between reads: fail2ban
 * reopens the path each time, which loses the lines written to a file just
 * before it is renamed away, and lets a recreated file reuse the inode
 * number of the deleted one.  Holding the old file avoids both. */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((gsize)64 << 10)
/* A first line up to this size is re-hashed at every read (one small
 * pread), which catches a copytruncate'd file that regrew past our position;
 * a longer one every HASH_RECHECK_US, as fail2ban does for every file. */
#define HASH_EVERY_READ_MAX ((gsize)64 << 10)
#define HASH_RECHECK_US (30 * G_USEC_PER_SEC)

struct F2bLogFile {
  char *path;
  gboolean tail;
  int fd;                  /* the followed file, or -1 */
  gboolean orphan;         /* fd open, the path no longer names it (renamed away) */
  gboolean identity_lost;  /* the followed file was deleted: what appears at the path is new */
  guint64 dev, ino;
  gint64 pos;              /* offset of the first byte not delivered (buf[0] when not skipping) */
  gint64 rd;               /* offset of the next pread */
  char hash[41];
  gsize first_line_len;    /* bytes hashed, 0 when hash is "" */
  gint64 hash_next_time;   /* monotonic us */
  gboolean in_operation;
  gsize max_line;
  char *buf;
  gsize cap, len;          /* pending bytes: the start of a line without its "\n" yet */
  gboolean skipping;       /* inside an over-long line: drop up to its "\n" */
  gsize skipped;           /* bytes of that line dropped so far */
  gboolean stop;           /* end the current read after this line */
  gboolean unfinished;     /* the last read stopped before the end */
  gsize read_limit;        /* bytes per read, 0: no limit */
  gsize consumed;          /* bytes delivered or skipped in this read */
};

G_DEFINE_QUARK(f2b-logfile-error-quark, f2b_logfile_error)

/* Python's str(OSError): "[Errno 2] No such file or directory: 'PATH'". */
static gboolean
set_os_error(GError **error, int err, const char *path)
{
  int code = F2B_LOGFILE_ERROR_IO;
  if (err == ENOENT || err == ENOTDIR)
    code = F2B_LOGFILE_ERROR_MISSING;
  else if (err == EACCES || err == EPERM)
    code = F2B_LOGFILE_ERROR_UNREADABLE;
  else if (err == EISDIR)
    code = F2B_LOGFILE_ERROR_NOT_FILE;
  char quote = strchr(path, '\'') && !strchr(path, '"') ? '"' : '\'';
  g_set_error(error, F2B_LOGFILE_ERROR, code, "[Errno %d] %s: %c%s%c", err, g_strerror(err), quote, path, quote);
  return FALSE;
}

static int
open_path(const char *path, struct stat *st, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return set_os_error(error, errno, path), -1;
  if (fstat(fd, st) < 0) {
    int err = errno;
    close(fd);
    return set_os_error(error, err, path), -1;
  }
  if (S_ISDIR(st->st_mode)) {
    close(fd);
    return set_os_error(error, EISDIR, path), -1;
  }
  return fd;
}

static ssize_t
pread_full(int fd, char *buf, gsize size, gint64 offset)
{
  ssize_t n;
  do
    n = pread(fd, buf, size, offset);
  while (n < 0 && errno == EINTR);
  return n;
}

/* SHA-1 (see logfile.h) of the first line of FD with its line end, as fail2ban hashes it: only
 * when the line is complete (ends in "\n", or in "\r" at the end of the
 * file); "" otherwise.  Streams, so a long first line costs no memory. */
static gboolean
hash_first_line(int fd, char hash[41], gsize *line_len)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
  g_autofree char *chunk = g_malloc(READ_CHUNK);
  gsize want = 4096; /* most first lines fit: read little first */
  gint64 off = 0;
  char last = 0;
  hash[0] = 0;
  *line_len = 0;
  for (;;) {
    ssize_t n = pread_full(fd, chunk, want, off);
    want = READ_CHUNK;
    if (n < 0)
      return FALSE;
    if (n == 0)
      break;
    const char *nl = memchr(chunk, '\n', n);
    gsize take = nl ? (gsize)(nl - chunk) + 1 : (gsize)n;
    g_checksum_update(sum, (guchar *)chunk, take);
    off += take;
    last = chunk[take - 1];
    if (nl)
      break;
  }
  if (last == '\n' || last == '\r') {
    g_strlcpy(hash, g_checksum_get_string(sum), 41);
    *line_len = off;
  }
  return TRUE;
}

static void
refresh_hash(F2bLogFile *lf, char hash[41])
{
  gsize len = 0;
  if (!hash_first_line(lf->fd, hash, &len))
    g_strlcpy(hash, lf->hash, 41); /* an I/O error is no evidence of rotation */
  lf->first_line_len = len;
  if (hash[0])
    lf->hash_next_time = g_get_monotonic_time() + HASH_RECHECK_US;
}

F2bLogFile *
f2b_logfile_new(const char *path, gboolean tail, GError **error)
{
  struct stat st;
  int fd = open_path(path, &st, error);
  if (fd < 0)
    return NULL;
  F2bLogFile *lf = g_new0(F2bLogFile, 1);
  lf->path = g_strdup(path);
  lf->tail = tail;
  lf->fd = fd;
  lf->dev = st.st_dev;
  lf->ino = st.st_ino;
  lf->max_line = F2B_LOGFILE_MAX_LINE_DEFAULT;
  lf->in_operation = tail;
  if (st.st_size)
    refresh_hash(lf, lf->hash);
  if (tail)
    lf->pos = lf->rd = st.st_size;
  return lf;
}

void
f2b_logfile_free(F2bLogFile *lf)
{
  if (lf == NULL)
    return;
  if (lf->fd >= 0)
    close(lf->fd);
  g_free(lf->buf);
  g_free(lf->path);
  g_free(lf);
}

const char *f2b_logfile_get_path(const F2bLogFile *lf) { return lf->path; }
gboolean f2b_logfile_get_tail(const F2bLogFile *lf) { return lf->tail; }
gint64 f2b_logfile_get_pos(const F2bLogFile *lf) { return lf->pos; }
const char *f2b_logfile_get_hash(const F2bLogFile *lf) { return lf->hash; }
guint64 f2b_logfile_get_ino(const F2bLogFile *lf) { return lf->ino; }
gboolean f2b_logfile_in_operation(const F2bLogFile *lf) { return lf->in_operation; }
gboolean f2b_logfile_is_open(const F2bLogFile *lf) { return lf->fd >= 0; }
gboolean f2b_logfile_following_old(const F2bLogFile *lf) { return lf->fd >= 0 && lf->orphan; }

static void
restart_at(F2bLogFile *lf, gint64 pos)
{
  lf->pos = lf->rd = pos;
  lf->len = 0;
  lf->skipping = FALSE;
  lf->skipped = 0;
  lf->unfinished = FALSE;
}

void
f2b_logfile_stop_read(F2bLogFile *lf)
{
  lf->stop = TRUE;
}

void
f2b_logfile_set_read_limit(F2bLogFile *lf, gsize bytes)
{
  lf->read_limit = bytes;
}

/* USED bytes of the file are done with: delivered or skipped. */
static void
consume(F2bLogFile *lf, gsize used)
{
  lf->pos += used;
  lf->consumed += used;
  if (lf->read_limit && lf->consumed >= lf->read_limit)
    lf->stop = TRUE;
}

void
f2b_logfile_set_pos(F2bLogFile *lf, gint64 pos)
{
  restart_at(lf, MAX(pos, 0));
}

void
f2b_logfile_set_hash(F2bLogFile *lf, const char *hash)
{
  g_strlcpy(lf->hash, hash ? hash : "", sizeof lf->hash);
}

void
f2b_logfile_set_max_line(F2bLogFile *lf, gsize max_line)
{
  lf->max_line = MAX(max_line, 1);
}

gsize
f2b_logfile_get_max_line(const F2bLogFile *lf)
{
  return lf->max_line;
}

void
f2b_logfile_close(F2bLogFile *lf)
{
  if (lf->fd >= 0)
    close(lf->fd);
  lf->fd = -1;
  lf->orphan = FALSE;
  /* the buffered partial line is read again from pos on the next open */
  restart_at(lf, lf->pos);
}

/* Line without its trailing "\r"/"\n" bytes (rstrip('\r\n')). */
static void
deliver(F2bLogFile *lf, const char *line, gsize len, F2bLogFileLineFunc func, gpointer user_data,
        F2bLogFileResult *result)
{
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  result->lines++;
  func(line, len, user_data);
}

/* Drops bytes of an over-long line up to its "\n"; returns bytes consumed. */
static gsize
skip_long(F2bLogFile *lf, const char *data, gsize len, F2bLogFileResult *result)
{
  const char *nl = memchr(data, '\n', len);
  if (nl == NULL) {
    lf->skipped += len;
    return len;
  }
  gsize used = (gsize)(nl - data) + 1;
  result->long_lines++;
  result->long_bytes += lf->skipped + used - 1;
  consume(lf, lf->skipped + used);
  lf->skipping = FALSE;
  lf->skipped = 0;
  return used;
}

/* Delivers the complete lines at the start of buf and keeps the rest
 * (complete lines too when the read is stopped). */
static void
cut_lines(F2bLogFile *lf, F2bLogFileLineFunc func, gpointer user_data, F2bLogFileResult *result)
{
  gsize start = 0;
  while (start < lf->len && !lf->stop) {
    if (lf->skipping) {
      start += skip_long(lf, lf->buf + start, lf->len - start, result);
      continue;
    }
    const char *line = lf->buf + start;
    const char *nl = memchr(line, '\n', lf->len - start);
    if (nl == NULL)
      break;
    gsize used = (gsize)(nl - line) + 1;
    /* the position passes the line before it is handed on: whatever the
     * callback commits (a ban, with the log positions) counts it as read */
    consume(lf, used);
    if (used - 1 > lf->max_line) {
      result->long_lines++;
      result->long_bytes += used - 1;
    } else {
      deliver(lf, line, used, func, user_data, result);
    }
    start += used;
  }
  memmove(lf->buf, lf->buf + start, lf->len - start);
  lf->len -= start;
  if (!lf->skipping && lf->len > lf->max_line && !memchr(lf->buf, '\n', lf->len)) {
    /* no "\n" within the bound: drop what is there, then up to the "\n" */
    lf->skipping = TRUE;
    lf->skipped = lf->len;
    lf->len = 0;
  }
}

/* Room for the next chunk: the buffer grows with a long partial line, up to
 * the bound plus a chunk, and shrinks back once the long line is gone. */
static void
make_room(F2bLogFile *lf)
{
  gsize want = lf->len + READ_CHUNK;
  if (lf->cap < want) {
    lf->cap = MAX(want, 2 * lf->cap);
    lf->buf = g_realloc(lf->buf, lf->cap);
  } else if (lf->cap > 4 * READ_CHUNK && want < lf->cap / 4) {
    lf->cap = MAX(want, 2 * READ_CHUNK);
    lf->buf = g_realloc(lf->buf, lf->cap);
  }
}

/* Reads the followed file from rd to its end, or until the read is stopped
 * (then lf->unfinished). */
static gboolean
read_to_end(F2bLogFile *lf, F2bLogFileLineFunc func, gpointer user_data, F2bLogFileResult *result,
            GError **error)
{
  gboolean had_content = lf->unfinished;
  if (lf->len)
    cut_lines(lf, func, user_data, result); /* what a stopped read left */
  while (!lf->stop) {
    make_room(lf);
    ssize_t n = pread_full(lf->fd, lf->buf + lf->len, lf->cap - lf->len, lf->rd);
    if (n < 0)
      return set_os_error(error, errno, lf->path);
    if (n == 0)
      break;
    had_content = TRUE;
    lf->rd += n;
    lf->len += n;
    cut_lines(lf, func, user_data, result);
  }
  if (lf->stop) {
    lf->unfinished = TRUE;
    return TRUE;
  }
  lf->unfinished = FALSE;
  /* fail2ban takes a last line ending in "\r" as complete */
  if (!lf->skipping && lf->len && lf->buf[lf->len - 1] == '\r') {
    gsize len = lf->len;
    consume(lf, len);
    lf->len = 0;
    deliver(lf, lf->buf, len, func, user_data, result);
  }
  /* a quiet log needs no buffer between reads: a server follows a hundred files */
  if (lf->len == 0) {
    g_clear_pointer(&lf->buf, g_free);
    lf->cap = 0;
  }
  /* fail2ban's getFailures sets inOperation only after reading lines to the
   * end: a read that found nothing new (an empty file at start) leaves it as
   * it was, so that what is appended first is still read as the start-up
   * backlog (lines older than findtime do not count). */
  if (had_content)
    lf->in_operation = TRUE;
  return TRUE;
}

static void
note_rotation(F2bLogFile *lf, gint64 size, guint64 ino, const char *hash, F2bLogFileResult *result)
{
  /* fail2ban reports a rotation only when it knew a first line */
  if (lf->hash[0]) {
    result->rotated = TRUE;
    result->rotation = (F2bLogFileRotation){ .size = size, .pos = lf->pos, .ino = ino, .old_ino = lf->ino };
    g_strlcpy(result->rotation.hash, hash, 41);
    g_strlcpy(result->rotation.old_hash, lf->hash, 41);
  }
  lf->ino = ino;
  g_strlcpy(lf->hash, hash, sizeof lf->hash);
  restart_at(lf, 0);
}

/* Drops the followed file; DELETED: it is gone for good. */
static void
release(F2bLogFile *lf, gboolean deleted)
{
  close(lf->fd);
  lf->fd = -1;
  lf->orphan = FALSE;
  if (deleted) {
    lf->identity_lost = TRUE;
    restart_at(lf, 0);
  } else {
    restart_at(lf, lf->pos);
  }
}

static gboolean
is_deleted(int fd)
{
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

/* The path cannot be opened: read what the followed file still holds, then
 * keep it only when it was renamed away (its writer may still append). */
static gboolean
path_failed(F2bLogFile *lf, GError *open_error, F2bLogFileLineFunc func, gpointer user_data,
            F2bLogFileResult *result, GError **error)
{
  if (lf->fd >= 0) {
    read_to_end(lf, func, user_data, result, NULL);
    if (lf->stop) { /* the rest of the old file first, at the next read */
      g_error_free(open_error);
      return TRUE;
    }
    gboolean deleted = is_deleted(lf->fd);
    if (open_error->code == F2B_LOGFILE_ERROR_MISSING && !deleted)
      lf->orphan = TRUE;
    else
      release(lf, deleted);
  }
  g_propagate_error(error, open_error);
  return FALSE;
}

/* Makes lf->fd the file the path names now; on a new file the old one has
 * been read to its end first. */
static gboolean
follow_path(F2bLogFile *lf, struct stat *st, F2bLogFileLineFunc func, gpointer user_data,
            F2bLogFileResult *result, GError **error)
{
  GError *open_error = NULL;
  int fd = open_path(lf->path, st, &open_error);
  if (fd < 0)
    return path_failed(lf, open_error, func, user_data, result, error);
  if (lf->fd >= 0 && (guint64)st->st_dev == lf->dev && (guint64)st->st_ino == lf->ino) {
    close(fd);
    lf->orphan = FALSE;
    return TRUE;
  }
  gboolean is_new = lf->fd >= 0 || lf->identity_lost || (guint64)st->st_ino != lf->ino;
  if (lf->fd >= 0) {
    read_to_end(lf, func, user_data, result, NULL);
    if (lf->stop) { /* the rest of the old file first, at the next read */
      close(fd);
      return TRUE;
    }
    close(lf->fd);
  }
  lf->fd = fd;
  lf->orphan = FALSE;
  lf->identity_lost = FALSE;
  lf->dev = st->st_dev;
  if (is_new) {
    char hash[41];
    refresh_hash(lf, hash);
    note_rotation(lf, st->st_size, st->st_ino, hash, result);
  } else {
    restart_at(lf, lf->pos);
  }
  return TRUE;
}

/* fail2ban's checks on a file it already followed: shorter than what was
 * read, or another first line. */
static void
check_same_file(F2bLogFile *lf, const struct stat *st, F2bLogFileResult *result)
{
  if (st->st_size < lf->rd) {
    char hash[41];
    refresh_hash(lf, hash);
    note_rotation(lf, st->st_size, st->st_ino, hash, result);
    return;
  }
  gboolean recheck = !lf->hash[0] || lf->first_line_len <= HASH_EVERY_READ_MAX ||
                     g_get_monotonic_time() > lf->hash_next_time;
  if (!recheck || st->st_size == 0)
    return;
  char hash[41];
  refresh_hash(lf, hash);
  if (strcmp(hash, lf->hash) == 0)
    return;
  if (lf->hash[0])
    note_rotation(lf, st->st_size, st->st_ino, hash, result);
  else
    g_strlcpy(lf->hash, hash, sizeof lf->hash); /* the first line just got its end */
}

/* Lines a stopped read left in memory were read before any rotation that
 * may have happened since: they go first. */
static gboolean
read_file(F2bLogFile *lf, F2bLogFileLineFunc func, gpointer user_data, F2bLogFileResult *result, GError **error)
{
  if (lf->fd >= 0 && lf->len && !lf->skipping && memchr(lf->buf, '\n', lf->len)) {
    cut_lines(lf, func, user_data, result);
    if (lf->stop)
      return TRUE;
  }
  struct stat st;
  if (!follow_path(lf, &st, func, user_data, result, error))
    return FALSE;
  if (lf->stop)
    return TRUE;
  check_same_file(lf, &st, result);
  return read_to_end(lf, func, user_data, result, error);
}

gboolean
f2b_logfile_read(F2bLogFile *lf, F2bLogFileLineFunc func, gpointer user_data, F2bLogFileResult *result,
                 GError **error)
{
  F2bLogFileResult local;
  if (result == NULL)
    result = &local;
  memset(result, 0, sizeof *result);
  lf->stop = FALSE;
  lf->consumed = 0;
  gboolean ok = read_file(lf, func, user_data, result, error);
  result->more = ok && lf->stop;
  return ok;
}

/* ---- seekToTime ---- */

/* A date is near the start of a line: that much of a long line is shown to
 * the time function (the rest is skipped over). */
#define SEEK_LINE_KEEP ((gsize)64 << 10)

/* One raw line from OFF (up to its "\n" or the end of the file) into LINE
 * (its first SEEK_LINE_KEEP bytes, without line end); *END: the offset after
 * it.  FALSE when OFF is at or past the end (Python's readline gives b''). */
static gboolean
read_line_at(int fd, gint64 off, GByteArray *line, gint64 *end)
{
  char chunk[4096];
  gint64 at = off;
  g_byte_array_set_size(line, 0);
  for (;;) {
    ssize_t n = pread_full(fd, chunk, sizeof chunk, at);
    if (n <= 0)
      break;
    const char *nl = memchr(chunk, '\n', n);
    gsize take = nl ? (gsize)(nl - chunk) + 1 : (gsize)n;
    if (line->len < SEEK_LINE_KEEP)
      g_byte_array_append(line, (guint8 *)chunk, MIN(take, SEEK_LINE_KEEP - line->len));
    at += take;
    if (nl)
      break;
  }
  *end = at;
  while (line->len && (line->data[line->len - 1] == '\n' || line->data[line->len - 1] == '\r'))
    line->len--;
  return at > off;
}

typedef struct {
  int fd;
  double start;
  F2bLogFileTimeFunc func;
  gpointer user_data;
  GByteArray *line;
  gint64 minp, maxp;
} Seek;

/* One probe at POS: skip to the next line start, then look at up to 6
 * lines for a date.  Returns the position fail2ban's loop continues with. */
static gint64
seek_probe(Seek *sk, gint64 pos)
{
  gint64 cur = pos, end;
  if (pos && read_line_at(sk->fd, pos, sk->line, &end))
    cur = end;
  gint64 seekpos = pos = cur;
  gboolean have_time = FALSE, have_next = FALSE;
  double t = 0;
  gint64 nextp = 0;
  for (int lines_left = 5;; lines_left--) {
    if (!read_line_at(sk->fd, cur, sk->line, &end))
      break;
    cur = end;
    double lt = NAN;
    if (sk->func((const char *)sk->line->data, sk->line->len, &lt, sk->user_data)) {
      have_time = !isnan(lt);
      t = lt;
    } else {
      nextp = cur;
      have_next = TRUE;
      if (nextp > sk->maxp) {
        pos = seekpos;
        break;
      }
      pos = nextp;
    }
    if (have_time || !lines_left)
      break;
  }
  if (!have_time)
    return pos;
  /* (fail2ban also tracks a foundPos there, but ends at minp whatever it is) */
  if (t >= sk->start) {
    if (pos == sk->maxp)
      pos = seekpos;
    if (pos < sk->maxp)
      sk->maxp = pos;
  } else {
    pos = have_next ? nextp : cur;
    if (pos > sk->minp)
      sk->minp = pos;
  }
  return pos;
}

guint
f2b_logfile_seek_to_time(F2bLogFile *lf, double start, F2bLogFileTimeFunc func, gpointer user_data)
{
  struct stat st;
  if (lf->fd < 0 || fstat(lf->fd, &st) < 0 || st.st_size == 0)
    return 0;
  g_autoptr(GByteArray) line = g_byte_array_new();
  Seek sk = { lf->fd, start, func, user_data, line, lf->pos, st.st_size };
  gint64 lastpos = -1, trypos = sk.minp;
  gboolean have_try = TRUE;
  guint seeks = 0;
  for (int moves_left = 3; sk.maxp > sk.minp;) {
    gint64 pos = have_try ? trypos : sk.minp + (sk.maxp - sk.minp) / 2;
    have_try = FALSE;
    seeks++;
    pos = seek_probe(&sk, MAX(0, pos - 2));
    if (pos == lastpos) {
      /* stuck: try once from the lower bound, then give up */
      if (--moves_left <= 0)
        break;
      if (sk.minp != lastpos) {
        lastpos = trypos = sk.minp;
        have_try = TRUE;
        continue;
      }
      break;
    }
    lastpos = pos;
  }
  restart_at(lf, sk.minp);
  return seeks;
}

char *
f2b_logfile_rotation_repr(const F2bLogFileRotation *r)
{
  return g_strdup_printf("(%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                         ", '%s', '%s')",
                         r->size, r->pos, r->ino, r->old_ino, r->hash, r->old_hash);
}
