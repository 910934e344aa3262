/* ticket.h - fail2ban's tickets: what is known about one failure id.
 *
 * A ticket travels: the filter creates a FailTicket for a failure, the fail
 * manager keeps it and counts further failures into it, the jail hands it to
 * the actions, where the very same object becomes a BanTicket in the ban
 * list; the observer (bantime.increment) changes its ban time and count
 * there.  fail2ban relies on that sharing ("is this the ticket I stored?"),
 * so tickets are reference counted and compared by identity where fail2ban
 * does.  Single-threaded: the server runs everything in one main loop.
 *
 * Times are seconds since the epoch as doubles (fail2ban's time.time()).
 * A ban time is a Python number (int, or float once a formula made it one);
 * -1 means permanent. */
#pragma once

#include <glib.h>

#include "ipaddr.h"
#include "pyexpr.h"
#include "pyobj.h"

G_BEGIN_DECLS

/* fail2ban's class of the object; FailTicket.wrap/BanTicket.wrap change it
 * in place (f2b_ticket_wrap). */
typedef enum {
  F2B_TICKET_PLAIN, /* Ticket */
  F2B_TICKET_FAIL,  /* FailTicket */
  F2B_TICKET_BAN,   /* BanTicket (a FailTicket) */
} F2bTicketKind;

/* The end of a permanent ban (fail2ban's Ticket.MAX_TIME). */
#define F2B_TICKET_MAX_TIME 140737488355327.0

typedef struct {
  /*< private >*/
  int refcount;
  /*< public >*/
  F2bTicketKind kind;
  F2bIPAddr *id;       /* the failure id (owned) */
  F2bIPAddr *ip;       /* data 'ip' when a filter gave one besides the id, else NULL */
  double time;         /* time of the last failure, resp. of the ban */
  double first_time;   /* FailTicket: start of the interval retry counts over */
  gboolean has_ban_time;
  F2bPyNum ban_time;   /* valid when has_ban_time */
  gint64 ban_count;
  gint64 retry;        /* FailTicket: failures counted against maxretry */
  gint64 failures;     /* the attempt count (data 'failures', the `failures` tag) */
  GPtrArray *matches;  /* GBytes: matched lines, oldest first (never NULL) */
  F2bPyObj *data;      /* dict of the filter's other values (F-* tags), NULL when none */
  gboolean restored;   /* restored from the database at start */
  gboolean banned;     /* every ban action ran */
  gint64 ban_epoch;
} F2bTicket;

/* A new ticket (refcount 1) for a copy of ID at TIME, with no ban time, ban
 * count 0, failures 0, no matches.  A FailTicket starts with retry = failures
 * (0) and first_time = TIME, as fail2ban's constructor does. */
F2bTicket *f2b_ticket_new(F2bTicketKind kind, const F2bIPAddr *id, double time);
F2bTicket *f2b_ticket_ref(F2bTicket *t);
void f2b_ticket_unref(F2bTicket *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bTicket, f2b_ticket_unref)

/* FailTicket.wrap / BanTicket.wrap: the same object becomes KIND (nothing
 * else changes, as in fail2ban, where wrap only swaps the class). */
void f2b_ticket_wrap(F2bTicket *t, F2bTicketKind kind);

/* The ip of the `ip` tag: data 'ip' if set, else the id (transfer none). */
const F2bIPAddr *f2b_ticket_get_ip(const F2bTicket *t);
void f2b_ticket_set_ip(F2bTicket *t, const F2bIPAddr *ip); /* copied; NULL unsets */

/* Ban time: the ticket's own, else DEFAULT_BT (the jail's bantime). */
F2bPyNum f2b_ticket_get_ban_time(const F2bTicket *t, F2bPyNum default_bt);
void f2b_ticket_set_ban_time(F2bTicket *t, F2bPyNum ban_time);
void f2b_ticket_unset_ban_time(F2bTicket *t);
/* time + ban time, or F2B_TICKET_MAX_TIME for a permanent (-1) ban. */
double f2b_ticket_end_of_ban(const F2bTicket *t, F2bPyNum default_bt);
/* NOW is strictly after the end of the ban; never for a permanent ban. */
gboolean f2b_ticket_is_timed_out(const F2bTicket *t, double now, F2bPyNum default_bt);

/* Ban count: set only when VALUE is larger unless ALWAYS; increment. */
void f2b_ticket_set_ban_count(F2bTicket *t, gint64 value, gboolean always);
void f2b_ticket_incr_ban_count(F2bTicket *t, gint64 by);

/* FailTicket.setRetry: sets retry; failures becomes at least 1, and a retry
 * of 0 clears failures and matches. */
void f2b_ticket_set_retry(F2bTicket *t, gint64 retry);
/* FailTicket.adjustTime: a failure at TIME later than the ticket's moves its
 * time; when the counted interval grows beyond MAX_TIME (findtime), retry is
 * scaled to the rate of the known interval: round(retry / (TIME - first) *
 * MAX_TIME), half to even, and first_time becomes TIME - MAX_TIME. */
void f2b_ticket_adjust_time(F2bTicket *t, double time, double max_time);
/* FailTicket.inc: retry += COUNT, failures += ATTEMPT, MATCHES (GBytes,
 * transfer none, may be NULL) appended. */
void f2b_ticket_inc(F2bTicket *t, GPtrArray *matches, gint64 attempt, gint64 count);

/* Appends one matched line (copied; may hold NUL bytes). */
void f2b_ticket_add_match(F2bTicket *t, const char *line, gsize len);
/* Keeps only the last MAX matches (0 drops them all). */
void f2b_ticket_truncate_matches(F2bTicket *t, guint max);
/* The `matches` tag: the lines joined by "\n" (transfer full; *LEN may be NULL). */
char *f2b_ticket_matches_joined(const F2bTicket *t, gsize *len);

/* Sets a data value (the F-* tags), KEY copied, VALUE transfer full;
 * a NULL VALUE removes KEY, as fail2ban drops None values. */
void f2b_ticket_set_data(F2bTicket *t, const char *key, F2bPyObj *value);
/* A data value or NULL (transfer none). */
F2bPyObj *f2b_ticket_get_data(const F2bTicket *t, const char *key);

/* fail2ban's str(ticket), the `raw-ticket` tag:
 * "FailTicket: ip=1.2.3.4 time=1700000000.5 bantime=None bancount=0 #attempts=1 matches=['...']".
 * Transfer full. */
char *f2b_ticket_repr(const F2bTicket *t);

G_END_DECLS
