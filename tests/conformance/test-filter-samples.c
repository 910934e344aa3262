/* test-filter-samples.c - fail2ban's sample logs through our filter engine.
 *
 * This does what fail2ban's own samplestestcase.py does, with our config
 * reader and our filter instead of fail2ban's: for every stock filter (and the
 * zzz-* test filters of fail2ban's test suite) it reads the filter's sample log
 * in fail2ban's tests/files/logs, honours the `# filterOptions:`,
 * `# fileOptions:` and `# addFILE:` lines, `test.condition`, `constraint`, the
 * journal simulation (`logtype: journal`, `test.prefix-line`), and checks every
 * line annotated with `# failJSON:` (and every other non-comment line, which
 * must not match): match or not, host, time and every other attribute the
 * annotation names, then that each failregex has a sample.
 *
 * Unlike fail2ban's test, which stops a filter at its first failure, every
 * failing line is listed.  Prints how many lines were checked; exits 77 when
 * fail2ban's files are not installed. */
#define _GNU_SOURCE /* strptime */
#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confreader.h"
#include "filter.h"

#define F2B_PKG "/usr/lib/python3/dist-packages/fail2ban"
#define LOGS_DIR F2B_PKG "/tests/files/logs"
#define TEST_CONFIG_DIR F2B_PKG "/tests/config"
#define CONFIG_DIR "/etc/fail2ban"
#define TEST_TZ "CET-01CEST-02,M3.5.0,M10.5.0" /* fail2ban's tests/utils.py zone */
#define TEST_NOW 1124013600.0                  /* and its TEST_NOW */
#define TEST_NOW_STR "2005-08-14T10:00:00"     /* utcfromtimestamp(TEST_NOW).isoformat() */

typedef struct {
  guint lines;    /* test lines (annotated or not) */
  guint checks;   /* (line, filter variant) pairs run */
  guint failures;
} Tally;

/* ---- a small JSON reader: the annotations are JSON ------------------------------ */

typedef struct {
  const char *p;
  GError *error;
} Json;

static F2bPyObj *json_value(Json *j);

static void
json_ws(Json *j)
{
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n')
    j->p++;
}

static F2bPyObj *
json_fail(Json *j, const char *what)
{
  if (!j->error)
    j->error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "JSON: %s at '%.20s'", what, j->p);
  return NULL;
}

static F2bPyObj *
json_string(Json *j)
{
  GString *s = g_string_new(NULL);
  j->p++;
  while (*j->p && *j->p != '"') {
    if (*j->p != '\\') {
      g_string_append_c(s, *j->p++);
      continue;
    }
    j->p++;
    char c = *j->p++;
    switch (c) {
    case 'n': g_string_append_c(s, '\n'); break;
    case 't': g_string_append_c(s, '\t'); break;
    case 'r': g_string_append_c(s, '\r'); break;
    case 'b': g_string_append_c(s, '\b'); break;
    case 'f': g_string_append_c(s, '\f'); break;
    case 'u': {
      char hex[5] = {0};
      for (int i = 0; i < 4 && *j->p; i++)
        hex[i] = *j->p++;
      g_string_append_unichar(s, (gunichar) strtoul(hex, NULL, 16));
      break;
    }
    case '\0':
      g_string_free(s, TRUE);
      return json_fail(j, "unterminated string");
    default: g_string_append_c(s, c); break;
    }
  }
  if (*j->p != '"') {
    g_string_free(s, TRUE);
    return json_fail(j, "unterminated string");
  }
  j->p++;
  F2bPyObj *o = f2b_py_str_len(s->str, s->len);
  g_string_free(s, TRUE);
  return o;
}

static F2bPyObj *
json_container(Json *j, gboolean object)
{
  F2bPyObj *c = object ? f2b_py_dict_new() : f2b_py_list_new();
  char close = object ? '}' : ']';
  j->p++;
  json_ws(j);
  if (*j->p == close) {
    j->p++;
    return c;
  }
  for (;;) {
    json_ws(j);
    F2bPyObj *key = NULL;
    if (object) {
      if (*j->p != '"' || (key = json_string(j)) == NULL)
        goto bad;
      json_ws(j);
      if (*j->p++ != ':') {
        f2b_py_free(key);
        goto bad;
      }
    }
    F2bPyObj *v = json_value(j);
    if (v == NULL) {
      f2b_py_free(key);
      goto bad;
    }
    if (object)
      f2b_py_dict_set(c, key, v);
    else
      f2b_py_append(c, v);
    json_ws(j);
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    if (*j->p == close) {
      j->p++;
      return c;
    }
    goto bad;
  }
bad:
  f2b_py_free(c);
  return json_fail(j, "bad container");
}

static F2bPyObj *
json_value(Json *j)
{
  json_ws(j);
  switch (*j->p) {
  case '{': return json_container(j, TRUE);
  case '[': return json_container(j, FALSE);
  case '"': return json_string(j);
  default: break;
  }
  static const struct { const char *word; int kind; } words[] = {
      {"true", 1}, {"false", 0}, {"null", 2}};
  for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
    gsize n = strlen(words[i].word);
    if (strncmp(j->p, words[i].word, n) == 0) {
      j->p += n;
      return words[i].kind == 2 ? f2b_py_none() : f2b_py_bool(words[i].kind);
    }
  }
  char *end;
  gint64 v = g_ascii_strtoll(j->p, &end, 10);
  if (end == j->p || *end == '.' || *end == 'e' || *end == 'E')
    return json_fail(j, "unsupported value");
  j->p = end;
  return f2b_py_int(v);
}

static F2bPyObj *
json_parse(const char *text, GError **error)
{
  Json j = {.p = text};
  F2bPyObj *v = json_value(&j);
  if (v) {
    json_ws(&j);
    if (*j.p) {
      f2b_py_free(v);
      v = json_fail(&j, "trailing data");
    }
  }
  if (!v)
    g_propagate_error(error, j.error);
  return v;
}

/* ---- tiny Python expressions of the annotations ---------------------------------- */

static F2bPyObj *
dict_get(const F2bPyObj *dict, const char *key)
{
  if (dict == NULL)
    return NULL;
  for (gsize i = 0; i < f2b_py_len(dict); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(dict, i, &k, &v);
    if (f2b_py_str_equal(k, key))
      return v;
  }
  return NULL;
}

static const char *
dict_get_str(const F2bPyObj *dict, const char *key)
{
  F2bPyObj *v = dict_get(dict, key);
  return (v && f2b_py_kind(v) == F2B_PY_STR) ? f2b_py_get_str(v, NULL) : NULL;
}

/* Evaluates exactly the forms the sample logs use: `name == 'x'`,
 * `opts.get('k') == 'x'` and the same with `!=`. Anything else is an error. */
static gboolean
eval_condition(const char *expr, const char *name, const F2bPyObj *opts, gboolean *result,
               GError **error)
{
  g_autoptr(GRegex) re = g_regex_new(
      "^\\s*(name|opts\\.get\\('([^']*)'\\))\\s*(==|!=)\\s*'([^']*)'\\s*$", 0, 0, NULL);
  g_autoptr(GMatchInfo) mi = NULL;
  if (!g_regex_match(re, expr, 0, &mi)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "unsupported test expression: %s", expr);
    return FALSE;
  }
  g_autofree char *lhs = g_match_info_fetch(mi, 1), *key = g_match_info_fetch(mi, 2);
  g_autofree char *op = g_match_info_fetch(mi, 3), *lit = g_match_info_fetch(mi, 4);
  const char *value = strcmp(lhs, "name") == 0 ? name : dict_get_str(opts, key);
  gboolean eq = value != NULL && strcmp(value, lit) == 0;
  *result = strcmp(op, "==") == 0 ? eq : !eq;
  return TRUE;
}

/* ---- filters ------------------------------------------------------------------------ */

typedef struct {
  F2bFilter *flt;
  GHashTable *used_idx; /* regex indices with a sample */
} FltEntry;

static void
flt_entry_free(gpointer p)
{
  FltEntry *e = p;
  f2b_filter_free(e->flt);
  g_hash_table_destroy(e->used_idx);
  g_free(e);
}

typedef struct {
  char *flt_name;
  FltEntry *entry; /* owned by the filters table */
  F2bPyObj *opts;
} FltTest;

static void
flt_test_free(gpointer p)
{
  FltTest *t = p;
  g_free(t->flt_name);
  f2b_py_free(t->opts);
  g_free(t);
}

typedef struct {
  const char *name;    /* the filter being tested */
  const char *basedir; /* its configuration directory */
  GHashTable *filters; /* flt_name -> FltEntry */
  GHashTable *used_re; /* regex texts with a sample */
  Tally *tally;
} TestCtx;

static void
report(TestCtx *ctx, const char *where, const char *flt_name, const char *line, const char *fmt,
       ...) G_GNUC_PRINTF(5, 6);

static void
report(TestCtx *ctx, const char *where, const char *flt_name, const char *line, const char *fmt,
       ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  ctx->tally->failures++;
  printf("FAIL %s [%s]: %s\n", where, flt_name, msg);
  if (line)
    printf("     line: %s\n", line);
}

/* Python's re.escape() (3.7+: only the regex-special characters). */
static char *
py_re_escape(const char *s)
{
  GString *out = g_string_new(NULL);
  for (; *s; s++) {
    if (strchr("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", *s))
      g_string_append_c(out, '\\');
    g_string_append_c(out, *s);
  }
  return g_string_free(out, FALSE);
}

/* samplestestcase's RE_WRONG_GREED: a greedy catch-all before <HOST> that is not
 * hard-anchored. */
static F2bRegex *
wrong_greed_regex(void)
{
  g_autofree char *host = f2b_failregex_resolve_tags("<HOST>", F2B_FAILREGEX_FLAGS_NONE);
  g_autofree char *esc = py_re_escape(host);
  g_autofree char *rx = g_strconcat("\\.[+\\*](?!\\?)[^\\$\\^]*", esc, ".*(?:\\.[+\\*].*|[^\\$])$",
                                    NULL);
  g_autoptr(GError) err = NULL;
  F2bRegex *re = f2b_failregex_new(rx, F2B_FAILREGEX_FLAGS_NONE, &err);
  if (!re)
    g_error("RE_WRONG_GREED: %s", err->message);
  return re;
}

static gboolean
apply_command(F2bFilter *flt, const char *opt, const char *value, GError **error)
{
  if (strcmp(opt, "prefregex") == 0)
    return f2b_filter_set_prefregex(flt, value, error);
  if (strcmp(opt, "addfailregex") == 0)
    return f2b_filter_add_failregex(flt, value, error);
  if (strcmp(opt, "addignoreregex") == 0)
    return f2b_filter_add_ignoreregex(flt, value, error);
  if (strcmp(opt, "maxlines") == 0)
    return f2b_filter_set_maxlines(flt, g_ascii_strtoll(value, NULL, 10), error);
  if (strcmp(opt, "datepattern") == 0)
    return f2b_filter_set_datepattern(flt, value, error);
  return TRUE; /* samplestestcase ignores the other options (usedns, journalmatch) */
}

static const char *
py_value_text(F2bPyObj *v, char **buf)
{
  if (f2b_py_kind(v) == F2B_PY_STR)
    return f2b_py_get_str(v, NULL);
  *buf = f2b_py_repr(v);
  return *buf;
}

/* _readFilter: the filter NAME of BASEDIR with OPTS, configured as fail2ban's
 * sample test configures it. NULL with ERROR on a configuration error. */
static F2bFilter *
read_filter(const char *name, const char *basedir, const F2bPyObj *opts, GError **error)
{
  g_autoptr(F2bFilter) flt = f2b_filter_new((double) g_get_real_time() / G_USEC_PER_SEC);
  f2b_filter_set_now(flt, TEST_NOW);
  f2b_filter_set_return_raw_host(flt, TRUE);
  f2b_filter_set_check_all_regex(flt, TRUE);
  f2b_filter_set_check_find_time(flt, FALSE);
  g_autoptr(F2bIniMap) init = f2b_ini_map_new();
  for (gsize i = 0; opts && i < f2b_py_len(opts); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(opts, i, &k, &v);
    g_autofree char *buf = NULL;
    f2b_ini_map_set(init, f2b_py_get_str(k, NULL), py_value_text(v, &buf));
  }
  g_autoptr(F2bConfReader) r = f2b_confreader_new(basedir, NULL);
  gboolean found = FALSE;
  g_autoptr(F2bPyObj) stream = f2b_confreader_filter_stream(r, name, init, FALSE, "jail", NULL, &found, error);
  if (stream == NULL)
    return NULL;
  if (!found) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no filter %s in %s", name, basedir);
    return NULL;
  }
  for (gsize i = 0; i < f2b_py_len(stream); i++) {
    F2bPyObj *cmd = f2b_py_item(stream, i);
    const char *kind = f2b_py_get_str(f2b_py_item(cmd, 0), NULL);
    const char *opt = f2b_py_get_str(f2b_py_item(cmd, 2), NULL);
    F2bPyObj *val = f2b_py_item(cmd, 3);
    if (strcmp(kind, "multi-set") == 0) {
      for (gsize k = 0; k < f2b_py_len(val); k++)
        if (!apply_command(flt, opt, f2b_py_get_str(f2b_py_item(val, k), NULL), error))
          return NULL;
    } else if (strcmp(kind, "set") == 0) {
      g_autofree char *buf = NULL;
      if (!apply_command(flt, opt, py_value_text(val, &buf), error))
        return NULL;
    } else {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "unexpected config-token %s", kind);
      return NULL;
    }
  }
  /* RE_WRONG_GREED over the regexes */
  g_autoptr(F2bRegex) greed = wrong_greed_regex();
  for (guint i = 0; i < f2b_filter_n_failregex(flt); i++) {
    const char *fr = f2b_failregex_get_regex(f2b_filter_get_failregex(flt, i));
    g_autoptr(GString) buf = g_string_new(fr);
    g_autoptr(F2bRegexMatch) m = f2b_failregex_search(greed, buf->str, buf->len, NULL, 0, NULL);
    if (m) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                  "regexp contains greedy catch-all before <HOST>: %s", fr);
      return NULL;
    }
  }
  return g_steal_pointer(&flt);
}

static FltEntry *
get_filter(TestCtx *ctx, const char *flt_name, const F2bPyObj *opts, GError **error)
{
  FltEntry *e = g_hash_table_lookup(ctx->filters, flt_name);
  if (e)
    return e;
  F2bFilter *flt = read_filter(ctx->name, ctx->basedir, opts, error);
  if (!flt)
    return NULL;
  e = g_new0(FltEntry, 1);
  e->flt = flt;
  e->used_idx = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_hash_table_insert(ctx->filters, g_strdup(flt_name), e);
  return e;
}

/* ---- checking one line ------------------------------------------------------------------ */

static double
json_time(const char *t, gboolean *ok)
{
  struct tm tm = {0};
  const char *end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
  double usec = 0;
  *ok = end != NULL;
  if (end && *end == '.') {
    char *e2;
    double frac = g_ascii_strtod(end, &e2);
    usec = frac;
    end = e2;
  }
  if (end && *end != '\0')
    *ok = FALSE;
  tm.tm_isdst = -1;
  return (double) mktime(&tm) + usec;
}

static gint
str_cmp(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* assertSortedEqual on two lists of strings. */
static gboolean
sorted_equal(const F2bPyObj *a, const F2bPyObj *b)
{
  if (f2b_py_kind(a) != F2B_PY_LIST || f2b_py_kind(b) != F2B_PY_LIST ||
      f2b_py_len(a) != f2b_py_len(b))
    return FALSE;
  g_autoptr(GPtrArray) sa = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) sb = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < f2b_py_len(a); i++) {
    g_ptr_array_add(sa, f2b_py_repr(f2b_py_item(a, i)));
    g_ptr_array_add(sb, f2b_py_repr(f2b_py_item(b, i)));
  }
  g_ptr_array_sort(sa, str_cmp);
  g_ptr_array_sort(sb, str_cmp);
  for (guint i = 0; i < sa->len; i++)
    if (strcmp(sa->pdata[i], sb->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

/* fail2ban's IPAddr == str */
static gboolean
host_equal(const F2bIPAddr *fid, const F2bPyObj *v)
{
  if (fid == NULL || f2b_py_kind(v) != F2B_PY_STR)
    return FALSE;
  gsize len;
  const char *s = f2b_py_get_str(v, &len);
  if (fid->family == F2B_IPADDR_FAMILY_RAW)
    return fid->raw_len == len && memcmp(fid->raw, s, len) == 0;
  g_autoptr(F2bIPAddr) other = f2b_ipaddr_new(s, (gssize) len, F2B_IPADDR_CIDR_UNSPEC, NULL);
  return other && f2b_ipaddr_equal(fid, other);
}

/* Compares the failure with the annotation; returns a message on mismatch. */
static char *
compare_failure(const F2bFailure *f, const F2bPyObj *faildata)
{
  for (gsize i = 0; i < f2b_py_len(faildata); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(faildata, i, &k, &v);
    const char *key = f2b_py_get_str(k, NULL);
    if (!strcmp(key, "time") || !strcmp(key, "match") || !strcmp(key, "desc") ||
        !strcmp(key, "constraint"))
      continue;
    F2bPyObj *fv = dict_get(f->data, key);
    gboolean ok;
    g_autofree char *shown = NULL;
    if (fv == NULL || f2b_py_kind(fv) == F2B_PY_NONE) {
      if (!strcmp(key, "host")) {
        ok = host_equal(f->fid, v);
        shown = f->fid ? f2b_ipaddr_to_string(f->fid, NULL) : g_strdup("None");
      } else if (!strcmp(key, "attempts")) {
        F2bPyObj *m = dict_get(f->data, "matches");
        gint64 n = m ? (gint64) f2b_py_len(m) : 0;
        ok = f2b_py_kind(v) == F2B_PY_INT && f2b_py_get_int(v) == n;
        shown = g_strdup_printf("%" G_GINT64_FORMAT, n);
      } else {
        ok = f2b_py_kind(v) == F2B_PY_NONE;
        shown = g_strdup("None");
      }
    } else if (f2b_py_kind(fv) == F2B_PY_LIST || f2b_py_kind(fv) == F2B_PY_DICT) {
      ok = sorted_equal(fv, v);
      shown = f2b_py_repr(fv);
    } else {
      ok = f2b_py_equal(fv, v);
      shown = f2b_py_repr(fv);
    }
    if (!ok) {
      g_autofree char *want = f2b_py_repr(v);
      return g_strdup_printf("%s: got %s, expected %s", key, shown, want);
    }
  }
  F2bPyObj *t = dict_get(faildata, "time");
  if (t && f2b_py_kind(t) == F2B_PY_STR) {
    gboolean ok;
    double want = json_time(f2b_py_get_str(t, NULL), &ok);
    if (!ok)
      return g_strdup_printf("bad time in annotation: %s", f2b_py_get_str(t, NULL));
    if (!f->has_time || f->time != want)
      return g_strdup_printf("time mismatch: got %.6f, expected %.6f (%s)",
                             f->has_time ? f->time : -1.0, want, f2b_py_get_str(t, NULL));
  }
  return NULL;
}

static void
mark_used(TestCtx *ctx, FltEntry *e, guint index)
{
  g_hash_table_add(e->used_idx, GUINT_TO_POINTER(index + 1));
  const char *rx = f2b_failregex_get_regex(f2b_filter_get_failregex(e->flt, index));
  g_hash_table_add(ctx->used_re, g_strdup(rx));
}

/* One test line through one filter variant. LINE may be replaced (the journal
 * prefix sticks to it for the following variants, as in fail2ban's loop). */
static void
check_line(TestCtx *ctx, FltTest *test, char **line, const F2bPyObj *faildata,
           const char *where)
{
  F2bFilter *flt = test->entry->flt;
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) ret = NULL;
  const char *logtype = dict_get_str(test->opts, "logtype");
  ctx->tally->checks++;
  if (logtype == NULL || strcmp(logtype, "journal") != 0) {
    ret = f2b_filter_process_line(flt, *line, strlen(*line), &err);
  } else {
    const char *prefix = dict_get_str(test->opts, "test.prefix-line");
    if (prefix) {
      char *joined = g_strconcat(prefix, *line, NULL);
      g_free(*line);
      *line = joined;
    }
    F2bRegexLine tuple = {"", 0, TEST_NOW_STR, strlen(TEST_NOW_STR), *line, strlen(*line)};
    ret = f2b_filter_process_tuple(flt, &tuple, TEST_NOW, &err);
  }
  if (err) {
    report(ctx, where, test->flt_name, *line, "processing error: %s", err->message);
    return;
  }
  g_autoptr(GPtrArray) found = g_ptr_array_new();
  for (guint i = 0; i < ret->len; i++) {
    F2bFailure *f = ret->pdata[i];
    F2bPyObj *nofail = dict_get(f->data, "nofail");
    gboolean nf = nofail && f2b_py_kind(nofail) == F2B_PY_STR && f2b_py_len(nofail) > 0;
    if (f->fid == NULL || nf) {
      mark_used(ctx, test->entry, f->regex_index);
      continue;
    }
    g_ptr_array_add(found, f);
  }
  F2bPyObj *match = dict_get(faildata, "match");
  gboolean want = match && f2b_py_kind(match) == F2B_PY_BOOL && f2b_py_get_bool(match);
  if (found->len == 0) {
    if (want)
      report(ctx, where, test->flt_name, *line, "Line not matched when should have");
    return;
  }
  if (!want) {
    report(ctx, where, test->flt_name, *line, "Line matched when shouldn't have (regex %u)",
           ((F2bFailure *) found->pdata[0])->regex_index);
    return;
  }
  if (found->len != 1) {
    report(ctx, where, test->flt_name, *line, "Multiple regexs matched (%u)", found->len);
    return;
  }
  F2bFailure *f = found->pdata[0];
  g_autofree char *msg = compare_failure(f, faildata);
  if (msg) {
    g_autofree char *data = f2b_py_repr(f->data);
    report(ctx, where, test->flt_name, *line, "%s (regex %u)\n     fail: %s", msg,
           f->regex_index, data);
    return;
  }
  mark_used(ctx, test->entry, f->regex_index);
}

/* ---- the sample files -------------------------------------------------------------------- */

typedef struct {
  GPtrArray *filenames;
  F2bPyObj *common_opts;
  GPtrArray *filter_tests; /* FltTest *, NULL before the first filterOptions */
  gboolean config_failed;
} FileState;

/* A `# filterOptions:` line: the filter variants that test the next lines.
 * Returns the new ignoreBlock. */
static gboolean
filter_options(TestCtx *ctx, FileState *fs, F2bPyObj *data, const char *where)
{
  gboolean ignore = FALSE;
  g_clear_pointer(&fs->filter_tests, g_ptr_array_unref);
  fs->filter_tests = g_ptr_array_new_with_free_func(flt_test_free);
  gsize n = f2b_py_kind(data) == F2B_PY_LIST ? f2b_py_len(data) : 1;
  for (gsize i = 0; i < n; i++) {
    F2bPyObj *fd = f2b_py_kind(data) == F2B_PY_LIST ? f2b_py_item(data, i) : data;
    g_autoptr(F2bPyObj) opts = fs->common_opts ? f2b_py_copy(fs->common_opts) : f2b_py_dict_new();
    for (gsize k = 0; k < f2b_py_len(fd); k++) {
      F2bPyObj *key, *v;
      f2b_py_dict_pair(fd, k, &key, &v);
      f2b_py_dict_set(opts, f2b_py_copy(key), f2b_py_copy(v));
    }
    const char *cond = dict_get_str(opts, "test.condition");
    if (cond && *cond) {
      g_autoptr(GError) err = NULL;
      gboolean res;
      if (!eval_condition(cond, ctx->name, opts, &res, &err)) {
        report(ctx, where, ctx->name, NULL, "%s", err->message);
        res = FALSE;
      }
      ignore = !res;
    }
    if (ignore)
      continue;
    g_autoptr(F2bPyObj) flt_opts = f2b_py_dict_new();
    for (gsize k = 0; k < f2b_py_len(opts); k++) {
      F2bPyObj *key, *v;
      f2b_py_dict_pair(opts, k, &key, &v);
      if (!g_str_has_prefix(f2b_py_get_str(key, NULL), "test."))
        f2b_py_dict_set(flt_opts, f2b_py_copy(key), f2b_py_copy(v));
    }
    const char *fname = dict_get_str(opts, "test.filter-name");
    g_autofree char *suffix = fname && *fname ? g_strdup(fname)
                              : f2b_py_len(flt_opts) ? f2b_py_repr(flt_opts) : g_strdup("");
    g_autofree char *flt_name = g_strconcat(ctx->name, suffix, NULL);
    g_autoptr(GError) err = NULL;
    FltEntry *e = get_filter(ctx, flt_name, flt_opts, &err);
    if (!e) {
      report(ctx, where, flt_name, NULL, "cannot read the filter: %s", err->message);
      fs->config_failed = TRUE;
      continue;
    }
    FltTest *t = g_new0(FltTest, 1);
    t->flt_name = g_steal_pointer(&flt_name);
    t->entry = e;
    t->opts = g_steal_pointer(&opts);
    g_ptr_array_add(fs->filter_tests, t);
  }
  return ignore;
}

static gboolean
is_blank(const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace(*s))
      return FALSE;
  return TRUE;
}

/* The file's lines, decoded as fail2ban's FileContainer reads them (UTF-8 with
 * replacement), each with its line end. */
static GPtrArray *
read_lines(const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  if (!g_file_get_contents(path, &data, &len, error))
    return NULL;
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  gsize start = 0;
  while (start < len) {
    const char *nl = memchr(data + start, '\n', len - start);
    gsize end = nl ? (gsize) (nl - data) + 1 : len;
    g_ptr_array_add(lines, f2b_filter_decode_line(data + start, end - start, NULL, NULL, NULL));
    start = end;
  }
  return lines;
}

static void
run_file(TestCtx *ctx, FileState *fs, const char *filename, GRegex *json_re)
{
  g_autofree char *path = g_build_filename(LOGS_DIR, filename, NULL);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) lines = read_lines(path, &err);
  if (!lines) {
    report(ctx, filename, ctx->name, NULL, "no sample log: %s", err->message);
    return;
  }
  gboolean ignore_block = FALSE;
  g_autoptr(F2bPyObj) faildata = f2b_py_dict_new();
  for (guint i = 0; i < lines->len; i++) {
    guint lnnum = i + 1;
    g_autofree char *line = g_strdup(lines->pdata[i]);
    g_autofree char *where = g_strdup_printf("%s:%u", filename, lnnum);
    g_autoptr(GMatchInfo) mi = NULL;
    g_autofree char *bare = g_strdup(line);
    if (*bare && bare[strlen(bare) - 1] == '\n')
      bare[strlen(bare) - 1] = '\0';
    if (g_regex_match(json_re, bare, 0, &mi)) {
      g_autofree char *kind = g_match_info_fetch(mi, 1), *text = g_match_info_fetch(mi, 2);
      g_autoptr(GError) jerr = NULL;
      F2bPyObj *parsed = json_parse(text, &jerr);
      if (!parsed) {
        report(ctx, where, ctx->name, bare, "%s", jerr->message);
        continue;
      }
      f2b_py_free(faildata);
      faildata = parsed;
      if (strcmp(kind, "fileOptions") == 0) {
        f2b_py_free(fs->common_opts);
        fs->common_opts = f2b_py_copy(faildata);
        continue;
      }
      if (strcmp(kind, "filterOptions") == 0) {
        ignore_block = filter_options(ctx, fs, faildata, where);
        continue;
      }
      if (strcmp(kind, "addFILE") == 0) {
        g_ptr_array_add(fs->filenames, g_strdup(f2b_py_get_str(faildata, NULL)));
        continue;
      }
      if (++i >= lines->len)
        break;
      lnnum = i + 1;
      g_free(line);
      line = g_strdup(lines->pdata[i]);
      g_free(where);
      where = g_strdup_printf("%s:%u", filename, lnnum);
    } else if (ignore_block || line[0] == '#' || is_blank(line)) {
      continue;
    } else {
      f2b_py_free(faildata);
      faildata = f2b_py_dict_new();
    }
    if (ignore_block)
      continue;
    if (fs->filter_tests == NULL || fs->filter_tests->len == 0) {
      if (fs->config_failed)
        continue; /* reported once already */
      g_clear_pointer(&fs->filter_tests, g_ptr_array_unref);
      fs->filter_tests = g_ptr_array_new_with_free_func(flt_test_free);
      FltEntry *e = get_filter(ctx, ctx->name, NULL, &err);
      if (!e) {
        report(ctx, where, ctx->name, NULL, "cannot read the filter: %s", err->message);
        g_clear_error(&err);
        fs->config_failed = TRUE;
        continue;
      }
      FltTest *t = g_new0(FltTest, 1);
      t->flt_name = g_strdup(ctx->name);
      t->entry = e;
      t->opts = f2b_py_dict_new();
      g_ptr_array_add(fs->filter_tests, t);
    }
    gsize l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
      line[--l] = '\0';
    ctx->tally->lines++;
    const char *constraint = dict_get_str(faildata, "constraint");
    for (guint t = 0; t < fs->filter_tests->len; t++) {
      FltTest *test = fs->filter_tests->pdata[t];
      if (constraint && *constraint) {
        g_autoptr(GError) cerr = NULL;
        gboolean res;
        if (!eval_condition(constraint, ctx->name, test->opts, &res, &cerr)) {
          report(ctx, where, test->flt_name, line, "%s", cerr->message);
          continue;
        }
        if (!res)
          continue;
      }
      check_line(ctx, test, &line, faildata, where);
    }
  }
}

static void
check_regex_samples(gpointer key, gpointer value, gpointer data)
{
  TestCtx *ctx = data;
  FltEntry *e = value;
  for (guint i = 0; i < f2b_filter_n_failregex(e->flt); i++) {
    const char *rx = f2b_failregex_get_regex(f2b_filter_get_failregex(e->flt, i));
    if (!g_hash_table_contains(e->used_idx, GUINT_TO_POINTER(i + 1)) &&
        !g_hash_table_contains(ctx->used_re, rx))
      report(ctx, "(end)", key, NULL, "Regex has no samples: %u: %s", i, rx);
  }
}

/* testSampleRegexs<NAME>. */
static void
run_filter(const char *name, const char *basedir, Tally *tally, GRegex *json_re)
{
  TestCtx ctx = {.name = name, .basedir = basedir, .tally = tally};
  ctx.filters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, flt_entry_free);
  ctx.used_re = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  FileState fs = {.filenames = g_ptr_array_new_with_free_func(g_free)};
  g_ptr_array_add(fs.filenames, g_strdup(name));
  for (guint i = 0; i < fs.filenames->len; i++)
    run_file(&ctx, &fs, fs.filenames->pdata[i], json_re);
  g_hash_table_foreach(ctx.filters, check_regex_samples, &ctx);
  g_ptr_array_unref(fs.filenames);
  f2b_py_free(fs.common_opts);
  if (fs.filter_tests)
    g_ptr_array_unref(fs.filter_tests);
  g_hash_table_destroy(ctx.filters);
  g_hash_table_destroy(ctx.used_re);
}

/* The filter names of DIR/filter.d that KEEP accepts, sorted. */
static GPtrArray *
list_filters(const char *dir, gboolean zzz_only)
{
  g_autofree char *fdir = g_build_filename(dir, "filter.d", NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(fdir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d))) {
    if (!g_str_has_suffix(n, ".conf") || n[0] == '.')
      continue;
    if (zzz_only ? !g_str_has_prefix(n, "zzz-") : g_str_has_suffix(n, "common.conf"))
      continue;
    g_ptr_array_add(names, g_strndup(n, strlen(n) - 5));
  }
  g_ptr_array_sort(names, str_cmp);
  return names;
}

/* fail2ban's zzz-* test filters include common.conf through a relative path
 * ("../../../../../../../config/filter.d/common.conf") that only resolves in
 * fail2ban's source tree; on an installed fail2ban its own run of these two tests
 * fails there. Write them into a scratch directory with that one include pointing
 * at the stock common.conf beside them; nothing else changes. */
static char *
zzz_config_dir(GPtrArray *zzz)
{
  g_autofree char *tmp = g_dir_make_tmp("f2b-samples-XXXXXX", NULL);
  if (!tmp)
    return NULL;
  g_autofree char *fdir = g_build_filename(tmp, "filter.d", NULL);
  g_mkdir(fdir, 0700);
  for (guint i = 0; i < zzz->len; i++) {
    g_autofree char *file = g_strconcat((char *) zzz->pdata[i], ".conf", NULL);
    g_autofree char *src = g_build_filename(TEST_CONFIG_DIR, "filter.d", file, NULL);
    g_autofree char *dst = g_build_filename(fdir, file, NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(src, &text, NULL, NULL))
      return NULL;
    g_autoptr(GRegex) inc = g_regex_new("^before\\s*=.*/common\\.conf\\s*$", G_REGEX_MULTILINE,
                                        0, NULL);
    g_autofree char *fixed = g_regex_replace_literal(inc, text, -1, 0, "before = common.conf", 0,
                                                     NULL);
    if (!fixed || !g_file_set_contents(dst, fixed, -1, NULL))
      return NULL;
  }
  g_autofree char *common = g_build_filename(fdir, "common.conf", NULL);
  if (symlink(CONFIG_DIR "/filter.d/common.conf", common) != 0)
    return NULL;
  return g_steal_pointer(&tmp);
}

static void
remove_config_dir(const char *dir, GPtrArray *zzz)
{
  g_autofree char *fdir = g_build_filename(dir, "filter.d", NULL);
  for (guint i = 0; i < zzz->len; i++) {
    g_autofree char *file = g_strconcat((char *) zzz->pdata[i], ".conf", NULL);
    g_autofree char *p = g_build_filename(fdir, file, NULL);
    g_unlink(p);
  }
  g_autofree char *common = g_build_filename(fdir, "common.conf", NULL);
  g_unlink(common);
  g_rmdir(fdir);
  g_rmdir(dir);
}

int
main(void)
{
  if (!g_file_test(LOGS_DIR, G_FILE_TEST_IS_DIR) ||
      !g_file_test(CONFIG_DIR "/filter.d", G_FILE_TEST_IS_DIR)) {
    fprintf(stderr, "fail2ban's sample logs (%s) or filters are not installed\n", LOGS_DIR);
    return 77;
  }
  g_setenv("TZ", TEST_TZ, TRUE);
  tzset();
  g_autoptr(GRegex) json_re = g_regex_new(
      "^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$", 0, 0, NULL);
  Tally tally = {0};
  g_autoptr(GPtrArray) stock = list_filters(CONFIG_DIR, FALSE);
  for (guint i = 0; i < stock->len; i++)
    run_filter(stock->pdata[i], CONFIG_DIR, &tally, json_re);
  guint stock_lines = tally.lines;
  g_autoptr(GPtrArray) zzz = list_filters(TEST_CONFIG_DIR, TRUE);
  if (zzz->len) {
    g_autofree char *dir = zzz_config_dir(zzz);
    if (!dir) {
      printf("FAIL cannot prepare the zzz-* test filters\n");
      tally.failures++;
    } else {
      for (guint i = 0; i < zzz->len; i++)
        run_filter(zzz->pdata[i], dir, &tally, json_re);
      remove_config_dir(dir, zzz);
    }
  }
  printf("%u filters, %u sample lines checked (%u stock, %u zzz-*), %u checks, %u failures\n",
         stock->len + zzz->len, tally.lines, stock_lines, tally.lines - stock_lines,
         tally.checks, tally.failures);
  return tally.failures ? 1 : 0;
}
