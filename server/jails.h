/* jails.h - the server's jails by name, in the order they were added.
 *
 * fail2ban's Jails mapping: lookups of a missing name fail with
 * UnknownJailException(name); `status` lists the names sorted. */
#pragma once

#include <glib.h>

#include "jail.h"

typedef struct F2bsJails F2bsJails;

F2bsJails *f2bs_jails_new(void);
void f2bs_jails_free(F2bsJails *jails);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsJails, f2bs_jails_free)

/* Adds JAIL (transfer full); the name must not be present. */
void f2bs_jails_add(F2bsJails *jails, F2bsJail *jail);
/* The jail (transfer none) or NULL with UnknownJailException. */
F2bsJail *f2bs_jails_get(F2bsJails *jails, const char *name, GError **error);
gboolean f2bs_jails_exists(F2bsJails *jails, const char *name);
/* Removes and frees the jail; FALSE with UnknownJailException. */
gboolean f2bs_jails_remove(F2bsJails *jails, const char *name, GError **error);
guint f2bs_jails_count(const F2bsJails *jails);
/* Jail I in insertion order (transfer none). */
F2bsJail *f2bs_jails_nth(const F2bsJails *jails, guint i);
/* "a, b, c": the names sorted, as `status` shows them (transfer full). */
char *f2bs_jails_list(const F2bsJails *jails);
