/* ttlcache.h - fail2ban's Utils.Cache: a bounded map whose entries expire.
 *
 * fail2ban keeps DNS answers (name -> addresses, 5 minutes, 1000 entries)
 * and the verdicts of ignorecommand (the jail's `ignorecache`) in such a
 * cache.  Its rules, kept here: an entry lives MAX_TIME seconds from the
 * moment it was set; a lookup of an expired entry removes it; when a set
 * finds the cache full, entries are dropped oldest first (insertion order;
 * setting an existing key keeps its place) until one that has not expired
 * is dropped with room left, so that a set always makes room for itself.
 *
 * Time is an argument (seconds since the epoch): nothing here reads a clock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct F2bTtlCache F2bTtlCache;

/* VALUE_FREE (may be NULL) frees values dropped or replaced. */
F2bTtlCache *f2b_ttlcache_new(guint max_count, double max_time, GDestroyNotify value_free);
void f2b_ttlcache_free(F2bTtlCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bTtlCache, f2b_ttlcache_free)

guint f2b_ttlcache_get_max_count(const F2bTtlCache *cache);
double f2b_ttlcache_get_max_time(const F2bTtlCache *cache);

/* TRUE and *VALUE (transfer none; may be NULL) when KEY is held and its
 * expiry is after NOW; an expired entry is removed. */
gboolean f2b_ttlcache_get(F2bTtlCache *cache, const char *key, double now, gpointer *value);
/* Stores VALUE (transfer full) for KEY (copied) until NOW + max time. */
void f2b_ttlcache_set(F2bTtlCache *cache, const char *key, gpointer value, double now);
void f2b_ttlcache_unset(F2bTtlCache *cache, const char *key);
void f2b_ttlcache_clear(F2bTtlCache *cache);
guint f2b_ttlcache_size(const F2bTtlCache *cache);

G_END_DECLS
