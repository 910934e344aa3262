/* jails.c - the server's jails by name (see jails.h). */
#include "jails.h"

#include <string.h>

#include "pyexc.h"

struct F2bsJails {
  GPtrArray *order;   /* F2bsJail*, owned */
  GHashTable *byname; /* name -> F2bsJail*, borrowed */
};

static void
jail_free(gpointer p)
{
  f2bs_jail_free(p);
}

F2bsJails *
f2bs_jails_new(void)
{
  F2bsJails *j = g_new0(F2bsJails, 1);
  j->order = g_ptr_array_new_with_free_func(jail_free);
  j->byname = g_hash_table_new(g_str_hash, g_str_equal);
  return j;
}

void
f2bs_jails_free(F2bsJails *jails)
{
  if (jails == NULL)
    return;
  g_hash_table_unref(jails->byname);
  g_ptr_array_unref(jails->order);
  g_free(jails);
}

void
f2bs_jails_add(F2bsJails *jails, F2bsJail *jail)
{
  g_return_if_fail(!g_hash_table_contains(jails->byname, jail->name));
  g_ptr_array_add(jails->order, jail);
  g_hash_table_insert(jails->byname, jail->name, jail);
}

F2bsJail *
f2bs_jails_get(F2bsJails *jails, const char *name, GError **error)
{
  F2bsJail *jail = g_hash_table_lookup(jails->byname, name);
  if (jail == NULL)
    f2bs_pyexc_set(error, F2BS_PYEXC_UNKNOWN_JAIL, "%s", name);
  return jail;
}

gboolean
f2bs_jails_exists(F2bsJails *jails, const char *name)
{
  return g_hash_table_contains(jails->byname, name);
}

gboolean
f2bs_jails_remove(F2bsJails *jails, const char *name, GError **error)
{
  F2bsJail *jail = f2bs_jails_get(jails, name, error);
  if (jail == NULL)
    return FALSE;
  g_hash_table_remove(jails->byname, name);
  g_ptr_array_remove(jails->order, jail);
  return TRUE;
}

guint
f2bs_jails_count(const F2bsJails *jails)
{
  return jails->order->len;
}

F2bsJail *
f2bs_jails_nth(const F2bsJails *jails, guint i)
{
  return jails->order->pdata[i];
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
f2bs_jails_list(const F2bsJails *jails)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  for (guint i = 0; i < jails->order->len; i++)
    g_ptr_array_add(names, ((F2bsJail *)jails->order->pdata[i])->name);
  g_ptr_array_sort(names, cmp_names);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf(out, "%s%s", i ? ", " : "", (char *)names->pdata[i]);
  return g_string_free(out, FALSE);
}
