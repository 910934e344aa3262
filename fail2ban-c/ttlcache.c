/* ttlcache.c - fail2ban's Utils.Cache (see ttlcache.h).
 *
 * A hash table finds an entry, a queue keeps the insertion order that the
 * eviction on a full cache walks. */
#include "ttlcache.h"

typedef struct {
  char *key;
  gpointer value;
  double expires;
  GList *link; /* its node in the order queue */
} Entry;

struct F2bTtlCache {
  guint max_count;
  double max_time;
  GDestroyNotify value_free;
  GHashTable *index; /* key -> Entry* (owned by the queue) */
  GQueue order;      /* Entry*, oldest first */
};

static void
entry_free(F2bTtlCache *c, Entry *e)
{
  if (c->value_free && e->value)
    c->value_free(e->value);
  g_free(e->key);
  g_free(e);
}

F2bTtlCache *
f2b_ttlcache_new(guint max_count, double max_time, GDestroyNotify value_free)
{
  F2bTtlCache *c = g_new0(F2bTtlCache, 1);
  c->max_count = max_count;
  c->max_time = max_time;
  c->value_free = value_free;
  c->index = g_hash_table_new(g_str_hash, g_str_equal);
  g_queue_init(&c->order);
  return c;
}

void
f2b_ttlcache_clear(F2bTtlCache *cache)
{
  g_hash_table_remove_all(cache->index);
  Entry *e;
  while ((e = g_queue_pop_head(&cache->order)) != NULL)
    entry_free(cache, e);
}

void
f2b_ttlcache_free(F2bTtlCache *cache)
{
  if (cache == NULL)
    return;
  f2b_ttlcache_clear(cache);
  g_hash_table_unref(cache->index);
  g_free(cache);
}

guint
f2b_ttlcache_get_max_count(const F2bTtlCache *cache)
{
  return cache->max_count;
}

double
f2b_ttlcache_get_max_time(const F2bTtlCache *cache)
{
  return cache->max_time;
}

static void
remove_entry(F2bTtlCache *c, Entry *e)
{
  g_hash_table_remove(c->index, e->key);
  g_queue_delete_link(&c->order, e->link);
  entry_free(c, e);
}

gboolean
f2b_ttlcache_get(F2bTtlCache *cache, const char *key, double now, gpointer *value)
{
  Entry *e = g_hash_table_lookup(cache->index, key);
  if (e == NULL)
    return FALSE;
  if (e->expires > now) {
    if (value)
      *value = e->value;
    return TRUE;
  }
  remove_entry(cache, e);
  return FALSE;
}

/* Utils.Cache.set on a full cache: pop from the front while the popped entry
 * had expired or the cache is still full. */
static void
make_room(F2bTtlCache *c, double now)
{
  while (c->order.length >= c->max_count && c->order.head) {
    Entry *e;
    do {
      e = c->order.head->data;
      gboolean alive = e->expires > now;
      remove_entry(c, e);
      if (alive && c->order.length < c->max_count)
        return;
    } while (c->order.head);
  }
}

void
f2b_ttlcache_set(F2bTtlCache *cache, const char *key, gpointer value, double now)
{
  make_room(cache, now);
  Entry *e = g_hash_table_lookup(cache->index, key);
  if (e) {
    if (cache->value_free && e->value && e->value != value)
      cache->value_free(e->value);
  } else {
    e = g_new0(Entry, 1);
    e->key = g_strdup(key);
    g_queue_push_tail(&cache->order, e);
    e->link = cache->order.tail;
    g_hash_table_insert(cache->index, e->key, e);
  }
  e->value = value;
  e->expires = now + cache->max_time;
}

void
f2b_ttlcache_unset(F2bTtlCache *cache, const char *key)
{
  Entry *e = g_hash_table_lookup(cache->index, key);
  if (e)
    remove_entry(cache, e);
}

guint
f2b_ttlcache_size(const F2bTtlCache *cache)
{
  return cache->order.length;
}
