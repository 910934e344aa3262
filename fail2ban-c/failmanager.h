/* failmanager.h - fail2ban's FailManager: failures per id until maxretry.
 *
 * A jail's filter adds a FailTicket per failure; tickets of one id merge
 * (retry and attempt counts add up, matches are kept up to maxmatches, the
 * time moves forward).  An id whose retry reaches maxretry is taken out with
 * f2b_failmanager_to_ban() and goes on to the ban manager; an id whose last
 * failure is findtime old is dropped by f2b_failmanager_cleanup().
 *
 * Every operation is O(1) or O(log n): ids are hashed, and tickets are also
 * kept ordered by time, so the server arms one timer for
 * f2b_failmanager_next_expiry() instead of scanning.  Insertion order is
 * kept too, because fail2ban's toBan() without an id takes the first
 * ready ticket in that order. */
#pragma once

#include <glib.h>

#include "ticket.h"

G_BEGIN_DECLS

typedef struct F2bFailManager F2bFailManager;

/* fail2ban's defaults: maxretry 3, findtime (max time) 600, maxmatches 5. */
F2bFailManager *f2b_failmanager_new(void);
void f2b_failmanager_free(F2bFailManager *fm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bFailManager, f2b_failmanager_free)

void f2b_failmanager_set_max_retry(F2bFailManager *fm, gint64 max_retry);
gint64 f2b_failmanager_get_max_retry(const F2bFailManager *fm);
/* findtime in seconds */
void f2b_failmanager_set_max_time(F2bFailManager *fm, double max_time);
double f2b_failmanager_get_max_time(const F2bFailManager *fm);
/* maxmatches: 0 keeps no matches in merged tickets */
void f2b_failmanager_set_max_matches(F2bFailManager *fm, guint max_matches);
guint f2b_failmanager_get_max_matches(const F2bFailManager *fm);

/* "Total failed": failures added since start (or as set). */
void f2b_failmanager_set_fail_total(F2bFailManager *fm, gint64 total);
gint64 f2b_failmanager_get_fail_total(const F2bFailManager *fm);
/* "Currently failed": the number of ids. */
guint f2b_failmanager_size(const F2bFailManager *fm);
/* Number of ids and the sum of their retry counts (getFailCount). */
void f2b_failmanager_get_fail_count(const F2bFailManager *fm, guint *ids, gint64 *retries);

/* fail2ban's addFailure(ticket, count, observed); returns the id's retry
 * count afterwards.
 *  - A known id: the stored ticket counts COUNT more retries and the
 *    ticket's failures as attempts (at least 1; exactly 1 and no matches
 *    when TICKET is the stored ticket itself), takes over its matches (the
 *    last maxmatches are kept), and moves to TICKET's time (adjust_time).
 *  - A new id: when OBSERVED or TICKET is a BanTicket nothing is stored and
 *    TICKET's retry is returned (the total is not counted); otherwise TICKET
 *    itself is stored (a reference is taken; a plain ticket becomes a
 *    FailTicket) and gets retry COUNT when COUNT exceeds its failures.
 * The total grows by one in both stored cases. */
gint64 f2b_failmanager_add_failure(F2bFailManager *fm, F2bTicket *ticket, gint64 count, gboolean observed);

/* The stored ticket of ID, or NULL (transfer none). */
F2bTicket *f2b_failmanager_lookup(const F2bFailManager *fm, const F2bIPAddr *id);
/* Forgets ID (no error when unknown). */
void f2b_failmanager_del_failure(F2bFailManager *fm, const F2bIPAddr *id);

/* fail2ban's toBan(fid): removes and returns (transfer full) a ticket whose
 * retry reached maxretry, or NULL.  With an ID that is stored only that
 * ticket is considered; with NULL or an unknown ID, the first ready ticket
 * in insertion order (fail2ban's quirk: an unknown id scans them all). */
F2bTicket *f2b_failmanager_to_ban(F2bFailManager *fm, const F2bIPAddr *id);

/* Drops every ticket whose time is <= NOW - findtime; returns how many. */
guint f2b_failmanager_cleanup(F2bFailManager *fm, double now);
/* The earliest NOW at which cleanup drops something: TRUE and *WHEN, or
 * FALSE when there is no ticket.  (Not const: it settles the time order,
 * which failures update lazily.) */
gboolean f2b_failmanager_next_expiry(F2bFailManager *fm, double *when);

/* The stored tickets in insertion order (transfer container: the array is
 * the caller's, the tickets are borrowed). */
GPtrArray *f2b_failmanager_tickets(const F2bFailManager *fm);

G_END_DECLS
