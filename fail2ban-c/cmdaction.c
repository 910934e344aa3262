/* cmdaction.c - CommandAction's static tag expansion and families (see cmdaction.h).
 *
 * The recursive substitution among the properties is the config reader's
 * (confreader.c, with the conditional lookup); this file adds the outer loop
 * that expands the query itself. */
#include "cmdaction.h"

#include <string.h>

#include "confreader.h"

/* fail2ban's MAX_TAG_REPLACE_COUNT */
#define MAX_REPLACE 25

G_DEFINE_QUARK(f2b-cmdaction-error-quark, f2b_cmdaction_error)

static const char *const escaped_tags[] = { "matches", "ipmatches", "ipjailmatches" };

/* TAG_CRE '<([^ <>]+)>' from FROM: TRUE with the match's start and end. */
static gboolean
find_tag(const char *s, gsize from, gsize *ms, gsize *me)
{
  for (const char *p = strchr(s + from, '<'); p != NULL; p = strchr(p + 1, '<')) {
    const char *q = p + 1;
    while (*q && *q != ' ' && *q != '<' && *q != '>')
      q++;
    if (q > p + 1 && *q == '>') {
      *ms = (gsize)(p - s);
      *me = (gsize)(q + 1 - s);
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
is_escaped_tag(const char *tag)
{
  for (guint i = 0; i < G_N_ELEMENTS(escaped_tags); i++)
    if (strcmp(tag, escaped_tags[i]) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  const F2bIniMap *sub;
  const char *conditional;
  F2bActionTagsLookup system;
  gpointer system_data;
} Expand;

/* substVal: appends the replacement of TAG (or the match itself) to OUT. */
static void
subst_one(const Expand *e, const char *tag, const char *match, gsize match_len, GString *out)
{
  const char *value = NULL;
  if (e->conditional) {
    g_autofree char *cond = g_strconcat(tag, "?", e->conditional, NULL);
    value = f2b_ini_map_get(e->sub, cond);
  }
  if (value == NULL)
    value = f2b_ini_map_get(e->sub, tag);
  if (value != NULL) {
    if (is_escaped_tag(tag))
      f2b_actiontags_escape_tag(value, strlen(value), out);
    else
      g_string_append(out, value);
    return;
  }
  if (strcmp(tag, "br") == 0)
    g_string_append_c(out, '\n');
  else if (strcmp(tag, "sp") == 0)
    g_string_append_c(out, ' ');
  else if (!((strcmp(tag, "fq-hostname") == 0 || strcmp(tag, "sh-hostname") == 0) && e->system
             && e->system(tag, out, e->system_data)))
    g_string_append_len(out, match, match_len);
}

/* One TAG_CRE.sub pass over QUERY into OUT. */
static void
subst_pass(const Expand *e, const char *query, GString *out)
{
  g_string_truncate(out, 0);
  gsize pos = 0, ms, me;
  while (find_tag(query, pos, &ms, &me)) {
    g_string_append_len(out, query + pos, ms - pos);
    g_autofree char *tag = g_strndup(query + ms + 1, me - ms - 2);
    subst_one(e, tag, query + ms, me - ms, out);
    pos = me;
  }
  g_string_append(out, query + pos);
}

char *
f2b_cmdaction_replace_tag(const char *query, const F2bIniMap *props, const char *family,
                          F2bActionTagsLookup system, gpointer system_data, GError **error)
{
  if (strchr(query, '<') == NULL)
    return g_strdup(query);
  g_autofree char *conditional = family && *family ? g_strconcat("family=", family, NULL) : NULL;
  g_autoptr(GHashTable) ignore = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < G_N_ELEMENTS(escaped_tags); i++)
    g_hash_table_add(ignore, (gpointer)escaped_tags[i]);
  GError *local = NULL;
  g_autoptr(F2bIniMap) sub = f2b_confreader_substitute_tags_cond(props, ignore, conditional, &local);
  if (sub == NULL) {
    g_set_error_literal(error, F2B_CMDACTION_ERROR, F2B_CMDACTION_ERROR_RECURSION, local->message);
    g_error_free(local);
    return NULL;
  }
  Expand e = { sub, conditional, system, system_data };
  g_autoptr(GString) cur = g_string_new(query);
  g_autoptr(GString) next = g_string_new(NULL);
  for (int count = MAX_REPLACE + 1;;) {
    subst_pass(&e, cur->str, next);
    if (strcmp(next->str, cur->str) == 0 || strchr(next->str, '<') == NULL)
      break;
    GString *t = cur;
    cur = next;
    next = t;
    if (--count <= 0) {
      g_set_error(error, F2B_CMDACTION_ERROR, F2B_CMDACTION_ERROR_RECURSION,
                  "unexpected too long replacement interpolation, possible self referencing definitions "
                  "in query: %s", cur->str);
      return NULL;
    }
  }
  return g_string_free(g_steal_pointer(&next), FALSE);
}

/* CONDITIONAL_FAM_RE '^(\w+)\?(family)=(.*)$' (ASCII word characters suffice
 * for property names). */
static gboolean
is_cond_name(const char *name)
{
  const char *q = strchr(name, '?');
  if (q == NULL || q == name)
    return FALSE;
  for (const char *p = name; p < q; p++)
    if (!g_ascii_isalnum(*p) && *p != '_')
      return FALSE;
  return g_str_has_prefix(q + 1, "family=") && strchr(q + 1, '\n') == NULL;
}

gboolean
f2b_cmdaction_has_cond_section(const F2bIniMap *props)
{
  for (guint i = 0; i < f2b_ini_map_size(props); i++)
    if (is_cond_name(f2b_ini_map_key(props, i)))
      return TRUE;
  return FALSE;
}

const char *const *
f2b_cmdaction_families(const F2bIniMap *props, gboolean ipv6)
{
  static const char *const both[] = { "inet4", "inet6", NULL };
  static const char *const v4[] = { "inet4", NULL };
  static const char *const none[] = { "", NULL };
  if (!f2b_cmdaction_has_cond_section(props))
    return none;
  return ipv6 ? both : v4;
}
