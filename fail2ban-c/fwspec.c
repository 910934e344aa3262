/* fwspec.c - recognise the stock firewall actions (see fwspec.h).
 *
 * The ban command is matched by a pattern that captures the parameters; the
 * unban and flush commands are then rebuilt from those parameters and must be
 * equal to the expanded ones, byte for byte.  Parameters are restricted to
 * characters the shell passes through unchanged (no quotes, no $, no
 * globbing), so that the words the native backend uses are the words the shell
 * command would have given the program. */
#include "fwspec.h"

#include <string.h>

#include "cmdaction.h"

G_DEFINE_QUARK(f2b-fwspec-error-quark, f2b_fwspec_error)

/* A name the shell leaves alone: chain, set, table. */
#define NAME "[A-Za-z0-9_.:@+-]+"
#define PATHPFX "(?:/[A-Za-z0-9_./-]*/)?"

static const char iptables_ban_re[] =
  "^(" PATHPFX "ip6?tables(?:-legacy|-nft)?)((?: +-w(?: +[0-9]+(?:\\.[0-9]+)?)?)? +)"
  "-I (" NAME ") 1 -s <ip> -j (" NAME "(?: " NAME ")*)$";
static const char ipset_ban_re[] =
  "^(" PATHPFX "ipset) -exist add (" NAME ") <ip> timeout ([0-9]+)$";
static const char nft_ban_re[] =
  "^(" PATHPFX "nft) add element (" NAME ") (" NAME ") (" NAME ") \\\\\\{ <ip>( timeout <bantime>s)? \\\\\\}$";

static const char *const family_names[2] = { "inet4", "inet6" };

/* With element timeouts the kernel may have removed an element before its
 * unban: the project's action ignores that failure. */
#define NFT_UNBAN_MISSING_OK " 2> /dev/null || :"


static void
family_spec_clear(F2bFwFamilySpec *f)
{
  g_free(f->tool);
  g_free(f->lockopt);
  g_free(f->chain);
  g_free(f->blocktype);
  g_free(f->table_family);
  g_free(f->table);
  g_free(f->set);
  g_free(f->timeout);
}

void
f2b_fwspec_free(F2bFwSpec *spec)
{
  if (spec == NULL)
    return;
  for (int i = 0; i < 2; i++)
    family_spec_clear(&spec->family[i]);
  g_free(spec);
}

const char *
f2b_fwspec_kind_name(F2bFwKind kind)
{
  switch (kind) {
  case F2B_FW_KIND_IPTABLES: return "iptables";
  case F2B_FW_KIND_IPSET: return "ipset";
  case F2B_FW_KIND_NFT: return "nftables";
  }
  return "?";
}

/* The captures of PATTERN in TEXT (NULL when it does not match). */
static GMatchInfo *
match(const char *pattern, const char *text)
{
  g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_DOLLAR_ENDONLY, 0, NULL);
  g_assert(re != NULL);
  GMatchInfo *mi = NULL;
  if (!g_regex_match(re, text, 0, &mi)) {
    g_match_info_free(mi);
    return NULL;
  }
  return mi;
}

static gboolean
not_stock(GError **error, const char *what, int fam, const char *cmd)
{
  g_set_error(error, F2B_FWSPEC_ERROR, F2B_FWSPEC_ERROR_NOT_STOCK, "%s (%s) is not a stock firewall command: %s",
              what, family_names[fam], cmd ? cmd : "(none)");
  return FALSE;
}

/* The tool's base name, for the family check. */
static const char *
base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static gboolean
read_iptables(GMatchInfo *mi, int fam, F2bFwFamilySpec *f, char **unban, char **flush, GError **error)
{
  f->tool = g_match_info_fetch(mi, 1);
  g_autofree char *between = g_match_info_fetch(mi, 2); /* the lock option and the spaces around it */
  f->lockopt = g_strstrip(g_strdup(between));
  f->chain = g_match_info_fetch(mi, 3);
  f->blocktype = g_match_info_fetch(mi, 4);
  /* the IPv4 rules need iptables, the IPv6 ones ip6tables: anything else fails in the shell too */
  gboolean six = g_str_has_prefix(base_name(f->tool), "ip6");
  if (six != (fam == F2B_FW_INET6)) {
    g_set_error(error, F2B_FWSPEC_ERROR, F2B_FWSPEC_ERROR_NOT_STOCK, "actionban (%s) uses %s", family_names[fam],
                f->tool);
    return FALSE;
  }
  *unban = g_strdup_printf("%s%s-D %s -s <ip> -j %s", f->tool, between, f->chain, f->blocktype);
  *flush = g_strdup_printf("%s%s-F %s", f->tool, between, f->chain);
  return TRUE;
}

static void
read_ipset(GMatchInfo *mi, F2bFwFamilySpec *f, char **unban, char **flush)
{
  f->tool = g_match_info_fetch(mi, 1);
  f->set = g_match_info_fetch(mi, 2);
  f->timeout = g_match_info_fetch(mi, 3);
  *unban = g_strdup_printf("%s -exist del %s <ip>", f->tool, f->set);
  *flush = g_strdup_printf("%s flush %s", f->tool, f->set);
}

static void
read_nft(GMatchInfo *mi, F2bFwFamilySpec *f, char **unban, char **flush)
{
  f->tool = g_match_info_fetch(mi, 1);
  f->table_family = g_match_info_fetch(mi, 2);
  f->table = g_match_info_fetch(mi, 3);
  f->set = g_match_info_fetch(mi, 4);
  g_autofree char *timeout = g_match_info_fetch(mi, 5);
  f->element_timeout = timeout && *timeout;
  *unban = g_strdup_printf("%s delete element %s %s %s \\{ <ip> \\}", f->tool, f->table_family, f->table, f->set);
  /* the stock flush empties the set, and rebuilds it only when that fails:
   * its first line is what the native flush does */
  *flush = g_strdup_printf("{ %s flush set %s %s %s 2> /dev/null; } || {\n", f->tool, f->table_family, f->table,
                           f->set);
}

/* One family: the kind from the ban command, the unban/flush compared. */
static gboolean
read_family(const char *ban, const char *unban, const char *flush, int fam, F2bFwSpec *spec, gboolean *flush_ok,
            GError **error)
{
  static const struct { F2bFwKind kind; const char *re; } kinds[] = {
    { F2B_FW_KIND_IPTABLES, iptables_ban_re },
    { F2B_FW_KIND_IPSET, ipset_ban_re },
    { F2B_FW_KIND_NFT, nft_ban_re },
  };
  F2bFwFamilySpec *f = &spec->family[fam];
  g_autofree char *want_unban = NULL, *want_flush = NULL;
  for (guint k = 0; ban && k < G_N_ELEMENTS(kinds); k++) {
    GMatchInfo *mi = match(kinds[k].re, ban);
    if (mi == NULL)
      continue;
    if (fam == F2B_FW_INET6 && kinds[k].kind != spec->kind) {
      g_match_info_free(mi);
      return not_stock(error, "actionban", fam, ban);
    }
    spec->kind = kinds[k].kind;
    gboolean ok = TRUE;
    if (kinds[k].kind == F2B_FW_KIND_IPTABLES)
      ok = read_iptables(mi, fam, f, &want_unban, &want_flush, error);
    else if (kinds[k].kind == F2B_FW_KIND_IPSET)
      read_ipset(mi, f, &want_unban, &want_flush);
    else
      read_nft(mi, f, &want_unban, &want_flush);
    g_match_info_free(mi);
    if (!ok)
      return FALSE;
    if (unban && f->element_timeout && g_str_has_suffix(unban, NFT_UNBAN_MISSING_OK)
        && strlen(unban) == strlen(want_unban) + strlen(NFT_UNBAN_MISSING_OK)
        && strncmp(unban, want_unban, strlen(want_unban)) == 0)
      f->unban_missing_ok = TRUE;
    else if (unban == NULL || strcmp(unban, want_unban) != 0)
      return not_stock(error, "actionunban", fam, unban);
    if (flush == NULL
        || (spec->kind == F2B_FW_KIND_NFT ? !g_str_has_prefix(flush, want_flush) : strcmp(flush, want_flush) != 0))
      *flush_ok = FALSE;
    return TRUE;
  }
  return not_stock(error, "actionban", fam, ban);
}

F2bFwSpec *
f2b_fwspec_from_commands(const char *const ban[2], const char *const unban[2], const char *const flush[2],
                         GError **error)
{
  g_autoptr(F2bFwSpec) spec = g_new0(F2bFwSpec, 1);
  gboolean flush_ok = TRUE;
  for (int fam = 0; fam < 2; fam++)
    if (!read_family(ban[fam], unban[fam], flush ? flush[fam] : NULL, fam, spec, &flush_ok, error))
      return NULL;
  spec->flush_native = flush_ok;
  return g_steal_pointer(&spec);
}

F2bFwSpec *
f2b_fwspec_recognize(const F2bIniMap *props, GError **error)
{
  static const char *const tags[3] = { "<actionban>", "<actionunban>", "<actionflush>" };
  char *cmds[3][2] = { { NULL } };
  F2bFwSpec *spec = NULL;
  for (int t = 0; t < 3; t++)
    for (int fam = 0; fam < 2; fam++) {
      GError *err = NULL;
      cmds[t][fam] = f2b_cmdaction_replace_tag(tags[t], props, family_names[fam], NULL, NULL, &err);
      if (cmds[t][fam] == NULL) {
        g_set_error(error, F2B_FWSPEC_ERROR, F2B_FWSPEC_ERROR_TAGS, "%s", err->message);
        g_error_free(err);
        goto out;
      }
    }
  spec = f2b_fwspec_from_commands((const char *const *)cmds[0], (const char *const *)cmds[1],
                                  (const char *const *)cmds[2], error);
out:
  for (int t = 0; t < 3; t++)
    for (int fam = 0; fam < 2; fam++)
      g_free(cmds[t][fam]);
  return spec;
}
