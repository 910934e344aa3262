/* banmanager.c - fail2ban's BanManager (see banmanager.h).
 *
 * Tickets sit in a ticket table keyed by the end of ban they were placed
 * with; unban_list checks that key against the ticket before trusting it,
 * so a missed reschedule delays nothing that ended earlier than cached. */
#include "banmanager.h"

#include <math.h>

#include "tickettab.h"
#include "timeutil.h"

G_DEFINE_QUARK(f2b-banmanager-error-quark, f2b_banmanager_error)

struct F2bBanManager {
  F2bTicketTable *tickets; /* keyed by the end of ban they were placed with */
  gint64 ban_time;
  gint64 ban_total;
};

F2bBanManager *
f2b_banmanager_new(void)
{
  F2bBanManager *bm = g_new0(F2bBanManager, 1);
  bm->tickets = f2b_tickettab_new();
  bm->ban_time = 600;
  return bm;
}

void
f2b_banmanager_free(F2bBanManager *bm)
{
  if (!bm)
    return;
  f2b_tickettab_free(bm->tickets);
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

/* Re-places TICKET when its end of ban moved. */
static void
refresh(F2bBanManager *bm, const F2bTicket *ticket)
{
  f2b_tickettab_set_key(bm->tickets, ticket->id, eob_of(bm, ticket));
}

static double
eob_key(const F2bTicket *ticket, gpointer bm)
{
  return eob_of(bm, ticket);
}

void
f2b_banmanager_set_ban_time(F2bBanManager *bm, gint64 ban_time)
{
  bm->ban_time = ban_time;
  f2b_tickettab_rekey_all(bm->tickets, eob_key, bm);
}

gint64 f2b_banmanager_get_ban_time(const F2bBanManager *bm) { return bm->ban_time; }
void f2b_banmanager_set_ban_total(F2bBanManager *bm, gint64 v) { bm->ban_total = v; }
gint64 f2b_banmanager_get_ban_total(const F2bBanManager *bm) { return bm->ban_total; }

guint
f2b_banmanager_size(const F2bBanManager *bm)
{
  return f2b_tickettab_size(bm->tickets);
}

/* The old ticket now ends when the new one does: its ban time grows by the
 * new ban time and by how much later the new ticket is. */
static void
prolong(F2bBanManager *bm, F2bTicket *old, const F2bTicket *ticket)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(ticket, default_bt(bm));
  if (f2b_pynum_as_double(bt) != -1.0) {
    double later = ticket->time - old->time;
    if (later > 0)
      bt = f2b_pynum_float(f2b_pynum_as_double(bt) + later);
  }
  f2b_ticket_set_ban_time(old, bt);
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
  F2bTicket *old = f2b_tickettab_lookup(bm->tickets, ticket->id);
  if (old) {
    reason->ticket = old;
    if (eob > eob_of(bm, old)) {
      reason->prolong = TRUE;
      prolong(bm, old, ticket);
    }
    return FALSE;
  }
  f2b_tickettab_insert(bm->tickets, ticket, eob);
  bm->ban_total++;
  f2b_ticket_incr_ban_count(ticket, 1);
  return TRUE;
}

F2bTicket *
f2b_banmanager_lookup(const F2bBanManager *bm, const F2bIPAddr *id)
{
  return f2b_tickettab_lookup(bm->tickets, id);
}

F2bTicket *
f2b_banmanager_get_ticket_by_id(F2bBanManager *bm, const F2bIPAddr *id)
{
  return f2b_tickettab_take(bm->tickets, id);
}

void
f2b_banmanager_reschedule(F2bBanManager *bm, F2bTicket *ticket)
{
  if (f2b_tickettab_lookup(bm->tickets, ticket->id) == ticket)
    refresh(bm, ticket);
}

GPtrArray *
f2b_banmanager_unban_list(F2bBanManager *bm, double now, guint max_count)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  F2bTicket *first;
  double eob;
  while ((max_count == 0 || out->len < max_count) && f2b_tickettab_first(bm->tickets, &first, &eob)) {
    if (!(now > eob))
      break;
    if (eob_of(bm, first) != eob) { /* changed without reschedule */
      refresh(bm, first);
      continue;
    }
    g_ptr_array_add(out, f2b_tickettab_take(bm->tickets, first->id));
  }
  return out;
}

gboolean
f2b_banmanager_next_unban_time(const F2bBanManager *bm, double *when)
{
  return f2b_tickettab_first(bm->tickets, NULL, when);
}

GPtrArray *
f2b_banmanager_flush(F2bBanManager *bm)
{
  g_autoptr(GPtrArray) all = f2b_tickettab_list(bm->tickets);
  GPtrArray *out = g_ptr_array_new_full(all->len, (GDestroyNotify)f2b_ticket_unref);
  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add(out, f2b_tickettab_take(bm->tickets, ((F2bTicket *)all->pdata[i])->id));
  return out;
}

GPtrArray *
f2b_banmanager_tickets(const F2bBanManager *bm)
{
  return f2b_tickettab_list(bm->tickets);
}

static GPtrArray *
ids_of(GPtrArray *tickets)
{
  for (guint i = 0; i < tickets->len; i++)
    tickets->pdata[i] = ((F2bTicket *)tickets->pdata[i])->id;
  return tickets;
}

GPtrArray *
f2b_banmanager_get_ban_list(const F2bBanManager *bm)
{
  return ids_of(f2b_tickettab_list(bm->tickets));
}

GPtrArray *
f2b_banmanager_get_ban_list_ordered(const F2bBanManager *bm)
{
  return ids_of(f2b_tickettab_list_by_key(bm->tickets));
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

typedef struct {
  const F2bBanManager *bm;
  GPtrArray *out;
} WithTime;

/* "ID \tSTART + BANTIME = END", END being the end of ban the ticket is
 * placed with. */
static gboolean
add_with_time_line(F2bTicket *ticket, double eob, gpointer data)
{
  WithTime *wt = data;
  gsize idlen;
  g_autofree char *id = f2b_ipaddr_to_string(ticket->id, &idlen);
  g_autofree char *start = f2b_timeutil_time2str(ticket->time);
  g_autofree char *end = f2b_timeutil_time2str(eob);
  GString *line = g_string_new_len(id, idlen);
  g_string_append_printf(line, " \t%s + %" G_GINT64_FORMAT " = %s", start,
                         ban_time_as_int(f2b_ticket_get_ban_time(ticket, default_bt(wt->bm))), end);
  g_ptr_array_add(wt->out, g_string_free(line, FALSE));
  return TRUE;
}

GPtrArray *
f2b_banmanager_get_ban_list_with_time(const F2bBanManager *bm)
{
  WithTime wt = { bm, g_ptr_array_new_with_free_func(g_free) };
  f2b_tickettab_foreach_by_key(bm->tickets, add_with_time_line, &wt);
  return wt.out;
}

GPtrArray *
f2b_banmanager_ids_in(const F2bBanManager *bm, const F2bIPAddr *net)
{
  g_autoptr(GPtrArray) all = f2b_banmanager_get_ban_list(bm);
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; i < all->len; i++)
    if (f2b_ipaddr_contains(net, all->pdata[i]))
      g_ptr_array_add(out, all->pdata[i]);
  return out;
}

gboolean
f2b_banmanager_is_banned(const F2bBanManager *bm, const char *text, gssize len, gboolean *banned, GError **error)
{
  g_autoptr(F2bIPAddr) raw = f2b_ipaddr_new(text, len, F2B_IPADDR_CIDR_RAW, NULL);
  if (raw && f2b_tickettab_lookup(bm->tickets, raw)) {
    *banned = TRUE;
    return TRUE;
  }
  g_autoptr(F2bIPAddr) parsed = f2b_ipaddr_new(text, len, F2B_IPADDR_CIDR_UNSPEC, error);
  if (!parsed)
    return FALSE;
  *banned = f2b_tickettab_lookup(bm->tickets, parsed) != NULL;
  return TRUE;
}

F2bPyObj *
f2b_banmanager_banned_reply(const F2bBanManager *bm, const char *const *ids, guint n_ids, GError **error)
{
  F2bPyObj *out = f2b_py_list_new();
  if (n_ids == 0) {
    g_autoptr(GPtrArray) all = f2b_banmanager_get_ban_list(bm);
    for (guint i = 0; i < all->len; i++) {
      gsize n;
      char *s = f2b_ipaddr_to_string(all->pdata[i], &n);
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
