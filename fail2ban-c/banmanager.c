/* banmanager.c - fail2ban's BanManager (see banmanager.h).
 *
 * An entry sits in the hash table by id, in the insertion-order queue (a
 * link embedded in the entry) and in a sequence ordered by (eob, serial).
 * The eob an entry was placed with is cached; unban_list checks it against
 * the ticket before trusting it, so a missed reschedule delays nothing that
 * ended earlier than cached. */
#include "banmanager.h"

#include <math.h>

#include "timeutil.h"

G_DEFINE_QUARK(f2b-banmanager-error-quark, f2b_banmanager_error)

typedef struct {
  F2bTicket *ticket;
  double eob;
  guint64 serial;
  GList order_link;
  GSequenceIter *by_end;
} Entry;

struct F2bBanManager {
  GHashTable *by_id; /* ticket->id (borrowed) -> Entry (owned) */
  GQueue order;
  GSequence *by_end;
  gint64 ban_time;
  gint64 ban_total;
  guint64 next_serial;
};

static gint
entry_compare(gconstpointer pa, gconstpointer pb, gpointer unused)
{
  const Entry *a = pa, *b = pb;
  (void)unused;
  if (a->eob != b->eob)
    return a->eob < b->eob ? -1 : 1;
  return a->serial < b->serial ? -1 : a->serial > b->serial;
}

static void
entry_free(gpointer p)
{
  Entry *e = p;
  f2b_ticket_unref(e->ticket);
  g_free(e);
}

F2bBanManager *
f2b_banmanager_new(void)
{
  F2bBanManager *bm = g_new0(F2bBanManager, 1);
  bm->by_id = g_hash_table_new_full(f2b_ipaddr_hash_func, f2b_ipaddr_equal_func, NULL, entry_free);
  g_queue_init(&bm->order);
  bm->by_end = g_sequence_new(NULL);
  bm->ban_time = 600;
  return bm;
}

void
f2b_banmanager_free(F2bBanManager *bm)
{
  if (!bm)
    return;
  g_sequence_free(bm->by_end);
  g_hash_table_destroy(bm->by_id);
  g_free(bm);
}

static F2bPyNum
default_bt(const F2bBanManager *bm)
{
  return f2b_pynum_int(bm->ban_time);
}

static double
eob_of(const F2bBanManager *bm, const F2bTicket *t)
{
  return f2b_ticket_end_of_ban(t, default_bt(bm));
}

/* Re-places E when its ticket's end of ban moved. */
static void
refresh(F2bBanManager *bm, Entry *e)
{
  double eob = eob_of(bm, e->ticket);
  if (eob != e->eob) {
    e->eob = eob;
    g_sequence_sort_changed(e->by_end, entry_compare, NULL);
  }
}

void
f2b_banmanager_set_ban_time(F2bBanManager *bm, gint64 ban_time)
{
  bm->ban_time = ban_time;
  for (GList *l = bm->order.head; l; l = l->next)
    ((Entry *)l->data)->eob = eob_of(bm, ((Entry *)l->data)->ticket);
  g_sequence_sort(bm->by_end, entry_compare, NULL);
}

gint64 f2b_banmanager_get_ban_time(const F2bBanManager *bm) { return bm->ban_time; }
void f2b_banmanager_set_ban_total(F2bBanManager *bm, gint64 v) { bm->ban_total = v; }
gint64 f2b_banmanager_get_ban_total(const F2bBanManager *bm) { return bm->ban_total; }

guint
f2b_banmanager_size(const F2bBanManager *bm)
{
  return g_hash_table_size(bm->by_id);
}

static void
store(F2bBanManager *bm, F2bTicket *ticket, double eob)
{
  Entry *e = g_new0(Entry, 1);
  e->ticket = f2b_ticket_ref(ticket);
  e->eob = eob;
  e->serial = bm->next_serial++;
  e->order_link.data = e;
  g_queue_push_tail_link(&bm->order, &e->order_link);
  e->by_end = g_sequence_insert_sorted(bm->by_end, e, entry_compare, NULL);
  g_hash_table_insert(bm->by_id, ticket->id, e);
}

static F2bTicket *
take(F2bBanManager *bm, Entry *e)
{
  F2bTicket *ticket = f2b_ticket_ref(e->ticket);
  g_queue_unlink(&bm->order, &e->order_link);
  g_sequence_remove(e->by_end);
  g_hash_table_remove(bm->by_id, ticket->id);
  return ticket;
}

/* The old ticket now ends when the new one does: its ban time grows by the
 * new ban time and by how much later the new ticket is. */
static void
prolong(F2bBanManager *bm, Entry *old, const F2bTicket *ticket)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(ticket, default_bt(bm));
  if (f2b_pynum_as_double(bt) != -1.0) {
    double later = ticket->time - old->ticket->time;
    if (later > 0)
      bt = f2b_pynum_float(f2b_pynum_as_double(bt) + later);
  }
  f2b_ticket_set_ban_time(old->ticket, bt);
  refresh(bm, old);
}

gboolean
f2b_banmanager_add_ban_ticket(F2bBanManager *bm, F2bTicket *ticket, double now, F2bBanReason *reason)
{
  g_return_val_if_fail(bm != NULL && ticket != NULL, FALSE);
  F2bBanReason unused;
  if (!reason)
    reason = &unused;
  *reason = (F2bBanReason){ FALSE, FALSE, NULL };
  double eob = eob_of(bm, ticket);
  if (eob < now) {
    reason->expired = TRUE;
    return FALSE;
  }
  Entry *old = g_hash_table_lookup(bm->by_id, ticket->id);
  if (old) {
    reason->ticket = old->ticket;
    if (eob > eob_of(bm, old->ticket)) {
      reason->prolong = TRUE;
      prolong(bm, old, ticket);
    }
    return FALSE;
  }
  store(bm, ticket, eob);
  bm->ban_total++;
  f2b_ticket_incr_ban_count(ticket, 1);
  return TRUE;
}

F2bTicket *
f2b_banmanager_lookup(const F2bBanManager *bm, const F2bIPAddr *id)
{
  Entry *e = g_hash_table_lookup(bm->by_id, id);
  return e ? e->ticket : NULL;
}

F2bTicket *
f2b_banmanager_get_ticket_by_id(F2bBanManager *bm, const F2bIPAddr *id)
{
  Entry *e = g_hash_table_lookup(bm->by_id, id);
  return e ? take(bm, e) : NULL;
}

void
f2b_banmanager_reschedule(F2bBanManager *bm, F2bTicket *ticket)
{
  Entry *e = g_hash_table_lookup(bm->by_id, ticket->id);
  if (e && e->ticket == ticket)
    refresh(bm, e);
}

GPtrArray *
f2b_banmanager_unban_list(F2bBanManager *bm, double now, guint max_count)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  while (max_count == 0 || out->len < max_count) {
    GSequenceIter *first = g_sequence_get_begin_iter(bm->by_end);
    if (g_sequence_iter_is_end(first))
      break;
    Entry *e = g_sequence_get(first);
    if (!(now > e->eob))
      break;
    if (eob_of(bm, e->ticket) != e->eob) { /* changed without reschedule */
      refresh(bm, e);
      continue;
    }
    g_ptr_array_add(out, take(bm, e));
  }
  return out;
}

gboolean
f2b_banmanager_next_unban_time(const F2bBanManager *bm, double *when)
{
  GSequenceIter *first = g_sequence_get_begin_iter(bm->by_end);
  if (g_sequence_iter_is_end(first))
    return FALSE;
  if (when)
    *when = ((const Entry *)g_sequence_get(first))->eob;
  return TRUE;
}

GPtrArray *
f2b_banmanager_flush(F2bBanManager *bm)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  while (bm->order.head)
    g_ptr_array_add(out, take(bm, bm->order.head->data));
  return out;
}

GPtrArray *
f2b_banmanager_tickets(const F2bBanManager *bm)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_banmanager_size(bm));
  for (GList *l = bm->order.head; l; l = l->next)
    g_ptr_array_add(out, ((Entry *)l->data)->ticket);
  return out;
}

GPtrArray *
f2b_banmanager_get_ban_list(const F2bBanManager *bm)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_banmanager_size(bm));
  for (GList *l = bm->order.head; l; l = l->next)
    g_ptr_array_add(out, ((Entry *)l->data)->ticket->id);
  return out;
}

GPtrArray *
f2b_banmanager_get_ban_list_ordered(const F2bBanManager *bm)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_banmanager_size(bm));
  for (GSequenceIter *it = g_sequence_get_begin_iter(bm->by_end); !g_sequence_iter_is_end(it);
       it = g_sequence_iter_next(it))
    g_ptr_array_add(out, ((Entry *)g_sequence_get(it))->ticket->id);
  return out;
}

/* Python's '%d' % bantime: an int, a float truncated towards zero. */
static gint64
ban_time_as_int(F2bPyNum bt)
{
  if (!bt.is_float)
    return bt.i;
  if (!isfinite(bt.f) || fabs(bt.f) >= 9.2e18)
    return bt.f < 0 ? G_MININT64 : G_MAXINT64;
  return (gint64)bt.f;
}

static char *
with_time_line(const F2bBanManager *bm, const Entry *e)
{
  gsize idlen;
  g_autofree char *id = f2b_ipaddr_to_string(e->ticket->id, &idlen);
  g_autofree char *start = f2b_timeutil_time2str(e->ticket->time);
  g_autofree char *end = f2b_timeutil_time2str(e->eob);
  GString *line = g_string_new_len(id, idlen);
  g_string_append_printf(line, " \t%s + %" G_GINT64_FORMAT " = %s", start,
                         ban_time_as_int(f2b_ticket_get_ban_time(e->ticket, default_bt(bm))), end);
  return g_string_free(line, FALSE);
}

GPtrArray *
f2b_banmanager_get_ban_list_with_time(const F2bBanManager *bm)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (GSequenceIter *it = g_sequence_get_begin_iter(bm->by_end); !g_sequence_iter_is_end(it);
       it = g_sequence_iter_next(it))
    g_ptr_array_add(out, with_time_line(bm, g_sequence_get(it)));
  return out;
}

GPtrArray *
f2b_banmanager_ids_in(const F2bBanManager *bm, const F2bIPAddr *net)
{
  GPtrArray *out = g_ptr_array_new();
  for (GList *l = bm->order.head; l; l = l->next) {
    F2bIPAddr *id = ((Entry *)l->data)->ticket->id;
    if (f2b_ipaddr_contains(net, id))
      g_ptr_array_add(out, id);
  }
  return out;
}

gboolean
f2b_banmanager_is_banned(const F2bBanManager *bm, const char *text, gssize len, gboolean *banned, GError **error)
{
  g_autoptr(F2bIPAddr) raw = f2b_ipaddr_new(text, len, F2B_IPADDR_CIDR_RAW, NULL);
  if (raw && g_hash_table_contains(bm->by_id, raw)) {
    *banned = TRUE;
    return TRUE;
  }
  g_autoptr(F2bIPAddr) parsed = f2b_ipaddr_new(text, len, F2B_IPADDR_CIDR_UNSPEC, error);
  if (!parsed)
    return FALSE;
  *banned = g_hash_table_contains(bm->by_id, parsed);
  return TRUE;
}

F2bPyObj *
f2b_banmanager_banned_reply(const F2bBanManager *bm, const char *const *ids, guint n_ids, GError **error)
{
  F2bPyObj *out = f2b_py_list_new();
  if (n_ids == 0) {
    for (GList *l = bm->order.head; l; l = l->next) {
      gsize n;
      char *s = f2b_ipaddr_to_string(((Entry *)l->data)->ticket->id, &n);
      f2b_py_append(out, f2b_py_str_len(s, n));
      g_free(s);
    }
    return out;
  }
  for (guint k = 0; k < n_ids; k++) {
    gboolean banned;
    if (!f2b_banmanager_is_banned(bm, ids[k], -1, &banned, error)) {
      f2b_py_free(out);
      return NULL;
    }
    if (n_ids == 1) {
      f2b_py_free(out);
      return f2b_py_int(banned);
    }
    f2b_py_append(out, f2b_py_int(banned));
  }
  return out;
}

static F2bPyObj *
pair(const char *name, F2bPyObj *value)
{
  return f2b_py_tuple_of(f2b_py_str(name), value, NULL);
}

F2bPyObj *
f2b_banmanager_status(const F2bBanManager *bm, gboolean short_flavor)
{
  F2bPyObj *out = f2b_py_list_new();
  f2b_py_append(out, pair("Currently banned", f2b_py_int(f2b_banmanager_size(bm))));
  f2b_py_append(out, pair("Total banned", f2b_py_int(bm->ban_total)));
  if (!short_flavor)
    f2b_py_append(out, pair("Banned IP list", f2b_banmanager_banned_reply(bm, NULL, 0, NULL)));
  return out;
}
