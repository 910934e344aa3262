/* tickettab.c - tickets by id, in insertion order and in key order (see
 * tickettab.h).
 *
 * An entry sits in three places: the hash table by id (which owns it), the
 * insertion-order queue (a link embedded in the entry) and a GSequence
 * ordered by (key, serial). */
#include "tickettab.h"

typedef struct {
  F2bTicket *ticket; /* a reference */
  double key;
  guint64 serial; /* insertion number: ties in key keep insertion order */
  GList order_link;
  GSequenceIter *by_key;
} Entry;

struct F2bTicketTable {
  GHashTable *by_id; /* ticket->id (borrowed) -> Entry (owned) */
  GQueue order;
  GSequence *by_key;
  guint64 next_serial;
};

static gint
entry_compare(gconstpointer pa, gconstpointer pb, gpointer unused)
{
  const Entry *a = pa, *b = pb;
  (void)unused;
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->serial < b->serial ? -1 : a->serial > b->serial;
}

static void
entry_free(gpointer p)
{
  Entry *e = p;
  f2b_ticket_unref(e->ticket);
  g_free(e);
}

F2bTicketTable *
f2b_tickettab_new(void)
{
  F2bTicketTable *tab = g_new0(F2bTicketTable, 1);
  tab->by_id = g_hash_table_new_full(f2b_ipaddr_hash_func, f2b_ipaddr_equal_func, NULL, entry_free);
  g_queue_init(&tab->order);
  tab->by_key = g_sequence_new(NULL);
  return tab;
}

void
f2b_tickettab_free(F2bTicketTable *tab)
{
  if (!tab)
    return;
  g_sequence_free(tab->by_key);
  g_hash_table_destroy(tab->by_id);
  g_free(tab);
}

guint
f2b_tickettab_size(const F2bTicketTable *tab)
{
  return g_hash_table_size(tab->by_id);
}

F2bTicket *
f2b_tickettab_lookup(const F2bTicketTable *tab, const F2bIPAddr *id)
{
  const Entry *e = g_hash_table_lookup(tab->by_id, id);
  return e ? e->ticket : NULL;
}

void
f2b_tickettab_insert(F2bTicketTable *tab, F2bTicket *ticket, double key)
{
  g_return_if_fail(!g_hash_table_contains(tab->by_id, ticket->id));
  Entry *e = g_new0(Entry, 1);
  e->ticket = f2b_ticket_ref(ticket);
  e->key = key;
  e->serial = tab->next_serial++;
  e->order_link.data = e;
  g_queue_push_tail_link(&tab->order, &e->order_link);
  e->by_key = g_sequence_insert_sorted(tab->by_key, e, entry_compare, NULL);
  g_hash_table_insert(tab->by_id, ticket->id, e);
}

F2bTicket *
f2b_tickettab_take(F2bTicketTable *tab, const F2bIPAddr *id)
{
  Entry *e = g_hash_table_lookup(tab->by_id, id);
  if (!e)
    return NULL;
  F2bTicket *ticket = f2b_ticket_ref(e->ticket);
  g_queue_unlink(&tab->order, &e->order_link);
  g_sequence_remove(e->by_key);
  g_hash_table_remove(tab->by_id, ticket->id); /* frees E */
  return ticket;
}

gboolean
f2b_tickettab_first(const F2bTicketTable *tab, F2bTicket **ticket, double *key)
{
  GSequenceIter *first = g_sequence_get_begin_iter(tab->by_key);
  if (g_sequence_iter_is_end(first))
    return FALSE;
  const Entry *e = g_sequence_get(first);
  if (ticket)
    *ticket = e->ticket;
  if (key)
    *key = e->key;
  return TRUE;
}

void
f2b_tickettab_set_key(F2bTicketTable *tab, const F2bIPAddr *id, double key)
{
  Entry *e = g_hash_table_lookup(tab->by_id, id);
  if (!e || e->key == key)
    return;
  e->key = key;
  g_sequence_sort_changed(e->by_key, entry_compare, NULL);
}

void
f2b_tickettab_rekey_all(F2bTicketTable *tab, double (*key_of)(const F2bTicket *ticket, gpointer data),
                        gpointer data)
{
  for (GList *l = tab->order.head; l; l = l->next) {
    Entry *e = l->data;
    e->key = key_of(e->ticket, data);
  }
  g_sequence_sort(tab->by_key, entry_compare, NULL);
}

void
f2b_tickettab_foreach(const F2bTicketTable *tab, F2bTicketTableFunc func, gpointer data)
{
  for (GList *l = tab->order.head; l; l = l->next) {
    Entry *e = l->data;
    if (!func(e->ticket, e->key, data))
      return;
  }
}

void
f2b_tickettab_foreach_by_key(const F2bTicketTable *tab, F2bTicketTableFunc func, gpointer data)
{
  for (GSequenceIter *it = g_sequence_get_begin_iter(tab->by_key); !g_sequence_iter_is_end(it);
       it = g_sequence_iter_next(it)) {
    Entry *e = g_sequence_get(it);
    if (!func(e->ticket, e->key, data))
      return;
  }
}

static gboolean
add_to_array(F2bTicket *ticket, double key, gpointer out)
{
  (void)key;
  g_ptr_array_add(out, ticket);
  return TRUE;
}

GPtrArray *
f2b_tickettab_list(const F2bTicketTable *tab)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_tickettab_size(tab));
  f2b_tickettab_foreach(tab, add_to_array, out);
  return out;
}

GPtrArray *
f2b_tickettab_list_by_key(const F2bTicketTable *tab)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_tickettab_size(tab));
  f2b_tickettab_foreach_by_key(tab, add_to_array, out);
  return out;
}
