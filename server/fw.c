/* fw.c - backend selection and batching for the native firewall (see fw.h). */
#include "fwbackend.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(f2bs-fw-error-quark, f2bs_fw_error)

static char *
dup_or_null(const char *s)
{
  return s ? g_strdup(s) : NULL;
}

static F2bFwSpec *
spec_copy(const F2bFwSpec *src)
{
  F2bFwSpec *s = g_new0(F2bFwSpec, 1);
  s->kind = src->kind;
  s->flush_native = src->flush_native;
  for (int i = 0; i < 2; i++) {
    const F2bFwFamilySpec *a = &src->family[i];
    F2bFwFamilySpec *b = &s->family[i];
    b->tool = dup_or_null(a->tool);
    b->lockopt = dup_or_null(a->lockopt);
    b->chain = dup_or_null(a->chain);
    b->blocktype = dup_or_null(a->blocktype);
    b->table_family = dup_or_null(a->table_family);
    b->table = dup_or_null(a->table);
    b->set = dup_or_null(a->set);
    b->timeout = dup_or_null(a->timeout);
    b->element_timeout = a->element_timeout;
    b->unban_missing_ok = a->unban_missing_ok;
  }
  return s;
}

gboolean
f2bs_fw_tool_is_legacy(const char *tool)
{
  g_autofree char *path = strchr(tool, '/') ? g_strdup(tool) : g_find_program_in_path(tool);
  if (path == NULL)
    return FALSE;
  g_autofree char *real = realpath(path, NULL);
  g_autofree char *base = g_path_get_basename(real ? real : path);
  return strstr(base, "legacy") != NULL;
}

/* The backend AUTO means for SPEC on this host. */
static const F2bsFwOps *
natural_ops(const F2bFwSpec *spec)
{
  switch (spec->kind) {
  case F2B_FW_KIND_IPTABLES:
    if (f2bs_fw_tool_is_legacy(spec->family[0].tool) && f2bs_fw_tool_is_legacy(spec->family[1].tool)
        && f2bs_fw_iptc_ops.supports(spec, NULL))
      return &f2bs_fw_iptc_ops;
    return &f2bs_fw_restore_ops;
  case F2B_FW_KIND_IPSET:
    return &f2bs_fw_restore_ops;
  case F2B_FW_KIND_NFT:
    return &f2bs_fw_nft_ops;
  }
  return NULL;
}

F2bsFw *
f2bs_fw_new(const F2bFwSpec *spec, F2bsFwBackend which, GError **error)
{
  const F2bsFwOps *ops = NULL;
  switch (which) {
  case F2BS_FW_AUTO: ops = natural_ops(spec); break;
  case F2BS_FW_IPTC: ops = &f2bs_fw_iptc_ops; break;
  case F2BS_FW_RESTORE: ops = &f2bs_fw_restore_ops; break;
  case F2BS_FW_NFT: ops = &f2bs_fw_nft_ops; break;
  }
  if (ops == NULL || !ops->supports(spec, error))
    return NULL;
  F2bsFw *fw = g_new0(F2bsFw, 1);
  fw->ops = ops;
  fw->name = ops != &f2bs_fw_restore_ops ? ops->name
             : spec->kind == F2B_FW_KIND_IPSET ? "ipset-restore" : "iptables-restore";
  fw->spec = spec_copy(spec);
  return fw;
}

void
f2bs_fw_free(F2bsFw *fw)
{
  if (fw == NULL)
    return;
  if (fw->ops->release)
    fw->ops->release(fw);
  f2b_fwspec_free(fw->spec);
  g_free(fw);
}

const char *
f2bs_fw_backend_name(const F2bsFw *fw)
{
  return fw->name;
}

const F2bFwSpec *
f2bs_fw_spec(const F2bsFw *fw)
{
  return fw->spec;
}

gboolean
f2bs_fw_start(F2bsFw *fw, int family, GError **error)
{
  g_return_val_if_fail(family == F2B_FW_INET4 || family == F2B_FW_INET6, FALSE);
  if (!fw->ops->check(fw, family, error))
    return FALSE;
  fw->started[family] = TRUE;
  return TRUE;
}

void
f2bs_fw_stop(F2bsFw *fw, int family)
{
  g_return_if_fail(family == F2B_FW_INET4 || family == F2B_FW_INET6);
  fw->started[family] = FALSE;
}

static int
family_of(const F2bIPAddr *ip)
{
  return f2b_ipaddr_is_ipv6(ip) ? F2B_FW_INET6 : F2B_FW_INET4;
}

gboolean
f2bs_fw_apply(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, guint n, GError **error)
{
  return f2bs_fw_apply_timed(fw, ban, ips, NULL, n, error);
}

/* The element text of IP: with the ban time when the action gives each
 * element one (nft `timeout <bantime>s`, the shell's very words). */
static char *
element_text(const F2bsFw *fw, gboolean ban, const F2bIPAddr *ip, const gint64 *bantime)
{
  char *text = f2b_ipaddr_to_string(ip, NULL);
  if (!ban || bantime == NULL || fw->spec->kind != F2B_FW_KIND_NFT || !fw->spec->family[family_of(ip)].element_timeout)
    return text;
  char *timed = g_strdup_printf("%s timeout %" G_GINT64_FORMAT "s", text, *bantime);
  g_free(text);
  return timed;
}

gboolean
f2bs_fw_apply_timed(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, const gint64 *bantimes, guint n,
                    GError **error)
{
  g_autoptr(GPtrArray) v4 = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) v6 = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *by_family[2] = { v4, v6 };
  for (guint i = 0; i < n; i++) {
    if (!f2b_ipaddr_is_valid(ips[i])) {
      g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "not an address");
      return FALSE;
    }
    g_ptr_array_add(by_family[family_of(ips[i])], element_text(fw, ban, ips[i], bantimes ? &bantimes[i] : NULL));
  }
  for (int fam = 0; fam < 2; fam++)
    if (by_family[fam]->len > 0 && !fw->ops->apply(fw, ban, fam, by_family[fam], error))
      return FALSE;
  return TRUE;
}

guint
f2bs_fw_apply_each(F2bsFw *fw, gboolean ban, F2bIPAddr *const *ips, guint n, gboolean *ok, GError **error)
{
  if (n == 0)
    return 0;
  GError *batch_error = NULL;
  if (f2bs_fw_apply(fw, ban, ips, n, n == 1 ? error : &batch_error)) {
    for (guint i = 0; i < n; i++)
      ok[i] = TRUE;
    return 0;
  }
  if (n == 1) {
    ok[0] = FALSE;
    return 1;
  }
  /* which one was refused: each alone, as the shell action runs them */
  g_clear_error(&batch_error);
  guint failed = 0;
  for (guint i = 0; i < n; i++) {
    GError *one = NULL;
    ok[i] = f2bs_fw_apply(fw, ban, &ips[i], 1, &one);
    if (!ok[i]) {
      failed++;
      if (error && *error == NULL)
        g_propagate_error(error, one);
      else
        g_error_free(one);
    }
  }
  return failed;
}

gboolean
f2bs_fw_flush(F2bsFw *fw, int family, GError **error)
{
  g_return_val_if_fail(family == F2B_FW_INET4 || family == F2B_FW_INET6, FALSE);
  if (!fw->spec->flush_native) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "actionflush is not the stock one");
    return FALSE;
  }
  return fw->ops->flush(fw, family, error);
}

gboolean
f2bs_fw_check(F2bsFw *fw, int family, GError **error)
{
  g_return_val_if_fail(family == F2B_FW_INET4 || family == F2B_FW_INET6, FALSE);
  return fw->ops->check(fw, family, error);
}

gboolean
f2bs_fw_run(const char *const *argv, const char *input, GError **error)
{
  GError *err = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                               | G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);
  if (p == NULL) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "%s: %s", argv[0], err->message);
    g_error_free(err);
    return FALSE;
  }
  g_autoptr(GBytes) in = g_bytes_new(input ? input : "", input ? strlen(input) : 0);
  g_autoptr(GBytes) err_out = NULL;
  if (!g_subprocess_communicate(p, in, NULL, NULL, &err_out, &err)) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "%s: %s", argv[0], err->message);
    g_error_free(err);
    return FALSE;
  }
  if (g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0)
    return TRUE;
  gsize len = 0;
  const char *text = err_out ? g_bytes_get_data(err_out, &len) : "";
  g_autofree char *msg = g_strstrip(g_strndup(text, len));
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "%s failed: %s", argv[0], *msg ? msg : "no message");
  return FALSE;
}
