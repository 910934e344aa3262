/* failmanager.c - fail2ban's FailManager (see failmanager.h).
 *
 * Each stored ticket has an entry that sits in three places: the hash table
 * by id, the insertion-order queue (a link embedded in the entry) and the
 * time-ordered sequence (ties broken by insertion serial, so the order is
 * total and stable).  A ticket's place in time order is corrected lazily,
 * when it reaches the front. */
#include "failmanager.h"

typedef struct {
  F2bTicket *ticket; /* a reference */
  double time;       /* the ticket's time when last placed in by_time */
  guint64 serial;
  GList order_link;
  GSequenceIter *by_time;
} Entry;

struct F2bFailManager {
  GHashTable *by_id; /* ticket->id (borrowed) -> Entry (owned) */
  GQueue order;      /* Entry, insertion order */
  GSequence *by_time;
  gint64 max_retry;
  double max_time;
  guint max_matches;
  gint64 fail_total;
  guint64 next_serial;
};

static gint
entry_compare(gconstpointer pa, gconstpointer pb, gpointer unused)
{
  const Entry *a = pa, *b = pb;
  (void)unused;
  if (a->time != b->time)
    return a->time < b->time ? -1 : 1;
  return a->serial < b->serial ? -1 : a->serial > b->serial;
}

static void
entry_free(gpointer p)
{
  Entry *e = p;
  f2b_ticket_unref(e->ticket);
  g_free(e);
}

F2bFailManager *
f2b_failmanager_new(void)
{
  F2bFailManager *fm = g_new0(F2bFailManager, 1);
  fm->by_id = g_hash_table_new_full(f2b_ipaddr_hash_func, f2b_ipaddr_equal_func, NULL, entry_free);
  g_queue_init(&fm->order);
  fm->by_time = g_sequence_new(NULL);
  fm->max_retry = 3;
  fm->max_time = 600;
  fm->max_matches = 5;
  return fm;
}

void
f2b_failmanager_free(F2bFailManager *fm)
{
  if (!fm)
    return;
  g_sequence_free(fm->by_time);
  g_hash_table_destroy(fm->by_id);
  g_free(fm);
}

void f2b_failmanager_set_max_retry(F2bFailManager *fm, gint64 v) { fm->max_retry = v; }
gint64 f2b_failmanager_get_max_retry(const F2bFailManager *fm) { return fm->max_retry; }
void f2b_failmanager_set_max_time(F2bFailManager *fm, double v) { fm->max_time = v; }
double f2b_failmanager_get_max_time(const F2bFailManager *fm) { return fm->max_time; }
void f2b_failmanager_set_max_matches(F2bFailManager *fm, guint v) { fm->max_matches = v; }
guint f2b_failmanager_get_max_matches(const F2bFailManager *fm) { return fm->max_matches; }
void f2b_failmanager_set_fail_total(F2bFailManager *fm, gint64 v) { fm->fail_total = v; }
gint64 f2b_failmanager_get_fail_total(const F2bFailManager *fm) { return fm->fail_total; }

guint
f2b_failmanager_size(const F2bFailManager *fm)
{
  return g_hash_table_size(fm->by_id);
}

void
f2b_failmanager_get_fail_count(const F2bFailManager *fm, guint *ids, gint64 *retries)
{
  gint64 sum = 0;
  for (GList *l = fm->order.head; l; l = l->next)
    sum += ((Entry *)l->data)->ticket->retry;
  if (ids)
    *ids = f2b_failmanager_size(fm);
  if (retries)
    *retries = sum;
}

static void
store(F2bFailManager *fm, F2bTicket *ticket)
{
  Entry *e = g_new0(Entry, 1);
  e->ticket = f2b_ticket_ref(ticket);
  e->time = ticket->time;
  e->serial = fm->next_serial++;
  e->order_link.data = e;
  g_queue_push_tail_link(&fm->order, &e->order_link);
  e->by_time = g_sequence_insert_sorted(fm->by_time, e, entry_compare, NULL);
  g_hash_table_insert(fm->by_id, ticket->id, e);
}

/* Takes ENTRY out of every index; returns its ticket (transfer full). */
static F2bTicket *
take(F2bFailManager *fm, Entry *e)
{
  F2bTicket *ticket = f2b_ticket_ref(e->ticket);
  g_queue_unlink(&fm->order, &e->order_link);
  g_sequence_remove(e->by_time);
  g_hash_table_remove(fm->by_id, ticket->id);
  return ticket;
}

static void
merge_into(F2bFailManager *fm, Entry *e, F2bTicket *ticket, gint64 count)
{
  F2bTicket *stored = e->ticket;
  GPtrArray *matches = NULL;
  gint64 attempt = 1;
  if (stored != ticket) {
    matches = fm->max_matches ? ticket->matches : NULL;
    attempt = ticket->failures;
    if (attempt <= 0)
      attempt += 1;
  }
  f2b_ticket_adjust_time(stored, ticket->time, fm->max_time);
  f2b_ticket_inc(stored, matches, attempt, count);
  f2b_ticket_truncate_matches(stored, fm->max_matches);
  /* by_time is fixed lazily (refresh_head): an attacker's repeated failures
   * move one ticket forward many times, and only its latest time matters */
}

/* Re-places the first entries whose ticket moved forward since they were
 * placed, until the first entry is up to date. */
static void
refresh_head(F2bFailManager *fm)
{
  for (;;) {
    GSequenceIter *first = g_sequence_get_begin_iter(fm->by_time);
    if (g_sequence_iter_is_end(first))
      return;
    Entry *e = g_sequence_get(first);
    if (e->time == e->ticket->time)
      return;
    e->time = e->ticket->time;
    g_sequence_sort_changed(first, entry_compare, NULL);
  }
}

gint64
f2b_failmanager_add_failure(F2bFailManager *fm, F2bTicket *ticket, gint64 count, gboolean observed)
{
  g_return_val_if_fail(fm != NULL && ticket != NULL, 0);
  Entry *e = g_hash_table_lookup(fm->by_id, ticket->id);
  F2bTicket *stored;
  if (e) {
    merge_into(fm, e, ticket, count);
    stored = e->ticket;
  } else {
    /* not failing (any more): an observer's or a banned ticket is not re-added */
    if (observed || ticket->kind == F2B_TICKET_BAN)
      return ticket->retry;
    if (ticket->kind != F2B_TICKET_FAIL)
      f2b_ticket_wrap(ticket, F2B_TICKET_FAIL);
    if (count > ticket->failures)
      f2b_ticket_set_retry(ticket, count);
    store(fm, ticket);
    stored = ticket;
  }
  fm->fail_total++;
  return stored->retry;
}

F2bTicket *
f2b_failmanager_lookup(const F2bFailManager *fm, const F2bIPAddr *id)
{
  Entry *e = g_hash_table_lookup(fm->by_id, id);
  return e ? e->ticket : NULL;
}

void
f2b_failmanager_del_failure(F2bFailManager *fm, const F2bIPAddr *id)
{
  Entry *e = g_hash_table_lookup(fm->by_id, id);
  if (e)
    f2b_ticket_unref(take(fm, e));
}

F2bTicket *
f2b_failmanager_to_ban(F2bFailManager *fm, const F2bIPAddr *id)
{
  Entry *e = id ? g_hash_table_lookup(fm->by_id, id) : NULL;
  if (e)
    return e->ticket->retry >= fm->max_retry ? take(fm, e) : NULL;
  for (GList *l = fm->order.head; l; l = l->next) {
    e = l->data;
    if (e->ticket->retry >= fm->max_retry)
      return take(fm, e);
  }
  return NULL;
}

guint
f2b_failmanager_cleanup(F2bFailManager *fm, double now)
{
  double limit = now - fm->max_time;
  guint removed = 0;
  for (;;) {
    refresh_head(fm);
    GSequenceIter *first = g_sequence_get_begin_iter(fm->by_time);
    if (g_sequence_iter_is_end(first))
      break;
    Entry *e = g_sequence_get(first);
    if (!(e->ticket->time <= limit))
      break;
    f2b_ticket_unref(take(fm, e));
    removed++;
  }
  return removed;
}

gboolean
f2b_failmanager_next_expiry(F2bFailManager *fm, double *when)
{
  refresh_head(fm);
  GSequenceIter *first = g_sequence_get_begin_iter(fm->by_time);
  if (g_sequence_iter_is_end(first))
    return FALSE;
  const Entry *e = g_sequence_get(first);
  if (when)
    *when = e->ticket->time + fm->max_time;
  return TRUE;
}

GPtrArray *
f2b_failmanager_tickets(const F2bFailManager *fm)
{
  GPtrArray *out = g_ptr_array_sized_new(f2b_failmanager_size(fm));
  for (GList *l = fm->order.head; l; l = l->next)
    g_ptr_array_add(out, ((Entry *)l->data)->ticket);
  return out;
}
