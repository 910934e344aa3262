/* logwatch.c - throughput and idle cost of server/logwatch.c.
 *
 *   logwatch rate [inotify|polling] [LINES] [CHUNK]
 *       a writer thread appends LINES sshd-like lines (default 1000000) to a
 *       temporary file in write()s of CHUNK lines (default 1000) while the
 *       main loop delivers them; prints lines, wall time, lines/s, and the
 *       CPU seconds of the delivering thread.
 *   logwatch idle [inotify|polling] [SECONDS]
 *       watches an idle file for SECONDS (default 5) and does nothing else:
 *       run it under `strace -c -f` to count the watcher's wake-ups.
 *
 * Not installed, not a test: timings are printed, never asserted. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logwatch.h"

typedef struct {
  char *path;
  GString *data;  /* every line, made before the clock starts */
  GArray *chunks; /* gsize: end offset of each write() */
} Writer;

static guint64 delivered;

static void
on_line(const char *path, const char *line, gsize len, gpointer user_data)
{
  delivered++;
}

static void
make_lines(Writer *w, guint64 lines, guint64 chunk)
{
  w->data = g_string_new(NULL);
  w->chunks = g_array_new(FALSE, FALSE, sizeof(gsize));
  for (guint64 i = 0; i < lines; i++) {
    g_string_append_printf(w->data,
                           "Nov 26 01:00:00 host sshd[%u]: Failed password for invalid user u%u "
                           "from 192.0.2.%u port %u ssh2\n",
                           (unsigned)(1000 + i % 30000), (unsigned)(i % 977), (unsigned)(i % 250 + 1),
                           (unsigned)(1024 + i % 60000));
    if ((i + 1) % chunk == 0 || i + 1 == lines)
      g_array_append_val(w->chunks, w->data->len);
  }
}

static gpointer
write_lines(gpointer data)
{
  Writer *w = data;
  int fd = open(w->path, O_WRONLY | O_APPEND);
  if (fd < 0)
    return NULL;
  gsize start = 0;
  for (guint i = 0; i < w->chunks->len; i++) {
    gsize end = g_array_index(w->chunks, gsize, i);
    if (write(fd, w->data->str + start, end - start) != (ssize_t)(end - start))
      break;
    start = end;
  }
  close(fd);
  return NULL;
}

static double
thread_cpu(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
run(const char *mode, F2bsLogWatchKind kind, guint64 count, guint64 chunk)
{
  g_autofree char *dir = g_dir_make_tmp("bench-logwatch-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "bench.log", NULL);
  g_file_set_contents(path, "", 0, NULL);
  g_autoptr(F2bsLogWatch) lw = f2bs_logwatch_new(kind, on_line, NULL);
  g_autoptr(GError) error = NULL;
  if (!f2bs_logwatch_add(lw, path, FALSE, &error) || !f2bs_logwatch_start(lw, &error)) {
    fprintf(stderr, "logwatch: %s\n", error->message);
    return 1;
  }
  if (strcmp(mode, "idle") == 0) {
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add_seconds((guint)count, (GSourceFunc)(void (*)(void))g_main_loop_quit, loop);
    g_main_loop_run(loop);
  } else {
    Writer w = { path, NULL, NULL };
    make_lines(&w, count, chunk);
    gint64 t0 = g_get_monotonic_time();
    double c0 = thread_cpu();
    GThread *thread = g_thread_new("writer", write_lines, &w);
    while (delivered < count)
      g_main_context_iteration(NULL, TRUE);
    double wall = (g_get_monotonic_time() - t0) / 1e6;
    double cpu = thread_cpu() - c0;
    g_thread_join(thread);
    g_string_free(w.data, TRUE);
    g_array_unref(w.chunks);
    printf("| %-8s | %9" G_GUINT64_FORMAT " | %6" G_GUINT64_FORMAT " | %7.3f s | %10.0f | %7.3f s |\n",
           kind == F2BS_LOGWATCH_INOTIFY ? "inotify" : "polling", delivered, chunk, wall, delivered / wall, cpu);
  }
  f2bs_logwatch_stop(lw);
  g_unlink(path);
  g_rmdir(dir);
  return 0;
}

int
main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "rate";
  F2bsLogWatchKind kind = argc > 2 && strcmp(argv[2], "polling") == 0 ? F2BS_LOGWATCH_POLLING : F2BS_LOGWATCH_INOTIFY;
  gboolean idle = strcmp(mode, "idle") == 0;
  if (!idle && strcmp(mode, "rate") != 0) {
    fprintf(stderr, "usage: logwatch rate|idle [inotify|polling] [LINES|SECONDS] [CHUNK]\n");
    return 2;
  }
  guint64 count = argc > 3 ? g_ascii_strtoull(argv[3], NULL, 10) : (idle ? 5 : 1000000);
  guint64 chunk = argc > 4 ? g_ascii_strtoull(argv[4], NULL, 10) : 1000;
  if (!idle)
    printf("| watcher  |     lines | chunk  |    wall   |  lines/s   | loop CPU  |\n"
           "|----------|-----------|--------|-----------|------------|-----------|\n");
  return run(mode, kind, MAX(count, 1), MAX(chunk, 1));
}
