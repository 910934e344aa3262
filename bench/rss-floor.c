/* rss-floor.c - the smallest peak RSS a GLib/GIO + PCRE2 daemon can have here:
 * a main loop, a GSocketService and one JIT-compiled regex, nothing else.
 * It prints its own VmHWM and VmRSS, the floor under f2bc-server's figure
 * (issue 5 asks for a tenth of fail2ban-server's peak RSS with 91 jails).
 *   cc -O2 -DPCRE2_CODE_UNIT_WIDTH=8 bench/rss-floor.c -o /tmp/rss-floor \
 *      $(pkg-config --cflags --libs gio-2.0 libpcre2-8) && /tmp/rss-floor */
#include <gio/gio.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

static gboolean
report_and_quit(gpointer loop)
{
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM", 5) == 0 || strncmp(line, "VmRSS", 5) == 0)
      fputs(line, stdout);
  if (f)
    fclose(f);
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

int
main(void)
{
  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  GSocketService *service = g_socket_service_new();
  int err;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR) "refused: (\\S+)", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  g_timeout_add(100, report_and_quit, loop);
  g_main_loop_run(loop);
  pcre2_code_free(re);
  g_object_unref(service);
  g_main_loop_unref(loop);
  return 0;
}
