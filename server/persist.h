/* persist.h - the server's use of the database (database.h): fail2ban's
 * Server.setDatabase, the observer's hourly purge, and a jail's restore of
 * its still-valid bans at start (Jail.restoreCurrentBans).
 *
 * Opening never stops the server: a corrupt file or one of another schema is
 * moved aside untouched and a new database started (logged as errors); a
 * file that cannot be opened at all leaves the server without a database,
 * as an error reply of `set dbfile`. */
#pragma once

#include <glib.h>

#include "database.h"
#include "jail.h"

typedef struct F2bsPersist F2bsPersist;

/* Opens FILENAME (":memory:" too) with its purge timer; NULL (logged, and
 * ERROR set when not NULL: a pyexc.h exception) when no database could be had. */
F2bsPersist *f2bs_persist_open(const char *filename, GError **error);
void f2bs_persist_close(F2bsPersist *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bsPersist, f2bs_persist_close)

F2bDb *f2bs_persist_db(F2bsPersist *p);

/* addJail: the jail recorded (enabled) and its actions writing bans here. */
void f2bs_persist_jail_added(F2bsPersist *p, F2bsJail *jail);
/* delJail: the jail disabled in the database (its bans stay). */
void f2bs_persist_jail_stopped(F2bsPersist *p, const char *name);
/* restoreCurrentBans: the bans of JAIL still valid now banned again. */
void f2bs_persist_restore(F2bsPersist *p, F2bsJail *jail);
/* The hourly purge, now (for tests and `set dbpurgeage`). */
void f2bs_persist_purge(F2bsPersist *p);
