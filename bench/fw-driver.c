/* fw-driver.c - drive one firewall action the way a jail would, natively or through its shell commands.
 *
 * Used by tests/integration/test-fw-native.py (rule sets compared with
 * fail2ban's own CommandAction) and by bench/fw-bench.py (bans per second).
 * It must run inside a private network namespace: it changes the firewall.
 *
 *   fw-driver PROPS BACKEND < OPS
 *
 * PROPS: the action's properties, one "name<TAB>value" a line, the value
 * C-escaped (\n, \t, \\).  BACKEND: shell, auto, iptc, restore or nft.
 * OPS, one a line:
 *   ban ADDR...     one batch (actionstart of a family on its first ban, as
 *                   fail2ban starts conditional actions on demand)
 *   unban ADDR...   one batch
 *   flush           actionflush of the families holding bans
 *   stop            actionstop of the started families
 *   exec ARGV...    run a program, its output copied to ours
 *   time            print the seconds since the previous `time`
 * A failed operation is reported on stderr and the exit status is 1. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cmdaction.h"
#include "fw.h"

typedef struct {
  F2bIniMap *props;
  F2bsFw *fw;          /* NULL: the shell commands */
  gboolean started[2];
  gboolean has_bans[2];
  int order[2], n_order; /* families in the order they started (fail2ban's dict order) */
  gboolean failed;
} Driver;

static const char *const family_names[2] = { "inet4", "inet6" };

static void
fail(Driver *d, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  d->failed = TRUE;
}

static F2bIniMap *
read_props(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  F2bIniMap *m = f2b_ini_map_new();
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *tab = strchr(lines[i], '\t');
    if (tab == NULL)
      continue;
    *tab = '\0';
    f2b_ini_map_take(m, lines[i], g_strcompress(tab + 1));
  }
  return m;
}

/* TAG expanded for FAMILY, <family> and <ip> (IP may be NULL) replaced. */
static char *
command(Driver *d, const char *tag, int fam, const char *ip)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cmd = f2b_cmdaction_replace_tag(tag, d->props, family_names[fam], NULL, NULL, &error);
  if (cmd == NULL) {
    fail(d, "%s: %s", tag, error->message);
    return NULL;
  }
  g_autoptr(GString) s = g_string_new(cmd);
  g_string_replace(s, "<family>", family_names[fam], 0);
  if (ip)
    g_string_replace(s, "<ip>", ip, 0);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
run_shell(Driver *d, const char *script)
{
  if (script == NULL)
    return FALSE;
  if (*script == '\0')
    return TRUE;
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error)) {
    fail(d, "sh: %s", error->message);
    return FALSE;
  }
  if (!g_spawn_check_wait_status(status, NULL)) {
    fail(d, "command failed: %s\n%s", script, err);
    return FALSE;
  }
  return TRUE;
}

static void
start_family(Driver *d, int fam)
{
  if (d->started[fam])
    return;
  g_autofree char *cmd = command(d, "<actionstart>", fam, NULL);
  if (!run_shell(d, cmd))
    return;
  d->started[fam] = TRUE;
  d->order[d->n_order++] = fam;
  g_autoptr(GError) error = NULL;
  if (d->fw && !f2bs_fw_start(d->fw, fam, &error))
    fail(d, "start %s: %s", family_names[fam], error->message);
}

static void
ban_shell(Driver *d, gboolean ban, F2bIPAddr *ip)
{
  int fam = f2b_ipaddr_is_ipv6(ip) ? 1 : 0;
  g_autofree char *text = f2b_ipaddr_to_string(ip, NULL);
  g_autofree char *cmd = command(d, ban ? "<actionban>" : "<actionunban>", fam, text);
  run_shell(d, cmd);
}

static void
op_ban(Driver *d, gboolean ban, char **words)
{
  g_autoptr(GPtrArray) ips = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ipaddr_free);
  for (guint i = 0; words[i]; i++) {
    g_autoptr(GError) error = NULL;
    F2bIPAddr *ip = f2b_ipaddr_new(words[i], -1, -1, &error);
    if (ip == NULL) {
      fail(d, "%s: %s", words[i], error->message);
      continue;
    }
    int fam = f2b_ipaddr_is_ipv6(ip) ? 1 : 0;
    if (ban) {
      start_family(d, fam);
      d->has_bans[fam] = TRUE;
    }
    g_ptr_array_add(ips, ip);
  }
  if (d->fw == NULL) {
    for (guint i = 0; i < ips->len; i++)
      ban_shell(d, ban, ips->pdata[i]);
    return;
  }
  g_autofree gboolean *ok = g_new0(gboolean, ips->len ? ips->len : 1);
  g_autoptr(GError) error = NULL;
  if (f2bs_fw_apply_each(d->fw, ban, (F2bIPAddr *const *)ips->pdata, ips->len, ok, &error) > 0)
    fail(d, "%s: %s", ban ? "ban" : "unban", error->message);
}

static void
op_flush(Driver *d)
{
  for (int i = 0; i < d->n_order; i++) {
    int fam = d->order[i];
    if (!d->started[fam] || !d->has_bans[fam])
      continue;
    g_autoptr(GError) error = NULL;
    if (d->fw && f2bs_fw_spec(d->fw)->flush_native) {
      if (!f2bs_fw_flush(d->fw, fam, &error))
        fail(d, "flush %s: %s", family_names[fam], error->message);
    } else {
      g_autofree char *cmd = command(d, "<actionflush>", fam, NULL);
      run_shell(d, cmd);
    }
    d->has_bans[fam] = FALSE;
  }
}

static void
op_stop(Driver *d)
{
  for (int i = 0; i < d->n_order; i++) {
    int fam = d->order[i];
    if (d->fw)
      f2bs_fw_stop(d->fw, fam);
    g_autofree char *cmd = command(d, "<actionstop>", fam, NULL);
    run_shell(d, cmd);
    d->started[fam] = FALSE;
  }
  d->n_order = 0;
}

static void
op_exec(Driver *d, char **argv)
{
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                    &status, &error)) {
    fail(d, "%s: %s", argv[0], error->message);
    return;
  }
  fputs(out, stdout);
  fflush(stdout);
}

static F2bsFwBackend
backend_of(const char *name, gboolean *shell)
{
  *shell = strcmp(name, "shell") == 0;
  if (strcmp(name, "iptc") == 0)
    return F2BS_FW_IPTC;
  if (strcmp(name, "restore") == 0)
    return F2BS_FW_RESTORE;
  if (strcmp(name, "nft") == 0)
    return F2BS_FW_NFT;
  return F2BS_FW_AUTO;
}

static void
run_ops(Driver *d, FILE *in)
{
  char *line = NULL;
  size_t cap = 0;
  gint64 mark = g_get_monotonic_time();
  while (getline(&line, &cap, in) >= 0) {
    g_strstrip(line);
    g_auto(GStrv) w = g_strsplit_set(line, " ", -1);
    if (!w[0] || !*w[0])
      continue;
    if (strcmp(w[0], "ban") == 0 || strcmp(w[0], "unban") == 0)
      op_ban(d, w[0][0] == 'b', w + 1);
    else if (strcmp(w[0], "flush") == 0)
      op_flush(d);
    else if (strcmp(w[0], "stop") == 0)
      op_stop(d);
    else if (strcmp(w[0], "exec") == 0 && w[1])
      op_exec(d, w + 1);
    else if (strcmp(w[0], "time") == 0) {
      gint64 now = g_get_monotonic_time();
      printf("%.6f\n", (now - mark) / 1e6);
      fflush(stdout);
      mark = now;
    } else
      fail(d, "unknown operation: %s", line);
  }
  free(line);
}

int
main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: fw-driver PROPS shell|auto|iptc|restore|nft < OPS\n");
    return 2;
  }
  g_autoptr(GError) error = NULL;
  Driver d = { 0 };
  d.props = read_props(argv[1], &error);
  if (d.props == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 2;
  }
  gboolean shell;
  F2bsFwBackend which = backend_of(argv[2], &shell);
  if (!shell) {
    g_autoptr(F2bFwSpec) spec = f2b_fwspec_recognize(d.props, &error);
    if (spec)
      d.fw = f2bs_fw_new(spec, which, &error);
    if (d.fw == NULL) {
      fprintf(stderr, "not native: %s\n", error->message);
      f2b_ini_map_free(d.props);
      return 3;
    }
    fprintf(stderr, "backend: %s\n", f2bs_fw_backend_name(d.fw));
  }
  run_ops(&d, stdin);
  f2bs_fw_free(d.fw);
  f2b_ini_map_free(d.props);
  return d.failed ? 1 : 0;
}
