/* beautifier.c - fail2ban-client's text for the server's replies.
 *
 * The stock beautifier is Python code that indexes, slices, joins and
 * concatenates whatever the reply holds; a reply of an unexpected shape
 * makes it raise and fall back to repr(partial message) + repr(reply).  To
 * print the same text for every reply, this file evaluates each rule with
 * Python's semantics on F2bPyObj values: a step that would raise makes the
 * rule fail (FALSE), and the message built so far is kept in a Msg that
 * knows how Python would repr() it. */
#include "beautifier.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(f2b-beautifier-error-quark, f2b_beautifier_error)

/* ------------------------------------------------------ Python semantics */

static gboolean
is_str(const F2bPyObj *v)
{
  return v != NULL && f2b_py_kind(v) == F2B_PY_STR;
}

static gboolean
is_instance_of(const F2bPyObj *v, const char *const *names)
{
  if (v == NULL || f2b_py_kind(v) != F2B_PY_INSTANCE)
    return FALSE;
  for (guint i = 0; names[i]; i += 2)
    if (strcmp(f2b_py_instance_module(v), names[i]) == 0 && strcmp(f2b_py_instance_name(v), names[i + 1]) == 0)
      return TRUE;
  return FALSE;
}

static const char *const oserror_family[] = {
  "builtins", "OSError", "builtins", "IOError", "builtins", "EnvironmentError",
  "builtins", "BlockingIOError", "builtins", "ChildProcessError", "builtins", "ConnectionError",
  "builtins", "BrokenPipeError", "builtins", "ConnectionAbortedError",
  "builtins", "ConnectionRefusedError", "builtins", "ConnectionResetError",
  "builtins", "FileExistsError", "builtins", "FileNotFoundError", "builtins", "InterruptedError",
  "builtins", "IsADirectoryError", "builtins", "NotADirectoryError", "builtins", "PermissionError",
  "builtins", "ProcessLookupError", "builtins", "TimeoutError", NULL
};
static const char *const keyerror_family[] = {
  "builtins", "KeyError", "fail2ban.exceptions", "UnknownJailException", NULL
};
static const char *const syntaxerror_family[] = {
  "builtins", "SyntaxError", "builtins", "IndentationError", "builtins", "TabError", NULL
};
static const char *const unknown_jail[] = { "fail2ban.exceptions", "UnknownJailException", NULL };
static const char *const duplicate_jail[] = { "fail2ban.exceptions", "DuplicateJailException", NULL };
static const char *const index_error[] = { "builtins", "IndexError", NULL };
static const char *const unicode_decode[] = { "builtins", "UnicodeDecodeError", NULL };

/* OSError(errno, strerror, filename[, winerror[, filename2]]): the file
 * names, when given and not None (NULL otherwise). */
static void
oserror_filenames(const F2bPyObj *args, const F2bPyObj **filename, const F2bPyObj **filename2)
{
  gsize n = f2b_py_len(args);
  *filename = *filename2 = NULL;
  if (n < 3 || n > 5 || f2b_py_kind(f2b_py_item(args, 2)) == F2B_PY_NONE)
    return;
  *filename = f2b_py_item(args, 2);
  if (n == 5 && f2b_py_kind(f2b_py_item(args, 4)) != F2B_PY_NONE)
    *filename2 = f2b_py_item(args, 4);
}

F2bPyObj *
f2b_beautifier_exc_args(const F2bPyObj *exc)
{
  g_return_val_if_fail(exc != NULL && f2b_py_kind(exc) == F2B_PY_INSTANCE, NULL);
  const F2bPyObj *args = f2b_py_instance_args(exc);
  const F2bPyObj *filename, *filename2;
  oserror_filenames(args, &filename, &filename2);
  if (!is_instance_of(exc, oserror_family) || filename == NULL)
    return f2b_py_copy(args);
  return f2b_py_tuple_of(f2b_py_copy(f2b_py_item(args, 0)), f2b_py_copy(f2b_py_item(args, 1)), NULL);
}

/* BaseException.__str__: '', str(arg) or repr(args). */
static void
base_exc_str(GString *out, const F2bPyObj *args)
{
  gsize n = f2b_py_len(args);
  if (n == 1)
    f2b_beautifier_str_append(out, f2b_py_item(args, 0));
  else if (n > 1)
    f2b_py_repr_append(out, args);
}

static gboolean
oserror_str(GString *out, const F2bPyObj *args)
{
  gsize n = f2b_py_len(args);
  if (n < 2 || n > 5)
    return FALSE;
  const F2bPyObj *filename, *filename2;
  oserror_filenames(args, &filename, &filename2);
  g_string_append(out, "[Errno ");
  f2b_beautifier_str_append(out, f2b_py_item(args, 0));
  g_string_append(out, "] ");
  f2b_beautifier_str_append(out, f2b_py_item(args, 1));
  if (filename) {
    g_string_append(out, ": ");
    f2b_py_repr_append(out, filename);
  }
  if (filename && filename2) {
    g_string_append(out, " -> ");
    f2b_py_repr_append(out, filename2);
  }
  return TRUE;
}

/* SyntaxError(msg, (filename, lineno, offset, text[, end_lineno, end_offset])):
 * "msg (file.py, line 3)" with the file's base name. */
static gboolean
syntaxerror_str(GString *out, const F2bPyObj *args)
{
  if (f2b_py_len(args) != 2)
    return FALSE;
  const F2bPyObj *info = f2b_py_item(args, 1);
  if (f2b_py_kind(info) != F2B_PY_TUPLE || (f2b_py_len(info) != 4 && f2b_py_len(info) != 6))
    return FALSE;
  f2b_beautifier_str_append(out, f2b_py_item(args, 0));
  const F2bPyObj *file = f2b_py_item(info, 0), *line = f2b_py_item(info, 1);
  gboolean has_file = is_str(file), has_line = f2b_py_kind(line) == F2B_PY_INT;
  if (!has_file && !has_line)
    return TRUE;
  g_string_append(out, " (");
  if (has_file) {
    gsize len;
    const char *path = f2b_py_get_str(file, &len);
    const char *slash = strrchr(path, '/');
    g_string_append(out, slash ? slash + 1 : path);
  }
  if (has_line)
    g_string_append_printf(out, "%sline %" G_GINT64_FORMAT, has_file ? ", " : "", f2b_py_get_int(line));
  g_string_append_c(out, ')');
  return TRUE;
}

/* UnicodeDecodeError(encoding, object, start, end, reason). */
static gboolean
unicode_decode_str(GString *out, const F2bPyObj *args)
{
  if (f2b_py_len(args) != 5)
    return FALSE;
  const F2bPyObj *enc = f2b_py_item(args, 0), *obj = f2b_py_item(args, 1), *start = f2b_py_item(args, 2),
                 *end = f2b_py_item(args, 3), *reason = f2b_py_item(args, 4);
  if (!is_str(enc) || f2b_py_kind(obj) != F2B_PY_BYTES || f2b_py_kind(start) != F2B_PY_INT ||
      f2b_py_kind(end) != F2B_PY_INT || !is_str(reason))
    return FALSE;
  gsize len;
  const guint8 *bytes = (const guint8 *)f2b_py_get_str(obj, &len);
  gint64 s = CLAMP(f2b_py_get_int(start), 0, (gint64)(len ? len - 1 : 0));
  gint64 e = CLAMP(f2b_py_get_int(end), 0, (gint64)len);
  if (e <= s)
    e = s + 1;
  g_string_append_printf(out, "'%s' codec can't decode ", f2b_py_get_str(enc, NULL));
  if (s < (gint64)len && e == s + 1)
    g_string_append_printf(out, "byte 0x%02x in position %" G_GINT64_FORMAT, bytes[s], s);
  else
    g_string_append_printf(out, "bytes in position %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, s, e - 1);
  g_string_append_printf(out, ": %s", f2b_py_get_str(reason, NULL));
  return TRUE;
}

static void
exc_str(GString *out, const F2bPyObj *exc)
{
  const F2bPyObj *args = f2b_py_instance_args(exc);
  if (is_instance_of(exc, keyerror_family) && f2b_py_len(args) == 1)
    f2b_py_repr_append(out, f2b_py_item(args, 0));
  else if (is_instance_of(exc, oserror_family) && oserror_str(out, args))
    return;
  else if (is_instance_of(exc, syntaxerror_family) && syntaxerror_str(out, args))
    return;
  else if (is_instance_of(exc, unicode_decode) && unicode_decode_str(out, args))
    return;
  else
    base_exc_str(out, args);
}

void
f2b_beautifier_str_append(GString *out, const F2bPyObj *value)
{
  if (f2b_py_kind(value) == F2B_PY_INSTANCE)
    exc_str(out, value);
  else
    f2b_py_str_append(out, value);
}

/* The items that Python's iteration over V yields (new values), or NULL when
 * V is not iterable: items of a list or tuple, characters of a str, ints of
 * bytes, keys of a dict.  The count is also len(V). */
static GPtrArray *
py_iter(const F2bPyObj *v)
{
  GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_py_free);
  gsize len;
  switch (f2b_py_kind(v)) {
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
    for (gsize i = 0; i < f2b_py_len(v); i++)
      g_ptr_array_add(items, f2b_py_copy(f2b_py_item(v, i)));
    return items;
  case F2B_PY_DICT:
    for (gsize i = 0; i < f2b_py_len(v); i++) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(v, i, &key, &value);
      g_ptr_array_add(items, f2b_py_copy(key));
    }
    return items;
  case F2B_PY_BYTES: {
    const guint8 *b = (const guint8 *)f2b_py_get_str(v, &len);
    for (gsize i = 0; i < len; i++)
      g_ptr_array_add(items, f2b_py_int(b[i]));
    return items;
  }
  case F2B_PY_STR: {
    const char *s = f2b_py_get_str(v, &len), *end = s + len;
    while (s < end) {
      /* one character; a raw byte (surrogate-escaped) counts as one */
      gunichar c = g_utf8_get_char_validated(s, end - s);
      gsize step = (c == (gunichar)-1 || c == (gunichar)-2) ? 1 : (gsize)(g_utf8_next_char(s) - s);
      g_ptr_array_add(items, f2b_py_str_len(s, step));
      s += step;
    }
    return items;
  }
  default:
    g_ptr_array_free(items, TRUE);
    return NULL;
  }
}

/* Whether V supports indexing and slicing by position (dicts do not). */
static gboolean
py_indexable(const F2bPyObj *v)
{
  F2bPyKind k = f2b_py_kind(v);
  return k == F2B_PY_LIST || k == F2B_PY_TUPLE || k == F2B_PY_STR || k == F2B_PY_BYTES;
}

/* V[I] for a non-negative I, as a new value, or NULL (IndexError/TypeError). */
static F2bPyObj *
py_index(const F2bPyObj *v, gsize i)
{
  if (!py_indexable(v))
    return NULL;
  g_autoptr(GPtrArray) items = py_iter(v);
  return i < items->len ? f2b_py_copy(items->pdata[i]) : NULL;
}

/* SEP.join(ITEMS): every item must be a str. */
static gboolean
py_join(GString *out, const char *sep, GPtrArray *items)
{
  if (items == NULL)
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    if (!is_str(items->pdata[i]))
      return FALSE;
  for (guint i = 0; i < items->len; i++) {
    gsize len;
    const char *s = f2b_py_get_str(items->pdata[i], &len);
    if (i)
      g_string_append(out, sep);
    g_string_append_len(out, s, len);
  }
  return TRUE;
}

/* out += S, where S must be a str. */
static gboolean
py_concat(GString *out, const F2bPyObj *s)
{
  if (!is_str(s))
    return FALSE;
  gsize len;
  const char *data = f2b_py_get_str(s, &len);
  g_string_append_len(out, data, len);
  return TRUE;
}

/* CMD[I] == WORD */
static gboolean
cmd_is(const F2bPyObj *cmd, gsize i, const char *word)
{
  return i < f2b_py_len(cmd) && f2b_py_str_equal(f2b_py_item(cmd, i), word);
}

static gboolean
cmd_in(const F2bPyObj *cmd, gsize i, const char *const *words)
{
  for (; *words; words++)
    if (cmd_is(cmd, i, *words))
      return TRUE;
  return FALSE;
}

/* ----------------------------------------------------------- the message */

typedef enum { MSG_RESPONSE, MSG_TEXT, MSG_LINES } MsgKind;

/* The beautifier's `msg`: still the reply, a str being built, or the list of
 * lines of a status tree. */
typedef struct {
  MsgKind kind;
  const F2bPyObj *response;
  GString *text;
  GPtrArray *lines;
} Msg;

static GString *
msg_text(Msg *m, const char *start)
{
  m->kind = MSG_TEXT;
  g_string_assign(m->text, start);
  return m->text;
}

static void
msg_line_take(Msg *m, GString *line)
{
  g_ptr_array_add(m->lines, g_string_free(line, FALSE));
}

/* str(msg), as print() writes it. */
static char *
msg_print(Msg *m)
{
  GString *out = g_string_new(NULL);
  if (m->kind == MSG_TEXT) {
    g_string_append_len(out, m->text->str, m->text->len);
  } else if (m->kind == MSG_LINES) {
    for (guint i = 0; i < m->lines->len; i++)
      g_string_append_printf(out, "%s%s", i ? "\n" : "", (char *)m->lines->pdata[i]);
  } else {
    f2b_beautifier_str_append(out, m->response);
  }
  return g_string_free(out, FALSE);
}

/* repr(msg) + repr(response): the stock fallback. */
static char *
msg_fallback(Msg *m)
{
  GString *out = g_string_new(NULL);
  if (m->kind == MSG_TEXT) {
    f2b_py_repr_str_append(out, m->text->str, m->text->len);
  } else if (m->kind == MSG_LINES) {
    g_string_append_c(out, '[');
    for (guint i = 0; i < m->lines->len; i++) {
      const char *line = m->lines->pdata[i];
      if (i)
        g_string_append(out, ", ");
      f2b_py_repr_str_append(out, line, strlen(line));
    }
    g_string_append_c(out, ']');
  } else {
    f2b_py_repr_append(out, m->response);
  }
  f2b_py_repr_append(out, m->response);
  return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------- the rules */

/* "%s %s:\t%s" % (prefix, name, value), the value of a list joined by spaces. */
static gboolean
status_entry(GString *line, const char *prefix, const F2bPyObj *entry)
{
  g_autoptr(F2bPyObj) name = py_index(entry, 0);
  g_autoptr(F2bPyObj) value = py_index(entry, 1);
  if (name == NULL || value == NULL)
    return FALSE;
  g_string_append_printf(line, "%s ", prefix);
  f2b_beautifier_str_append(line, name);
  g_string_append(line, ":\t");
  if (f2b_py_kind(value) != F2B_PY_LIST) {
    f2b_beautifier_str_append(line, value);
    return TRUE;
  }
  for (gsize i = 0; i < f2b_py_len(value); i++) {
    if (i)
      g_string_append_c(line, ' ');
    f2b_beautifier_str_append(line, f2b_py_item(value, i));
  }
  return TRUE;
}

static gboolean
status_server(Msg *m, const F2bPyObj *response)
{
  m->kind = MSG_LINES;
  g_ptr_array_add(m->lines, g_strdup("Status"));
  g_autoptr(GPtrArray) items = py_iter(response);
  if (items == NULL)
    return FALSE;
  for (guint n = 0; n < items->len; n++) {
    GString *line = g_string_new(NULL);
    if (!status_entry(line, n == items->len - 1 ? "`-" : "|-", items->pdata[n])) {
      g_string_free(line, TRUE);
      return FALSE;
    }
    msg_line_take(m, line);
  }
  return TRUE;
}

static gboolean
status_jail(Msg *m, const F2bPyObj *cmd, const F2bPyObj *response)
{
  m->kind = MSG_LINES;
  GString *head = g_string_new("Status for the jail: ");
  f2b_beautifier_str_append(head, f2b_py_item(cmd, 1));
  msg_line_take(m, head);
  g_autoptr(GPtrArray) groups = py_iter(response);
  if (groups == NULL)
    return FALSE;
  for (guint n = 0; n < groups->len; n++) {
    gboolean last = n == groups->len - 1;
    g_autoptr(F2bPyObj) title = py_index(groups->pdata[n], 0);
    if (title == NULL)
      return FALSE;
    GString *line = g_string_new(last ? "`- " : "|- ");
    f2b_beautifier_str_append(line, title);
    msg_line_take(m, line);
    g_autoptr(F2bPyObj) body = py_index(groups->pdata[n], 1);
    g_autoptr(GPtrArray) entries = body ? py_iter(body) : NULL;
    if (entries == NULL)
      return FALSE;
    for (guint i = 0; i < entries->len; i++) {
      g_autofree char *prefix = g_strconcat(last ? "   " : "|  ", i == entries->len - 1 ? "`-" : "|-", NULL);
      line = g_string_new(NULL);
      if (!status_entry(line, prefix, entries->pdata[i])) {
        g_string_free(line, TRUE);
        return FALSE;
      }
      msg_line_take(m, line);
    }
  }
  return TRUE;
}

/* HEADER then "|- a\n" ... "`- z", or EMPTY for an empty reply; NUMBERED
 * writes "|- [0]: a" as the regex lists do. */
static gboolean
tree_list(Msg *m, const F2bPyObj *response, const char *empty, const char *header, gboolean numbered)
{
  g_autoptr(GPtrArray) items = py_iter(response);
  if (items == NULL)
    return FALSE;
  if (items->len == 0) {
    msg_text(m, empty);
    return TRUE;
  }
  GString *t = msg_text(m, header);
  if (!py_indexable(response))
    return FALSE;
  for (guint i = 0; i < items->len; i++) {
    gboolean last = i == items->len - 1;
    GString *piece = g_string_new(last ? "`- " : "|- ");
    if (numbered)
      g_string_append_printf(piece, "[%u]: ", i);
    gboolean ok = py_concat(piece, items->pdata[i]);
    if (ok) {
      g_string_append(t, piece->str);
      if (!last)
        g_string_append_c(t, '\n');
    }
    g_string_free(piece, TRUE);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* HEADER + ", ".join(reply), or EMPTY. */
static gboolean
joined_list(Msg *m, const F2bPyObj *response, const char *empty, const char *header)
{
  g_autoptr(GPtrArray) items = py_iter(response);
  if (items == NULL)
    return FALSE;
  if (items->len == 0) {
    msg_text(m, empty);
    return TRUE;
  }
  msg_text(m, header);
  g_autoptr(GString) joined = g_string_new(NULL);
  if (!py_join(joined, ", ", items))
    return FALSE;
  g_string_append_len(m->text, joined->str, joined->len);
  return TRUE;
}

static gboolean
journal_matches(Msg *m, const F2bPyObj *response)
{
  g_autoptr(GPtrArray) items = py_iter(response);
  if (items == NULL)
    return FALSE;
  if (items->len == 0) {
    msg_text(m, "No journal match filter set");
    return TRUE;
  }
  msg_text(m, "Current match filter:\n");
  g_autoptr(GString) joined = g_string_new(NULL);
  for (guint i = 0; i < items->len; i++) {
    g_autoptr(GPtrArray) words = py_iter(items->pdata[i]);
    if (i)
      g_string_append(joined, " + ");
    if (!py_join(joined, " ", words))
      return FALSE;
  }
  g_string_append_len(m->text, joined->str, joined->len);
  return TRUE;
}

static gboolean
date_pattern(Msg *m, const F2bPyObj *response)
{
  GString *t = msg_text(m, "Current date pattern set to: ");
  if (f2b_py_kind(response) == F2B_PY_NONE) {
    g_string_append(t, "Not set/required");
    return TRUE;
  }
  g_autoptr(F2bPyObj) first = py_index(response, 0);
  if (first == NULL)
    return FALSE;
  if (f2b_py_kind(first) == F2B_PY_NONE) {
    /* "%s" % response[1]: a tuple there is the argument list itself */
    g_autoptr(F2bPyObj) second = py_index(response, 1);
    if (second == NULL)
      return FALSE;
    if (f2b_py_kind(second) == F2B_PY_TUPLE) {
      if (f2b_py_len(second) != 1)
        return FALSE;
      f2b_beautifier_str_append(t, f2b_py_item(second, 0));
    } else {
      f2b_beautifier_str_append(t, second);
    }
    return TRUE;
  }
  if (f2b_py_kind(response) != F2B_PY_TUPLE || f2b_py_len(response) != 2)
    return FALSE;
  f2b_beautifier_str_append(t, f2b_py_item(response, 0));
  g_string_append(t, " (");
  f2b_beautifier_str_append(t, f2b_py_item(response, 1));
  g_string_append_c(t, ')');
  return TRUE;
}

char *
f2b_beautifier_level_name(gint64 level)
{
  static const struct { gint64 level; const char *name; } names[] = {
    { 0, "NOTSET" }, { 5, "HEAVY" }, { 7, "TRACE" }, { 10, "DEBUG" }, { 18, "MSG" },
    { 20, "INFO" }, { 25, "NOTICE" }, { 30, "WARNING" }, { 40, "ERROR" }, { 50, "CRITICAL" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (names[i].level == level)
      return g_strdup(names[i].name);
  if (level > 0 && level < 50)
    return g_strdup_printf("#%02d-Lev.", (int)level);
  return g_strdup_printf("Level %" G_GINT64_FORMAT, level);
}

static gboolean
log_level(Msg *m, const F2bPyObj *response)
{
  GString *t = msg_text(m, "Current logging level is ");
  F2bPyKind k = f2b_py_kind(response);
  if (k == F2B_PY_INT || k == F2B_PY_BOOL) {
    g_autofree char *name =
      f2b_beautifier_level_name(k == F2B_PY_INT ? f2b_py_get_int(response) : f2b_py_get_bool(response));
    f2b_py_repr_str_append(t, name, strlen(name));
  } else {
    f2b_py_repr_append(t, response);
  }
  return TRUE;
}

/* "`- %iseconds" % response */
static gboolean
purge_age(GString *t, const F2bPyObj *response)
{
  switch (f2b_py_kind(response)) {
  case F2B_PY_INT:
    g_string_append_printf(t, "`- %" G_GINT64_FORMAT "seconds", f2b_py_get_int(response));
    return TRUE;
  case F2B_PY_BOOL:
    g_string_append_printf(t, "`- %dseconds", f2b_py_get_bool(response) ? 1 : 0);
    return TRUE;
  case F2B_PY_FLOAT: {
    double v = f2b_py_get_float(response);
    if (!isfinite(v))
      return FALSE;
    g_string_append_printf(t, "`- %.0fseconds", trunc(v) == 0 ? 0.0 : trunc(v));
    return TRUE;
  }
  default:
    return FALSE;
  }
}

/* "HEADER`- " + response, or DISABLED for None when DISABLED is set. */
static gboolean
one_value(Msg *m, const F2bPyObj *response, const char *header, const char *disabled)
{
  if (disabled && f2b_py_kind(response) == F2B_PY_NONE) {
    msg_text(m, disabled);
    return TRUE;
  }
  g_autoptr(GString) piece = g_string_new("`- ");
  if (!py_concat(piece, response)) {
    msg_text(m, header);
    return FALSE;
  }
  g_string_append(msg_text(m, header), piece->str);
  return TRUE;
}

/* "PREFIX" + response */
static gboolean
prefixed(Msg *m, const char *prefix, const F2bPyObj *response)
{
  g_autoptr(GString) t = g_string_new(prefix);
  if (!py_concat(t, response))
    return FALSE;
  msg_text(m, t->str);
  return TRUE;
}

/* The rules of the commands with a word in CMD[2]. */
static gboolean
jail_rules(Msg *m, const F2bPyObj *cmd, const F2bPyObj *response)
{
  static const char *const logpath[] = { "logpath", "addlogpath", "dellogpath", NULL };
  static const char *const journal[] = { "journalmatch", "addjournalmatch", "deljournalmatch", NULL };
  static const char *const ignoreip[] = { "ignoreip", "addignoreip", "delignoreip", NULL };
  static const char *const regexes[] = { "failregex", "addfailregex", "delfailregex",
                                         "ignoreregex", "addignoreregex", "delignoreregex", NULL };
  gsize ncmd = f2b_py_len(cmd);
  const F2bPyObj *jail = f2b_py_item(cmd, 1);
  g_autoptr(GString) jailstr = g_string_new(NULL);
  f2b_beautifier_str_append(jailstr, jail);
  if (cmd_in(cmd, 2, logpath))
    return tree_list(m, response, "No file is currently monitored", "Current monitored log file(s):\n", FALSE);
  if (cmd_is(cmd, 2, "logencoding")) {
    msg_text(m, "Current log encoding is set to:\n");
    return py_concat(m->text, response);
  }
  if (cmd_in(cmd, 2, journal))
    return journal_matches(m, response);
  if (cmd_is(cmd, 2, "datepattern"))
    return date_pattern(m, response);
  if (cmd_in(cmd, 2, ignoreip))
    return tree_list(m, response, "No IP address/network is ignored",
                     "These IP addresses/networks are ignored:\n", FALSE);
  if (cmd_in(cmd, 2, regexes))
    return tree_list(m, response, "No regular expression is defined",
                     "The following regular expression are defined:\n", TRUE);
  if (cmd_is(cmd, 2, "actions")) {
    g_autofree char *empty = g_strdup_printf("No actions for jail %s", jailstr->str);
    g_autofree char *header = g_strdup_printf("The jail %s has the following actions:\n", jailstr->str);
    return joined_list(m, response, empty, header);
  }
  if (cmd_is(cmd, 2, "actionproperties") || cmd_is(cmd, 2, "actionmethods")) {
    gboolean props = cmd_is(cmd, 2, "actionproperties");
    g_autoptr(GPtrArray) items = py_iter(response);
    if (items == NULL || ncmd < 4)
      return FALSE;
    g_autoptr(GString) act = g_string_new(NULL);
    f2b_beautifier_str_append(act, f2b_py_item(cmd, 3));
    g_autofree char *empty = g_strdup_printf("No %s for jail %s action %s", props ? "properties" : "methods",
                                             jailstr->str, act->str);
    g_autofree char *header = g_strdup_printf("The jail %s action %s has the following %s:\n", jailstr->str,
                                              act->str, props ? "properties" : "methods");
    return joined_list(m, response, empty, header);
  }
  if (cmd_is(cmd, 2, "banip") && cmd_is(cmd, 0, "get") && f2b_py_kind(response) == F2B_PY_LIST) {
    const char *sep = " ";
    if (ncmd > 3) {
      const F2bPyObj *s = f2b_py_item(cmd, 3);
      if (!is_str(s))
        return FALSE;
      sep = f2b_py_str_equal(s, "--with-time") ? "\n" : f2b_py_get_str(s, NULL);
    }
    g_autoptr(GPtrArray) items = py_iter(response);
    g_autoptr(GString) joined = g_string_new(NULL);
    if (!py_join(joined, sep, items))
      return FALSE;
    msg_text(m, joined->str);
  }
  return TRUE;
}

/* The rules of the commands with a word in CMD[1]. */
static gboolean
option_rules(Msg *m, const F2bPyObj *cmd, const F2bPyObj *response)
{
  if (cmd_is(cmd, 1, "syslogsocket"))
    return one_value(m, response, "Current syslog socket is:\n", NULL);
  if (cmd_is(cmd, 1, "logtarget"))
    return one_value(m, response, "Current logging target is:\n", NULL);
  if (cmd_is(cmd, 1, "loglevel"))
    return log_level(m, response);
  if (cmd_is(cmd, 1, "dbfile"))
    return one_value(m, response, "Current database file is:\n", "Database currently disabled");
  if (cmd_is(cmd, 1, "dbpurgeage")) {
    if (f2b_py_kind(response) == F2B_PY_NONE) {
      msg_text(m, "Database currently disabled");
      return TRUE;
    }
    return purge_age(msg_text(m, "Current database purge age is:\n"), response);
  }
  if (f2b_py_len(cmd) < 3)
    return TRUE;
  return jail_rules(m, cmd, response);
}

static gboolean
apply_rules(Msg *m, const F2bPyObj *cmd, const F2bPyObj *response)
{
  if (f2b_py_len(cmd) == 0)
    return FALSE; /* inC[0] raises */
  if (cmd_is(cmd, 0, "ping"))
    return prefixed(m, "Server replied: ", response);
  if (cmd_is(cmd, 0, "version"))
    return TRUE;
  if (cmd_is(cmd, 0, "start")) {
    msg_text(m, "Jail started");
    return TRUE;
  }
  if (cmd_is(cmd, 0, "stop")) {
    if (f2b_py_kind(response) == F2B_PY_NONE)
      msg_text(m, f2b_py_len(cmd) == 1 ? "Shutdown successful" : "Jail stopped");
    return TRUE;
  }
  if (cmd_is(cmd, 0, "add"))
    return prefixed(m, "Added jail ", response);
  if (cmd_is(cmd, 0, "flushlogs"))
    return prefixed(m, "logs: ", response);
  if (cmd_is(cmd, 0, "echo")) {
    g_autoptr(GPtrArray) items = py_iter(response);
    g_autoptr(GString) joined = g_string_new(NULL);
    if (!py_join(joined, " ", items))
      return FALSE;
    msg_text(m, joined->str);
    return TRUE;
  }
  if (cmd_is(cmd, 0, "status"))
    return f2b_py_len(cmd) > 1 ? status_jail(m, cmd, response) : status_server(m, response);
  if (f2b_py_len(cmd) < 2)
    return TRUE;
  return option_rules(m, cmd, response);
}

char *
f2b_beautifier_format(const F2bPyObj *cmd, const F2bPyObj *response, gboolean *failed)
{
  g_return_val_if_fail(cmd != NULL && response != NULL, NULL);
  Msg m = { MSG_RESPONSE, response, g_string_new(NULL), g_ptr_array_new_with_free_func(g_free) };
  gboolean ok = f2b_py_kind(cmd) == F2B_PY_LIST && apply_rules(&m, cmd, response);
  char *text = ok ? msg_print(&m) : msg_fallback(&m);
  if (failed)
    *failed = !ok;
  g_string_free(m.text, TRUE);
  g_ptr_array_free(m.lines, TRUE);
  return text;
}

/* "PREFIX" + exc.args[0] + "SUFFIX", or the exception Python raises. */
static char *
jail_message(const F2bPyObj *exc, const char *prefix, const char *suffix, GError **error)
{
  const F2bPyObj *args = f2b_py_instance_args(exc);
  if (f2b_py_len(args) == 0) {
    g_set_error_literal(error, F2B_BEAUTIFIER_ERROR, F2B_BEAUTIFIER_ERROR_RAISED, "tuple index out of range");
    return NULL;
  }
  const F2bPyObj *name = f2b_py_item(args, 0);
  if (!is_str(name)) {
    g_autofree char *type = f2b_py_kind(name) == F2B_PY_INSTANCE ? g_strdup(f2b_py_instance_name(name))
                                                                  : NULL;
    static const char *const kinds[] = { "NoneType", "bool", "int", "float", "str", "bytes",
                                         "list", "tuple", "dict", "object" };
    g_set_error(error, F2B_BEAUTIFIER_ERROR, F2B_BEAUTIFIER_ERROR_RAISED,
                "can only concatenate str (not \"%s\") to str", type ? type : kinds[f2b_py_kind(name)]);
    return NULL;
  }
  gsize len;
  const char *s = f2b_py_get_str(name, &len);
  GString *out = g_string_new(prefix);
  g_string_append_len(out, s, len);
  g_string_append(out, suffix);
  return g_string_free(out, FALSE);
}

char *
f2b_beautifier_format_error(const F2bPyObj *cmd, const F2bPyObj *error, GError **error_out)
{
  g_return_val_if_fail(cmd != NULL && error != NULL, NULL);
  if (is_instance_of(error, unknown_jail))
    return jail_message(error, "Sorry but the jail '", "' does not exist", error_out);
  if (is_instance_of(error, index_error))
    return g_strdup("Sorry but the command is invalid");
  if (is_instance_of(error, duplicate_jail))
    return jail_message(error, "The jail '", "' already exists", error_out);
  GString *out = g_string_new(NULL);
  f2b_beautifier_str_append(out, error);
  return g_string_free(out, FALSE);
}
