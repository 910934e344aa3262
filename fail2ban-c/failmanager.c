/* failmanager.c - fail2ban's FailManager (see failmanager.h).
 *
 * Tickets sit in a ticket table keyed by their time when placed.  A
 * ticket's place in time order is corrected lazily, when it reaches the
 * front. */
#include "failmanager.h"

#include "tickettab.h"

struct F2bFailManager {
  F2bTicketTable *tickets; /* keyed by the ticket's time when last placed */
  gint64 max_retry;
  double max_time;
  guint max_matches;
  gint64 fail_total;
};

F2bFailManager *
f2b_failmanager_new(void)
{
  F2bFailManager *fm = g_new0(F2bFailManager, 1);
  fm->tickets = f2b_tickettab_new();
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
  f2b_tickettab_free(fm->tickets);
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
  return f2b_tickettab_size(fm->tickets);
}

static gboolean
add_retry(F2bTicket *ticket, double key, gpointer sum)
{
  (void)key;
  *(gint64 *)sum += ticket->retry;
  return TRUE;
}

void
f2b_failmanager_get_fail_count(const F2bFailManager *fm, guint *ids, gint64 *retries)
{
  gint64 sum = 0;
  f2b_tickettab_foreach(fm->tickets, add_retry, &sum);
  if (ids)
    *ids = f2b_failmanager_size(fm);
  if (retries)
    *retries = sum;
}

static void
merge_into(F2bFailManager *fm, F2bTicket *stored, F2bTicket *ticket, gint64 count)
{
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
  /* the time order is fixed lazily (refresh_head): an attacker's repeated failures
   * move one ticket forward many times, and only its latest time matters */
}

/* Re-places the first entries whose ticket moved forward since they were
 * placed, until the first entry is up to date. */
static void
refresh_head(F2bFailManager *fm)
{
  F2bTicket *first;
  double placed;
  while (f2b_tickettab_first(fm->tickets, &first, &placed) && placed != first->time)
    f2b_tickettab_set_key(fm->tickets, first->id, first->time);
}

gint64
f2b_failmanager_add_failure(F2bFailManager *fm, F2bTicket *ticket, gint64 count, gboolean observed)
{
  g_return_val_if_fail(fm != NULL && ticket != NULL, 0);
  F2bTicket *stored = f2b_tickettab_lookup(fm->tickets, ticket->id);
  if (stored) {
    merge_into(fm, stored, ticket, count);
  } else {
    /* not failing (any more): an observer's or a banned ticket is not re-added */
    if (observed || ticket->kind == F2B_TICKET_BAN)
      return ticket->retry;
    if (ticket->kind != F2B_TICKET_FAIL)
      f2b_ticket_wrap(ticket, F2B_TICKET_FAIL);
    if (count > ticket->failures)
      f2b_ticket_set_retry(ticket, count);
    f2b_tickettab_insert(fm->tickets, ticket, ticket->time);
    stored = ticket;
  }
  fm->fail_total++;
  return stored->retry;
}

F2bTicket *
f2b_failmanager_lookup(const F2bFailManager *fm, const F2bIPAddr *id)
{
  return f2b_tickettab_lookup(fm->tickets, id);
}

void
f2b_failmanager_del_failure(F2bFailManager *fm, const F2bIPAddr *id)
{
  f2b_ticket_unref(f2b_tickettab_take(fm->tickets, id));
}

typedef struct {
  gint64 max_retry;
  F2bTicket *found;
} Ready;

static gboolean
find_ready(F2bTicket *ticket, double key, gpointer data)
{
  Ready *r = data;
  (void)key;
  if (ticket->retry < r->max_retry)
    return TRUE;
  r->found = ticket;
  return FALSE;
}

F2bTicket *
f2b_failmanager_to_ban(F2bFailManager *fm, const F2bIPAddr *id)
{
  if (id) {
    F2bTicket *t = f2b_tickettab_lookup(fm->tickets, id);
    if (t)
      return t->retry >= fm->max_retry ? f2b_tickettab_take(fm->tickets, id) : NULL;
  }
  Ready r = { fm->max_retry, NULL };
  f2b_tickettab_foreach(fm->tickets, find_ready, &r);
  return r.found ? f2b_tickettab_take(fm->tickets, r.found->id) : NULL;
}

guint
f2b_failmanager_cleanup(F2bFailManager *fm, double now)
{
  double limit = now - fm->max_time;
  guint removed = 0;
  F2bTicket *first;
  for (;;) {
    refresh_head(fm);
    if (!f2b_tickettab_first(fm->tickets, &first, NULL) || !(first->time <= limit))
      break;
    f2b_ticket_unref(f2b_tickettab_take(fm->tickets, first->id));
    removed++;
  }
  return removed;
}

gboolean
f2b_failmanager_next_expiry(F2bFailManager *fm, double *when)
{
  refresh_head(fm);
  F2bTicket *first;
  if (!f2b_tickettab_first(fm->tickets, &first, NULL))
    return FALSE;
  if (when)
    *when = first->time + fm->max_time;
  return TRUE;
}

GPtrArray *
f2b_failmanager_tickets(const F2bFailManager *fm)
{
  return f2b_tickettab_list(fm->tickets);
}
