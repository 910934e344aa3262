/* cmdaction.h - the pure parts of fail2ban's CommandAction: static tags and families.
 *
 * A shell action is a set of properties (actionban, actionstart, ..., and whatever
 * else its config defined: name, port, blocktype, "blocktype?family=inet6" ...).
 * Before a command runs, its text "<actionban>" is expanded with those properties
 * (fail2ban's replaceTag): the properties are first substituted into each other
 * (recursive tags, <known/...> having been resolved by the config reader), then
 * the query is expanded repeatedly until nothing changes.  The ticket's values
 * (<ip>, <time>, ...) come after that, through actiontags.h, never recursively.
 *
 * With a family ("inet4"/"inet6") a property "x?family=inet6" wins over "x";
 * an action that has such properties runs its start/stop per family and starts
 * on demand (at the first ban of that family) unless actionstart_on_demand says
 * otherwise. */
#pragma once

#include <glib.h>

#include "actiontags.h"
#include "ini.h"

G_BEGIN_DECLS

#define F2B_CMDACTION_ERROR (f2b_cmdaction_error_quark())
GQuark f2b_cmdaction_error_quark(void);

typedef enum {
  F2B_CMDACTION_ERROR_RECURSION, /* fail2ban's ValueError of a self-referencing definition */
} F2bCmdActionError;

/* fail2ban's replaceTag(QUERY, PROPS, conditional="family=FAMILY"): FAMILY NULL or
 * "" for none.  SYSTEM (may be NULL) supplies <fq-hostname> and <sh-hostname>
 * when no property has that name; <br> and <sp> are a newline and a space.
 * Values of the properties matches, ipmatches and ipjailmatches are escaped
 * (escapeTag).  Returns the text (transfer full), or NULL with ERROR (the
 * message is fail2ban's ValueError text). */
char *f2b_cmdaction_replace_tag(const char *query, const F2bIniMap *props, const char *family,
                                F2bActionTagsLookup system, gpointer system_data, GError **error);

/* TRUE when a property name has the form "word?family=..." (_hasCondSection). */
gboolean f2b_cmdaction_has_cond_section(const F2bIniMap *props);

/* _families: the families start/stop run for: {"inet4", "inet6"} (or only
 * "inet4" without IPV6) for an action with conditional properties, else {""}.
 * A NULL-terminated array of static strings. */
const char *const *f2b_cmdaction_families(const F2bIniMap *props, gboolean ipv6);

G_END_DECLS
