/* fuzz-actiontags.c - tag substitution in shell actions: values from log
 * lines (an attacker's text) meeting a command template.
 *
 * Input: the template, then the values of <ip>, <matches> and the ticket's
 * data (<F-USER> and any other <F-NAME>), separated by 0x1e bytes (values may hold NUL).  The
 * security property is checked: no character the shell treats specially
 * may reach the script from a value.  Counting them, the body of the script
 * (after the variable assignments) holds no more of each than the template
 * does, except for the "$f2bV_..." references the escaping writes and the
 * newline each <br> gives; each variable's value is exactly one of the
 * values.  fail2ban's escapeTag output must hold no unescaped special
 * character either. */
#include <stdlib.h>

#include "actiontags.h"
#include "fuzz.h"

static const char specials[] = "\\#&;`|*?~<>^()[]{}$'\"\n\r";

typedef struct {
  const char *values[3];
  size_t lens[3];
} Values;

static gboolean
info(const char *name, GString *value, gpointer user_data)
{
  const Values *v = user_data;
  if (strcmp(name, "ip") == 0)
    g_string_append_len(value, v->values[0], v->lens[0]);
  else if (strcmp(name, "matches") == 0)
    g_string_append_len(value, v->values[1], v->lens[1]);
  else if (strcmp(name, "name") == 0)
    g_string_append(value, "sshd");
  else
    return FALSE;
  return TRUE;
}

static gboolean
ticket_data(const char *name, GString *value, gpointer user_data)
{
  const Values *v = user_data;
  if (name[0] == 'n') /* <F-N...>: data the ticket does not have */
    return FALSE;
  g_string_append_len(value, v->values[2], v->lens[2]);
  return TRUE;
}

/* Occurrences of C in TEXT, not counting the '$' of "$f2bV_" references. */
static gsize
count_special(const char *text, gsize len, char c)
{
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (text[i] == c && !(c == '$' && len - i > 5 && memcmp(text + i + 1, "f2bV_", 5) == 0))
      n++;
  return n;
}

static gsize
count_str(const char *text, gsize len, const char *needle)
{
  gsize n = 0, nlen = strlen(needle);
  for (gsize i = 0; i + nlen <= len; i++)
    if (memcmp(text + i, needle, nlen) == 0)
      n++;
  return n;
}

static void
check_command(const F2bActionCommand *cmd, const char *tmpl, size_t tmpl_len, const Values *v)
{
  const char *body = cmd->script->str;
  gsize body_len = cmd->script->len;
  if (cmd->args->len > 0) {
    const char *nl = memchr(body, '\n', body_len);
    if (nl == NULL)
      abort();
    body_len -= (gsize)(nl + 1 - body);
    body = nl + 1;
  }
  for (const char *c = specials; *c; c++) {
    gsize allowed = count_special(tmpl, tmpl_len, *c);
    if (*c == '\n')
      allowed += count_str(tmpl, tmpl_len, "<br>");
    if (count_special(body, body_len, *c) > allowed)
      abort();
  }
  for (guint i = 0; i < cmd->args->len; i++) {
    const GString *arg = cmd->args->pdata[i];
    gboolean known = FALSE;
    for (int k = 0; k < 3; k++)
      known |= arg->len == v->lens[k] && memcmp(arg->str, v->values[k], arg->len) == 0;
    if (!known || !f2b_actiontags_needs_escape(arg->str, arg->len))
      abort();
  }
}

static void
check_escape_tag(const char *value, size_t len)
{
  g_autoptr(GString) out = g_string_new(NULL);
  f2b_actiontags_escape_tag(value, len, out);
  for (gsize i = 0; i < out->len; i++) {
    if (out->str[i] == '\\') {
      i++; /* the escaped character */
      if (i == out->len)
        abort();
    } else if (strchr(specials, out->str[i]) != NULL && out->str[i] != '\0') {
      abort();
    }
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t pos = 0;
  const char *tmpl;
  size_t tmpl_len;
  if (!f2b_fuzz_next(data, size, &pos, '\x1e', &tmpl, &tmpl_len))
    return 0;
  Values v = { { "", "", "" }, { 0, 0, 0 } };
  for (int k = 0; k < 3; k++)
    if (!f2b_fuzz_next(data, size, &pos, '\x1e', &v.values[k], &v.lens[k]))
      break;
  F2bActionTagsSource src = { info, ticket_data, NULL, &v };
  g_autoptr(F2bActionCommand) cmd = f2b_actiontags_replace_dynamic(tmpl, tmpl_len, &src);
  check_command(cmd, tmpl, tmpl_len, &v);
  for (int k = 0; k < 3; k++)
    check_escape_tag(v.values[k], v.lens[k]);
  return 0;
}
