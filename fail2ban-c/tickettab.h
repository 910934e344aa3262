/* tickettab.h - tickets by id, in insertion order and in order of a key.
 *
 * fail2ban's FailManager and BanManager both keep a dict of tickets by id;
 * each walks it in insertion order (the dict's order: status lists,
 * toBan() without an id) and the server needs the ticket with the smallest
 * time key (the next failure to age out, the next ban to end) without a
 * scan.  A table holds each ticket once, hashed by id, linked in insertion
 * order and placed in a sequence ordered by (key, insertion serial), so
 * every operation is O(1) or O(log n) and equal keys keep a stable order.
 *
 * The key is the caller's (a failure's time, a ban's end); a caller whose
 * tickets change under it re-places them with f2b_tickettab_set_key(). */
#pragma once

#include <glib.h>

#include "ticket.h"

G_BEGIN_DECLS

typedef struct F2bTicketTable F2bTicketTable;

F2bTicketTable *f2b_tickettab_new(void);
void f2b_tickettab_free(F2bTicketTable *tab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bTicketTable, f2b_tickettab_free)

guint f2b_tickettab_size(const F2bTicketTable *tab);

/* The ticket stored for ID (borrowed), or NULL. */
F2bTicket *f2b_tickettab_lookup(const F2bTicketTable *tab, const F2bIPAddr *id);

/* Stores TICKET (a new reference) last in insertion order, with KEY.  Its
 * id must not be stored yet. */
void f2b_tickettab_insert(F2bTicketTable *tab, F2bTicket *ticket, double key);

/* Takes the ticket stored for ID out of the table: transfer full, or NULL. */
F2bTicket *f2b_tickettab_take(F2bTicketTable *tab, const F2bIPAddr *id);

/* The ticket with the smallest key (borrowed), and that key; FALSE when the
 * table is empty. */
gboolean f2b_tickettab_first(const F2bTicketTable *tab, F2bTicket **ticket, double *key);

/* Gives the ticket stored for ID a new KEY (nothing when ID is not stored). */
void f2b_tickettab_set_key(F2bTicketTable *tab, const F2bIPAddr *id, double key);

/* Gives every ticket the key KEY_OF returns for it, and re-sorts once. */
void f2b_tickettab_rekey_all(F2bTicketTable *tab, double (*key_of)(const F2bTicket *ticket, gpointer data),
                             gpointer data);

/* Walks the tickets in insertion order / in key order; a walk stops when
 * FUNC returns FALSE.  FUNC must not change the table. */
typedef gboolean (*F2bTicketTableFunc)(F2bTicket *ticket, double key, gpointer data);
void f2b_tickettab_foreach(const F2bTicketTable *tab, F2bTicketTableFunc func, gpointer data);
void f2b_tickettab_foreach_by_key(const F2bTicketTable *tab, F2bTicketTableFunc func, gpointer data);

/* The tickets (borrowed) in insertion order / key order. */
GPtrArray *f2b_tickettab_list(const F2bTicketTable *tab);
GPtrArray *f2b_tickettab_list_by_key(const F2bTicketTable *tab);

G_END_DECLS
