/* banmanager.h - fail2ban's BanManager: a jail's current bans.
 *
 * Tickets are kept by id (hash), in insertion order (fail2ban's dict order:
 * the status "Banned IP list" and the `banned` query see it) and ordered by
 * end of ban (eob, then insertion), which is the order of `get <jail> banip`
 * and lets the server arm one timer for f2b_banmanager_next_unban_time()
 * instead of scanning.  Every operation is O(1) or O(log n), except listing.
 *
 * Whoever changes the time or ban time of a ticket that is in the list (the
 * observer's bantime.increment does) calls f2b_banmanager_reschedule(), so
 * that the expiry order stays right. */
#pragma once

#include <glib.h>

#include "pyobj.h"
#include "ticket.h"

G_BEGIN_DECLS

#define F2B_BANMANAGER_ERROR (f2b_banmanager_error_quark())
GQuark f2b_banmanager_error_quark(void);

typedef struct F2bBanManager F2bBanManager;

/* Why f2b_banmanager_add_ban_ticket() did not add a ticket. */
typedef struct {
  gboolean expired;  /* its ban ended before NOW: ignored */
  gboolean prolong;  /* already banned, and the old ticket's ban time was extended */
  F2bTicket *ticket; /* already banned: the ticket in the list (transfer none), else NULL */
} F2bBanReason;

/* fail2ban's default bantime is 600. */
F2bBanManager *f2b_banmanager_new(void);
void f2b_banmanager_free(F2bBanManager *bm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bBanManager, f2b_banmanager_free)

/* The jail's bantime (fail2ban keeps int(str2sec(value))); -1 is permanent.
 * Changing it re-orders tickets that have no ban time of their own. */
void f2b_banmanager_set_ban_time(F2bBanManager *bm, gint64 ban_time);
gint64 f2b_banmanager_get_ban_time(const F2bBanManager *bm);
/* "Total banned" */
void f2b_banmanager_set_ban_total(F2bBanManager *bm, gint64 total);
gint64 f2b_banmanager_get_ban_total(const F2bBanManager *bm);
/* "Currently banned" */
guint f2b_banmanager_size(const F2bBanManager *bm);

/* fail2ban's addBanTicket at time NOW.  Returns TRUE when TICKET was added
 * (a reference is taken, its ban count grows by one, the total by one).
 * FALSE when its ban already ended (REASON->expired), or when the id is
 * banned already (REASON->ticket); then, if TICKET's ban ends later, the
 * old ticket's ban time becomes TICKET's ban time plus how much later TICKET
 * is than the old one (not for permanent bans) and REASON->prolong is set.
 * REASON may be NULL. */
gboolean f2b_banmanager_add_ban_ticket(F2bBanManager *bm, F2bTicket *ticket, double now, F2bBanReason *reason);

/* The banned ticket of ID, or NULL (transfer none). */
F2bTicket *f2b_banmanager_lookup(const F2bBanManager *bm, const F2bIPAddr *id);
/* fail2ban's getTicketByID: removes and returns (transfer full) the ticket of
 * ID, or NULL. */
F2bTicket *f2b_banmanager_get_ticket_by_id(F2bBanManager *bm, const F2bIPAddr *id);
/* After the time or ban time of a listed TICKET changed. */
void f2b_banmanager_reschedule(F2bBanManager *bm, F2bTicket *ticket);

/* fail2ban's unBanList: removes and returns the tickets whose ban ended
 * strictly before NOW (transfer full, an array that unrefs them), at most
 * MAX_COUNT of them (0: no limit), earliest end first.  fail2ban returns
 * them in insertion order; the order differs only among tickets of
 * different ban times expiring in one call. */
GPtrArray *f2b_banmanager_unban_list(F2bBanManager *bm, double now, guint max_count);
/* The earliest end of ban: TRUE and *WHEN, FALSE when the list is empty.
 * A ticket is due at any NOW > *WHEN (permanent bans: F2B_TICKET_MAX_TIME). */
gboolean f2b_banmanager_next_unban_time(const F2bBanManager *bm, double *when);
/* fail2ban's flushBanList: removes and returns every ticket, insertion order
 * (transfer full, an array that unrefs them).  The total stays. */
GPtrArray *f2b_banmanager_flush(F2bBanManager *bm);

/* The ids (transfer container, ids borrowed): in insertion order
 * (getBanList(), status), or by end of ban (getBanList(ordered=True)). */
GPtrArray *f2b_banmanager_get_ban_list(const F2bBanManager *bm);
GPtrArray *f2b_banmanager_get_ban_list_ordered(const F2bBanManager *bm);
/* `get <jail> banip --with-time`: one string per ticket, by end of ban,
 * "192.0.2.1 \t2026-11-25 19:11:32 + 600 = 2026-11-25 19:21:32" (local time;
 * the ban time printed as an int, a permanent ban as
 * "+ -1 = 9999-12-31 23:59:59").  Transfer full. */
GPtrArray *f2b_banmanager_get_ban_list_with_time(const F2bBanManager *bm);
/* The tickets (borrowed) in insertion order, for reload/restore walks. */
GPtrArray *f2b_banmanager_tickets(const F2bBanManager *bm);
/* Ids (borrowed) of the bans that NET contains (fail2ban's unban of a
 * subnet), insertion order. */
GPtrArray *f2b_banmanager_ids_in(const F2bBanManager *bm, const F2bIPAddr *net);

/* fail2ban's `banned` semantics for TEXT: a raw id matches its text, any
 * other id matches IPAddr(TEXT).  FALSE with ERROR when TEXT is not a valid
 * address suffix ("1.2.3.4/x"), as fail2ban raises. */
gboolean f2b_banmanager_is_banned(const F2bBanManager *bm, const char *text, gssize len, gboolean *banned,
                                  GError **error);
/* The reply of `banned` for one jail (Actions.getBanned): no IDS: the list of
 * banned ids; one: 1 or 0; more: a list of 1/0.  Transfer full, or NULL and
 * ERROR. */
F2bPyObj *f2b_banmanager_banned_reply(const F2bBanManager *bm, const char *const *ids, guint n_ids,
                                      GError **error);
/* The actions part of `status <jail>`: [('Currently banned', n),
 * ('Total banned', total), ('Banned IP list', [ids])], the list left out when
 * SHORT_FLAVOR.  Transfer full. */
F2bPyObj *f2b_banmanager_status(const F2bBanManager *bm, gboolean short_flavor);

G_END_DECLS
