/* filter.c - fail2ban's Filter line processing (see filter.h).
 *
 * The flow follows fail2ban's processLine/findFailure step by step, because its
 * order of operations is observable: which regex wins, which lines stay in the
 * multi-line buffer, which keys a failure carries and in which order. Lines are
 * shared between the buffer and the matches through reference counts, so a line
 * is stored once however many places hold it. */
#include "filter.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pystr.h"

G_DEFINE_QUARK(f2b-filter-error-quark, f2b_filter_error)

/* fail2ban's mlfid cache: Utils.Cache(maxCount=100, maxTime=5*60). */
#define MLFID_CACHE_MAX 100
#define MLFID_CACHE_TTL (5 * 60.0)
/* The "nofail" strs lean failures share (see lean_nofail): about one text per
 * failregex that has the tag. */
#define NOFAIL_STRS 4
/* Entry blocks kept for reuse: a full cache drops one entry for each it adds. */
#define MLFID_SPARE_MAX 4
/* The least key room of an entry block, so that a block fits most keys. */
#define MLFID_MIN_CAP 96

/* FLine blocks the filter keeps for reuse: a line is made per log line (two with
 * maxlines > 1 and a prefregex's content line) and as many go. */
#define FLINE_POOL_MAX 8
/* The least text room of a block, so that a block fits most lines that reuse it. */
#define FLINE_MIN_CAP 256

typedef struct FLine FLine;

/* Unreferenced lines of one filter, ready for reuse.  Every holder of a line is
 * the filter's (its buffers, processed, last_time_line, the arrays of one call),
 * so no line outlives the pool. */
typedef struct {
  FLine *free[FLINE_POOL_MAX];
  guint n;
} FLinePool;

/* A line as fail2ban's (prefix, date, rest) tuple, with its text after it: the
 * date, then prefix and rest side by side, "\n" and a NUL.  Prefix, rest and "\n"
 * are the line's regex buffer when it is alone (see fline_buf): no copy; and a
 * line that starts with its date is copied in one piece. */
struct FLine {
  F2bRegexLine t;
  guint ref;
  gsize cap;       /* bytes of text room after the struct */
  FLinePool *pool; /* where the block goes when the last reference goes */
};

typedef struct LeanFail LeanFail;
typedef struct MlfidEntry MlfidEntry;

/* What fail2ban's __lineBuffer holds beside line_buffer.  With maxlines 1 it is
 * the line, the prefregex's content line or nothing (the unmatched lines of a
 * one-line match): line_buffer then keeps the line, and the two others are this
 * state, not arrays of lines made and dropped on every line. */
typedef enum {
  LB_LINES,   /* line_buffer as it is (always, with maxlines > 1) */
  LB_CONTENT, /* [('', '', content)]: content_line */
  LB_EMPTY,   /* [] */
} LineBufferState;

/* The keys the filter itself reads or writes.  Every key of a failure dict is the
 * filter's one str object for its text (see group_key_of), so these are found by
 * identity. */
enum {
  K_FID,
  K_IP4,
  K_IP6,
  K_DNS,
  K_CIDR,
  K_MLFID,
  K_NOFAIL,
  K_MLFGAINED,
  K_MLFFORGET,
  K_MLFPENDING,
  K_USER,
  N_SLOTS = K_USER + 1, /* the keys a lean failure keeps (see LeanFail) */
  K_USERS = N_SLOTS,
  K_MATCHES,
  K_NOFAIL_MATCHES,
  K_IP,
  K_CONTENT,
  N_KEYS
};

/* A value of a lean failure.  Group values are texts, copied into a buffer the
 * value keeps from one failure to the next (values move between the filter's
 * scratch failures and the mlfid cache's entries by swapping buffers), so the
 * usual failure allocates nothing.  What is not a str (a merged group's tuple,
 * mlfpending's int) is kept as the object. */
typedef enum {
  LV_NONE, /* None, or an absent key: every test of these keys treats both alike */
  LV_STR,
  LV_OBJ,
} LeanKind;

typedef struct {
  LeanKind kind;
  gsize len;     /* LV_STR: the text's length */
  gsize cap;     /* room at BUF */
  char *buf;     /* LV_STR: the text (kept when the value goes, for the next one) */
  F2bPyObj *obj; /* LV_OBJ: the value (never a str), or NULL */
} LeanValue;

/* A failure's dict as lean failures keep it (f2b_filter_set_lean_failures): the
 * values of the keys findFailure and _mergeFailure read, K_FID to K_USER, and
 * what they read of "users": only whether it holds more than one user, so the
 * first user is kept and a flag set when another one comes.  The other groups
 * are never read. */
struct LeanFail {
  LeanValue value[N_SLOTS];
  LeanValue first_user; /* LV_NONE: "users" is empty (or absent) */
  gboolean several_users;
};

struct F2bFilter {
  F2bRegex *prefregex;
  GPtrArray *failregex;   /* F2bRegex * */
  GPtrArray *ignoreregex; /* F2bRegex * */
  F2bFilterUseDns usedns;
  guint maxlines;
  double findtime;
  char *encoding;
  F2bDateDetector *dd;
  double now;
  gboolean check_find_time, in_operation, check_all_regex, ignore_pending, return_raw_host;
  gboolean lean_failures; /* see f2b_filter_set_lean_failures */
  guint32 match_limit;

  F2bFilterResolveFunc resolve;
  gpointer resolve_data;
  F2bFilterIgnoreFunc on_ignore;
  gpointer on_ignore_data;
  F2bFilterTimeFunc on_time;
  gpointer on_time_data;

  FLinePool lines;        /* the FLines' free blocks */
  GPtrArray *line_buffer; /* FLine * (references); see lb_state */
  LineBufferState lb_state;
  F2bRegexLine content_line; /* LB_CONTENT: the line, its text a part of the prefregex's
                              * buffer (kept by pref_line or pref_buf) */
  FLine *last_time_line; /* the line whose date is the last date text (NULL: none) */
  double last_date;
  gboolean has_last_date;
  FLine *processed; /* the last line processed (for processedLine()) */
  F2bRegexMatch *pref_match;
  gboolean pref_matched;
  GQueue mlfid_order;      /* the mlfid cache's entries (their links), oldest first */
  GHashTable *mlfid_index; /* the same entries as a set, by key (see MlfidKey) */
  MlfidEntry *mlfid_spare[MLFID_SPARE_MAX]; /* entry blocks kept for reuse */
  guint n_mlfid_spare;
  gboolean encoding_is_utf8;
  int line_ascii;         /* the line being processed: 1 pure ASCII, 0 not, -1 not known */
  GString *decoded;       /* scratch: the line being processed, decoded */
  GString *regex_buf;     /* scratch: the buffer the regexes search once the line
                           * buffer changed, when it is not a line's own text */
  GString *org_buf;       /* scratch: the buffer of orgBuffer when it holds several lines */
  GString *pref_buf;      /* the buffer pref_match points into when that was org_buf
                           * (their roles swap), left alone until the next prefregex match */
  FLine *pref_line;       /* the line whose text pref_match points into otherwise (a
                           * reference), or NULL */
  GArray *view;           /* scratch: F2bRegexLine view of view_of */
  GHashTable *group_keys; /* group name -> its str key (F2bPyObj *), shared by the
                           * failure dicts (a copy of a str is a reference) */
  GHashTable *regex_keys; /* F2bRegex * -> RegexKeys: its group names' keys in order;
                           * emptied whenever a regex goes (its address may return) */
  const struct RegexKeys *pref_keys; /* the prefregex's entry, or NULL */
  const struct RegexKeys **fail_keys; /* the failregexes' entries by index (NULL: not
                                       * yet), or NULL when a failregex came or went */
  guint64 *first_cands;   /* see first_byte_table; NULL when a failregex came or went */
  GPtrArray *fids;        /* scratch: the failure ids of one failregex match */
  /* found_lean's scratch failures (blocks trade places with the cache's, see mlfid_add) */
  LeanFail *lean_cur;     /* the failure being found */
  LeanFail *lean_own;     /* a cache entry's values, forgotten */
  F2bPyObj *nofail_strs[NOFAIL_STRS]; /* the last lean failures' "nofail" strs, each
                                       * text once (see lean_nofail) */
  guint nofail_next;      /* the slot the next new text takes */
  GString *mlfid_key;     /* scratch: the cache key of an mlfid */
  GPtrArray *spare_buffer; /* a line buffer array the filter alone holds, or NULL
                            * (see replace_buffer) */
  F2bPyObj *keys[N_KEYS]; /* the keys the filter reads (borrowed from group_keys) */
  const GPtrArray *view_of;
};

/* ---- lines ---------------------------------------------------------------------- */

static void buffer_materialize(F2bFilter *f);

/* A block with room for NEED bytes of text: the last one unreferenced when it is
 * big enough (no allocation), else a new one. */
static FLine *
fline_block(FLinePool *pool, gsize need)
{
  FLine *l = pool->n ? pool->free[--pool->n] : NULL;
  if (l && l->cap >= need)
    return l;
  g_free(l);
  gsize cap = MAX(need, FLINE_MIN_CAP);
  g_return_val_if_fail(cap < G_MAXSIZE - sizeof(FLine), NULL);
  l = g_malloc(sizeof(FLine) + cap);
  l->cap = cap;
  l->pool = pool;
  return l;
}

static FLine *
fline_new(FLinePool *pool, const char *prefix, gsize plen, const char *date, gsize dlen,
          const char *rest, gsize rlen)
{
  FLine *l = fline_block(pool, dlen + plen + rlen + 2);
  l->ref = 1;
  char *p = (char *) (l + 1);
  if (plen == 0 && dlen && date + dlen == rest) {
    memcpy(p, date, dlen + rlen); /* the usual line: its date, then the rest */
  } else {
    if (dlen)
      memcpy(p, date, dlen);
    if (plen)
      memcpy(p + dlen, prefix, plen);
    if (rlen)
      memcpy(p + dlen + plen, rest, rlen);
  }
  l->t.date = p;
  l->t.date_len = dlen;
  p += dlen;
  l->t.prefix = p;
  l->t.prefix_len = plen;
  l->t.rest = p + plen;
  l->t.rest_len = rlen;
  p[plen + rlen] = '\n';
  p[plen + rlen + 1] = '\0';
  return l;
}

static FLine *
fline_ref(FLine *l)
{
  l->ref++;
  return l;
}

static void
fline_unref(gpointer p)
{
  FLine *l = p;
  if (l == NULL || --l->ref > 0)
    return;
  if (l->pool->n < FLINE_POOL_MAX)
    l->pool->free[l->pool->n++] = l;
  else
    g_free(l);
}

static void
fline_pool_clear(FLinePool *pool)
{
  while (pool->n)
    g_free(pool->free[--pool->n]);
}

static GPtrArray *
fline_array_new(void)
{
  return g_ptr_array_new_with_free_func(fline_unref);
}

/* A buffer the regexes search: text ending in "\n" (fail2ban's _tupleLinesBuf),
 * owned elsewhere and unchanged while a match of it lives, and whether it is pure
 * ASCII (a faster regex path). */
typedef struct {
  const char *str;
  gsize len;
  gboolean ascii;
} Buf;

/* The regex buffer of line L alone: prefix, rest and "\n", which its block holds
 * side by side (NUL-terminated, as a GString's). */
static Buf
fline_buf(const FLine *l, gboolean ascii)
{
  return (Buf){l->t.prefix, l->t.prefix_len + l->t.rest_len + 1, ascii};
}

/* The F2bRegexLine view of LINES, for the regex layer (transfer full). */
static GArray *
lines_view(GPtrArray *lines)
{
  GArray *v = g_array_sized_new(FALSE, FALSE, sizeof(F2bRegexLine), lines->len);
  for (guint i = 0; i < lines->len; i++)
    g_array_append_val(v, ((FLine *) lines->pdata[i])->t);
  return v;
}

/* The regex buffer of LINES written into OUT (reused from line to line). */
static GString *
lines_buffer_into(GString *out, GPtrArray *lines)
{
  /* sized once and filled with memcpy: GLib's append calls cost more than the copies */
  gsize total = 1;
  for (guint i = 0; i < lines->len; i++) {
    const F2bRegexLine *l = &((FLine *) lines->pdata[i])->t;
    total += l->prefix_len + l->rest_len + (i ? 1 : 0);
  }
  g_string_set_size(out, total);
  char *p = out->str;
  for (guint i = 0; i < lines->len; i++) {
    const F2bRegexLine *l = &((FLine *) lines->pdata[i])->t;
    if (i)
      *p++ = '\n';
    memcpy(p, l->prefix, l->prefix_len);
    p += l->prefix_len;
    memcpy(p, l->rest, l->rest_len);
    p += l->rest_len;
  }
  *p = '\n';
  return out;
}

/* The regex buffer of LINES: a lone line's own text, else the lines joined in
 * SCRATCH.  Its ascii is left to the caller. */
static Buf
lines_buf(GString *scratch, GPtrArray *lines)
{
  if (lines->len == 1)
    return fline_buf(lines->pdata[0], FALSE);
  lines_buffer_into(scratch, lines);
  return (Buf){scratch->str, scratch->len, FALSE};
}

static GString *
lines_buffer(GPtrArray *lines)
{
  g_autoptr(GArray) v = lines_view(lines);
  return f2b_failregex_lines_buffer((const F2bRegexLine *) v->data, v->len);
}

static F2bPyObj *
fline_tuple(const FLine *l)
{
  return f2b_py_tuple_of(f2b_py_str_len(l->t.prefix, l->t.prefix_len),
                         f2b_py_str_len(l->t.date, l->t.date_len),
                         f2b_py_str_len(l->t.rest, l->t.rest_len), NULL);
}

/* The lines of ORG at INDICES as a new array sharing the lines. */
static GPtrArray *
lines_pick(GPtrArray *org, const gsize *indices, gsize n)
{
  GPtrArray *out = fline_array_new();
  for (gsize i = 0; i < n; i++)
    g_ptr_array_add(out, fline_ref(org->pdata[indices[i]]));
  return out;
}

/* ---- dict helpers ---------------------------------------------------------------- */

static const char *const key_names[N_KEYS] = {
    "fid",    "ip4",       "ip6",       "dns",        "cidr", "mlfid",   "nofail",         "mlfgained",
    "mlfforget", "mlfpending", "user", "users", "matches", "nofail-matches", "ip", "content",
};

static F2bPyObj *
dict_get(const F2bFilter *f, const F2bPyObj *dict, guint key)
{
  return f2b_py_dict_get_same(dict, f->keys[key]);
}

/* dict.get(key) is not None */
static F2bPyObj *
dict_get_value(const F2bFilter *f, const F2bPyObj *dict, guint key)
{
  F2bPyObj *v = dict_get(f, dict, key);
  return (v && f2b_py_kind(v) != F2B_PY_NONE) ? v : NULL;
}

static void
dict_set(const F2bFilter *f, F2bPyObj *dict, guint key, F2bPyObj *value)
{
  f2b_py_dict_set_same(dict, f2b_py_copy(f->keys[key]), value);
}

static F2bPyObj *
dict_pop(const F2bFilter *f, F2bPyObj *dict, guint key)
{
  return f2b_py_dict_pop_same(dict, f->keys[key]);
}

static void
dict_remove(const F2bFilter *f, F2bPyObj *dict, guint key)
{
  f2b_py_free(dict_pop(f, dict, key));
}

/* Python's truth value of a dict entry (NULL stands for a missing key). */
static gboolean
py_truthy(const F2bPyObj *v)
{
  if (v == NULL)
    return FALSE;
  switch (f2b_py_kind(v)) {
  case F2B_PY_NONE:
    return FALSE;
  case F2B_PY_BOOL:
    return f2b_py_get_bool(v);
  case F2B_PY_INT:
    return f2b_py_get_int(v) != 0;
  case F2B_PY_FLOAT:
    return f2b_py_get_float(v) != 0.0;
  default:
    return f2b_py_len(v) > 0;
  }
}

/* fail.pop(key, None) as a truth value. */
static gboolean
dict_pop_truthy(const F2bFilter *f, F2bPyObj *dict, guint key)
{
  g_autoptr(F2bPyObj) v = dict_pop(f, dict, key);
  return py_truthy(v);
}

/* dict.update(other) for the items whose value is not None (all when ALL); both
 * are failure dicts (keys by identity). */
static void
dict_update(F2bPyObj *dict, const F2bPyObj *other, gboolean skip_none)
{
  gsize n = f2b_py_len(other);
  for (gsize i = 0; i < n; i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(other, i, &k, &v);
    if (skip_none && f2b_py_kind(v) == F2B_PY_NONE)
      continue;
    f2b_py_dict_set_same(dict, f2b_py_copy(k), f2b_py_copy(v));
  }
}

/* A list value of DICT popped (or a new empty list): list.pop(key, []). */
static F2bPyObj *
dict_pop_list(const F2bFilter *f, F2bPyObj *dict, guint key)
{
  F2bPyObj *v = dict_pop(f, dict, key);
  if (v && f2b_py_kind(v) == F2B_PY_LIST)
    return v;
  f2b_py_free(v);
  return f2b_py_list_new();
}

/* Appends copies of the items of the list SRC (if it is one) to DST. */
static void
list_extend(F2bPyObj *dst, const F2bPyObj *src)
{
  if (src == NULL || f2b_py_kind(src) != F2B_PY_LIST)
    return;
  gsize n = f2b_py_len(src);
  for (gsize i = 0; i < n; i++)
    f2b_py_append(dst, f2b_py_copy(f2b_py_item(src, i)));
}

static void
list_extend_lines(F2bPyObj *dst, GPtrArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    f2b_py_append(dst, fline_tuple(lines->pdata[i]));
}

static F2bPyObj *
group_value(const F2bRegexGroup *g)
{
  if (!g->tuple)
    return g->value.ptr ? f2b_py_str_len(g->value.ptr, g->value.len) : f2b_py_none();
  F2bPyObj *value = f2b_py_tuple_new();
  for (guint j = 0; j < g->tuple->len; j++) {
    const F2bRegexSpan *s = &g_array_index(g->tuple, F2bRegexSpan, j);
    f2b_py_append(value, s->ptr ? f2b_py_str_len(s->ptr, s->len) : f2b_py_none());
  }
  return value;
}

/* The dict key for group NAME (borrowed): one str per name for the filter's life,
 * handed out as references.  The names come from the filter's regexes, so the
 * table is bounded by the configuration, not by the log. */
static F2bPyObj *
group_key_of(GHashTable *keys, const char *name)
{
  F2bPyObj *key = g_hash_table_lookup(keys, name);
  if (key == NULL) {
    key = f2b_py_str(name);
    g_hash_table_insert(keys, g_strdup(name), key);
  }
  return key;
}

/* The same as a new reference (transfer full); a fresh str without KEYS. */
static F2bPyObj *
group_key(GHashTable *keys, const char *name)
{
  return keys ? f2b_py_copy(group_key_of(keys, name)) : f2b_py_str(name);
}

/* The keys of a regex's named groups in their order (getGroups() starts with
 * them): looked up once per regex, not once per group of every match. */
typedef struct RegexKeys {
  const char *const *names; /* the regex's own array: entry I of a match's groups
                             * has this very pointer as its name */
  guint n;
  gint slot[N_SLOTS]; /* the index of the group of key K_..., or -1 */
  guint n_present;    /* the keys K_... the regex has: N_PRESENT pairs below */
  guint8 present_key[N_SLOTS];
  guint present_group[N_SLOTS];
  gint content;       /* the same for "content" */
  gboolean merged;    /* f2b_failregex_has_merged_groups() */
  F2bPyObj *keys[];   /* borrowed from the filter's group_keys */
} RegexKeys;

static const RegexKeys *
regex_keys(F2bFilter *f, const F2bRegex *re)
{
  if (re == f->prefregex && f->pref_keys)
    return f->pref_keys; /* searched on every line: spare the hash */
  RegexKeys *rk = g_hash_table_lookup(f->regex_keys, re);
  if (rk) {
    if (re == f->prefregex)
      f->pref_keys = rk;
    return rk;
  }
  const char *const *names = f2b_failregex_group_names(re);
  guint n = g_strv_length((char **) names);
  rk = g_malloc(sizeof(RegexKeys) + n * sizeof(F2bPyObj *));
  rk->names = names;
  rk->n = n;
  rk->merged = f2b_failregex_has_merged_groups(re);
  for (guint k = 0; k < N_SLOTS; k++)
    rk->slot[k] = -1;
  rk->content = -1;
  for (guint i = 0; i < n; i++) {
    rk->keys[i] = group_key_of(f->group_keys, names[i]);
    if (rk->keys[i] == f->keys[K_CONTENT])
      rk->content = (gint) i;
    for (guint k = 0; k < N_SLOTS; k++)
      if (rk->keys[i] == f->keys[k])
        rk->slot[k] = (gint) i;
  }
  rk->n_present = 0;
  for (guint k = 0; k < N_SLOTS; k++) {
    if (rk->slot[k] >= 0) {
      rk->present_key[rk->n_present] = (guint8) k;
      rk->present_group[rk->n_present++] = (guint) rk->slot[k];
    }
  }
  g_hash_table_insert(f->regex_keys, (gpointer) re, rk);
  return rk;
}

/* regex_keys of failregex I, kept by index: its failures look it up every time. */
static const RegexKeys *
fail_keys(F2bFilter *f, guint i)
{
  if (f->fail_keys == NULL)
    f->fail_keys = g_new0(const RegexKeys *, f->failregex->len);
  if (f->fail_keys[i] == NULL)
    f->fail_keys[i] = regex_keys(f, f->failregex->pdata[i]);
  return f->fail_keys[i];
}

/* Forgets every regex's keys (a regex went: its address may come back). */
static void
forget_regex_keys(F2bFilter *f)
{
  g_hash_table_remove_all(f->regex_keys);
  f->pref_keys = NULL;
  g_clear_pointer(&f->fail_keys, g_free);
}

/* The key of group I of a match (transfer full). */
static F2bPyObj *
match_group_key(GHashTable *keys, const RegexKeys *rk, guint i, const F2bRegexGroup *g)
{
  if (rk && i < rk->n && g->name == rk->names[i])
    return f2b_py_copy(rk->keys[i]);
  return group_key(keys, g->name); /* an alt_/tuple_ target added after them */
}

/* dict.update(getGroups() of M) on DICT, leaving out the group SKIP (may be NULL).
 * FRESH: DICT holds none of M's names yet (group names are unique), so no search.
 * F (may be NULL) holds the key objects; RE is the regex M is a match of. */
/* groups_into_dict for a regex without merged groups: its named groups in order,
 * read straight from the match, the group SKIP_KEY (may be NULL) left out. */
static void
raw_groups_into_dict(const RegexKeys *rk, F2bPyObj *dict, const F2bRegexMatch *m,
                     const F2bPyObj *skip_key, gboolean fresh)
{
  for (guint i = 0; i < rk->n; i++) {
    if (rk->keys[i] == skip_key)
      continue;
    F2bRegexSpan v;
    F2bPyObj *value = f2b_regex_match_group_nth(m, i, &v) ? f2b_py_str_len(v.ptr, v.len)
                                                           : f2b_py_none();
    if (fresh)
      f2b_py_dict_append_new(dict, f2b_py_copy(rk->keys[i]), value);
    else
      f2b_py_dict_set_same(dict, f2b_py_copy(rk->keys[i]), value);
  }
}

static void
groups_into_dict(F2bFilter *f, const F2bRegex *re, F2bPyObj *dict, F2bRegexMatch *m,
                 const char *skip, gboolean fresh)
{
  if (f && re && !f2b_failregex_has_merged_groups(re)) {
    /* the filter's only SKIP is "content" */
    const F2bPyObj *skip_key = !skip                        ? NULL
                               : strcmp(skip, "content") == 0 ? f->keys[K_CONTENT]
                                                              : group_key_of(f->group_keys, skip);
    raw_groups_into_dict(regex_keys(f, re), dict, m, skip_key, fresh);
    return;
  }
  const GArray *groups = f2b_regex_match_groups(m);
  const RegexKeys *rk = f && re ? regex_keys(f, re) : NULL;
  GHashTable *keys = f ? f->group_keys : NULL;
  for (guint i = 0; i < groups->len; i++) {
    const F2bRegexGroup *g = &g_array_index(groups, F2bRegexGroup, i);
    if (skip && strcmp(g->name, skip) == 0)
      continue;
    F2bPyObj *key = match_group_key(keys, rk, i, g);
    if (fresh)
      f2b_py_dict_append_new(dict, key, group_value(g));
    else
      f2b_py_dict_set_same(dict, key, group_value(g));
  }
}

/* getGroups() of a match as a dict. */
static F2bPyObj *
match_groups_dict(F2bRegexMatch *m)
{
  F2bPyObj *dict = f2b_py_dict_new();
  groups_into_dict(NULL, NULL, dict, m, NULL, TRUE);
  return dict;
}

/* The `content` group of the prefregex match when it is a non-empty string
 * (fail2ban then searches the failregexes in it alone). */
static gboolean
pref_content(F2bFilter *f, F2bRegexMatch *m, const F2bRegex *re, F2bRegexSpan *content)
{
  const RegexKeys *rk = (re == f->prefregex && f->pref_keys) ? f->pref_keys : regex_keys(f, re);
  if (!rk->merged) {
    /* the raw group is the value: no need to build every group of the line */
    gint i = rk->content;
    if (i < 0 || !f2b_regex_match_group_nth(m, (guint) i, content))
      return FALSE;
    return content->len > 0;
  }
  const GArray *groups = f2b_regex_match_groups(m);
  for (guint i = 0; i < groups->len; i++) {
    const F2bRegexGroup *g = &g_array_index(groups, F2bRegexGroup, i);
    if (strcmp(g->name, "content") == 0) {
      *content = g->value;
      return !g->tuple && g->value.ptr && g->value.len > 0;
    }
  }
  return FALSE;
}

/* ---- failures -------------------------------------------------------------------- */

void
f2b_failure_free(F2bFailure *failure)
{
  if (failure == NULL)
    return;
  f2b_ipaddr_free(failure->fid);
  f2b_py_free(failure->data);
  f2b_py_free(failure->nofail);
  g_free(failure);
}

const F2bPyObj *
f2b_failure_get_nofail(const F2bFailure *failure)
{
  g_return_val_if_fail(failure != NULL, NULL);
  if (failure->nofail || failure->data == NULL)
    return failure->nofail;
  return f2b_py_dict_get_str(failure->data, key_names[K_NOFAIL], strlen(key_names[K_NOFAIL]));
}

gboolean
f2b_failure_is_nofail(const F2bFailure *failure)
{
  return py_truthy(f2b_failure_get_nofail(failure));
}

static F2bFailure *
failure_new(guint index, F2bIPAddr *fid, gboolean has_time, double time, F2bPyObj *data,
            F2bPyObj *nofail)
{
  F2bFailure *f = g_new(F2bFailure, 1);
  f->regex_index = index;
  f->fid = fid;
  f->has_time = has_time;
  f->time = has_time ? time : 0.0;
  f->data = data;
  f->nofail = nofail;
  return f;
}

/* ---- lean failures ----------------------------------------------------------------- */

/* A buffer this much larger than the text it must hold is given back. */
#define LEAN_SHRINK_CAP 4096

static void
lv_clear(LeanValue *v)
{
  if (v->kind == LV_OBJ) /* OBJ is NULL with any other kind */
    g_clear_pointer(&v->obj, f2b_py_free);
  v->kind = LV_NONE;
}

static void
lv_free(LeanValue *v)
{
  lv_clear(v);
  g_clear_pointer(&v->buf, g_free);
  v->cap = 0;
}

static void
lv_set_text(LeanValue *v, const char *text, gsize len)
{
  lv_clear(v);
  if (v->cap < len + 1 || (v->cap > LEAN_SHRINK_CAP && len < v->cap / 4)) {
    g_free(v->buf);
    v->cap = MAX(len + 1, 32);
    v->buf = g_malloc(v->cap);
  }
  memcpy(v->buf, text, len);
  v->buf[len] = '\0';
  v->len = len;
  v->kind = LV_STR;
}

/* Sets V to OBJ (transfer full; None and NULL clear it). */
static void
lv_set_obj(LeanValue *v, F2bPyObj *obj)
{
  if (obj && f2b_py_kind(obj) == F2B_PY_STR) {
    gsize len;
    const char *text = f2b_py_get_str(obj, &len);
    lv_set_text(v, text, len);
    f2b_py_free(obj);
    return;
  }
  lv_clear(v);
  if (obj && f2b_py_kind(obj) == F2B_PY_NONE) {
    f2b_py_free(obj);
    return;
  }
  v->obj = obj;
  v->kind = obj ? LV_OBJ : LV_NONE;
}

static void
lv_copy(LeanValue *dst, const LeanValue *src)
{
  if (dst == src)
    return;
  if (src->kind == LV_STR)
    lv_set_text(dst, src->buf, src->len);
  else
    lv_set_obj(dst, src->obj ? f2b_py_copy(src->obj) : NULL);
}

/* DST takes SRC's value; SRC is left None, with DST's old buffer. */
static void
lv_move(LeanValue *dst, LeanValue *src)
{
  LeanValue tmp = *dst;
  *dst = *src;
  *src = tmp;
  lv_clear(src);
}

static gboolean
lv_truthy(const LeanValue *v)
{
  switch (v->kind) {
  case LV_STR:
    return v->len > 0;
  case LV_OBJ:
    return py_truthy(v->obj);
  case LV_NONE:
  default:
    return FALSE;
  }
}

static gboolean
lv_equal(const LeanValue *a, const LeanValue *b)
{
  if (a->kind != b->kind)
    return FALSE;
  if (a->kind == LV_STR)
    return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
  return a->kind == LV_NONE || f2b_py_equal(a->obj, b->obj);
}

/* The value as a new object (None for LV_NONE). */
static F2bPyObj *
lv_object(const LeanValue *v)
{
  if (v->kind == LV_STR)
    return f2b_py_str_len(v->buf, v->len);
  return v->obj ? f2b_py_copy(v->obj) : f2b_py_none();
}

/* Empties LF; its buffers stay for the next values.  (Most of its values are
 * None already: a failure sets a handful.) */
static void
lean_clear(LeanFail *lf)
{
  for (guint k = 0; k < N_SLOTS; k++)
    if (lf->value[k].kind != LV_NONE)
      lv_clear(&lf->value[k]);
  lv_clear(&lf->first_user);
  lf->several_users = FALSE;
}

/* Frees block LF (may be NULL) with its values and buffers. */
static void
lean_free(LeanFail *lf)
{
  if (lf == NULL)
    return;
  for (guint k = 0; k < N_SLOTS; k++)
    lv_free(&lf->value[k]);
  lv_free(&lf->first_user);
  g_free(lf);
}

/* ---- mlfid cache (Utils.Cache: FIFO order, TTL, bounded count) ------------------- */

/* An mlfid as the cache knows it: its text (see mlfid_key) and the text's hash,
 * computed once per failure. */
typedef struct {
  const char *text;
  gsize len;
  guint hash;
} MlfidKey;

struct MlfidEntry {
  MlfidKey k;      /* first: the index's key; K.TEXT is TEXT below */
  GList link;      /* in mlfid_order; its data is the entry */
  double expiry;
  F2bPyObj *fail;  /* the merged failure data, or NULL with lean failures */
  LeanFail *lean;  /* the lean failure's values (a block the entry keeps, emptied when
                    * it goes), or NULL: not in lean failures' use yet */
  gsize cap;       /* room for the text */
  char text[];
};

static guint
mlfid_key_hash(gconstpointer p)
{
  return ((const MlfidKey *) p)->hash;
}

static gboolean
mlfid_key_equal(gconstpointer a, gconstpointer b)
{
  const MlfidKey *x = a, *y = b;
  return x->len == y->len && memcmp(x->text, y->text, x->len) == 0;
}

/* A hash of LEN bytes at TEXT, 8 bytes at a time (keys are whole log prefixes). */
static guint
text_hash(const char *text, gsize len)
{
  const guint64 mul = G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
  guint64 h = len * mul;
  gsize i = 0;
  for (; i + 8 <= len; i += 8) {
    guint64 w;
    memcpy(&w, text + i, 8);
    h = (h ^ w) * mul;
    h ^= h >> 29;
  }
  guint64 w = 0;
  memcpy(&w, text + i, len - i);
  h = (h ^ w) * mul;
  return (guint) (h ^ (h >> 32));
}

/* Empties E's data; the block (and its lean values' buffers) stays. */
static void
mlfid_entry_clear(MlfidEntry *e)
{
  g_clear_pointer(&e->fail, f2b_py_free);
  if (e->lean)
    lean_clear(e->lean);
}

/* Frees entry block E (out of the cache). */
static void
mlfid_entry_free(MlfidEntry *e)
{
  if (e == NULL)
    return;
  mlfid_entry_clear(e);
  lean_free(e->lean);
  g_free(e);
}

/* A block for an entry of key KEY, a spare one when one is big enough. */
static MlfidEntry *
mlfid_entry_new(F2bFilter *f, const MlfidKey *key)
{
  MlfidEntry *e = f->n_mlfid_spare ? f->mlfid_spare[--f->n_mlfid_spare] : NULL;
  if (e == NULL || e->cap <= key->len) {
    mlfid_entry_free(e);
    gsize cap = MAX(key->len + 1, MLFID_MIN_CAP);
    g_return_val_if_fail(cap < G_MAXSIZE - sizeof(MlfidEntry), NULL);
    e = g_malloc0(sizeof(MlfidEntry) + cap);
    e->cap = cap;
    e->link = (GList){.data = e};
  }
  memcpy(e->text, key->text, key->len);
  e->text[key->len] = '\0';
  e->k = (MlfidKey){e->text, key->len, key->hash};
  return e;
}

/* E (out of the cache) is done with: its data goes, its block is kept or freed. */
static void
mlfid_entry_release(F2bFilter *f, MlfidEntry *e)
{
  mlfid_entry_clear(e);
  if (f->n_mlfid_spare < MLFID_SPARE_MAX)
    f->mlfid_spare[f->n_mlfid_spare++] = e;
  else
    mlfid_entry_free(e);
}

/* Takes E out of the cache's order and index; the caller owns it. */
static void
mlfid_take(F2bFilter *f, MlfidEntry *e)
{
  g_queue_unlink(&f->mlfid_order, &e->link);
  g_hash_table_remove(f->mlfid_index, &e->k);
}

/* Empties the cache (FREE: the blocks too, else they are kept for reuse). */
static void
mlfid_clear(F2bFilter *f, gboolean free_blocks)
{
  g_hash_table_remove_all(f->mlfid_index);
  GList *l;
  while ((l = g_queue_peek_head_link(&f->mlfid_order)) != NULL) {
    g_queue_unlink(&f->mlfid_order, l);
    if (free_blocks) {
      mlfid_entry_free(l->data);
    } else {
      mlfid_entry_release(f, l->data);
    }
  }
  if (free_blocks)
    while (f->n_mlfid_spare)
      mlfid_entry_free(f->mlfid_spare[--f->n_mlfid_spare]);
}

/* Cache.get(): the entry when present and not expired (an expired one is dropped). */
static MlfidEntry *
mlfid_get(F2bFilter *f, const MlfidKey *key)
{
  MlfidEntry *e = g_hash_table_lookup(f->mlfid_index, key);
  if (e == NULL || e->expiry > f->now)
    return e;
  mlfid_take(f, e);
  mlfid_entry_release(f, e);
  return NULL;
}

/* Cache.set() of a KEY that is not in the cache (the only case _mergeFailure
 * has): when full, drops entries from the oldest until one that is still valid
 * has been dropped with room left (fail2ban's exact eviction), then appends.
 * Takes FAIL, or the lean failure *LEAN: the entry keeps that block and *LEAN
 * becomes the entry's old one, empty.  Returns the new entry. */
static MlfidEntry *
mlfid_add(F2bFilter *f, const MlfidKey *key, F2bPyObj *fail, LeanFail **lean)
{
  GQueue *q = &f->mlfid_order;
  if (q->length >= MLFID_CACHE_MAX) {
    while (q->length > 0) {
      MlfidEntry *first = q->head->data;
      gboolean valid = first->expiry > f->now;
      mlfid_take(f, first);
      mlfid_entry_release(f, first);
      if (valid && q->length < MLFID_CACHE_MAX)
        break;
    }
  }
  MlfidEntry *e = mlfid_entry_new(f, key);
  e->fail = fail;
  if (lean) {
    LeanFail *old = e->lean ? e->lean : g_new0(LeanFail, 1);
    e->lean = *lean;
    *lean = old;
  }
  e->expiry = f->now + MLFID_CACHE_TTL;
  g_queue_push_tail_link(q, &e->link);
  g_hash_table_add(f->mlfid_index, &e->k);
  return e;
}

/* Cache.unset() of entry E that hands its data to the caller: its full dict
 * (returned) or its lean failure, which trades blocks with the empty *LEAN (LEAN
 * may be NULL). */
static F2bPyObj *
mlfid_steal(F2bFilter *f, MlfidEntry *e, LeanFail **lean)
{
  mlfid_take(f, e);
  F2bPyObj *fail = g_steal_pointer(&e->fail);
  if (lean && e->lean) {
    LeanFail *mine = e->lean;
    e->lean = *lean;
    *lean = mine;
  }
  mlfid_entry_release(f, e);
  return fail;
}

guint
f2b_filter_mlfid_cache_size(const F2bFilter *filter)
{
  g_return_val_if_fail(filter != NULL, 0);
  return filter->mlfid_order.length;
}

guint
f2b_filter_n_spare_lines(const F2bFilter *filter)
{
  g_return_val_if_fail(filter != NULL, 0);
  return filter->lines.n;
}

/* ---- construction and settings ---------------------------------------------------- */

F2bFilter *
f2b_filter_new(double wall_now)
{
  g_autoptr(F2bDateCache) own = f2b_datedetect_cache_new(wall_now);
  return f2b_filter_new_shared(wall_now, own);
}

F2bFilter *
f2b_filter_new_shared(double wall_now, F2bDateCache *dates)
{
  F2bFilter *f = g_new0(F2bFilter, 1);
  f->failregex = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_failregex_free);
  f->ignoreregex = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_failregex_free);
  f->usedns = F2B_FILTER_USEDNS_WARN;
  f->maxlines = 1;
  f->findtime = 600;
  f->encoding = g_strdup("UTF-8");
  f->encoding_is_utf8 = TRUE;
  f->decoded = g_string_sized_new(256);
  f->regex_buf = g_string_sized_new(256);
  f->org_buf = g_string_sized_new(256);
  f->pref_buf = g_string_sized_new(256);
  f->dd = f2b_datedetect_new_shared(dates);
  f->now = wall_now;
  f->check_find_time = TRUE;
  f->in_operation = TRUE;
  f->ignore_pending = TRUE;
  f->line_buffer = fline_array_new();
  g_queue_init(&f->mlfid_order);
  f->mlfid_index = g_hash_table_new(mlfid_key_hash, mlfid_key_equal);
  f->view = g_array_new(FALSE, FALSE, sizeof(F2bRegexLine));
  f->group_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) f2b_py_free);
  f->regex_keys = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  f->fids = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_ipaddr_free);
  f->mlfid_key = g_string_new(NULL);
  f->lean_cur = g_new0(LeanFail, 1);
  f->lean_own = g_new0(LeanFail, 1);
  for (guint i = 0; i < N_KEYS; i++)
    f->keys[i] = group_key_of(f->group_keys, key_names[i]);
  return f;
}

void
f2b_filter_free(F2bFilter *filter)
{
  if (filter == NULL)
    return;
  f2b_regex_match_free(filter->pref_match); /* before its regex and pref_buf */
  fline_unref(filter->pref_line);
  f2b_failregex_free(filter->prefregex);
  g_ptr_array_unref(filter->failregex);
  g_ptr_array_unref(filter->ignoreregex);
  g_free(filter->encoding);
  f2b_datedetect_free(filter->dd);
  g_ptr_array_unref(filter->line_buffer);
  fline_unref(filter->last_time_line);
  fline_unref(filter->processed);
  mlfid_clear(filter, TRUE);
  g_hash_table_unref(filter->mlfid_index);
  g_array_unref(filter->view);
  g_hash_table_unref(filter->regex_keys); /* borrows from group_keys: first */
  g_hash_table_unref(filter->group_keys);
  g_ptr_array_unref(filter->fids);
  lean_free(filter->lean_cur);
  lean_free(filter->lean_own);
  for (guint k = 0; k < NOFAIL_STRS; k++)
    f2b_py_free(filter->nofail_strs[k]);
  g_free(filter->first_cands);
  g_free(filter->fail_keys);
  g_string_free(filter->mlfid_key, TRUE);
  if (filter->spare_buffer)
    g_ptr_array_unref(filter->spare_buffer);
  g_string_free(filter->decoded, TRUE);
  g_string_free(filter->regex_buf, TRUE);
  g_string_free(filter->org_buf, TRUE);
  g_string_free(filter->pref_buf, TRUE);
  fline_pool_clear(&filter->lines); /* last: every line has come back by now */
  g_free(filter);
}

static const char *const usedns_names[] = {"yes", "warn", "no", "raw"};

const char *
f2b_filter_usedns_name(F2bFilterUseDns mode)
{
  g_return_val_if_fail((guint) mode < G_N_ELEMENTS(usedns_names), NULL);
  return usedns_names[mode];
}

gboolean
f2b_filter_set_usedns(F2bFilter *filter, const char *value)
{
  g_return_val_if_fail(filter != NULL, FALSE);
  if (value != NULL) {
    for (guint i = 0; i < G_N_ELEMENTS(usedns_names); i++) {
      if (g_ascii_strcasecmp(value, usedns_names[i]) == 0) {
        filter->usedns = (F2bFilterUseDns) i;
        return TRUE;
      }
    }
    /* setUseDns(True/False) as the stream carries booleans as text */
    if (strcmp(value, "True") == 0 || strcmp(value, "False") == 0) {
      filter->usedns = value[0] == 'T' ? F2B_FILTER_USEDNS_YES : F2B_FILTER_USEDNS_NO;
      return TRUE;
    }
  }
  filter->usedns = F2B_FILTER_USEDNS_NO;
  return FALSE;
}

F2bFilterUseDns
f2b_filter_get_usedns(const F2bFilter *filter)
{
  return filter->usedns;
}

static F2bFailRegexFlags
regex_flags(const F2bFilter *f, gboolean multiline)
{
  F2bFailRegexFlags flags = F2B_FAILREGEX_FLAGS_NONE;
  if (multiline)
    flags |= F2B_FAILREGEX_MULTILINE;
  if (f->usedns == F2B_FILTER_USEDNS_NO)
    flags |= F2B_FAILREGEX_USEDNS_NO;
  return flags;
}

static void
apply_limit(const F2bFilter *f, F2bRegex *re)
{
  if (f->match_limit)
    f2b_failregex_set_match_limit(re, f->match_limit);
}

gboolean
f2b_filter_set_prefregex(F2bFilter *filter, const char *regex, GError **error)
{
  g_return_val_if_fail(filter != NULL, FALSE);
  F2bRegex *re = NULL;
  if (regex != NULL && regex[0] != '\0') {
    /* fail2ban compiles the prefregex without the multi-line flag */
    re = f2b_failregex_new(regex, regex_flags(filter, FALSE), error);
    if (re == NULL)
      return FALSE;
    apply_limit(filter, re);
  }
  forget_regex_keys(filter);
  g_clear_pointer(&filter->pref_match, f2b_regex_match_free); /* before its regex */
  f2b_failregex_free(filter->prefregex);
  filter->prefregex = re;
  filter->pref_matched = FALSE;
  return TRUE;
}

gboolean
f2b_filter_add_failregex(F2bFilter *filter, const char *regex, GError **error)
{
  g_return_val_if_fail(filter != NULL && regex != NULL, FALSE);
  F2bRegex *re = f2b_failregex_new_fail(regex, filter->prefregex,
                                        regex_flags(filter, filter->maxlines > 1), error);
  if (re == NULL)
    return FALSE;
  apply_limit(filter, re);
  g_ptr_array_add(filter->failregex, re);
  g_clear_pointer(&filter->first_cands, g_free);
  g_clear_pointer(&filter->fail_keys, g_free);
  return TRUE;
}

gboolean
f2b_filter_add_ignoreregex(F2bFilter *filter, const char *regex, GError **error)
{
  g_return_val_if_fail(filter != NULL && regex != NULL, FALSE);
  /* fail2ban's Regex default: not multi-line */
  F2bRegex *re = f2b_failregex_new(regex, regex_flags(filter, FALSE), error);
  if (re == NULL)
    return FALSE;
  apply_limit(filter, re);
  g_ptr_array_add(filter->ignoreregex, re);
  return TRUE;
}

static gboolean
del_regex(GPtrArray *list, gint index)
{
  if (index < 0) {
    g_ptr_array_set_size(list, 0);
    return TRUE;
  }
  if ((guint) index >= list->len)
    return FALSE;
  g_ptr_array_remove_index(list, (guint) index);
  return TRUE;
}

gboolean
f2b_filter_del_failregex(F2bFilter *filter, gint index)
{
  g_clear_pointer(&filter->first_cands, g_free);
  forget_regex_keys(filter);
  return del_regex(filter->failregex, index);
}

gboolean
f2b_filter_del_ignoreregex(F2bFilter *filter, gint index)
{
  forget_regex_keys(filter);
  return del_regex(filter->ignoreregex, index);
}

guint
f2b_filter_n_failregex(const F2bFilter *filter)
{
  return filter->failregex->len;
}

F2bRegex *
f2b_filter_get_failregex(const F2bFilter *filter, guint index)
{
  g_return_val_if_fail(index < filter->failregex->len, NULL);
  return filter->failregex->pdata[index];
}

guint
f2b_filter_n_ignoreregex(const F2bFilter *filter)
{
  return filter->ignoreregex->len;
}

F2bRegex *
f2b_filter_get_ignoreregex(const F2bFilter *filter, guint index)
{
  g_return_val_if_fail(index < filter->ignoreregex->len, NULL);
  return filter->ignoreregex->pdata[index];
}

F2bRegex *
f2b_filter_get_prefregex(const F2bFilter *filter)
{
  return filter->prefregex;
}

gboolean
f2b_filter_set_maxlines(F2bFilter *filter, gint64 maxlines, GError **error)
{
  g_return_val_if_fail(filter != NULL, FALSE);
  if (maxlines <= 0 || maxlines > G_MAXINT) {
    g_set_error(error, F2B_FILTER_ERROR, F2B_FILTER_ERROR_VALUE,
                "maxlines must be integer greater than zero");
    return FALSE;
  }
  buffer_materialize(filter); /* the next line sees the buffer as it was */
  filter->maxlines = (guint) maxlines;
  return TRUE;
}

guint
f2b_filter_get_maxlines(const F2bFilter *filter)
{
  return filter->maxlines;
}

gboolean
f2b_filter_set_datepattern(F2bFilter *filter, const char *pattern, GError **error)
{
  g_return_val_if_fail(filter != NULL, FALSE);
  return f2b_datedetect_set_pattern(filter->dd, pattern, error);
}

gboolean
f2b_filter_set_logtimezone(F2bFilter *filter, const char *tz, GError **error)
{
  g_return_val_if_fail(filter != NULL, FALSE);
  return f2b_datedetect_set_timezone(filter->dd, tz, error);
}

F2bDateDetector *
f2b_filter_get_datedetector(F2bFilter *filter)
{
  return filter->dd;
}

void
f2b_filter_set_findtime(F2bFilter *filter, double seconds)
{
  filter->findtime = seconds;
}

double
f2b_filter_get_findtime(const F2bFilter *filter)
{
  return filter->findtime;
}

/* Python codec names GLib's iconv spells differently. */
static const char *
iconv_name(const char *encoding)
{
  static const struct {
    const char *py, *iconv;
  } aliases[] = {
      {"utf8", "UTF-8"},          {"utf-8", "UTF-8"},        {"utf_8", "UTF-8"},
      {"latin-1", "ISO-8859-1"},  {"latin_1", "ISO-8859-1"}, {"latin1", "ISO-8859-1"},
      {"iso8859-1", "ISO-8859-1"}, {"ascii", "ASCII"},        {"us-ascii", "ASCII"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(aliases); i++)
    if (g_ascii_strcasecmp(encoding, aliases[i].py) == 0)
      return aliases[i].iconv;
  return encoding;
}

static gboolean
is_utf8_name(const char *encoding)
{
  return encoding == NULL || g_ascii_strcasecmp(iconv_name(encoding), "UTF-8") == 0;
}

gboolean
f2b_filter_set_logencoding(F2bFilter *filter, const char *encoding, GError **error)
{
  g_return_val_if_fail(filter != NULL && encoding != NULL, FALSE);
  /* "auto" is the locale's preferred encoding; the project assumes UTF-8 */
  if (g_ascii_strcasecmp(encoding, "auto") == 0)
    encoding = "UTF-8";
  if (!is_utf8_name(encoding)) {
    GIConv cd = g_iconv_open("UTF-8", iconv_name(encoding));
    if (cd == (GIConv) -1) {
      g_set_error(error, F2B_FILTER_ERROR, F2B_FILTER_ERROR_VALUE, "unknown encoding: %s",
                  encoding);
      return FALSE;
    }
    g_iconv_close(cd);
  }
  g_free(filter->encoding);
  filter->encoding = g_strdup(encoding);
  filter->encoding_is_utf8 = is_utf8_name(encoding);
  return TRUE;
}

const char *
f2b_filter_get_logencoding(const F2bFilter *filter)
{
  return filter->encoding;
}

void
f2b_filter_set_now(F2bFilter *filter, double now)
{
  filter->now = now;
}

void
f2b_filter_set_check_find_time(F2bFilter *filter, gboolean on)
{
  filter->check_find_time = on;
}

void
f2b_filter_set_in_operation(F2bFilter *filter, gboolean on)
{
  filter->in_operation = on;
}

void
f2b_filter_set_check_all_regex(F2bFilter *filter, gboolean on)
{
  filter->check_all_regex = on;
}

void
f2b_filter_set_ignore_pending(F2bFilter *filter, gboolean on)
{
  filter->ignore_pending = on;
}

void
f2b_filter_set_lean_failures(F2bFilter *filter, gboolean on)
{
  on = !!on;
  if (on == filter->lean_failures)
    return;
  /* the cached dicts of one mode mean nothing to the other */
  mlfid_clear(filter, FALSE);
  filter->lean_failures = on;
}

void
f2b_filter_set_return_raw_host(F2bFilter *filter, gboolean on)
{
  filter->return_raw_host = on;
}

void
f2b_filter_set_match_limit(F2bFilter *filter, guint32 limit)
{
  filter->match_limit = limit;
  if (filter->prefregex)
    f2b_failregex_set_match_limit(filter->prefregex, limit);
  for (guint i = 0; i < filter->failregex->len; i++)
    f2b_failregex_set_match_limit(filter->failregex->pdata[i], limit);
  for (guint i = 0; i < filter->ignoreregex->len; i++)
    f2b_failregex_set_match_limit(filter->ignoreregex->pdata[i], limit);
}

void
f2b_filter_set_resolver(F2bFilter *filter, F2bFilterResolveFunc func, gpointer user_data)
{
  filter->resolve = func;
  filter->resolve_data = user_data;
}

void
f2b_filter_set_ignore_callback(F2bFilter *filter, F2bFilterIgnoreFunc func, gpointer user_data)
{
  filter->on_ignore = func;
  filter->on_ignore_data = user_data;
}

void
f2b_filter_set_time_callback(F2bFilter *filter, F2bFilterTimeFunc func, gpointer user_data)
{
  filter->on_time = func;
  filter->on_time_data = user_data;
}

/* ---- decoding ---------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at P (N bytes left) as Python's strict
 * decoder accepts it (no overlongs, no surrogates, at most U+10FFFF), or 0; on 0,
 * *BAD is the length of the maximal invalid subpart (one U+FFFD replaces it). */
static gsize
utf8_seq(const guchar *p, gsize n, gsize *bad)
{
  guchar c = p[0];
  gsize need;
  guchar lo = 0x80, hi = 0xBF;
  *bad = 1;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  for (gsize i = 1; i <= need; i++) {
    if (i >= n || p[i] < lo || p[i] > hi) {
      *bad = i;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return need + 1;
}

/* The offset of the first byte of P from FROM on (LEN bytes in all) that is not
 * ASCII, or LEN.  Every line goes through here before anything else: 16 bytes at
 * a time where SSE2 is (always on x86-64), else 8. */
G_ALWAYS_INLINE static inline gsize
ascii_run(const guchar *p, gsize from, gsize len)
{
  gsize i = from;
#ifdef __SSE2__
  while (i + 32 <= len) {
    __m128i a = _mm_loadu_si128((const __m128i *) (const void *) (p + i));
    __m128i b = _mm_loadu_si128((const __m128i *) (const void *) (p + i + 16));
    if (_mm_movemask_epi8(_mm_or_si128(a, b)))
      break;
    i += 32;
  }
  for (; i + 16 <= len; i += 16) {
    int high = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) (const void *) (p + i)));
    if (high)
      return i + (gsize) __builtin_ctz((unsigned) high);
  }
  if (i < len && len - from >= 16) {
    /* the last 16 bytes, overlapping those already known to be ASCII */
    int high = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *) (const void *) (p + len - 16)));
    return high ? len - 16 + (gsize) __builtin_ctz((unsigned) high) : len;
  }
#else
  const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
  for (; i + 8 <= len; i += 8) {
    guint64 w;
    memcpy(&w, p + i, 8);
    if (w & high)
      break;
  }
#endif
  while (i < len && p[i] < 0x80)
    i++;
  return i;
}

/* Length of the leading part of LINE that Python's strict decoder accepts as is
 * (the common case is the whole line); *ASCII (may be NULL) tells whether that
 * part is pure ASCII. */
static gsize
utf8_valid_prefix(const char *line, gsize len, gboolean *ascii)
{
  const guchar *p = (const guchar *) line;
  gsize i = ascii_run(p, 0, len), bad;
  gboolean only_ascii = TRUE;
  while (G_UNLIKELY(i < len)) {
    gsize n = utf8_seq(p + i, len - i, &bad);
    if (n == 0)
      break;
    only_ascii = FALSE; /* P[I] is not ASCII: N >= 2 */
    i = ascii_run(p, i + n, len);
  }
  if (ascii)
    *ascii = only_ascii;
  return i;
}

/* Decodes LINE into OUT (cleared first); the rest is as f2b_filter_decode_line. */
static void
decode_utf8_into(GString *out, const char *line, gsize len, gboolean *replaced)
{
  gsize i = utf8_valid_prefix(line, len, NULL);
  g_string_set_size(out, i);
  memcpy(out->str, line, i);
  if (i == len)
    return;
  const guchar *p = (const guchar *) line;
  while (i < len) {
    gsize bad, n = utf8_seq(p + i, len - i, &bad);
    if (n) {
      g_string_append_len(out, line + i, (gssize) n);
      i += n;
    } else {
      g_string_append(out, "\xEF\xBF\xBD");
      *replaced = TRUE;
      i += bad;
    }
  }
}

static char *
decode_utf8(const char *line, gsize len, gsize *out_len, gboolean *replaced)
{
  GString *out = g_string_sized_new(len + 1);
  decode_utf8_into(out, line, len, replaced);
  *out_len = out->len;
  return g_string_free(out, FALSE);
}

/* Other encodings through iconv: a byte it refuses becomes one U+FFFD. */
static char *
decode_iconv(const char *line, gsize len, const char *encoding, gsize *out_len,
             gboolean *replaced)
{
  GIConv cd = g_iconv_open("UTF-8", iconv_name(encoding));
  if (cd == (GIConv) -1)
    return decode_utf8(line, len, out_len, replaced);
  GString *out = g_string_sized_new(len * 2 + 8);
  char *in = (char *) line;
  gsize in_left = len;
  char buf[256];
  while (in_left > 0) {
    char *o = buf;
    gsize o_left = sizeof buf;
    gsize r = g_iconv(cd, &in, &in_left, &o, &o_left);
    g_string_append_len(out, buf, (gssize) (sizeof buf - o_left));
    if (r == (gsize) -1 && errno != E2BIG) {
      g_string_append(out, "\xEF\xBF\xBD");
      *replaced = TRUE;
      in++;
      in_left--;
      g_iconv(cd, NULL, NULL, NULL, NULL);
    }
  }
  g_iconv_close(cd);
  *out_len = out->len;
  return g_string_free(out, FALSE);
}

char *
f2b_filter_decode_line(const char *line, gsize len, const char *encoding, gsize *out_len,
                       gboolean *replaced)
{
  g_return_val_if_fail(line != NULL || len == 0, NULL);
  gboolean dummy_replaced = FALSE;
  gsize dummy_len;
  if (replaced == NULL)
    replaced = &dummy_replaced;
  if (out_len == NULL)
    out_len = &dummy_len;
  *replaced = FALSE;
  if (is_utf8_name(encoding))
    return decode_utf8(line ? line : "", len, out_len, replaced);
  return decode_iconv(line, len, encoding, out_len, replaced);
}

/* ---- findFailure ------------------------------------------------------------------ */

/* The F2bRegexLine view of ORG for the regex layer: a single line is its own view;
 * more are copied once for all regexes of a line. */
static const F2bRegexLine *
org_view(F2bFilter *f, GPtrArray *org)
{
  if (org->len <= 1)
    return org->len ? &((FLine *) org->pdata[0])->t : NULL;
  if (f->view_of != org) {
    g_array_set_size(f->view, 0);
    for (guint i = 0; i < org->len; i++)
      g_array_append_val(f->view, ((FLine *) org->pdata[i])->t);
    f->view_of = org;
  }
  return (const F2bRegexLine *) f->view->data;
}

/* One search of a regex: the match (transfer full) or NULL. A limit error is kept
 * in *LIMIT (the first one) and the regex counts as not matching.  Every buffer
 * searched here outlives the match, unchanged (the prefregex match's too: see
 * pref_line and pref_buf). */
static inline F2bRegexMatch *
search(F2bFilter *f, F2bRegex *re, const Buf *buf, GPtrArray *org, GError **limit)
{
  const F2bRegexLine *view = org->len == 1 ? &((FLine *) org->pdata[0])->t : org_view(f, org);
  return f2b_failregex_search_borrow(re, buf->str, buf->len, buf->ascii, view, org->len,
                                     limit && *limit == NULL ? limit : NULL);
}

/* The old line buffer is kept as the spare: an empty new buffer (the usual
 * unmatched lines of a one-line match) is then the spare emptied, not a new
 * array.  The old buffer may still be the ORG of the line being processed, which
 * must stay as it is: see empty_buffer. */
static void
replace_buffer(F2bFilter *f, GPtrArray *lines)
{
  if (f->spare_buffer == NULL)
    f->spare_buffer = f->line_buffer;
  else
    g_ptr_array_unref(f->line_buffer);
  f->line_buffer = lines;
}

/* An empty line buffer (transfer full) for replace_buffer, never ORG itself. */
static GPtrArray *
empty_buffer(F2bFilter *f, GPtrArray *org)
{
  GPtrArray *a = f->spare_buffer;
  if (a == NULL || a == org)
    return fline_array_new();
  f->spare_buffer = NULL;
  g_ptr_array_set_size(a, 0);
  return a;
}

/* The unmatched lines of a failregex match, from ORG. */
static GPtrArray *
unmatched_lines(F2bFilter *f, F2bRegexMatch *m, GPtrArray *org)
{
  gsize n;
  const gsize *idx = f2b_regex_match_unmatched_lines(m, &n);
  if (n == 0)
    return empty_buffer(f, org);
  return lines_pick(org, idx, n);
}

/* The line buffer becomes the unmatched lines of failregex match M of ORG.  With
 * maxlines 1 there are none (ORG is the line alone, which M covers). */
static void
buffer_unmatched(F2bFilter *f, F2bRegexMatch *m, GPtrArray *org)
{
  if (f->maxlines == 1)
    f->lb_state = LB_EMPTY;
  else
    replace_buffer(f, unmatched_lines(f, m, org));
}

/* The line buffer becomes the content line ('', '', CONTENT), CONTENT a part of the
 * prefregex's buffer; with maxlines 1 the line is that part itself, not a copy. */
static void
buffer_content(F2bFilter *f, GPtrArray *org, F2bRegexSpan content)
{
  if (f->maxlines == 1) {
    f->lb_state = LB_CONTENT;
    f->content_line = (F2bRegexLine){"", 0, "", 0, content.ptr, content.len};
    return;
  }
  GPtrArray *lines = empty_buffer(f, org);
  g_ptr_array_add(lines, fline_new(&f->lines, "", 0, "", 0, content.ptr, content.len));
  replace_buffer(f, lines);
}

/* The line buffer as an array of lines whatever maxlines is (it changes). */
static void
buffer_materialize(F2bFilter *f)
{
  if (f->lb_state == LB_LINES)
    return;
  GPtrArray *lines = fline_array_new();
  if (f->lb_state == LB_CONTENT)
    g_ptr_array_add(lines, fline_new(&f->lines, "", 0, "", 0, f->content_line.rest,
                                     f->content_line.rest_len));
  replace_buffer(f, lines);
  f->lb_state = LB_LINES;
}

/* The regex buffer of the line buffer as it is now.  ORG_ASCII: the buffer of
 * orgBuffer is pure ASCII, and so is then every part of its lines. */
static Buf
buffer_buf(F2bFilter *f, gboolean org_ascii)
{
  Buf b;
  if (f->lb_state == LB_EMPTY)
    return (Buf){"\n", 1, TRUE};
  if (f->lb_state == LB_CONTENT) {
    const F2bRegexLine *c = &f->content_line;
    if (c->rest[c->rest_len] == '\n') {
      /* the usual content (".+$") ends at the buffer's "\n": "content\n" is there */
      b = (Buf){c->rest, c->rest_len + 1, FALSE};
    } else {
      g_string_set_size(f->regex_buf, c->rest_len + 1);
      memcpy(f->regex_buf->str, c->rest, c->rest_len);
      f->regex_buf->str[c->rest_len] = '\n';
      b = (Buf){f->regex_buf->str, f->regex_buf->len, FALSE};
    }
  } else {
    b = lines_buf(f->regex_buf, f->line_buffer);
  }
  b.ascii = org_ascii || f2b_pystr_is_ascii(b.str, b.len);
  return b;
}

static GPtrArray *
matched_lines(F2bRegexMatch *m, GPtrArray *org)
{
  gsize n;
  const gsize *idx = f2b_regex_match_matched_lines(m, &n);
  return lines_pick(org, idx, n);
}

/* _ignoreLine: index of the (last) ignoreregex that matched, or -1. */
static gint
ignore_line(F2bFilter *f, const Buf *buf, GPtrArray *org, F2bRegexMatch *fail_match,
            GError **limit)
{
  g_autoptr(GPtrArray) own_org = NULL;
  g_autoptr(GString) own_buf = NULL;
  Buf own;
  GPtrArray *fail_org = org; /* the lines the failregex was searched with */
  if (fail_match && f->maxlines > 1) {
    own_org = matched_lines(fail_match, org);
    own_buf = lines_buffer(own_org);
    own = (Buf){own_buf->str, own_buf->len, FALSE};
    org = own_org;
    buf = &own;
  }
  gint found = -1;
  for (guint i = 0; i < f->ignoreregex->len; i++) {
    g_autoptr(F2bRegexMatch) m = search(f, f->ignoreregex->pdata[i], buf, org, limit);
    if (m == NULL)
      continue;
    found = (gint) i;
    if (f->on_ignore)
      f->on_ignore(i, f->on_ignore_data);
    if ((!f->check_all_regex || f->maxlines > 1) && fail_match)
      buffer_unmatched(f, fail_match, fail_org);
    if (!f->check_all_regex)
      break;
  }
  if (own_org)
    f->view_of = NULL; /* its address may be reused by the next array */
  return found;
}

/* str() of a dict value: a group is a str, read in place; a merged tuple_ group
 * is shown as a tuple, as fail2ban's str() of it, in OWNED. */
typedef struct {
  const char *ptr; /* NULL: None or absent */
  gsize len;
  char *owned;
} ValueText;

static void
value_text(const F2bPyObj *v, ValueText *t)
{
  if (f2b_py_kind(v) == F2B_PY_STR) {
    t->ptr = f2b_py_get_str(v, &t->len);
    return;
  }
  GString *s = g_string_new(NULL);
  f2b_py_str_append(s, v);
  t->len = s->len;
  t->ptr = t->owned = g_string_free(s, FALSE);
}

static void
value_text_clear(ValueText *t)
{
  g_clear_pointer(&t->owned, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ValueText, value_text_clear)

/* _updateUsers: adds USER (when truthy) to the "users" set of FAIL (a list here,
 * kept free of duplicates). Returns the users list (borrowed) or NULL. */
static F2bPyObj *
update_users(const F2bFilter *f, F2bPyObj *fail, const F2bPyObj *user)
{
  F2bPyObj *users = dict_get(f, fail, K_USERS);
  if (!py_truthy(user))
    return users;
  if (!py_truthy(users)) {
    users = f2b_py_list_new();
    dict_set(f, fail, K_USERS, users);
  }
  gsize n = f2b_py_len(users);
  for (gsize i = 0; i < n; i++)
    if (f2b_py_equal(f2b_py_item(users, i), user))
      return users;
  f2b_py_append(users, f2b_py_copy(user));
  return users;
}

/* Flags of _mergeFailure's nfflgs. */
enum {
  NF_NOFAIL = 1,
  NF_FORGET = 2,
  NF_CACHED_STATE = 4,
  NF_GAINED = 8,
};

/* The cache key of an mlfid value: one text per value, different values give
 * different texts.  A str (the usual case) is its own text, marked 's'; anything
 * else is its repr(), marked 'r'.  The text is written into OUT.  This is the
 * key of a str of LEN bytes at TEXT. */
static MlfidKey
mlfid_str_key(GString *out, const char *text, gsize len)
{
  g_string_set_size(out, len + 1);
  out->str[0] = 's';
  memcpy(out->str + 1, text, len);
  return (MlfidKey){out->str, out->len, text_hash(out->str, out->len)};
}

/* The same for any value: a str's own text, or repr(). */
static MlfidKey
mlfid_key(GString *out, const F2bPyObj *mlfid)
{
  gsize len;
  if (f2b_py_kind(mlfid) == F2B_PY_STR) {
    const char *text = f2b_py_get_str(mlfid, &len);
    return mlfid_str_key(out, text, len);
  }
  g_string_truncate(out, 0);
  g_string_append_c(out, 'r');
  f2b_py_repr_append(out, mlfid);
  return (MlfidKey){out->str, out->len, text_hash(out->str, out->len)};
}

/* _mergeFailure. Takes FAIL; returns the merged data, which the cache owns when
 * *CACHED is set and the caller owns otherwise.  (lean_merge is the same on lean
 * failures: a change here belongs there too.) */
static F2bPyObj *
merge_failure(F2bFilter *f, const F2bPyObj *mlfid, F2bPyObj *fail, GPtrArray *matched,
              gboolean *cached)
{
  MlfidKey key = mlfid_key(f->mlfid_key, mlfid);
  MlfidEntry *entry = mlfid_get(f, &key);
  F2bPyObj *users = NULL;
  guint fl = 0;
  *cached = FALSE;
  if (py_truthy(dict_get(f, fail, K_MLFGAINED))) {
    fl |= NF_GAINED | NF_NOFAIL;
    if (!py_truthy(dict_get(f, fail, K_NOFAIL)))
      dict_set(f, fail, K_NOFAIL, f2b_py_copy(dict_get(f, fail, K_MLFGAINED)));
  } else if (py_truthy(dict_get(f, fail, K_NOFAIL))) {
    fl |= NF_NOFAIL;
  }
  if (dict_pop_truthy(f, fail, K_MLFFORGET))
    fl |= NF_FORGET;
  if (entry) {
    F2bPyObj *g = entry->fail;
    users = update_users(f, g, dict_get(f, fail, K_USER));
    if (dict_pop_truthy(f, g, K_NOFAIL))
      fl |= NF_CACHED_STATE;
    if (dict_pop_truthy(f, g, K_MLFGAINED))
      fl |= NF_CACHED_STATE;
    if (fl & NF_GAINED)
      dict_remove(f, g, K_MLFPENDING);
    if (!(fl & NF_CACHED_STATE) && !py_truthy(dict_get(f, g, K_MLFPENDING)))
      dict_remove(f, g, K_MATCHES);
    dict_update(g, fail, TRUE);
    f2b_py_free(fail);
    fail = g;
    *cached = TRUE;
    if (fl & NF_FORGET) {
      fail = mlfid_steal(f, entry, NULL);
      *cached = FALSE;
    }
  } else if (!(fl & NF_FORGET)) {
    users = update_users(f, fail, dict_get(f, fail, K_USER));
    mlfid_add(f, &key, fail, NULL);
    *cached = TRUE;
  }
  gboolean pending = dict_pop_truthy(f, fail, K_MLFPENDING);
  if (pending || (users && f2b_py_len(users) > 1)) {
    dict_remove(f, fail, K_NOFAIL);
    dict_remove(f, fail, K_MLFGAINED);
    fl &= ~(guint) (NF_GAINED | NF_NOFAIL);
  }
  if (!(fl & NF_NOFAIL)) {
    F2bPyObj *m = dict_pop_list(f, fail, K_NOFAIL_MATCHES);
    list_extend(m, dict_get(f, fail, K_MATCHES));
    if (!(fl & NF_GAINED))
      list_extend_lines(m, matched);
    dict_set(f, fail, K_MATCHES, m);
  } else if ((fl & (NF_NOFAIL | NF_FORGET)) == NF_NOFAIL) {
    F2bPyObj *m = f2b_py_list_new();
    list_extend(m, dict_get(f, fail, K_NOFAIL_MATCHES));
    list_extend_lines(m, matched);
    dict_set(f, fail, K_NOFAIL_MATCHES, m);
  }
  return fail;
}

/* Python's int(text) for the cidr group. */
static gboolean
parse_py_int(const char *text, gsize len, gint64 *out, GError **error)
{
  g_autofree char *s = g_strndup(text, len);
  char *t = g_strstrip(s);
  char *end = NULL;
  errno = 0;
  gint64 v = g_ascii_strtoll(t, &end, 10);
  gboolean digits = t[0] != '\0' && (g_ascii_isdigit(t[0]) ||
                                     ((t[0] == '-' || t[0] == '+') && g_ascii_isdigit(t[1])));
  if (!digits || *end != '\0' || errno != 0) {
    g_set_error(error, F2B_FILTER_ERROR, F2B_FILTER_ERROR_LINE,
                "invalid literal for int() with base 10: '%.*s'", (int) len, text);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/* DNSUtils.textToIp: the text itself when it is an IPv4 address, else (usedns yes
 * or warn) what the resolver finds. Appends F2bIPAddr * to FIDS. */
static void
text_to_ip(F2bFilter *f, const char *text, gsize len, GPtrArray *fids)
{
  g_autofree char *plain = f2b_ipaddr_search_ip(text, (gssize) len);
  if (plain) {
    F2bIPAddr *ip = f2b_ipaddr_new(plain, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
    if (ip && f2b_ipaddr_is_valid(ip)) {
      g_ptr_array_add(fids, ip);
      return;
    }
    f2b_ipaddr_free(ip);
  }
  if ((f->usedns != F2B_FILTER_USEDNS_YES && f->usedns != F2B_FILTER_USEDNS_WARN) ||
      f->resolve == NULL)
    return;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) f2b_ipaddr_free);
  f->resolve(text, len, f->usedns, found, f->resolve_data);
  /* a set: no duplicates */
  for (guint i = 0; i < found->len; i++) {
    gboolean dup = FALSE;
    for (guint j = 0; j < fids->len && !dup; j++)
      dup = f2b_ipaddr_equal(fids->pdata[j], found->pdata[i]);
    if (!dup)
      g_ptr_array_add(fids, g_steal_pointer(&found->pdata[i]));
  }
}

typedef struct {
  F2bFilter *f;
  const FLine *line;    /* the tuple line being processed */
  GPtrArray *org;       /* orgBuffer */
  Buf buf;              /* the buffer searched, unless STALE */
  gboolean stale;       /* the line buffer changed since BUF was made */
  F2bRegexMatch *pre;   /* the prefregex match (its groups but content go first in a
                         * failure's dict), or NULL */
  gboolean has_date;
  double date;
  gboolean no_date;
  gint64 defcidr;
  GPtrArray *fails;
  GError **limit;
} FindState;

typedef enum {
  STEP_NEXT,   /* try the next failregex */
  STEP_BREAK,  /* stop with the failures found */
  STEP_RETURN, /* fail2ban returns the failure list as it is */
  STEP_ERROR,  /* fail2ban raises */
} Step;

/* What failure_ids reads of a failure: str() of its values of the keys K_FID to
 * K_CIDR (ptr NULL for None or absent, which fail2ban's tests there do not tell
 * apart), and the truth of its cidr. */
typedef struct {
  ValueText t[K_CIDR + 1];
  gboolean cidr_truthy;
} IdTexts;

static void
id_texts_clear(IdTexts *it)
{
  for (guint k = 0; k <= K_CIDR; k++)
    value_text_clear(&it->t[k]);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(IdTexts, id_texts_clear)

/* IT of a failure dict's values VALUE (K_FID to K_CIDR; NULL: None or absent). */
static void
id_texts_of_values(F2bPyObj *const *value, IdTexts *it)
{
  for (guint k = 0; k <= K_CIDR; k++)
    if (value[k])
      value_text(value[k], &it->t[k]);
  it->cidr_truthy = py_truthy(value[K_CIDR]);
}

/* IT of a lean failure (borrows LF's texts). */
static void
id_texts_of_lean(const LeanFail *lf, IdTexts *it)
{
  for (guint k = 0; k <= K_CIDR; k++) {
    const LeanValue *v = &lf->value[k];
    if (v->kind == LV_STR) {
      it->t[k].ptr = v->buf;
      it->t[k].len = v->len;
    } else if (v->kind == LV_OBJ) {
      value_text(v->obj, &it->t[k]);
    }
  }
  it->cidr_truthy = lv_truthy(&lf->value[K_CIDR]);
}

/* The failure id(s) of a matched failregex, from ID (the failure's values);
 * FAIL (may be NULL: lean failures) gets "ip" when the id is not the address.
 * Returns FALSE with ERROR when fail2ban raises; *SKIP when it logs an error and
 * goes on with the next regex; FIDS receives F2bIPAddr * (a NULL entry: pending). */
static gboolean
failure_ids(FindState *st, F2bRegexMatch *m, const IdTexts *id, F2bPyObj *fail,
            gboolean has_mlfid, GPtrArray *fids, gboolean *pending, gboolean *skip,
            GError **error)
{
  F2bFilter *f = st->f;
  gint64 cidr = st->defcidr;
  gboolean raw = st->defcidr == F2B_IPADDR_CIDR_RAW;
  /* borrowed from ID (or M) */
  ValueText fid = {id->t[K_FID].ptr, id->t[K_FID].len, NULL};
  ValueText ip = {NULL, 0, NULL};
  *pending = *skip = FALSE;
  const guint ipg[] = {K_IP4, K_IP6};
  const gint64 fam[] = {F2B_IPADDR_FAM_INET4, F2B_IPADDR_FAM_INET6};
  for (guint i = 0; i < 2 && !ip.ptr; i++) {
    if (id->t[ipg[i]].ptr) {
      ip = (ValueText){id->t[ipg[i]].ptr, id->t[ipg[i]].len, NULL};
      cidr = fam[i];
      if (id->cidr_truthy && !parse_py_int(id->t[K_CIDR].ptr, id->t[K_CIDR].len, &cidr, error))
        return FALSE;
      raw = TRUE;
    }
  }
  if (!ip.ptr && id->t[K_DNS].ptr)
    ip = (ValueText){id->t[K_DNS].ptr, id->t[K_DNS].len, NULL};
  else if (!ip.ptr) {
    if (!fid.ptr && !has_mlfid) {
      F2bRegexSpan span;
      if (!f2b_regex_match_failure_id(m, NULL, &span, NULL, NULL)) {
        *skip = TRUE; /* fail2ban logs the RegexException and goes on */
        return TRUE;
      }
      fid.ptr = span.ptr ? span.ptr : ""; /* M outlives this call */
      fid.len = span.len;
    }
    ip.ptr = fid.ptr; /* borrowed, as FID's */
    ip.len = fid.len;
    raw = TRUE;
  }
  if (!ip.ptr) {
    *pending = TRUE;
    g_ptr_array_add(fids, NULL);
    return TRUE;
  }
  if (raw) {
    F2bIPAddr *addr;
    if (!fid.ptr || (fid.len == ip.len && memcmp(fid.ptr, ip.ptr, ip.len) == 0)) {
      addr = f2b_ipaddr_new(ip.ptr, (gssize) ip.len, cidr, error);
    } else {
      g_autoptr(F2bIPAddr) ipa = f2b_ipaddr_new(ip.ptr, (gssize) ip.len, cidr, error);
      if (!ipa)
        return FALSE;
      if (fail) {
        gsize slen;
        char *s = f2b_ipaddr_to_string(ipa, &slen);
        dict_set(f, fail, K_IP, f2b_py_str_len(s, slen));
        g_free(s);
      }
      addr = f2b_ipaddr_new(fid.ptr, (gssize) fid.len, st->defcidr, error);
    }
    if (!addr)
      return FALSE;
    g_ptr_array_add(fids, addr);
    return TRUE;
  }
  text_to_ip(f, ip.ptr, ip.len, fids);
  return TRUE;
}

/* The failure dict of failregex match M: the prefregex groups but content, updated
 * with M's groups (fail2ban's `fail = self.__prefRegex... ; fail.update(...)`). */
static F2bPyObj *
failure_dict(const FindState *st, const F2bRegex *re, F2bRegexMatch *m)
{
  /* room for the groups and the keys the filter adds (matches, users, ...) */
  gsize n = regex_keys(st->f, re)->n + 6;
  if (st->pre)
    n += regex_keys(st->f, st->f->prefregex)->n;
  F2bPyObj *fail = f2b_py_dict_new_sized(n);
  if (st->pre)
    groups_into_dict(st->f, st->f->prefregex, fail, st->pre, "content", TRUE);
  groups_into_dict(st->f, re, fail, m, NULL, f2b_py_len(fail) == 0);
  return fail;
}

/* ---- findFailure on lean failures ---------------------------------------------------- */

static gboolean
lean_pop_truthy(LeanFail *lf, guint k)
{
  gboolean truthy = lv_truthy(&lf->value[k]);
  lv_clear(&lf->value[k]);
  return truthy;
}

/* The groups of match M of RE (whose keys are RK) into LF (keys it has overwrite
 * LF's, as dict.update). */
static void
lean_from_match(const F2bRegex *re, const RegexKeys *rk, F2bRegexMatch *m, LeanFail *lf)
{
  if (!f2b_failregex_has_merged_groups(re)) {
    for (guint j = 0; j < rk->n_present; j++) {
      F2bRegexSpan v;
      LeanValue *lv = &lf->value[rk->present_key[j]];
      if (f2b_regex_match_group_nth(m, rk->present_group[j], &v))
        lv_set_text(lv, v.ptr, v.len);
      else
        lv_clear(lv);
    }
    return;
  }
  const GArray *groups = f2b_regex_match_groups(m);
  for (guint i = 0; i < groups->len; i++) {
    const F2bRegexGroup *g = &g_array_index(groups, F2bRegexGroup, i);
    for (guint k = 0; k < N_SLOTS; k++) {
      if (g->name[0] != key_names[k][0] || strcmp(g->name, key_names[k]) != 0)
        continue;
      if (g->tuple)
        lv_set_obj(&lf->value[k], group_value(g));
      else if (g->value.ptr)
        lv_set_text(&lf->value[k], g->value.ptr, g->value.len);
      else
        lv_clear(&lf->value[k]);
      break;
    }
  }
}

/* _updateUsers on a lean failure (see update_users): USER joins FAIL's users when
 * truthy.  Returns whether they are more than one now. */
static gboolean
lean_update_users(LeanFail *fail, const LeanValue *user)
{
  if (lv_truthy(user)) {
    if (fail->first_user.kind == LV_NONE)
      lv_copy(&fail->first_user, user);
    else if (!fail->several_users && !lv_equal(&fail->first_user, user))
      fail->several_users = TRUE;
  }
  return fail->several_users;
}

/* The mlfid cache's key of a lean value (as mlfid_key of the same value's object). */
static MlfidKey
lean_mlfid_key(GString *out, const LeanValue *mlfid)
{
  if (mlfid->kind == LV_STR)
    return mlfid_str_key(out, mlfid->buf, mlfid->len);
  g_autoptr(F2bPyObj) obj = lv_object(mlfid);
  return mlfid_key(out, obj);
}

/* _mergeFailure on lean failures, step for step as merge_failure, on the filter's
 * scratch failures: lean_cur's values move (into the cache, or its block does),
 * lean_own receives an entry forgotten.  Returns the merged failure: the cache's,
 * lean_own, or lean_cur itself; the caller empties both scratch blocks. */
static LeanFail *
lean_merge(F2bFilter *f)
{
  LeanFail *cur = f->lean_cur;
  MlfidKey key = lean_mlfid_key(f->mlfid_key, &cur->value[K_MLFID]);
  MlfidEntry *entry = mlfid_get(f, &key);
  gboolean several_users = FALSE;
  guint fl = 0;
  if (lv_truthy(&cur->value[K_MLFGAINED])) {
    fl |= NF_GAINED | NF_NOFAIL;
    if (!lv_truthy(&cur->value[K_NOFAIL]))
      lv_copy(&cur->value[K_NOFAIL], &cur->value[K_MLFGAINED]);
  } else if (lv_truthy(&cur->value[K_NOFAIL])) {
    fl |= NF_NOFAIL;
  }
  if (lean_pop_truthy(cur, K_MLFFORGET))
    fl |= NF_FORGET;
  LeanFail *fail = cur;
  if (entry) {
    LeanFail *g = entry->lean;
    several_users = lean_update_users(g, &cur->value[K_USER]);
    if (lean_pop_truthy(g, K_NOFAIL))
      fl |= NF_CACHED_STATE;
    if (lean_pop_truthy(g, K_MLFGAINED))
      fl |= NF_CACHED_STATE;
    if (fl & NF_GAINED)
      lv_clear(&g->value[K_MLFPENDING]);
    for (guint k = 0; k < N_SLOTS; k++) /* dict.update of the values not None */
      if (cur->value[k].kind != LV_NONE)
        lv_move(&g->value[k], &cur->value[k]);
    fail = g;
    if (fl & NF_FORGET) {
      mlfid_steal(f, entry, &f->lean_own);
      fail = f->lean_own;
    }
  } else if (!(fl & NF_FORGET)) {
    several_users = lean_update_users(cur, &cur->value[K_USER]);
    fail = mlfid_add(f, &key, NULL, &f->lean_cur)->lean; /* CUR's block goes to the cache */
  }
  gboolean pending = lean_pop_truthy(fail, K_MLFPENDING);
  if (pending || several_users) {
    lv_clear(&fail->value[K_NOFAIL]);
    lv_clear(&fail->value[K_MLFGAINED]);
  }
  return fail;
}

/* The str of text NOFAIL (transfer full): one of the filter's last ones when it has
 * that text (a handful of texts, about one per regex, make most of them). */
static F2bPyObj *
nofail_str(F2bFilter *f, const LeanValue *nofail)
{
  for (guint k = 0; k < NOFAIL_STRS && f->nofail_strs[k]; k++) {
    gsize len;
    const char *text = f2b_py_get_str(f->nofail_strs[k], &len);
    if (len == nofail->len && memcmp(text, nofail->buf, len) == 0)
      return f2b_py_copy(f->nofail_strs[k]);
  }
  F2bPyObj **slot = &f->nofail_strs[f->nofail_next];
  f->nofail_next = (f->nofail_next + 1) % NOFAIL_STRS;
  f2b_py_free(*slot);
  *slot = f2b_py_str_len(nofail->buf, nofail->len);
  return f2b_py_copy(*slot);
}

/* A lean failure's "nofail" (transfer full), NULL without one. */
static F2bPyObj *
lean_nofail(F2bFilter *f, const LeanValue *nofail)
{
  if (nofail->kind == LV_NONE)
    return NULL;
  return nofail->kind == LV_STR ? nofail_str(f, nofail) : lv_object(nofail);
}

/* found_failure's part after the line buffer, for lean failures: the same steps
 * on a LeanFail instead of a dict, without the matched lines.  The filter's two
 * scratch LeanFails stand for fail2ban's `fail` and a forgotten cache entry. */
static Step
found_lean(FindState *st, guint i, F2bRegexMatch *m, GError **error)
{
  F2bFilter *f = st->f;
  LeanFail *fail = f->lean_cur;
  if (st->pre)
    lean_from_match(f->prefregex, regex_keys(f, f->prefregex), st->pre, fail);
  lean_from_match(f->failregex->pdata[i], fail_keys(f, i), m, fail);
  gboolean has_mlfid = fail->value[K_MLFID].kind != LV_NONE;
  if (has_mlfid)
    fail = lean_merge(f);
  Step step = STEP_NEXT;
  GPtrArray *fids = f->fids; /* emptied below */
  gboolean pending, skip;
  g_auto(IdTexts) id = {0};
  if (has_mlfid && lv_truthy(&fail->value[K_NOFAIL]) && !f->check_all_regex) {
    step = STEP_RETURN;
  } else if (id_texts_of_lean(fail, &id),
             !failure_ids(st, m, &id, NULL, has_mlfid, fids, &pending, &skip, error)) {
    step = STEP_ERROR;
  } else if (skip) {
    step = STEP_NEXT;
  } else if (pending && (lv_set_obj(&fail->value[K_MLFPENDING], f2b_py_int(1)),
                         !f->check_all_regex && f->ignore_pending)) {
    step = STEP_RETURN;
  } else {
    for (guint k = 0; k < fids->len; k++)
      g_ptr_array_add(st->fails, failure_new(i, g_steal_pointer(&fids->pdata[k]), st->has_date,
                                             st->date, NULL,
                                             lean_nofail(f, &fail->value[K_NOFAIL])));
    step = f->check_all_regex ? STEP_NEXT : STEP_BREAK;
  }
  g_ptr_array_set_size(fids, 0);
  lean_clear(f->lean_own);
  lean_clear(f->lean_cur);
  return step;
}

/* The body of findFailure's loop for failregex I that matched with M. */
static Step
found_failure(FindState *st, guint i, F2bRegexMatch *m, GError **error)
{
  F2bFilter *f = st->f;
  if (f->ignoreregex->len && ignore_line(f, &st->buf, st->org, m, st->limit) >= 0) {
    st->stale = TRUE;
    return f->check_all_regex ? STEP_NEXT : STEP_BREAK;
  }
  if (st->no_date && f->on_time) {
    g_autoptr(GPtrArray) lines = matched_lines(m, st->org);
    g_autoptr(GString) joined = g_string_new(NULL);
    for (guint k = 0; k < lines->len; k++) {
      const F2bRegexLine *t = &((const FLine *) lines->pdata[k])->t;
      if (k)
        g_string_append_c(joined, '\n');
      g_string_append_len(joined, t->prefix, (gssize) t->prefix_len);
      g_string_append_len(joined, t->date, (gssize) t->date_len);
      g_string_append_len(joined, t->rest, (gssize) t->rest_len);
    }
    F2bFilterTimeInfo info = {.event = F2B_FILTER_TIME_NO_DATE, .line = joined->str,
                              .line_len = joined->len, .date = st->line->t.date,
                              .date_len = st->line->t.date_len};
    f->on_time(&info, f->on_time_data);
  }
  if (st->no_date && !st->has_date && f->check_find_time)
    return STEP_NEXT;
  if (!f->check_all_regex || f->maxlines > 1) {
    buffer_unmatched(f, m, st->org);
    st->stale = TRUE;
  }
  if (f->lean_failures)
    return found_lean(st, i, m, error);
  F2bPyObj *fail = failure_dict(st, f->failregex->pdata[i], m);
  g_autoptr(GPtrArray) matched = matched_lines(m, st->org);
  gboolean cached = FALSE;
  g_autoptr(F2bPyObj) mlfid = NULL;
  F2bPyObj *mv = dict_get_value(f, fail, K_MLFID);
  if (mv) {
    mlfid = f2b_py_copy(mv);
    fail = merge_failure(f, mlfid, fail, matched, &cached);
    if (py_truthy(dict_get(f, fail, K_NOFAIL)) && !f->check_all_regex) {
      if (!cached)
        f2b_py_free(fail);
      return STEP_RETURN;
    }
  } else {
    F2bPyObj *list = f2b_py_list_new();
    list_extend(list, dict_get(f, fail, K_MATCHES));
    list_extend_lines(list, matched);
    dict_set(f, fail, K_MATCHES, list);
  }
  GPtrArray *fids = f->fids; /* emptied below */
  gboolean pending, skip;
  Step step = STEP_NEXT;
  F2bPyObj *value[K_CIDR + 1];
  for (guint k = 0; k <= K_CIDR; k++)
    value[k] = dict_get_value(f, fail, k);
  g_auto(IdTexts) id = {0};
  id_texts_of_values(value, &id);
  if (!failure_ids(st, m, &id, fail, mlfid != NULL, fids, &pending, &skip, error)) {
    step = STEP_ERROR;
  } else if (skip) {
    step = STEP_NEXT;
  } else if (pending && (dict_set(f, fail, K_MLFPENDING, f2b_py_int(1)),
                         !f->check_all_regex && f->ignore_pending)) {
    step = STEP_RETURN;
  } else {
    for (guint k = 0; k < fids->len; k++) {
      F2bPyObj *data = (cached || k + 1 < fids->len) ? f2b_py_copy(fail)
                                                     : g_steal_pointer(&fail);
      g_ptr_array_add(st->fails, failure_new(i, g_steal_pointer(&fids->pdata[k]), st->has_date,
                                             st->date, data, NULL));
    }
    step = f->check_all_regex ? STEP_NEXT : STEP_BREAK;
  }
  g_ptr_array_set_size(fids, 0);
  if (!cached)
    f2b_py_free(fail);
  return step;
}

/* Which failregexes can match a buffer, by its first byte: bit I of entry C is set
 * when failregex I can match a buffer that starts with byte C (its anchored literal
 * and the bytes PCRE2 knows its matches start with; f2b_failregex_first_byte_possible).
 * A line's loop tests one bit per regex instead of calling the search of every one;
 * regexes from the 65th on are always searched. */
static const guint64 *
first_byte_table(F2bFilter *f)
{
  if (f->first_cands == NULL) {
    f->first_cands = g_new0(guint64, 256);
    guint n = MIN(f->failregex->len, 64);
    for (guint c = 0; c < 256; c++)
      for (guint i = 0; i < n; i++)
        if (f2b_failregex_first_byte_possible(f->failregex->pdata[i], (guchar) c))
          f->first_cands[c] |= G_GUINT64_CONSTANT(1) << i;
  }
  return f->first_cands;
}

/* The failregexes (of the first 64) that can match BUF, by its first byte; all of
 * them for an empty buffer. */
static guint64
candidates(const guint64 *table, const Buf *buf)
{
  return buf->len > 0 ? table[(guchar) buf->str[0]] : G_MAXUINT64;
}

/* The first failregex from FROM on worth a search: the set bits of MASK for the
 * first 64 (the others cannot match: the search would check in vain), every one
 * from the 65th on.  May be past the last regex. */
static guint
next_candidate(guint64 mask, guint from)
{
  if (from >= 64)
    return from;
  mask &= G_MAXUINT64 << from;
  return mask ? (guint) __builtin_ctzll(mask) : 64;
}

/* fail2ban's line buffer with LINE added: the last maxlines lines, or LINE alone. */
static void
buffer_add_line(F2bFilter *f, FLine *line)
{
  if (f->maxlines > 1) {
    g_ptr_array_add(f->line_buffer, fline_ref(line));
    if (f->line_buffer->len > f->maxlines)
      g_ptr_array_remove_range(f->line_buffer, 0, f->line_buffer->len - f->maxlines);
    return;
  }
  f->lb_state = LB_LINES;
  if (f->line_buffer->len == 1) {
    /* the usual case: the one line is replaced in place */
    FLine *old = f->line_buffer->pdata[0];
    f->line_buffer->pdata[0] = fline_ref(line);
    fline_unref(old);
  } else {
    g_ptr_array_set_size(f->line_buffer, 0); /* nobody else holds it between lines */
    g_ptr_array_add(f->line_buffer, fline_ref(line));
  }
}

/* The prefregex on ST's buffer: FALSE when it does not match (findFailure returns
 * then); its content group becomes the line buffer. */
static gboolean
pref_search(F2bFilter *f, FindState *st, GError **limit)
{
  g_clear_pointer(&f->pref_match, f2b_regex_match_free);
  g_clear_pointer(&f->pref_line, fline_unref);
  f->pref_match = search(f, f->prefregex, &st->buf, st->org, limit);
  f->pref_matched = f->pref_match != NULL;
  if (!f->pref_matched)
    return FALSE;
  /* the match points into the buffer, which stays as it is while the match lives
   * (past this line, for f2b_filter_prefregex_groups) */
  if (st->buf.str == f->org_buf->str) {
    GString *tmp = f->pref_buf;
    f->pref_buf = f->org_buf;
    f->org_buf = tmp;
  } else {
    f->pref_line = fline_ref(st->org->pdata[0]); /* the lone line's own text */
  }
  st->pre = f->pref_match;
  F2bRegexSpan repl;
  if (pref_content(f, f->pref_match, f->prefregex, &repl)) {
    buffer_content(f, st->org, repl);
    st->stale = TRUE;
  }
  return TRUE;
}

/* findFailure(tupleLine, date, noDate): the failures are appended to FAILS.
 * FALSE with ERROR when fail2ban raises (nothing is appended then). */
static gboolean
find_failure(F2bFilter *f, FLine *line, gboolean has_date, double date, gboolean no_date,
             GPtrArray *fails, GError **limit, GError **error)
{
  FindState st = {.f = f, .line = line, .has_date = has_date, .date = date, .no_date = no_date,
                  .limit = limit, .fails = fails};
  guint fails_before = fails->len;
  st.defcidr = (f->usedns == F2B_FILTER_USEDNS_RAW || f->return_raw_host)
                   ? F2B_IPADDR_CIDR_RAW : F2B_IPADDR_CIDR_UNSPEC;
  buffer_add_line(f, line);
  f->view_of = NULL;
  /* with maxlines 1 the array is not replaced while the line is processed (see
   * LineBufferState): no reference needed */
  gboolean multi = f->maxlines > 1;
  st.org = multi ? g_ptr_array_ref(f->line_buffer) : f->line_buffer;
  st.buf = lines_buf(f->org_buf, st.org);
  /* with maxlines 1 the buffer is made of the line alone */
  st.buf.ascii = (!multi && f->line_ascii == 1) || f2b_pystr_is_ascii(st.buf.str, st.buf.len);
  /* every buffer searched below is made of ORG's lines or parts of them */
  gboolean org_ascii = st.buf.ascii;
  gboolean ok = TRUE;

  if (f->ignoreregex->len && (gint) f->ignoreregex->len < (gint) f->failregex->len - 2 &&
      ignore_line(f, &st.buf, st.org, NULL, limit) >= 0)
    goto out;
  if (f->prefregex && !pref_search(f, &st, limit))
    goto out;
  const guint64 *cands = first_byte_table(f);
  guint64 mask = candidates(cands, &st.buf);
  for (guint next = 0, n = f->failregex->len; next < n;) {
    if (st.stale) {
      /* the line buffer changed: so may the first byte */
      st.buf = buffer_buf(f, org_ascii);
      st.stale = FALSE;
      mask = candidates(cands, &st.buf);
    }
    guint i = next_candidate(mask, next);
    if (i >= n)
      break;
    next = i + 1;
    F2bRegexMatch *m = search(f, f->failregex->pdata[i], &st.buf, st.org, limit);
    if (m == NULL)
      continue;
    Step step = found_failure(&st, i, m, error);
    f2b_regex_match_free(m);
    if (step == STEP_ERROR)
      ok = FALSE;
    if (step != STEP_NEXT)
      break;
  }
out:
  if (multi)
    g_ptr_array_unref(st.org);
  if (!ok)
    g_ptr_array_set_size(fails, fails_before);
  return ok;
}

/* ---- processLine --------------------------------------------------------------------- */

/* The date text of line L (kept by reference, not copied) is the last one now. */
static void
set_last_date(F2bFilter *f, FLine *l, double date)
{
  fline_unref(f->last_time_line);
  f->last_time_line = fline_ref(l);
  f->last_date = date;
  f->has_last_date = TRUE;
}

/* fail2ban's `self.__lastDate and self.__lastDate > MyTime.time() - 60` */
static gboolean
last_date_recent(const F2bFilter *f)
{
  return f->has_last_date && f->last_date != 0 && f->last_date > f->now - 60;
}

/* The line with the last date text as its date: ("", lastTimeText, line). */
static FLine *
line_with_last_date(F2bFilter *f, const char *line, gsize len)
{
  const char *text = f->last_time_line ? f->last_time_line->t.date : "";
  /* the text up to its first NUL, as a C string (what fail2ban kept was a str) */
  gsize text_len = f->last_time_line ? strnlen(text, f->last_time_line->t.date_len) : 0;
  return fline_new(&f->lines, "", 0, text, text_len, line, len);
}

/* The date part of processLine for a line without a known date: splits LINE
 * and sets *DATE. Returns the tuple line, or NULL with ERROR. */
static FLine *
split_date(F2bFilter *f, const char *line, gsize len, gboolean *has_date, double *date,
           gboolean *no_date, GError **error)
{
  F2bDateMatch dm;
  FLine *tl;
  f2b_datedetect_match_ascii(f->dd, line, len, f->line_ascii, f->now, &dm);
  *has_date = FALSE;
  *no_date = FALSE;
  switch (dm.status) {
  case F2B_DATE_ERROR:
    g_set_error(error, F2B_FILTER_ERROR, F2B_FILTER_ERROR_LINE,
                "IndexError: a date template matched at the end of the line");
    return NULL;
  case F2B_DATE_NONE:
    tl = fline_new(&f->lines, "", 0, "", 0, line, len);
    break;
  case F2B_DATE_EMPTY:
    tl = fline_new(&f->lines, line, dm.start, "", 0, line + dm.end, len - dm.end);
    if (last_date_recent(f)) {
      fline_unref(tl);
      tl = line_with_last_date(f, line, len);
      *date = f->last_date;
    } else {
      *date = f->now;
    }
    *has_date = TRUE;
    break;
  case F2B_DATE_FOUND:
  case F2B_DATE_UNPARSABLE:
  default:
    tl = fline_new(&f->lines, line, dm.start, line + dm.start, dm.end - dm.start, line + dm.end,
                   len - dm.end);
    if (dm.status == F2B_DATE_FOUND) {
      *date = dm.time;
      *has_date = TRUE;
      set_last_date(f, tl, dm.time);
    }
    break;
  }
  if (!*has_date) {
    *no_date = TRUE;
    if (last_date_recent(f)) {
      fline_unref(tl);
      tl = line_with_last_date(f, line, len);
      *date = f->last_date;
      *has_date = TRUE;
    } else if (f->check_find_time && f->in_operation) {
      *date = f->now;
      *has_date = TRUE;
    }
  }
  return tl;
}

/* LINE is fail2ban's `line` there: the text as read (not the date-borrowing tuple). */
static void
report_time(F2bFilter *f, F2bFilterTimeEvent ev, double delta, const char *line, gsize len)
{
  if (f->on_time) {
    F2bFilterTimeInfo info = {.event = ev, .delta = (gint64) delta, .line = line, .line_len = len,
                              .date = "", .date_len = 0};
    f->on_time(&info, f->on_time_data);
  }
}

/* checkFindTime: FALSE when the line is too old to count (not in operation). */
static gboolean
check_time(F2bFilter *f, gboolean has_date, double *date, const char *line, gsize len)
{
  if (!f->check_find_time || !has_date)
    return TRUE;
  double delta = trunc(*date - f->now);
  if (f->in_operation) {
    if (fabs(delta) > 60) {
      /* a timing issue: fail2ban treats the entry as if it just happened */
      report_time(f, F2B_FILTER_TIME_SIMULATED, delta, line, len);
      *date = f->now;
      f->last_date = *date;
      f->has_last_date = TRUE;
    }
    return TRUE;
  }
  if (*date < f->now - f->findtime) {
    report_time(f, F2B_FILTER_TIME_OBSOLETE, delta, line, len);
    return FALSE;
  }
  return TRUE;
}

static gboolean
process(F2bFilter *f, FLine *tl, gboolean has_date, double date, gboolean no_date,
        const char *line, gsize len, GPtrArray *fails, GError **error)
{
  if (!check_time(f, has_date, &date, line, len)) {
    fline_unref(tl);
    return TRUE;
  }
  fline_unref(f->processed);
  f->processed = tl;
  g_autoptr(GError) limit = NULL;
  gboolean ok = find_failure(f, tl, has_date, date, no_date, fails, &limit, error);
  if (ok && limit)
    g_propagate_error(error, g_steal_pointer(&limit));
  return ok;
}

/* The array the failures of one line are returned in. */
static GPtrArray *
fails_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify) f2b_failure_free);
}

GPtrArray *
f2b_filter_process_line(F2bFilter *filter, const char *line, gsize len, GError **error)
{
  g_autoptr(GPtrArray) fails = fails_new();
  if (!f2b_filter_process_line_into(filter, line, len, fails, error))
    return NULL;
  return g_steal_pointer(&fails);
}

gboolean
f2b_filter_process_line_into(F2bFilter *filter, const char *line, gsize len, GPtrArray *out,
                             GError **error)
{
  g_return_val_if_fail(filter != NULL && (line != NULL || len == 0) && out != NULL, FALSE);
  gsize dlen;
  const char *text;
  g_autofree char *converted = NULL;
  gboolean ascii = FALSE;
  filter->line_ascii = -1;
  if (filter->encoding_is_utf8 && utf8_valid_prefix(line ? line : "", len, &ascii) == len) {
    text = line ? line : ""; /* valid as it is: no copy (what reads it takes the length) */
    dlen = len;
    filter->line_ascii = ascii;
  } else if (filter->encoding_is_utf8) {
    gboolean replaced = FALSE;
    filter->line_ascii = 0; /* a U+FFFD replaces what was not valid */
    decode_utf8_into(filter->decoded, line ? line : "", len, &replaced);
    text = filter->decoded->str;
    dlen = filter->decoded->len;
  } else {
    converted = f2b_filter_decode_line(line, len, filter->encoding, &dlen, NULL);
    text = converted;
  }
  gboolean has_date, no_date;
  double date = 0;
  FLine *tl = split_date(filter, text, dlen, &has_date, &date, &no_date, error);
  if (tl == NULL)
    return FALSE;
  return process(filter, tl, has_date, date, no_date, text, dlen, out, error);
}

GPtrArray *
f2b_filter_process_tuple(F2bFilter *filter, const F2bRegexLine *tuple, double date,
                         GError **error)
{
  g_autoptr(GPtrArray) fails = fails_new();
  if (!f2b_filter_process_tuple_into(filter, tuple, date, fails, error))
    return NULL;
  return g_steal_pointer(&fails);
}

gboolean
f2b_filter_process_tuple_into(F2bFilter *filter, const F2bRegexLine *tuple, double date,
                              GPtrArray *out, GError **error)
{
  g_return_val_if_fail(filter != NULL && tuple != NULL && out != NULL, FALSE);
  filter->line_ascii = -1; /* not known: looked at when needed */
  FLine *tl = fline_new(&filter->lines, tuple->prefix, tuple->prefix_len, tuple->date, tuple->date_len,
                        tuple->rest, tuple->rest_len);
  set_last_date(filter, tl, date);
  g_autoptr(GString) joined = NULL;
  if (filter->on_time) {
    joined = g_string_new(NULL);
    g_string_append_len(joined, tuple->prefix, (gssize) tuple->prefix_len);
    g_string_append_len(joined, tuple->date, (gssize) tuple->date_len);
    g_string_append_len(joined, tuple->rest, (gssize) tuple->rest_len);
  }
  return process(filter, tl, TRUE, date, FALSE, joined ? joined->str : "", joined ? joined->len : 0,
                 out, error);
}

/* ---- state accessors ------------------------------------------------------------------ */

char *
f2b_filter_processed_line(const F2bFilter *filter, gsize *len)
{
  g_return_val_if_fail(filter != NULL, NULL);
  GString *s = g_string_new(NULL);
  if (filter->processed) {
    g_string_append_len(s, filter->processed->t.prefix, (gssize) filter->processed->t.prefix_len);
    g_string_append_len(s, filter->processed->t.rest, (gssize) filter->processed->t.rest_len);
  }
  if (len)
    *len = s->len;
  return g_string_free(s, FALSE);
}

gboolean
f2b_filter_prefregex_matched(const F2bFilter *filter)
{
  return filter->pref_matched;
}

F2bPyObj *
f2b_filter_prefregex_groups(const F2bFilter *filter)
{
  if (!filter->pref_matched || filter->pref_match == NULL)
    return NULL;
  return match_groups_dict(filter->pref_match);
}

gsize
f2b_filter_n_buffered(const F2bFilter *filter)
{
  switch (filter->lb_state) {
  case LB_CONTENT:
    return 1;
  case LB_EMPTY:
    return 0;
  case LB_LINES:
  default:
    return filter->line_buffer->len;
  }
}

const F2bRegexLine *
f2b_filter_buffered_line(const F2bFilter *filter, gsize index)
{
  g_return_val_if_fail(index < f2b_filter_n_buffered(filter), NULL);
  if (filter->lb_state == LB_CONTENT)
    return &filter->content_line;
  return &((FLine *) filter->line_buffer->pdata[index])->t;
}
