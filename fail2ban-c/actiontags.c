/* actiontags.c - fail2ban's dynamic tag substitution for actions and fail2ban-regex -o.
 *
 * Both passes scan the text once, left to right, as Python's re.sub does with
 * fail2ban's patterns <([^ <>]+)> and <F-([A-Z0-9_\-]+)>; replaced text is never
 * scanned again, which is what keeps values from an attacker inert. */

#include "actiontags.h"

#include <string.h>

/* Characters fail2ban's ESCAPE_CRE finds. */
static gboolean
is_special(char c)
{
  return c != '\0' && strchr("\\#&;`|*?~<>^()[]{}$'\"\n\r", c) != NULL;
}

gboolean
f2b_actiontags_needs_escape(const char *value, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (is_special(value[i]))
      return TRUE;
  return FALSE;
}

void
f2b_actiontags_escape_tag(const char *value, gsize len, GString *out)
{
  for (gsize i = 0; i < len; i++) {
    char c = value[i];
    if (!is_special(c)) {
      g_string_append_c(out, c);
      continue;
    }
    g_string_append_c(out, '\\');
    g_string_append_c(out, c == '\n' ? 'n' : c == '\r' ? 'r' : c);
  }
}

char *
f2b_actiontags_var_name(const char *name)
{
  GString *out = g_string_new("f2bV_");
  const char *p = name;
  while (*p) {
    gunichar ch = g_utf8_get_char_validated(p, -1);
    const char *next = (ch == (gunichar)-1 || ch == (gunichar)-2) ? p + 1 : g_utf8_next_char(p);
    /* Python's \w on str: Unicode letters and digits, and the underscore. */
    if (ch < 0x110000 && (ch == '_' || g_unichar_isalnum(ch) || g_unichar_ismark(ch)))
      g_string_append_len(out, p, next - p);
    else
      g_string_append_c(out, '_');
    p = next;
  }
  return g_string_free(out, FALSE);
}

char *
f2b_actiontags_tag_to_option(const char *name, gsize len)
{
  char *opt = g_ascii_strdown(name, len);
  if (strcmp(opt, "id") == 0 || strcmp(opt, "port") == 0) {
    char *mapped = g_strconcat("f", opt, NULL);
    g_free(opt);
    return mapped;
  }
  return opt;
}

void
f2b_action_command_free(F2bActionCommand *cmd)
{
  if (cmd == NULL)
    return;
  g_string_free(cmd->script, TRUE);
  g_ptr_array_unref(cmd->args);
  g_free(cmd);
}

/* Finds the next <name> at or after FROM: TRUE with [*start, *end) the whole tag. */
static gboolean
next_tag(const char *s, gsize len, gsize from, gsize *start, gsize *end)
{
  for (gsize i = from; i < len; i++) {
    if (s[i] != '<')
      continue;
    gsize j = i + 1;
    while (j < len && s[j] != ' ' && s[j] != '<' && s[j] != '>')
      j++;
    if (j < len && s[j] == '>' && j > i + 1) {
      *start = i;
      *end = j + 1;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
is_fcustag_char(char c)
{
  return g_ascii_isupper(c) || g_ascii_isdigit(c) || c == '_' || c == '-';
}

/* Finds the next <F-NAME> at or after FROM. */
static gboolean
next_fcustag(const char *s, gsize len, gsize from, gsize *start, gsize *end)
{
  for (gsize i = from; i + 3 < len; i++) {
    if (s[i] != '<' || s[i + 1] != 'F' || s[i + 2] != '-')
      continue;
    gsize j = i + 3;
    while (j < len && is_fcustag_char(s[j]))
      j++;
    if (j < len && s[j] == '>' && j > i + 3) {
      *start = i;
      *end = j + 1;
      return TRUE;
    }
  }
  return FALSE;
}

/* The fallback of the first pass (ADD_REPL_TAGS): TRUE when NAME is one of them. */
static gboolean
add_repl_tag(const char *name, const F2bActionTagsSource *src, GString *out)
{
  if (strcmp(name, "br") == 0) {
    g_string_append_c(out, '\n');
    return TRUE;
  }
  if (strcmp(name, "sp") == 0) {
    g_string_append_c(out, ' ');
    return TRUE;
  }
  if (src->system != NULL && (strcmp(name, "fq-hostname") == 0 || strcmp(name, "sh-hostname") == 0))
    return src->system(name, out, src->user_data);
  return FALSE;
}

static void
substitute_info(const char *cmd, gsize len, const F2bActionTagsSource *src,
                F2bActionTagsEscape escape, gpointer escape_data, GString *out)
{
  g_autoptr(GString) value = g_string_new(NULL);
  gsize pos = 0, start, end;
  while (next_tag(cmd, len, pos, &start, &end)) {
    g_string_append_len(out, cmd + pos, start - pos);
    g_autofree char *name = g_strndup(cmd + start + 1, end - start - 2);
    /* a name holding NUL is none that a lookup or a fallback knows */
    gboolean whole = strlen(name) == end - start - 2;
    g_string_truncate(value, 0);
    if (whole && src->info != NULL && src->info(name, value, src->user_data))
      escape(name, value->str, value->len, out, escape_data);
    else if (!whole || !add_repl_tag(name, src, out))
      g_string_append_len(out, cmd + start, end - start);
    pos = end;
  }
  g_string_append_len(out, cmd + pos, len - pos);
}

static void
substitute_ticket_data(const char *cmd, gsize len, const F2bActionTagsSource *src,
                       F2bActionTagsEscape escape, gpointer escape_data, GString *out)
{
  g_autoptr(GString) value = g_string_new(NULL);
  gsize pos = 0, start, end;
  while (next_fcustag(cmd, len, pos, &start, &end)) {
    g_string_append_len(out, cmd + pos, start - pos);
    g_autofree char *opt = f2b_actiontags_tag_to_option(cmd + start + 3, end - start - 4);
    g_string_truncate(value, 0);
    if (src->ticket_data != NULL && src->ticket_data(opt, value, src->user_data)) {
      g_autofree char *name = g_strconcat("F_", opt, NULL);
      escape(name, value->str, value->len, out, escape_data);
    }
    pos = end;
  }
  g_string_append_len(out, cmd + pos, len - pos);
}

GString *
f2b_actiontags_replace_dynamic_with(const char *cmd, gsize len, const F2bActionTagsSource *src,
                                    F2bActionTagsEscape escape, gpointer escape_data)
{
  g_return_val_if_fail(cmd != NULL && src != NULL && escape != NULL, NULL);
  GString *first = g_string_sized_new(len + 16);
  substitute_info(cmd, len, src, escape, escape_data, first);
  if (memchr(first->str, '<', first->len) == NULL)
    return first;
  GString *second = g_string_sized_new(first->len);
  substitute_ticket_data(first->str, first->len, src, escape, escape_data, second);
  g_string_free(first, TRUE);
  return second;
}

/* The variables of the default escaping, in first-use order (a Python dict). */
typedef struct {
  GPtrArray *names;  /* char * */
  GPtrArray *values; /* GString * */
} ShellVars;

static void
shell_var_escape(const char *name, const char *value, gsize len, GString *out, gpointer user_data)
{
  ShellVars *vars = user_data;
  if (!f2b_actiontags_needs_escape(value, len)) {
    g_string_append_len(out, value, len);
    return;
  }
  char *var = f2b_actiontags_var_name(name);
  guint i;
  for (i = 0; i < vars->names->len; i++)
    if (strcmp(g_ptr_array_index(vars->names, i), var) == 0)
      break;
  if (i < vars->names->len) {
    GString *old = g_ptr_array_index(vars->values, i);
    g_string_truncate(old, 0);
    g_string_append_len(old, value, len);
    g_free(var);
  } else {
    g_ptr_array_add(vars->names, var);
    g_ptr_array_add(vars->values, g_string_new_len(value, len));
  }
  g_string_append_c(out, '$');
  g_string_append(out, g_ptr_array_index(vars->names, i));
}

static void
gstring_free_full(gpointer s)
{
  g_string_free(s, TRUE);
}

F2bActionCommand *
f2b_actiontags_replace_dynamic(const char *cmd, gsize len, const F2bActionTagsSource *src)
{
  ShellVars vars = { g_ptr_array_new_with_free_func(g_free),
                     g_ptr_array_new_with_free_func(gstring_free_full) };
  GString *text = f2b_actiontags_replace_dynamic_with(cmd, len, src, shell_var_escape, &vars);
  F2bActionCommand *res = g_new0(F2bActionCommand, 1);
  res->args = vars.values;
  if (vars.names->len == 0) {
    res->script = text;
  } else {
    /* Utils.buildShellCmd: "name=$i " for each variable, a newline, the command. */
    res->script = g_string_sized_new(text->len + 32 * vars.names->len);
    for (guint i = 0; i < vars.names->len; i++)
      g_string_append_printf(res->script, "%s=$%u ", (char *)g_ptr_array_index(vars.names, i), i);
    g_string_append_c(res->script, '\n');
    g_string_append_len(res->script, text->str, text->len);
    g_string_free(text, TRUE);
  }
  g_ptr_array_unref(vars.names);
  return res;
}
