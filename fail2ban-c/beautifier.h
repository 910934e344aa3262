/* beautifier.h - fail2ban-client's text for the server's replies.
 *
 * fail2ban-client formats every reply on the client side: `status` becomes a
 * `|-`/`` `- `` tree with tab-separated values, `get <JAIL> failregex` a
 * numbered list, an UnknownJailException "Sorry but the jail 'x' does not
 * exist", and anything it has no rule for is printed as Python's str() of the
 * value.  Tools parse this text, so it must match byte for byte, including
 * what the stock client does with replies it does not expect (its "Beautifier
 * error" fallback, which prints repr(partial text) + repr(reply)).
 *
 * The functions here are pure: a command (the list of values that was sent)
 * and a reply in, text out.  The caller prints the text with a newline and
 * logs what fail2ban logs. */
#pragma once

#include <glib.h>

#include "pyobj.h"

#define F2B_BEAUTIFIER_ERROR (f2b_beautifier_error_quark())
GQuark f2b_beautifier_error_quark(void);

typedef enum {
  /* fail2ban's beautifyError itself raised (e.g. an UnknownJailException
   * without a string argument); the message is str() of that exception. */
  F2B_BEAUTIFIER_ERROR_RAISED,
} F2bBeautifierError;

/* The text fail2ban-client prints for the success reply RESPONSE to the
 * command CMD (a list; transfer full).  *FAILED (may be NULL) is set when the
 * stock beautifier fails on this pair: it then logs a warning "Beautifier
 * error. Please report the error" and an error "Beautify <reply repr> with
 * <cmd repr> failed", and the text is its fallback. */
char *f2b_beautifier_format(const F2bPyObj *cmd, const F2bPyObj *response, gboolean *failed);

/* The text printed for the error reply ERROR (usually an exception instance)
 * to CMD (transfer full), or NULL with ERROR_OUT when the stock client's
 * beautifyError raises instead of returning (nothing is printed then; the
 * client logs str() of that exception). */
char *f2b_beautifier_format_error(const F2bPyObj *cmd, const F2bPyObj *error, GError **error_out);

/* Python's str() of VALUE, with exceptions as Python prints them (KeyError's
 * repr of its argument, OSError's "[Errno 2] ...", SyntaxError's location). */
void f2b_beautifier_str_append(GString *out, const F2bPyObj *value);

/* The args attribute of exception EXC as Python has it after unpickling
 * (transfer full): OSError and its subclasses keep only (errno, strerror)
 * when a file name was given.  For fail2ban's "NOK: %r" log line. */
F2bPyObj *f2b_beautifier_exc_args(const F2bPyObj *exc);

/* logging.getLevelName() of a numeric level with fail2ban's level names
 * ("#07-Lev." style names for unnamed levels 1..49). */
char *f2b_beautifier_level_name(gint64 level);
