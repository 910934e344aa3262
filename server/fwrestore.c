/* fwrestore.c - the restore-file backend of fw.h: one process per batch.
 *
 * iptables actions: the batch becomes one `*filter ... COMMIT` block fed to
 * the action's own flavour of iptables-restore with --noflush (so that an
 * iptables-nft host gets its rules through nf_tables, as `iptables` would
 * have put them).  ipset actions: one `ipset -exist restore`.  Each line is
 * the ban or unban command's arguments; a restore file applies all of them
 * or none. */
#include "fwbackend.h"

#include <string.h>

static gboolean
restore_supports(const F2bFwSpec *spec, GError **error)
{
  if (spec->kind == F2B_FW_KIND_NFT) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "no restore backend for nftables actions");
    return FALSE;
  }
  return TRUE;
}

/* "iptables-nft" -> "iptables-nft-restore" (path kept). */
static char *
restore_program(const char *tool)
{
  return g_strconcat(tool, "-restore", NULL);
}

/* The argv of TOOL-restore --noflush [LOCKOPT...]. */
static GPtrArray *
iptables_restore_argv(const F2bFwFamilySpec *f)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, restore_program(f->tool));
  g_ptr_array_add(argv, g_strdup("--noflush"));
  g_auto(GStrv) lock = g_strsplit(f->lockopt, " ", -1);
  for (guint i = 0; lock[i]; i++)
    if (*lock[i])
      g_ptr_array_add(argv, g_strdup(lock[i]));
  g_ptr_array_add(argv, NULL);
  return argv;
}

static gboolean
run_iptables(const F2bFwFamilySpec *f, const char *input, GError **error)
{
  g_autoptr(GPtrArray) argv = iptables_restore_argv(f);
  return f2bs_fw_run((const char *const *)argv->pdata, input, error);
}

static gboolean
run_ipset(const F2bFwFamilySpec *f, const char *input, GError **error)
{
  const char *argv[] = { f->tool, "-exist", "restore", NULL };
  return f2bs_fw_run(argv, input, error);
}

static gboolean
restore_apply(F2bsFw *fw, gboolean ban, int family, GPtrArray *addrs, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  g_autoptr(GString) in = g_string_new(NULL);
  if (fw->spec->kind == F2B_FW_KIND_IPSET) {
    for (guint i = 0; i < addrs->len; i++)
      if (ban)
        g_string_append_printf(in, "add %s %s timeout %s\n", f->set, (char *)addrs->pdata[i], f->timeout);
      else
        g_string_append_printf(in, "del %s %s\n", f->set, (char *)addrs->pdata[i]);
    return run_ipset(f, in->str, error);
  }
  g_string_append(in, "*filter\n");
  for (guint i = 0; i < addrs->len; i++)
    g_string_append_printf(in, ban ? "-I %s 1 -s %s -j %s\n" : "-D %s -s %s -j %s\n", f->chain,
                           (char *)addrs->pdata[i], f->blocktype);
  g_string_append(in, "COMMIT\n");
  return run_iptables(f, in->str, error);
}

static gboolean
restore_flush(F2bsFw *fw, int family, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  if (fw->spec->kind == F2B_FW_KIND_IPSET) {
    const char *argv[] = { f->tool, "flush", f->set, NULL };
    return f2bs_fw_run(argv, NULL, error);
  }
  g_autofree char *in = g_strdup_printf("*filter\n-F %s\nCOMMIT\n", f->chain);
  return run_iptables(f, in, error);
}

static gboolean
restore_check(F2bsFw *fw, int family, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  if (fw->spec->kind == F2B_FW_KIND_IPSET) {
    const char *argv[] = { f->tool, "-n", "list", f->set, NULL };
    return f2bs_fw_run(argv, NULL, error);
  }
  /* -L of the chain fails when it is missing; its listing is not needed */
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_auto(GStrv) lock = g_strsplit(f->lockopt, " ", -1);
  g_ptr_array_add(argv, f->tool);
  for (guint i = 0; lock[i]; i++)
    if (*lock[i])
      g_ptr_array_add(argv, lock[i]);
  g_ptr_array_add(argv, (gpointer) "-n");
  g_ptr_array_add(argv, (gpointer) "-L");
  g_ptr_array_add(argv, f->chain);
  g_ptr_array_add(argv, NULL);
  return f2bs_fw_run((const char *const *)argv->pdata, NULL, error);
}

const F2bsFwOps f2bs_fw_restore_ops = {
  .name = "restore",
  .supports = restore_supports,
  .apply = restore_apply,
  .flush = restore_flush,
  .check = restore_check,
};
