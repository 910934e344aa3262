/* cliread.h - the command prompt of `f2bc-client -i`.
 *
 * fail2ban-client reads its interactive commands with Python's input()
 * after importing the readline module: on a terminal (stdin and stdout
 * both ttys) that is GNU readline, with line editing, an in-memory history
 * of the lines typed (a line is added unless it repeats the previous one)
 * and Tab bound to a completion that completes nothing; elsewhere it is a
 * plain line read with the prompt written to stdout.  This module does the
 * same. */
#pragma once

#include <glib.h>

/* Reads one line after PROMPT (transfer full, without its line end).  NULL
 * at the end of input, with *EOF_MESSAGE set to the text of the EOFError
 * Python raises there ("" on a terminal, "EOF when reading a line" else). */
char *f2bc_cliread_line(const char *prompt, const char **eof_message);
