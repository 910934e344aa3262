/* fwnft.c - the libnftables backend of fw.h.
 *
 * A batch is one script, `add element FAMILY TABLE SET { a, b, ... }` (or
 * delete), run by nft_run_cmd_from_buffer as one transaction: the elements
 * the stock action's `nft add element` commands would have added one by
 * one.  The context is created once per backend and kept. */
#include "fwbackend.h"

#include <nftables/libnftables.h>
#include <string.h>

static gboolean
nft_supports(const F2bFwSpec *spec, GError **error)
{
  if (spec->kind != F2B_FW_KIND_NFT) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "libnftables serves nftables actions, not %s",
                f2b_fwspec_kind_name(spec->kind));
    return FALSE;
  }
  return TRUE;
}

static struct nft_ctx *
context(F2bsFw *fw, GError **error)
{
  if (fw->priv)
    return fw->priv;
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == NULL || nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    if (ctx)
      nft_ctx_free(ctx);
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "libnftables: cannot create a context");
    return NULL;
  }
  fw->priv = ctx;
  return ctx;
}

/* nft's error text on one line: the message and the command, without the
 * caret line that marks the column. */
static char *
one_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; lines[i]; i++) {
    g_strstrip(lines[i]);
    if (*lines[i] == '\0' || strspn(lines[i], "^~ ") == strlen(lines[i]))
      continue;
    if (s->len)
      g_string_append(s, ": ");
    g_string_append(s, lines[i]);
  }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean
run_script(F2bsFw *fw, const char *script, GError **error)
{
  struct nft_ctx *ctx = context(fw, error);
  if (ctx == NULL)
    return FALSE;
  int rc = nft_run_cmd_from_buffer(ctx, script);
  (void)nft_ctx_get_output_buffer(ctx); /* reading rewinds: the buffers do not grow across runs */
  const char *err = nft_ctx_get_error_buffer(ctx);
  if (rc == 0)
    return TRUE;
  g_autofree char *msg = one_line(err ? err : "");
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "libnftables: %s", *msg ? msg : "failed");
  return FALSE;
}

static gboolean
nft_apply(F2bsFw *fw, gboolean ban, int family, GPtrArray *addrs, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  g_autoptr(GString) s = g_string_new(NULL);
  g_string_append_printf(s, "%s element %s %s %s { ", ban ? "add" : "delete", f->table_family, f->table, f->set);
  for (guint i = 0; i < addrs->len; i++) {
    if (i)
      g_string_append(s, ", ");
    g_string_append(s, addrs->pdata[i]);
  }
  g_string_append(s, " }\n");
  if (ban || !f->unban_missing_ok)
    return run_script(fw, s->str, error);
  /* `delete element ... 2> /dev/null || :`: an element the kernel let expire
   * is no failure; when the batch fails, each is deleted alone, errors ignored */
  if (run_script(fw, s->str, NULL))
    return TRUE;
  for (guint i = 0; i < addrs->len; i++) {
    g_autofree char *one = g_strdup_printf("delete element %s %s %s { %s }\n", f->table_family, f->table, f->set,
                                           (char *)addrs->pdata[i]);
    (void)run_script(fw, one, NULL);
  }
  return TRUE;
}

static gboolean
nft_flush(F2bsFw *fw, int family, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  g_autofree char *s = g_strdup_printf("flush set %s %s %s\n", f->table_family, f->table, f->set);
  return run_script(fw, s, error);
}

static gboolean
nft_check(F2bsFw *fw, int family, GError **error)
{
  const F2bFwFamilySpec *f = &fw->spec->family[family];
  g_autofree char *s = g_strdup_printf("list set %s %s %s\n", f->table_family, f->table, f->set);
  return run_script(fw, s, error);
}

static void
nft_release(F2bsFw *fw)
{
  if (fw->priv)
    nft_ctx_free(fw->priv);
  fw->priv = NULL;
}

const F2bsFwOps f2bs_fw_nft_ops = {
  .name = "libnftables",
  .supports = nft_supports,
  .apply = nft_apply,
  .flush = nft_flush,
  .check = nft_check,
  .release = nft_release,
};
