/* fuzz-confreader.c - a whole configuration read into the command stream.
 *
 * The input is up to five files separated by form feeds, written into a
 * private temporary directory (made once per process, files rewritten for
 * every input): jail.conf, filter.d/f.conf, action.d/a.conf, jail.local and
 * fail2ban.conf (a fixed one when the input has no fifth part).  The reader
 * then builds the stream as `fail2ban-client -d` does, the stream of jail
 * "j" alone, and the filter "f" as fail2ban-regex reads it.
 *
 * Includes and log paths are confined: an input naming /dev, /proc, /sys or
 * /run, going up with "..", or holding a glob next to a "/" (which could walk
 * the whole file system) is skipped.  Relative includes resolve in the
 * temporary directory; an absolute one elsewhere can only read a file. */
#include <glib/gstdio.h>
#include <stdlib.h>

#include "confreader.h"
#include "fuzz.h"

static const char *const files[] = {
  "jail.conf", "filter.d/f.conf", "action.d/a.conf", "jail.local", "fail2ban.conf",
};

static const char base_fail2ban_conf[] =
  "[Definition]\nloglevel = INFO\nlogtarget = STDERR\nsyslogsocket = auto\nsocket = /s\n"
  "pidfile = /p\nallowipv6 = auto\ndbfile = :memory:\ndbpurgeage = 1d\n";

static char *dir;

/* At exit: the directory and what this target wrote in it. */
static void
remove_confdir(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *p = g_build_filename(dir, files[i], NULL);
    g_unlink(p);
  }
  for (const char *const *sub = (const char *const[]){ "filter.d", "action.d", NULL }; *sub; sub++) {
    g_autofree char *p = g_build_filename(dir, *sub, NULL);
    g_rmdir(p);
  }
  g_rmdir(dir);
}

static const char *
confdir(void)
{
  if (dir == NULL) {
    /* in memory when the machine has a tmpfs there: the files change every run */
    dir = g_strdup("/dev/shm/f2b-fuzz-conf-XXXXXX");
    if (g_mkdtemp(dir) == NULL) {
      g_free(dir);
      dir = g_dir_make_tmp("f2b-fuzz-conf-XXXXXX", NULL);
    }
    if (dir == NULL)
      abort();
    atexit(remove_confdir);
    for (const char *const *sub = (const char *const[]){ "filter.d", "action.d", NULL }; *sub; sub++) {
      g_autofree char *p = g_build_filename(dir, *sub, NULL);
      g_mkdir(p, 0700);
    }
  }
  return dir;
}

static gboolean
confined(const uint8_t *data, size_t size)
{
  static const char *const refused[] = {
    "/dev", "/proc", "/sys", "/run", "..", "/*", "*/", "/?", "?/", "/[", "]/",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++)
    if (g_strstr_len((const char *)data, size, refused[i]) != NULL)
      return FALSE;
  return TRUE;
}

static void
write_files(const uint8_t *data, size_t size)
{
  size_t pos = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    const char *text;
    size_t len;
    gboolean given = f2b_fuzz_next(data, size, &pos, '\f', &text, &len);
    g_autofree char *path = g_build_filename(confdir(), files[i], NULL);
    if (!given && i == G_N_ELEMENTS(files) - 1) {
      text = base_fail2ban_conf;
      len = sizeof base_fail2ban_conf - 1;
    } else if (!given) {
      g_unlink(path);
      continue;
    }
    /* no fsync, no rename: thousands of writes a second */
    if (!g_file_set_contents_full(path, text, len, G_FILE_SET_CONTENTS_NONE, 0600, NULL))
      abort();
  }
}

static void
check_stream(F2bPyObj *stream, GError *error)
{
  if ((stream == NULL) == (error == NULL))
    abort();
  if (stream != NULL)
    g_free(f2b_py_repr(stream));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || !confined(data, size))
    return 0;
  gboolean ignore_wrong = (data[0] & 1) != 0;
  write_files(data + 1, size - 1);
  g_autoptr(F2bConfReader) r = f2b_confreader_new(confdir(), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bIniMap) early = f2b_confreader_early_options(r, &error);
  if (early == NULL) {
    if (error == NULL)
      abort();
    return 0;
  }
  gboolean ok;
  g_autoptr(F2bPyObj) all = f2b_confreader_stream(r, early, ignore_wrong, TRUE, &ok, &error);
  check_stream(all, error);
  g_clear_error(&error);
  const GPtrArray *failures = f2b_confreader_failures(r);
  for (guint i = 0; i < failures->len; i++)
    if (((F2bConfReaderFailure *)failures->pdata[i])->message == NULL)
      abort();
  g_autofree char *file = NULL;
  guint line;
  if (f2b_confreader_locate(r, "j", "failregex", 0, &file, &line) && file == NULL)
    abort();
  g_autoptr(F2bPyObj) one = f2b_confreader_stream_jail(r, early, "j", ignore_wrong, TRUE, &ok, &error);
  check_stream(one, error);
  g_clear_error(&error);
  gboolean found;
  g_autoptr(F2bPyObj) filter = f2b_confreader_filter_stream(r, "f", NULL, FALSE, "j", "auto", &found, &error);
  check_stream(filter, error);
  return 0;
}
