/* actiontags.h - fail2ban's substitution of dynamic tags (<ip>, <time>, <F-USER> ...).
 *
 * When fail2ban runs a shell action for a ticket, the ticket's values (address, time,
 * matched lines, the groups the filter captured) replace tags in the command text,
 * and fail2ban-regex -o does the same for its output templates.  These values come
 * from log lines, i.e. from an attacker, so this is a security boundary:
 *  - the substitution is not recursive: a value holding "<ip>" stays as it is;
 *  - with the default escaping, a value holding a character the shell treats
 *    specially (\ # & ; ` | * ? ~ < > ^ ( ) [ ] { } $ ' " newline, carriage return)
 *    never enters the script: the tag becomes a shell variable "$f2bV_<tag>" and the
 *    value travels as a separate argument (the script starts with
 *    "f2bV_ip=$0 f2bV_F_user=$1 \n", run as sh -c SCRIPT VALUE0 VALUE1 ...).
 *
 * Two passes, as fail2ban's CommandAction.replaceDynamicTags:
 *  1. every <name> (no space, "<" or ">" inside) whose name the INFO lookup knows is
 *     replaced by its escaped value; unknown names fall back to <br> (newline),
 *     <sp> (space), <fq-hostname> and <sh-hostname> (through the SYSTEM lookup, when
 *     given), else the tag stays;
 *  2. then every <F-NAME> (upper case letters, digits, "_" and "-") is replaced by the
 *     ticket data NAME in lower case (F-ID is "fid", F-PORT "fport") escaped under the
 *     name "F_<name>", or by nothing when the ticket has no such data.
 * Values may hold NUL bytes; lengths travel with them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends the value of tag NAME (as Python's str() shows it) to VALUE and returns TRUE,
 * or returns FALSE, leaving VALUE untouched, when there is no such tag. */
typedef gboolean (*F2bActionTagsLookup)(const char *name, GString *value, gpointer user_data);

/* Appends VALUE (LEN bytes) for tag NAME to OUT, escaped as the caller needs. */
typedef void (*F2bActionTagsEscape)(const char *name, const char *value, gsize len, GString *out,
                                    gpointer user_data);

typedef struct {
  F2bActionTagsLookup info;        /* aInfo[name]: ip, fid, time, matches, ... */
  F2bActionTagsLookup ticket_data; /* the ticket's data (filter groups) by option name */
  F2bActionTagsLookup system;      /* fq-hostname / sh-hostname; NULL leaves them as tags */
  gpointer user_data;              /* passed to the three lookups */
} F2bActionTagsSource;

/* A substituted command: the script, and the values of the variables it starts with
 * (GString each, in $0, $1 ... order; empty when no value needed escaping). */
typedef struct {
  GString *script;
  GPtrArray *args;
} F2bActionCommand;

void f2b_action_command_free(F2bActionCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bActionCommand, f2b_action_command_free)

/* fail2ban's replaceDynamicTags(CMD, aInfo) with its default escaping (shell variables
 * for values with special characters, see above).  Transfer full. */
F2bActionCommand *f2b_actiontags_replace_dynamic(const char *cmd, gsize len,
                                                 const F2bActionTagsSource *src);

/* replaceDynamicTags(CMD, aInfo, escapeVal=ESCAPE): the caller escapes every value
 * (fail2ban-regex -o passes its own).  Returns the text (transfer full). */
GString *f2b_actiontags_replace_dynamic_with(const char *cmd, gsize len,
                                             const F2bActionTagsSource *src,
                                             F2bActionTagsEscape escape, gpointer escape_data);

/* TRUE when VALUE holds a character fail2ban escapes (the list above). */
gboolean f2b_actiontags_needs_escape(const char *value, gsize len);

/* fail2ban's escapeTag (used for <matches> in static tags): a backslash before every
 * special character, newline as "\n" and carriage return as "\r". Appends to OUT. */
void f2b_actiontags_escape_tag(const char *value, gsize len, GString *out);

/* The shell variable name for tag NAME: "f2bV_" + NAME with every non-word character
 * replaced by "_" (Python's \W).  Transfer full. */
char *f2b_actiontags_var_name(const char *name);

/* fail2ban's mapTag2Opt: NAME in lower case, "id" -> "fid", "port" -> "fport".
 * Transfer full. */
char *f2b_actiontags_tag_to_option(const char *name, gsize len);

G_END_DECLS
