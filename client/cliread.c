/* cliread.c - the command prompt of `f2bc-client -i` (see cliread.h).
 *
 * GNU readline is set up as CPython's readline module leaves it once
 * fail2ban-client has bound "tab: complete": the application name "python"
 * (for ~/.inputrc conditionals), bracketed paste off (CPython turns it off
 * before reading the inputrc), a completion hook that finds nothing, so
 * that Tab rings the bell instead of completing file names; and a line is
 * read through the callback interface as CPython reads it, which is what
 * makes the end of input print no line end of its own. */
#include "cliread.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

static char **
complete_nothing(const char *text, int start, int end)
{
  (void)text;
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1;
  return NULL;
}

static void
setup_readline(void)
{
  static gboolean done;
  if (done)
    return;
  done = TRUE;
  rl_readline_name = "python";
  rl_attempted_completion_function = complete_nothing;
  rl_instream = stdin;
  rl_outstream = stdout;
  using_history();
  rl_variable_bind("enable-bracketed-paste", "off");
  rl_initialize();
  char bind[] = "tab: complete";
  rl_parse_and_bind(bind);
}

/* The line handed over by readline's callback interface. */
static char *completed;
static gboolean reading;

static void
on_line(char *line)
{
  completed = line;
  reading = FALSE;
  rl_callback_handler_remove();
}

/* NULL at the end of input (or a failed read). */
static char *
read_edited(const char *prompt)
{
  completed = NULL;
  reading = TRUE;
  rl_callback_handler_install(prompt, on_line);
  while (reading) {
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(fileno(rl_instream), &fds);
    int n = select(fileno(rl_instream) + 1, &fds, NULL, NULL, NULL);
    if (n > 0) {
      rl_callback_read_char();
    } else if (n < 0 && errno != EINTR) {
      rl_callback_handler_remove();
      return NULL;
    }
  }
  return completed;
}

/* The history gets the line unless it repeats the last entry. */
static void
remember(const char *line)
{
  if (*line == '\0')
    return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last == NULL || strcmp(last->line, line) != 0)
    add_history(line);
}

static char *
read_plain(const char *prompt)
{
  fputs(prompt, stdout);
  fflush(stdout);
  GString *line = g_string_new(NULL);
  int ch;
  while ((ch = getchar()) != EOF && ch != '\n')
    g_string_append_c(line, (char)ch);
  if (ch == EOF && line->len == 0) {
    g_string_free(line, TRUE);
    return NULL;
  }
  return g_string_free(line, FALSE);
}

char *
f2bc_cliread_line(const char *prompt, const char **eof_message)
{
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    *eof_message = "EOF when reading a line";
    return read_plain(prompt);
  }
  setup_readline();
  fflush(stdout);
  char *line = read_edited(prompt);
  if (line == NULL) {
    *eof_message = "";
    return NULL;
  }
  remember(line);
  char *copy = g_strdup(line);
  free(line);
  return copy;
}
