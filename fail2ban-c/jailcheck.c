/* jailcheck.c - a configuration's filters compiled as the server would (see jailcheck.h).
 *
 * The values go through filter.c's setters, the same code that compiles them
 * for matching: what passes here is what the filter engine runs. */
#include "jailcheck.h"

#include <string.h>

#include "filter.h"

void
f2b_jailcheck_problem_free(F2bJailCheckProblem *p)
{
  if (p == NULL)
    return;
  g_free(p->jail);
  g_free(p->option);
  g_free(p->value);
  g_clear_error(&p->error);
  g_free(p);
}

typedef struct {
  GHashTable *filters;  /* jail name -> F2bFilter* */
  GHashTable *counts;   /* "jail\001option" -> values of that option seen so far */
  GPtrArray *problems;
  double wall_now;
} Check;

static void
problem_add(Check *c, const char *jail, const char *option, guint index, const char *value, GError *error)
{
  F2bJailCheckProblem *p = g_new0(F2bJailCheckProblem, 1);
  p->jail = g_strdup(jail);
  p->option = g_strdup(option);
  p->index = index;
  p->value = g_strdup(value);
  p->error = error;
  g_ptr_array_add(c->problems, p);
}

/* The index the next value of OPTION of JAIL gets. */
static guint
next_index(Check *c, const char *jail, const char *option)
{
  char *key = g_strconcat(jail, "\001", option, NULL);
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->counts, key));
  g_hash_table_replace(c->counts, key, GUINT_TO_POINTER(n + 1));
  return n;
}

/* The server's int(value) for maxlines: an int, or text that reads as one. */
static gboolean
value_int(const F2bPyObj *v, gint64 *out)
{
  if (f2b_py_kind(v) == F2B_PY_INT) {
    *out = f2b_py_get_int(v);
    return TRUE;
  }
  if (f2b_py_kind(v) != F2B_PY_STR)
    return FALSE;
  g_autofree char *s = g_strstrip(g_strdup(f2b_py_get_str(v, NULL)));
  char *end;
  *out = g_ascii_strtoll(s, &end, 10);
  return *s != '\0' && *end == '\0';
}

static char *
value_text(const F2bPyObj *v)
{
  if (f2b_py_kind(v) == F2B_PY_STR)
    return g_strdup(f2b_py_get_str(v, NULL));
  if (f2b_py_kind(v) == F2B_PY_INT)
    return g_strdup_printf("%" G_GINT64_FORMAT, f2b_py_get_int(v));
  return f2b_py_repr(v);
}

/* One `set JAIL OPTION VALUE` that touches the filter's compiled state. */
static void
apply_set(Check *c, F2bFilter *f, const char *jail, const char *option, const F2bPyObj *v)
{
  GError *error = NULL;
  g_autofree char *text = value_text(v);
  gboolean is_str = f2b_py_kind(v) == F2B_PY_STR;
  if (strcmp(option, "usedns") == 0 && is_str) {
    f2b_filter_set_usedns(f, text);  /* a wrong value is only logged: "Using safe 'no'" */
  } else if (strcmp(option, "maxlines") == 0) {
    gint64 n;
    if (!value_int(v, &n))
      g_set_error(&error, F2B_FILTER_ERROR, F2B_FILTER_ERROR_VALUE,
                  "invalid literal for int() with base 10: '%s'", text);
    else
      f2b_filter_set_maxlines(f, n, &error);
  } else if (strcmp(option, "prefregex") == 0 && is_str) {
    f2b_filter_set_prefregex(f, text, &error);
  } else if (strcmp(option, "addfailregex") == 0 && is_str) {
    guint i = next_index(c, jail, "failregex");
    if (!f2b_filter_add_failregex(f, text, &error))
      problem_add(c, jail, "failregex", i, text, error);
    return;
  } else if (strcmp(option, "addignoreregex") == 0 && is_str) {
    guint i = next_index(c, jail, "ignoreregex");
    if (!f2b_filter_add_ignoreregex(f, text, &error))
      problem_add(c, jail, "ignoreregex", i, text, error);
    return;
  } else if (strcmp(option, "datepattern") == 0 && is_str) {
    f2b_filter_set_datepattern(f, text, &error);
  }
  if (error != NULL)
    problem_add(c, jail, option, 0, text, error);
}

static void
apply_command(Check *c, const F2bPyObj *cmd)
{
  gsize n = f2b_py_len(cmd);
  if (n < 2 || f2b_py_kind(f2b_py_item(cmd, 0)) != F2B_PY_STR || f2b_py_kind(f2b_py_item(cmd, 1)) != F2B_PY_STR)
    return;
  const char *verb = f2b_py_get_str(f2b_py_item(cmd, 0), NULL);
  const char *jail = f2b_py_get_str(f2b_py_item(cmd, 1), NULL);
  if (strcmp(verb, "add") == 0) {
    g_hash_table_replace(c->filters, g_strdup(jail), f2b_filter_new(c->wall_now));
    return;
  }
  F2bFilter *f = g_hash_table_lookup(c->filters, jail);
  if (f == NULL || n != 4 || f2b_py_kind(f2b_py_item(cmd, 2)) != F2B_PY_STR)
    return;
  const char *option = f2b_py_get_str(f2b_py_item(cmd, 2), NULL);
  const F2bPyObj *v = f2b_py_item(cmd, 3);
  if (strcmp(verb, "set") == 0) {
    apply_set(c, f, jail, option, v);
  } else if (strcmp(verb, "multi-set") == 0 && f2b_py_kind(v) == F2B_PY_LIST) {
    for (gsize i = 0; i < f2b_py_len(v); i++)
      apply_set(c, f, jail, option, f2b_py_item(v, i));
  }
}

GPtrArray *
f2b_jailcheck_stream(const F2bPyObj *stream, double wall_now)
{
  Check c = { .wall_now = wall_now };
  c.filters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)f2b_filter_free);
  c.counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c.problems = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_jailcheck_problem_free);
  for (gsize i = 0; stream != NULL && i < f2b_py_len(stream); i++)
    if (f2b_py_kind(f2b_py_item(stream, i)) == F2B_PY_LIST)
      apply_command(&c, f2b_py_item(stream, i));
  g_hash_table_destroy(c.filters);
  g_hash_table_destroy(c.counts);
  return c.problems;
}
