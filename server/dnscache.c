/* dnscache.c - asynchronous, cached name resolution (see dnscache.h).
 *
 * One lookup per name at a time: a second asker of a name in flight just
 * waits for the listeners' call.  A generation number lets lookups that were
 * running across a reset end without touching the new cache. */
#include "dnscache.h"

#include <netdb.h>
#include <string.h>

#include "ipaddr.h"
#include "serverlog.h"
#include "ttlcache.h"

#define LOGGER "fail2ban.ipdns"
#define CACHE_COUNT 1000
#define CACHE_TIME (5 * 60)

typedef struct {
  guint id;
  F2bsDnsListener func;
  gpointer data;
} Listener;

typedef struct {
  char *name;
  guint generation;
} Lookup;

static F2bTtlCache *answers;   /* name -> GPtrArray of F2bIPAddr* */
static GHashTable *in_flight;  /* name -> NULL */
static GArray *listeners;      /* Listener */
static guint next_listener_id = 1;
static guint generation;

static double
now_s(void)
{
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static void
ensure_state(void)
{
  if (answers == NULL)
    answers = f2b_ttlcache_new(CACHE_COUNT, CACHE_TIME, (GDestroyNotify)g_ptr_array_unref);
  if (in_flight == NULL)
    in_flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (listeners == NULL)
    listeners = g_array_new(FALSE, FALSE, sizeof(Listener));
}

char *
f2bs_dns_error_text(const GError *error)
{
  static const int codes[] = { EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_FAMILY, EAI_SERVICE, EAI_MEMORY,
                               EAI_SYSTEM, EAI_BADFLAGS,
#ifdef EAI_NODATA
                               EAI_NODATA,
#endif
#ifdef EAI_ADDRFAMILY
                               EAI_ADDRFAMILY,
#endif
  };
  const char *msg = error->message;
  const char *sep = g_strrstr(msg, ": ");
  const char *tail = sep ? sep + 2 : msg;
  for (guint i = 0; i < G_N_ELEMENTS(codes); i++)
    if (strcmp(tail, gai_strerror(codes[i])) == 0)
      return g_strdup_printf("[Errno %d] %s", codes[i], tail);
  return g_strdup(msg);
}

static void
notify(void)
{
  /* a listener may add or remove listeners: walk a copy */
  g_autoptr(GArray) copy = g_array_copy(listeners);
  for (guint i = 0; i < copy->len; i++) {
    Listener *l = &g_array_index(copy, Listener, i);
    gboolean still = FALSE;
    for (guint j = 0; j < listeners->len && !still; j++)
      still = g_array_index(listeners, Listener, j).id == l->id;
    if (still)
      l->func(l->data);
  }
}

static GPtrArray *
addresses_of(GList *found)
{
  GPtrArray *addrs = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ipaddr_free);
  for (GList *l = found; l; l = l->next) {
    g_autofree char *text = g_inet_address_to_string(l->data);
    F2bIPAddr *ip = f2b_ipaddr_new(text, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
    gboolean dup = ip == NULL || !f2b_ipaddr_is_valid(ip);
    for (guint i = 0; i < addrs->len && !dup; i++)
      dup = f2b_ipaddr_equal(addrs->pdata[i], ip);
    if (dup)
      f2b_ipaddr_free(ip);
    else
      g_ptr_array_add(addrs, ip);
  }
  return addrs;
}

static void
on_resolved(GObject *source, GAsyncResult *res, gpointer data)
{
  Lookup *lk = data;
  GError *error = NULL;
  GList *found = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);
  if (lk->generation == generation) {
    GPtrArray *addrs = addresses_of(found);
    if (addrs->len == 0 && error) {
      g_autofree char *why = f2bs_dns_error_text(error);
      f2bs_log(F2BS_LOG_WARNING, LOGGER, "Unable to find a corresponding IP address for %s: %s", lk->name, why);
    }
    g_hash_table_remove(in_flight, lk->name);
    f2b_ttlcache_set(answers, lk->name, addrs, now_s());
  }
  g_resolver_free_addresses(found);
  g_clear_error(&error);
  gboolean current = lk->generation == generation;
  g_free(lk->name);
  g_free(lk);
  if (current)
    notify();
}

gboolean
f2bs_dns_to_ip(const char *name, GPtrArray **addrs)
{
  ensure_state();
  gpointer v;
  if (f2b_ttlcache_get(answers, name, now_s(), &v)) {
    *addrs = g_ptr_array_ref(v);
    return TRUE;
  }
  *addrs = NULL;
  if (g_hash_table_contains(in_flight, name))
    return FALSE;
  g_hash_table_add(in_flight, g_strdup(name));
  Lookup *lk = g_new0(Lookup, 1);
  lk->name = g_strdup(name);
  lk->generation = generation;
  g_autoptr(GResolver) resolver = g_resolver_get_default();
  g_resolver_lookup_by_name_async(resolver, name, NULL, on_resolved, lk);
  return FALSE;
}

/* The answers for this host's own names ("localhost" and the host name) into
 * LISTS (GPtrArray * of F2bIPAddr * each); FALSE while any is not known yet.
 * Every name is asked for at once: they resolve in parallel. */
static gboolean
self_answers(GPtrArray *lists)
{
  const char *names[] = { "localhost", g_get_host_name() };
  gboolean known = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    if (names[i] == NULL || *names[i] == '\0' || (i > 0 && strcmp(names[i], names[0]) == 0))
      continue;
    GPtrArray *found;
    if (f2bs_dns_to_ip(names[i], &found))
      g_ptr_array_add(lists, found);
    else
      known = FALSE;
  }
  return known;
}

gboolean
f2bs_dns_self_ips(GPtrArray **addrs)
{
  g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  *addrs = NULL;
  if (!self_answers(lists))
    return FALSE;
  GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ipaddr_free);
  for (guint i = 0; i < lists->len; i++) {
    GPtrArray *found = lists->pdata[i];
    for (guint j = 0; j < found->len; j++) {
      gboolean dup = FALSE;
      for (guint k = 0; k < all->len && !dup; k++)
        dup = f2b_ipaddr_equal(all->pdata[k], found->pdata[j]);
      if (!dup)
        g_ptr_array_add(all, f2b_ipaddr_copy(found->pdata[j]));
    }
  }
  *addrs = all;
  return TRUE;
}

gboolean
f2bs_dns_is_self(const F2bIPAddr *ip, gboolean *mine)
{
  g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  *mine = FALSE;
  if (!self_answers(lists))
    return FALSE;
  for (guint i = 0; i < lists->len && !*mine; i++) {
    GPtrArray *found = lists->pdata[i];
    for (guint j = 0; j < found->len && !*mine; j++)
      *mine = f2b_ipaddr_equal(found->pdata[j], ip);
  }
  return TRUE;
}

guint
f2bs_dns_add_listener(F2bsDnsListener func, gpointer data)
{
  ensure_state();
  Listener l = { next_listener_id++, func, data };
  g_array_append_val(listeners, l);
  return l.id;
}

void
f2bs_dns_remove_listener(guint id)
{
  for (guint i = 0; listeners && i < listeners->len; i++)
    if (g_array_index(listeners, Listener, i).id == id) {
      g_array_remove_index(listeners, i);
      return;
    }
}

void
f2bs_dns_reset(void)
{
  generation++;
  if (answers)
    f2b_ttlcache_clear(answers);
  if (in_flight)
    g_hash_table_remove_all(in_flight);
}
