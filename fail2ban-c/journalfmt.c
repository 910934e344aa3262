/* journalfmt.c - fail2ban's FilterSystemd without the journal: entry to line,
 * backend options, journal matches.  See journalfmt.h for the rules.
 *
 * The values python-systemd hands to fail2ban are Python objects made from
 * the raw bytes (str when UTF-8, int for pids, bytes otherwise); the quirks
 * of the line come from how fail2ban's code treats each of those types, so
 * the helpers below are named for the Python operation they stand for. */
#include "journalfmt.h"

#include <glob.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "pyobj.h"
#include "pystr.h"

G_DEFINE_QUARK(f2b-journalfmt-error-quark, f2b_journalfmt_error)

/* CPython's limit on int <-> decimal text conversions (sys.int_info). */
#define PY_INT_MAX_STR_DIGITS 4300

typedef struct {
  char *name;
  char *value; /* value_len bytes + NUL */
  gsize value_len;
} Field;

struct F2bJournalEntry {
  gint64 realtime_usec;
  guint64 monotonic_usec;
  GPtrArray *fields; /* Field * in enumeration order */
};

static void
field_free(gpointer p)
{
  Field *f = p;
  g_free(f->name);
  g_free(f->value);
  g_free(f);
}

F2bJournalEntry *
f2b_journal_entry_new(gint64 realtime_usec, guint64 monotonic_usec)
{
  F2bJournalEntry *e = g_new0(F2bJournalEntry, 1);
  e->realtime_usec = realtime_usec;
  e->monotonic_usec = monotonic_usec;
  e->fields = g_ptr_array_new_with_free_func(field_free);
  return e;
}

void
f2b_journal_entry_free(F2bJournalEntry *entry)
{
  if (!entry)
    return;
  g_ptr_array_unref(entry->fields);
  g_free(entry);
}

void
f2b_journal_entry_add(F2bJournalEntry *entry, const void *data, gsize len)
{
  g_return_if_fail(entry != NULL && (data != NULL || len == 0));
  const char *eq = memchr(data, '=', len);
  if (!eq)
    return;
  Field *f = g_new0(Field, 1);
  f->name = g_strndup(data, (gsize) (eq - (const char *) data));
  f->value_len = len - (gsize) (eq - (const char *) data) - 1;
  f->value = g_malloc(f->value_len + 1);
  memcpy(f->value, eq + 1, f->value_len);
  f->value[f->value_len] = '\0';
  g_ptr_array_add(entry->fields, f);
}

/* The values of field NAME (Field *, transfer container; empty when absent):
 * more than one is what python-systemd turns into a list. */
static GPtrArray *
field_values(const F2bJournalEntry *e, const char *name)
{
  GPtrArray *vals = g_ptr_array_new();
  for (guint i = 0; i < e->fields->len; i++) {
    Field *f = e->fields->pdata[i];
    if (strcmp(f->name, name) == 0)
      g_ptr_array_add(vals, f);
  }
  return vals;
}

void
f2b_journal_line_clear(F2bJournalLine *line)
{
  g_clear_pointer(&line->date, g_free);
  g_clear_pointer(&line->line, g_free);
  line->line_len = 0;
  line->time = 0;
}

/* ---- Python int() on bytes ------------------------------------------------------- */

/* An integer as Python holds it: sign and decimal magnitude without leading
 * zeros ("0" for zero). */
typedef struct {
  gboolean negative;
  GString *digits;
} PyInt;

static void
py_int_clear(PyInt *v)
{
  if (v->digits)
    g_string_free(v->digits, TRUE);
  v->digits = NULL;
}

static gboolean
is_ascii_space(guchar c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
digit_value(guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

/* Digit values of S[0..LEN) in BASE with Python's underscore rule (single
 * underscores between digits; LEAD_UNDERSCORE allows one before the first
 * digit, after a base prefix).  NULL when Python refuses the text. */
static GByteArray *
scan_digits(const guchar *s, gsize len, int base, gboolean lead_underscore)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  gboolean after_underscore = FALSE;
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '_') {
      if (after_underscore || (out->len == 0 && !(lead_underscore && i == 0)))
        return NULL;
      after_underscore = TRUE;
      continue;
    }
    guint8 d = (guint8) digit_value(s[i]);
    if (d >= base)
      return NULL;
    g_byte_array_append(out, &d, 1);
    after_underscore = FALSE;
  }
  if (out->len == 0 || after_underscore)
    return NULL;
  return g_steal_pointer(&out);
}

/* Decimal text of the number with DIGITS in a power-of-two BASE, or NULL when
 * it has more decimal digits than Python converts ("%i" raises then). */
static GString *
binary_base_to_decimal(const GByteArray *digits, int base)
{
  guint skip = 0;
  while (skip + 1 < digits->len && digits->data[skip] == 0)
    skip++;
  int bits_per_digit = base == 16 ? 4 : base == 8 ? 3 : 1;
  if ((digits->len - skip) * (guint) bits_per_digit > 15000)
    return NULL; /* surely past 4300 decimal digits */
  /* little-endian limbs of 10^9 */
  g_autoptr(GArray) limbs = g_array_new(FALSE, TRUE, sizeof(guint32));
  guint32 zero = 0;
  g_array_append_val(limbs, zero);
  for (guint i = skip; i < digits->len; i++) {
    guint64 carry = digits->data[i];
    for (guint k = 0; k < limbs->len; k++) {
      guint64 x = (guint64) g_array_index(limbs, guint32, k) * (guint64) base + carry;
      g_array_index(limbs, guint32, k) = (guint32) (x % 1000000000u);
      carry = x / 1000000000u;
    }
    if (carry) {
      guint32 c = (guint32) carry;
      g_array_append_val(limbs, c);
    }
  }
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "%u", g_array_index(limbs, guint32, limbs->len - 1));
  for (guint k = limbs->len - 1; k-- > 0;)
    g_string_append_printf(out, "%09u", g_array_index(limbs, guint32, k));
  if (out->len > PY_INT_MAX_STR_DIGITS) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return out;
}

/* int(S) (BASE 10) or int(S, 0) (BASE 0) on bytes.  FALSE where Python raises
 * ValueError, including for texts past its 4300-digit limit and, for base 0,
 * values it could not print back with "%i". */
static gboolean
py_int_parse(const char *text, gsize len, int base, PyInt *out)
{
  const guchar *s = (const guchar *) text, *end = s + len;
  out->negative = FALSE;
  out->digits = NULL;
  while (s < end && is_ascii_space(*s))
    s++;
  while (end > s && is_ascii_space(end[-1]))
    end--;
  if (s < end && (*s == '+' || *s == '-'))
    out->negative = *s++ == '-';
  int real_base = 10;
  gboolean prefixed = FALSE;
  if (base == 0 && end - s >= 2 && s[0] == '0') {
    guchar p = (guchar) g_ascii_tolower(s[1]);
    real_base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
    if (real_base != 10) {
      s += 2;
      prefixed = TRUE;
    }
  }
  g_autoptr(GByteArray) digits = scan_digits(s, (gsize) (end - s), real_base, prefixed);
  if (!digits)
    return FALSE;
  guint skip = 0;
  while (skip + 1 < digits->len && digits->data[skip] == 0)
    skip++;
  if (real_base == 10) {
    /* base 0 refuses a leading zero on a non-zero decimal number */
    if (base == 0 && digits->data[0] == 0 && digits->data[skip] != 0)
      return FALSE;
    if (digits->len > PY_INT_MAX_STR_DIGITS)
      return FALSE;
    out->digits = g_string_sized_new(digits->len - skip);
    for (guint i = skip; i < digits->len; i++)
      g_string_append_c(out->digits, (char) ('0' + digits->data[i]));
  } else if (!(out->digits = binary_base_to_decimal(digits, real_base))) {
    return FALSE;
  }
  if (strcmp(out->digits->str, "0") == 0)
    out->negative = FALSE;
  return TRUE;
}

static gboolean
py_int_is_zero(const PyInt *v)
{
  return strcmp(v->digits->str, "0") == 0;
}

static void
py_int_append(GString *out, const PyInt *v)
{
  if (v->negative)
    g_string_append_c(out, '-');
  g_string_append_len(out, v->digits->str, (gssize) v->digits->len);
}

/* The value as a gint64, FALSE when out of its range. */
static gboolean
py_int_to_int64(const PyInt *v, gint64 *value)
{
  if (v->digits->len > 19)
    return FALSE;
  guint64 m = g_ascii_strtoull(v->digits->str, NULL, 10);
  if (m > (guint64) G_MAXINT64)
    return FALSE;
  *value = v->negative ? -(gint64) m : (gint64) m;
  return TRUE;
}

/* ---- fields as fail2ban sees them ------------------------------------------------ */

/* uni_decode of a field's value: UTF-8 as it is (python-systemd already made
 * it a str), anything else decoded from ENCODING with replacement. */
static void
append_text(GString *out, const Field *f, const char *encoding)
{
  gsize n;
  gboolean replaced = FALSE;
  g_autofree char *utf8 = f2b_filter_decode_line(f->value, f->value_len, "UTF-8", &n, &replaced);
  if (replaced && encoding) {
    g_free(utf8);
    utf8 = f2b_filter_decode_line(f->value, f->value_len, encoding, &n, NULL);
  }
  g_string_append_len(out, utf8, (gssize) n);
}

static gboolean
join_error(GError **error, guint index)
{
  g_set_error(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_TYPE,
              "sequence item %u: expected str instance, list found", index);
  return FALSE;
}

/* repr() of one pid value as python-systemd converted it: an int when int()
 * took the bytes, else the bytes. */
static void
append_pid_repr(GString *out, const Field *f)
{
  PyInt v;
  if (py_int_parse(f->value, f->value_len, 10, &v)) {
    py_int_append(out, &v);
    py_int_clear(&v);
    return;
  }
  g_autoptr(F2bPyObj) b = f2b_py_bytes(f->value, f->value_len);
  f2b_py_repr_append(out, b);
}

/* Python's truth of the converted pid: not 0, not b'', any list. */
static gboolean
pid_is_true(const GPtrArray *vals)
{
  if (vals->len == 0)
    return FALSE;
  if (vals->len > 1)
    return TRUE;
  const Field *f = vals->pdata[0];
  PyInt v;
  if (py_int_parse(f->value, f->value_len, 10, &v)) {
    gboolean zero = py_int_is_zero(&v);
    py_int_clear(&v);
    return !zero;
  }
  return f->value_len > 0;
}

/* "[%i]" % v, else "[%i]" % int(v, 0), else "[%s]" % v. */
static void
append_pid(GString *out, const GPtrArray *vals)
{
  g_string_append_c(out, '[');
  if (vals->len > 1) {
    g_string_append_c(out, '[');
    for (guint i = 0; i < vals->len; i++) {
      if (i)
        g_string_append(out, ", ");
      append_pid_repr(out, vals->pdata[i]);
    }
    g_string_append_c(out, ']');
  } else {
    const Field *f = vals->pdata[0];
    PyInt v;
    if (py_int_parse(f->value, f->value_len, 10, &v) || py_int_parse(f->value, f->value_len, 0, &v)) {
      py_int_append(out, &v);
      py_int_clear(&v);
    } else {
      append_pid_repr(out, f);
    }
  }
  g_string_append_c(out, ']');
}

/* A timestamp field as python-systemd's int() converter reads it; FALSE
 * (fail2ban raises later, on the bytes it kept) for anything else. */
static gboolean
time_field(const F2bJournalEntry *e, const char *name, gboolean *present, gint64 *usec,
           GError **error)
{
  g_autoptr(GPtrArray) vals = field_values(e, name);
  *present = vals->len > 0;
  if (!*present)
    return TRUE;
  PyInt v;
  gboolean ok = FALSE;
  if (vals->len == 1) {
    const Field *f = vals->pdata[0];
    if (py_int_parse(f->value, f->value_len, 10, &v)) {
      ok = py_int_to_int64(&v, usec);
      py_int_clear(&v);
    }
  }
  if (!ok)
    g_set_error(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_ATTRIBUTE,
                "journal field %s is not a usable time", name);
  return ok;
}

/* " [%12.6f]" of the kernel's monotonic stamp. */
static gboolean
append_monotonic(GString *out, const F2bJournalEntry *e, GError **error)
{
  gboolean present;
  gint64 usec;
  if (!time_field(e, "_SOURCE_MONOTONIC_TIMESTAMP", &present, &usec, error))
    return FALSE;
  double seconds = present ? (double) usec / 1e6 : (double) e->monotonic_usec / 1e6;
  g_string_append_printf(out, " [%12.6f]", seconds);
  return TRUE;
}

/* ---- time ------------------------------------------------------------------------ */

static gint64
floor_div(gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* datetime.fromtimestamp(usec / 1e6, fixed offset): its isoformat() and the
 * mktime() of its timetuple() plus the microseconds. */
static gboolean
format_time(gint64 usec, gint32 utc_offset, F2bJournalLine *out, GError **error)
{
  gint64 secs = floor_div(usec, 1000000);
  gint64 micro = usec - secs * 1000000;
  time_t wall = (time_t) (secs + utc_offset);
  struct tm tm;
  if (!gmtime_r(&wall, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) {
    g_set_error_literal(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_ATTRIBUTE,
                        "journal entry time out of range");
    return FALSE;
  }
  GString *date = g_string_new(NULL);
  g_string_append_printf(date, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (micro)
    g_string_append_printf(date, ".%06d", (int) micro);
  gint32 off = utc_offset < 0 ? -utc_offset : utc_offset;
  g_string_append_printf(date, "%c%02d:%02d", utc_offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);
  if (off % 60)
    g_string_append_printf(date, ":%02d", off % 60);
  g_string_append_c(date, ' ');
  out->date = g_string_free(date, FALSE);
  tm.tm_isdst = -1; /* a fixed-offset tzinfo has no dst() */
  out->time = (double) mktime(&tm) + (double) micro / 1.0e6;
  return TRUE;
}

/* ---- the line ------------------------------------------------------------------- */

/* logelements for host, identifier[pid]: and the kernel stamp; *N_ELEMENTS counts
 * them (the index a list would have in fail2ban's final join). */
static gboolean
append_header(GString *out, const F2bJournalEntry *e, const char *encoding, guint *n_elements,
              GError **error)
{
  g_autoptr(GPtrArray) host = field_values(e, "_HOSTNAME");
  if (host->len > 1)
    return join_error(error, 0);
  if (host->len == 1 && ((Field *) host->pdata[0])->value_len > 0) {
    append_text(out, host->pdata[0], encoding);
    (*n_elements)++;
  }
  g_autoptr(GPtrArray) ident = field_values(e, "SYSLOG_IDENTIFIER");
  if (ident->len == 0 || (ident->len == 1 && ((Field *) ident->pdata[0])->value_len == 0)) {
    g_ptr_array_unref(ident);
    ident = field_values(e, "_COMM");
  }
  if (ident->len == 0 || (ident->len == 1 && ((Field *) ident->pdata[0])->value_len == 0))
    return TRUE;
  if (ident->len > 1)
    return join_error(error, *n_elements);
  if (*n_elements)
    g_string_append_c(out, ' ');
  gsize start = out->len;
  append_text(out, ident->pdata[0], encoding);
  (*n_elements)++;
  g_autoptr(GPtrArray) pid = field_values(e, "SYSLOG_PID");
  if (!pid_is_true(pid)) {
    g_ptr_array_unref(pid);
    pid = field_values(e, "_PID");
  }
  if (pid_is_true(pid))
    append_pid(out, pid);
  g_string_append_c(out, ':');
  if (out->len - start == 7 && memcmp(out->str + start, "kernel:", 7) == 0) {
    if (!append_monotonic(out, e, error))
      return FALSE;
    (*n_elements)++;
  }
  return TRUE;
}

static void
escape_newlines(GString *line)
{
  for (gsize i = 0; i < line->len; i++)
    if (line->str[i] == '\n') {
      line->str[i] = '\\';
      g_string_insert_c(line, (gssize) ++i, 'n');
    }
}

gboolean
f2b_journalfmt_format(const F2bJournalEntry *entry, const char *encoding, gint32 utc_offset,
                      F2bJournalLine *out, GError **error)
{
  g_return_val_if_fail(entry != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof *out);
  g_autoptr(GString) line = g_string_new(NULL);
  guint n_elements = 0;
  if (!append_header(line, entry, encoding, &n_elements, error))
    return FALSE;
  if (n_elements)
    g_string_append_c(line, ' ');
  g_autoptr(GPtrArray) msg = field_values(entry, "MESSAGE");
  for (guint i = 0; i < msg->len; i++) {
    if (i)
      g_string_append_c(line, ' ');
    append_text(line, msg->pdata[i], encoding);
  }
  gboolean present;
  gint64 usec;
  if (!time_field(entry, "_SOURCE_REALTIME_TIMESTAMP", &present, &usec, error))
    return FALSE;
  if (!format_time(present ? usec : entry->realtime_usec, utc_offset, out, error))
    return FALSE;
  escape_newlines(line);
  out->line_len = line->len;
  out->line = g_string_free(g_steal_pointer(&line), FALSE);
  return TRUE;
}

/* ---- backend options ------------------------------------------------------------ */

void
f2b_journal_options_free(F2bJournalOptions *options)
{
  if (!options)
    return;
  g_free(options->path);
  if (options->files)
    g_ptr_array_unref(options->files);
  g_free(options->name_space);
  g_free(options->use_dns);
  g_free(options);
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* glob.glob of each word of VALUE (split on spaces, commas and newlines), as a
 * set: sorted and unique here. */
static GPtrArray *
expand_files(const char *value)
{
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) words = g_regex_split_simple("[ ,\n]+", value, 0, 0);
  for (guint i = 0; words[i]; i++) {
    g_strstrip(words[i]);
    if (!*words[i])
      continue;
    glob_t g;
    if (glob(words[i], 0, NULL, &g) == 0)
      for (gsize k = 0; k < g.gl_pathc; k++)
        g_ptr_array_add(files, g_strdup(g.gl_pathv[k]));
    globfree(&g);
  }
  g_ptr_array_sort(files, compare_paths);
  for (guint i = 1; i < files->len;)
    if (strcmp(files->pdata[i], files->pdata[i - 1]) == 0)
      g_ptr_array_remove_index(files, i);
    else
      i++;
  return files;
}

static gboolean
parse_flags(const char *text, int *flags, GError **error)
{
  gint64 v = 0;
  gboolean saturated = FALSE;
  if (!f2b_pystr_to_int(text, strlen(text), &v, &saturated)) {
    g_autoptr(GString) msg = g_string_new("invalid literal for int() with base 10: ");
    f2b_py_repr_str_append_cut(msg, text, strlen(text), 200);
    g_set_error_literal(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_VALUE, msg->str);
    return FALSE;
  }
  if (saturated || v < G_MININT || v > G_MAXINT) {
    /* python-systemd's "i" argument format refuses it */
    g_set_error_literal(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_VALUE,
                        "signed integer is greater than maximum");
    return FALSE;
  }
  *flags = (int) v;
  return TRUE;
}

static gboolean
is_known_option(const char *key)
{
  static const char *const known[] = { "journalpath", "journalfiles", "journalflags", "namespace", "useDns" };
  for (guint i = 0; i < G_N_ELEMENTS(known); i++)
    if (strcmp(key, known[i]) == 0)
      return TRUE;
  return FALSE;
}

F2bJournalOptions *
f2b_journal_options_parse(const F2bIniMap *options, const char *default_flags, GError **error)
{
  g_autoptr(F2bJournalOptions) o = g_new0(F2bJournalOptions, 1);
  const char *v;
  if ((v = f2b_ini_map_get(options, "journalpath")))
    o->path = g_strdup(v);
  if ((v = f2b_ini_map_get(options, "journalfiles")))
    o->files = expand_files(v);
  if ((v = f2b_ini_map_get(options, "journalflags"))) {
    if (!parse_flags(v, &o->flags, error))
      return NULL;
    o->has_flags = TRUE;
  } else if ((!o->files || o->files->len == 0) && (!o->path || !*o->path)) {
    if (!parse_flags(default_flags ? default_flags : "4", &o->flags, error))
      return NULL;
    o->has_flags = TRUE;
  }
  if ((v = f2b_ini_map_get(options, "namespace")))
    o->name_space = g_strdup(v);
  for (guint i = 0; i < f2b_ini_map_size(options); i++) {
    const char *key = f2b_ini_map_key(options, i);
    if (!is_known_option(key)) {
      g_set_error(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_TYPE,
                  "Filter.__init__() got an unexpected keyword argument '%s'", key);
      return NULL;
    }
  }
  if ((v = f2b_ini_map_get(options, "useDns")))
    o->use_dns = g_strdup(v);
  return g_steal_pointer(&o);
}

/* ---- journal matches ------------------------------------------------------------ */

gboolean
f2b_journalfmt_match_valid(const char *term, gsize len)
{
  /* sd-journal's match_is_valid */
  if (len < 2 || (term[0] == '_' && term[1] == '_'))
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = term[i];
    if (c == '=')
      return i > 0;
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return FALSE;
  }
  return FALSE;
}

F2bJournalMatches *
f2b_journal_matches_new(void)
{
  F2bJournalMatches *m = g_new0(F2bJournalMatches, 1);
  m->groups = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
  return m;
}

void
f2b_journal_matches_free(F2bJournalMatches *matches)
{
  if (!matches)
    return;
  g_ptr_array_unref(matches->groups);
  g_free(matches);
}

static GPtrArray *
new_group(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

gboolean
f2b_journal_matches_add(F2bJournalMatches *matches, const char *const *terms, gsize n, GError **error)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
  g_ptr_array_add(groups, new_group());
  for (gsize i = 0; i < n; i++) {
    if (strcmp(terms[i], "+") == 0) {
      g_ptr_array_add(groups, new_group());
      continue;
    }
    if (!f2b_journalfmt_match_valid(terms[i], strlen(terms[i]))) {
      g_set_error_literal(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_VALUE, "Invalid match");
      return FALSE;
    }
    g_ptr_array_add(groups->pdata[groups->len - 1], g_strdup(terms[i]));
  }
  g_ptr_array_extend_and_steal(matches->groups, g_steal_pointer(&groups));
  return TRUE;
}

static gboolean
group_equal(const GPtrArray *group, const char *const *terms, gsize n)
{
  if (group->len != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (strcmp(group->pdata[i], terms[i]) != 0)
      return FALSE;
  return TRUE;
}

gboolean
f2b_journal_matches_del(F2bJournalMatches *matches, const char *const *terms, gsize n, GError **error)
{
  for (guint i = 0; i < matches->groups->len; i++)
    if (group_equal(matches->groups->pdata[i], terms, n)) {
      g_ptr_array_remove_index(matches->groups, i);
      return TRUE;
    }
  g_autoptr(F2bPyObj) list = f2b_py_list_new();
  for (gsize i = 0; i < n; i++)
    f2b_py_append(list, f2b_py_str(terms[i]));
  g_autofree char *repr = f2b_py_repr(list);
  g_set_error(error, F2B_JOURNALFMT_ERROR, F2B_JOURNALFMT_ERROR_VALUE, "Match %s not found", repr);
  return FALSE;
}

void
f2b_journal_matches_clear(F2bJournalMatches *matches)
{
  g_ptr_array_set_size(matches->groups, 0);
}

char *
f2b_journal_matches_status(const F2bJournalMatches *matches)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < matches->groups->len; i++) {
    const GPtrArray *group = matches->groups->pdata[i];
    if (i)
      g_string_append(out, " + ");
    for (guint k = 0; k < group->len; k++) {
      if (k)
        g_string_append_c(out, ' ');
      g_string_append(out, group->pdata[k]);
    }
  }
  return g_string_free(out, FALSE);
}
