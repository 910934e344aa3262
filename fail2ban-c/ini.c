/* ini.c - fail2ban's configuration file reader (see ini.h).
 *
 * The parser follows Python 3.11's configparser line by line: the quirks
 * (an inline ';' only after whitespace, comment lines inside a value being
 * skipped, a bad line reported only at the end of the file, interpolation
 * depth 10) are part of what fail2ban's users rely on. */
#include "ini.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyobj.h"

G_DEFINE_QUARK(f2b-ini-error-quark, f2b_ini_error)

#define MAX_INTERPOLATION_DEPTH 10

void
f2b_log(const F2bLogSink *sink, int level, const char *logger, const char *fmt, ...)
{
  if (sink == NULL || sink->func == NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  sink->func(level, logger, msg, sink->user_data);
}

/* ------------------------------------------------------------------ map */

/* Keys and values are GRefStrings, so that copying a map (fail2ban copies
 * and merges dicts all the time) only takes references.  A map keeps the
 * hash of every key; small maps are searched linearly, larger ones get an
 * open-addressing index over the entries. */
typedef struct {
  char *key;    /* GRefString */
  char *value;  /* GRefString, or NULL for None */
  guint hash;
  guint32 loc;  /* where VALUE was written (see LOC_LINE_BITS), 0: unknown */
} MapEntry;

struct F2bIniMap {
  MapEntry *entries;
  guint len;
  guint cap;
  guint *slots;  /* entry index + 1, 0 when free; NULL while the map is small */
  guint mask;    /* number of slots - 1 */
  gboolean unlowered;  /* some key is not what optionxform makes of it */
};

#define MAP_SMALL 8

/* A value's source location in one int, which fits in MapEntry's padding:
 * the index + 1 of its file in the ini's source table above LOC_LINE_BITS,
 * the line its definition starts on below.  Files past the 4095th and lines
 * past 1048575 are not located (0), rather than located wrongly. */
#define LOC_LINE_BITS 20
#define LOC_LINE_MASK ((1u << LOC_LINE_BITS) - 1)
#define LOC_MAX_FILE ((1u << (32 - LOC_LINE_BITS)) - 1)

static inline guint32
loc_make(guint file_index, guint line)
{
  if (file_index + 1 > LOC_MAX_FILE || line > LOC_LINE_MASK)
    return 0;
  return ((guint32)(file_index + 1) << LOC_LINE_BITS) | line;
}

/* A key's hash, eight bytes at a time (lookups hash tens of thousands of
 * names); the low bits are well mixed, as the index masks them. */
static inline guint
key_hash_len(const char *key, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15) ^ len, w;
  gsize i = 0;
  for (; i + 8 <= len; i += 8) {
    memcpy(&w, key + i, 8);
    h = (h ^ w) * G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    h ^= h >> 32;
  }
  if (i < len) {
    w = 0;
    memcpy(&w, key + i, len - i);
    h = (h ^ w) * G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    h ^= h >> 32;
  }
  h ^= h >> 29;
  h *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
  h ^= h >> 32;
  return (guint)h;
}

static inline guint
key_hash(const char *key)
{
  return key_hash_len(key, strlen(key));
}

/* TRUE when optionxform (str.lower) leaves S as it is. */
static gboolean
is_lowered(const char *s)
{
  for (const guchar *p = (const guchar *)s; *p; p++)
    if (*p >= 0x80 || g_ascii_isupper(*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_ascii(const char *s)
{
  for (const guchar *p = (const guchar *)s; *p; p++)
    if (*p >= 0x80)
      return FALSE;
  return TRUE;
}

static inline char
ascii_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static char *
ref_dup(const char *s)
{
  return s ? g_ref_string_new(s) : NULL;
}

static char *
ref_acquire(char *s)
{
  return s ? g_ref_string_acquire(s) : NULL;
}

static void
ref_release(char *s)
{
  if (s)
    g_ref_string_release(s);
}

static void
map_index_insert(F2bIniMap *m, guint i)
{
  guint h = m->entries[i].hash & m->mask;
  while (m->slots[h] != 0)
    h = (h + 1) & m->mask;
  m->slots[h] = i + 1;
}

/* (Re)builds the index so that it stays at most half full. */
static void
map_reindex(F2bIniMap *m)
{
  guint n = 16;
  while (n < m->len * 2 + 2)
    n *= 2;
  g_free(m->slots);
  m->slots = g_new0(guint, n);
  m->mask = n - 1;
  for (guint i = 0; i < m->len; i++)
    map_index_insert(m, i);
}

/* Index of KEY (whose hash is HASH), or -1. */
static gssize
map_find(const F2bIniMap *m, const char *key, guint hash)
{
  if (m->slots == NULL) {
    for (guint i = 0; i < m->len; i++)
      if (m->entries[i].hash == hash && strcmp(m->entries[i].key, key) == 0)
        return i;
    return -1;
  }
  for (guint h = hash & m->mask; m->slots[h] != 0; h = (h + 1) & m->mask) {
    const MapEntry *e = &m->entries[m->slots[h] - 1];
    if (e->hash == hash && strcmp(e->key, key) == 0)
      return m->slots[h] - 1;
  }
  return -1;
}

static inline gboolean
key_equal_len(const char *entry_key, const char *key, gsize len)
{
  return strncmp(entry_key, key, len) == 0 && entry_key[len] == '\0';
}

/* map_find for a key of LEN bytes that need not end with a NUL. */
static gssize
map_find_len(const F2bIniMap *m, const char *key, gsize len, guint hash)
{
  if (m->slots == NULL) {
    for (guint i = 0; i < m->len; i++)
      if (m->entries[i].hash == hash && key_equal_len(m->entries[i].key, key, len))
        return i;
    return -1;
  }
  for (guint h = hash & m->mask; m->slots[h] != 0; h = (h + 1) & m->mask) {
    const MapEntry *e = &m->entries[m->slots[h] - 1];
    if (e->hash == hash && key_equal_len(e->key, key, len))
      return m->slots[h] - 1;
  }
  return -1;
}

/* Sets the value of KEY to VALUE (a reference the map takes); KEYREF is
 * KEY as a GRefString when the caller has one to share, else NULL. */
static guint
map_put(F2bIniMap *m, const char *key, char *keyref, guint hash, char *value, guint32 loc)
{
  gssize i = map_find(m, key, hash);
  if (i >= 0) {
    ref_release(m->entries[i].value);
    m->entries[i].value = value;
    m->entries[i].loc = loc;
    return i;
  }
  if (m->len == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 8;
    m->entries = g_renew(MapEntry, m->entries, m->cap);
  }
  MapEntry *e = &m->entries[m->len++];
  e->key = keyref ? g_ref_string_acquire(keyref) : g_ref_string_new(key);
  e->value = value;
  e->hash = hash;
  e->loc = loc;
  if (!m->unlowered && !is_lowered(e->key))
    m->unlowered = TRUE;
  if (m->slots != NULL && m->len * 2 + 2 <= m->mask + 1)
    map_index_insert(m, m->len - 1);
  else if (m->len > MAP_SMALL)
    map_reindex(m);
  return m->len - 1;
}

/* Looks KEY up with its hash computed once by the caller. */
static gboolean
map_lookup(const F2bIniMap *m, const char *key, guint hash, const char **value)
{
  if (m == NULL)
    return FALSE;
  gssize i = map_find(m, key, hash);
  if (i < 0)
    return FALSE;
  *value = m->entries[i].value;
  return TRUE;
}

F2bIniMap *
f2b_ini_map_new(void)
{
  return g_new0(F2bIniMap, 1);
}

void
f2b_ini_map_free(F2bIniMap *m)
{
  if (m == NULL)
    return;
  for (guint i = 0; i < m->len; i++) {
    g_ref_string_release(m->entries[i].key);
    ref_release(m->entries[i].value);
  }
  g_free(m->entries);
  g_free(m->slots);
  g_free(m);
}

F2bIniMap *
f2b_ini_map_copy(const F2bIniMap *src)
{
  F2bIniMap *m = f2b_ini_map_new();
  if (src == NULL || src->len == 0)
    return m;
  m->len = m->cap = src->len;
  m->entries = g_memdup2(src->entries, sizeof(MapEntry) * src->len);
  for (guint i = 0; i < m->len; i++) {
    g_ref_string_acquire(m->entries[i].key);
    ref_acquire(m->entries[i].value);
  }
  if (src->slots != NULL) {
    m->slots = g_memdup2(src->slots, sizeof(guint) * (src->mask + 1));
    m->mask = src->mask;
  }
  m->unlowered = src->unlowered;
  return m;
}

void
f2b_ini_map_take(F2bIniMap *m, const char *key, char *value)
{
  map_put(m, key, NULL, key_hash(key), ref_dup(value), 0);
  g_free(value);
}

void
f2b_ini_map_take_ref(F2bIniMap *m, const char *key, char *value)
{
  map_put(m, key, NULL, key_hash(key), value, 0);
}

void
f2b_ini_map_set(F2bIniMap *m, const char *key, const char *value)
{
  map_put(m, key, NULL, key_hash(key), ref_dup(value), 0);
}

gboolean
f2b_ini_map_contains(const F2bIniMap *m, const char *key)
{
  return m != NULL && map_find(m, key, key_hash(key)) >= 0;
}

const char *
f2b_ini_map_get(const F2bIniMap *m, const char *key)
{
  const char *v = NULL;
  return map_lookup(m, key, key_hash(key), &v) ? v : NULL;
}

gssize
f2b_ini_map_find_len(const F2bIniMap *m, const char *key, gsize len)
{
  return m == NULL ? -1 : map_find_len(m, key, len, key_hash_len(key, len));
}

void
f2b_ini_map_set_at(F2bIniMap *m, guint i, const char *value)
{
  g_return_if_fail(i < m->len);
  ref_release(m->entries[i].value);
  m->entries[i].value = ref_dup(value);
  m->entries[i].loc = 0;
}

gboolean
f2b_ini_map_remove(F2bIniMap *m, const char *key)
{
  gssize i = map_find(m, key, key_hash(key));
  if (i < 0)
    return FALSE;
  g_ref_string_release(m->entries[i].key);
  ref_release(m->entries[i].value);
  memmove(&m->entries[i], &m->entries[i + 1], sizeof(MapEntry) * (m->len - i - 1));
  m->len--;
  if (m->slots != NULL)
    map_reindex(m);
  return TRUE;
}

guint
f2b_ini_map_size(const F2bIniMap *m)
{
  return m ? m->len : 0;
}

const char *
f2b_ini_map_key(const F2bIniMap *m, guint i)
{
  return m->entries[i].key;
}

const char *
f2b_ini_map_value(const F2bIniMap *m, guint i)
{
  return m->entries[i].value;
}

void
f2b_ini_map_set_entry(F2bIniMap *dst, const F2bIniMap *src, guint i)
{
  g_return_if_fail(i < src->len);
  const MapEntry *e = &src->entries[i];
  map_put(dst, e->key, e->key, e->hash, ref_acquire(e->value), e->loc);
}

void
f2b_ini_map_update(F2bIniMap *dst, const F2bIniMap *src)
{
  if (src == NULL)
    return;
  for (guint i = 0; i < src->len; i++) {
    const MapEntry *e = &src->entries[i];
    map_put(dst, e->key, e->key, e->hash, ref_acquire(e->value), e->loc);
  }
}

/* --------------------------------------------------------------- parser */

struct F2bIni {
  F2bIniMap *defaults;
  GPtrArray *names;       /* section names in order */
  GHashTable *sections;   /* name -> F2bIniMap* */
  /* the sections last found: readers ask for "Definition" and "Init" over
   * and over (sections are never removed, so a hit stays right) */
  const char *recent_name[2];
  F2bIniMap *recent[2];
  /* names of the files values were read from (MapEntry.loc indexes it);
   * shared with the cache's parsed files, so merges copy locations as they are */
  GPtrArray *sources;
};

static void
ini_share_sources(F2bIni *ini, GPtrArray *sources)
{
  g_ptr_array_ref(sources);
  g_ptr_array_unref(ini->sources);
  ini->sources = sources;
}

static F2bIniMap *
section_lookup(F2bIni *ini, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS(ini->recent); i++)
    if (ini->recent_name[i] != NULL && strcmp(ini->recent_name[i], name) == 0)
      return ini->recent[i];
  gpointer key, value;
  if (!g_hash_table_lookup_extended(ini->sections, name, &key, &value))
    return NULL;
  ini->recent_name[1] = ini->recent_name[0];
  ini->recent[1] = ini->recent[0];
  ini->recent_name[0] = key;
  ini->recent[0] = value;
  return value;
}

F2bIni *
f2b_ini_new(void)
{
  F2bIni *ini = g_new0(F2bIni, 1);
  ini->defaults = f2b_ini_map_new();
  ini->names = g_ptr_array_new_with_free_func(g_free);
  ini->sections = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)f2b_ini_map_free);
  ini->sources = g_ptr_array_new_with_free_func(g_free);
  return ini;
}

void
f2b_ini_free(F2bIni *ini)
{
  if (ini == NULL)
    return;
  f2b_ini_map_free(ini->defaults);
  g_hash_table_destroy(ini->sections);
  g_ptr_array_free(ini->names, TRUE);
  g_ptr_array_unref(ini->sources);
  g_free(ini);
}

F2bIniMap *
f2b_ini_defaults(F2bIni *ini)
{
  return ini->defaults;
}

F2bIniMap *
f2b_ini_section(F2bIni *ini, const char *name)
{
  return section_lookup(ini, name);
}

gboolean
f2b_ini_has_section(const F2bIni *ini, const char *name)
{
  /* the lookup only updates the cache of recent sections */
  return section_lookup((F2bIni *)ini, name) != NULL;
}

F2bIniMap *
f2b_ini_ensure_section(F2bIni *ini, const char *name)
{
  F2bIniMap *s = g_hash_table_lookup(ini->sections, name);
  if (s == NULL) {
    char *n = g_strdup(name);
    g_ptr_array_add(ini->names, n);
    s = f2b_ini_map_new();
    g_hash_table_insert(ini->sections, n, s);
  }
  return s;
}

guint
f2b_ini_n_sections(const F2bIni *ini)
{
  return ini->names->len;
}

const char *
f2b_ini_section_name(const F2bIni *ini, guint i)
{
  return ini->names->pdata[i];
}

/* Python's str.isspace() for the character at S: ASCII whitespace, the
 * C1/Latin-1 ones and the Unicode spaces. */
gboolean
f2b_ini_is_space(const char *s, gsize len, gsize *clen)
{
  const guchar *u = (const guchar *)s;
  *clen = 1;
  if (len == 0)
    return FALSE;
  if (u[0] < 0x80)
    return u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r') || (u[0] >= 0x1c && u[0] <= 0x1f);
  gunichar c = g_utf8_get_char_validated(s, len);
  if (c == (gunichar)-1 || c == (gunichar)-2)
    return FALSE;
  *clen = g_utf8_skip[u[0]];
  return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static inline gboolean
ascii_space(guchar c)
{
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* f2b_ini_is_space with the ASCII case inline: most text is ASCII. */
static inline gboolean
is_space_at(const char *s, gsize len, gsize *clen)
{
  if ((guchar)*s < 0x80) {
    *clen = 1;
    return ascii_space((guchar)*s);
  }
  return f2b_ini_is_space(s, len, clen);
}

static gsize
lstrip_len(const char *s, gsize len)
{
  gsize i = 0, cl;
  while (i < len && is_space_at(s + i, len - i, &cl))
    i += cl;
  return i;
}

/* Length of S once trailing whitespace is removed. */
static gsize
rstrip_len(const char *s, gsize len)
{
  /* ASCII bytes are never inside a multi-byte character: strip them from
   * the end, and stop at an ASCII non-space */
  while (len > 0 && (guchar)s[len - 1] < 0x80) {
    if (!ascii_space((guchar)s[len - 1]))
      return len;
    len--;
  }
  gsize end = 0, i = 0, cl;
  while (i < len) {
    if (!is_space_at(s + i, len - i, &cl))
      end = i + cl;
    i += cl;
  }
  return end;
}

char *
f2b_ini_strip(const char *s, gsize len)
{
  gsize b = lstrip_len(s, len);
  gsize e = b + rstrip_len(s + b, len - b);
  return g_strndup(s + b, e - b);
}

char *
f2b_ini_optionxform(const char *name)
{
  for (const char *p = name; *p; p++)
    if ((guchar)*p >= 0x80)
      return g_utf8_strdown(name, -1);
  return g_ascii_strdown(name, -1);
}

/* The lines of one option's value, joined when the file is read. */
typedef struct {
  F2bIniMap *sect;
  char *opt;
  GString *value;  /* the lines so far, '\n'-separated */
  guint index;     /* of OPT in SECT */
} Pending;

/* Pendings as a set of (section, option): a file may not repeat one. */
static guint
pending_hash(gconstpointer a)
{
  const Pending *p = a;
  return g_direct_hash(p->sect) ^ key_hash(p->opt);
}

static gboolean
pending_equal(gconstpointer a, gconstpointer b)
{
  const Pending *p = a, *q = b;
  return p->sect == q->sect && strcmp(p->opt, q->opt) == 0;
}

/* Parser state of one _read() call. */
typedef struct {
  F2bIni *ini;
  const char *fpname;
  GHashTable *added;        /* the sections seen in this file */
  GHashTable *opts_added;   /* the Pending of each option seen in this file */
  F2bIniMap *cursect;
  char *sectname;
  Pending *curopt;          /* the option continuation lines go to, or NULL */
  GPtrArray *pending;       /* Pending*, each option of this file once */
  GString *errors;          /* ParsingError text, NULL while none */
  guint indent_level;
  guint file_index;         /* of FPNAME in the ini's sources */
  /* f2b_ini_value_lines(): the option defined on TRACE_LINE, and the line
   * number of each of its value's lines */
  guint trace_line;
  Pending *traced;
  GArray *trace;
} ParseState;

static void
pending_free(Pending *p)
{
  g_free(p->opt);
  g_string_free(p->value, TRUE);
  g_free(p);
}

static void
repr_append(GString *out, const char *s)
{
  f2b_py_repr_str_append(out, s, strlen(s));
}

static void
pending_line(Pending *p, const char *line, gsize len)
{
  g_string_append_c(p->value, '\n');
  g_string_append_len(p->value, line, len);
}

/* repr() of a line as Python holds it: with its newline, if it had one. */
static void
repr_line_append(GString *out, const char *line, gsize len, gboolean nl)
{
  /* a copy of exactly LEN bytes (NULs kept; the line may end the data) */
  g_autofree char *l = g_malloc(len + 2);
  memcpy(l, line, len);
  l[len] = '\n';
  l[len + 1] = '\0';
  f2b_py_repr_str_append(out, l, len + (nl ? 1 : 0));
}

static void
parse_error_add(ParseState *st, guint lineno, const char *line, gsize len, gboolean nl)
{
  if (st->errors == NULL) {
    st->errors = g_string_new("Source contains parsing errors: ");
    repr_append(st->errors, st->fpname);
  }
  g_string_append_printf(st->errors, "\n\t[line %2u]: ", lineno);
  repr_line_append(st->errors, line, len, nl);
}

/* Index where an inline ';' comment starts (one at the start or after
 * whitespace), or -1. */
static gssize
inline_comment_start(const char *line, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    const char *semi = memchr(line + i, ';', len - i);
    if (semi == NULL)
      return -1;
    i = semi - line;
    if (i == 0)
      return 0;
    gsize cl;
    /* the character before: ASCII, or a 2/3-byte UTF-8 space */
    for (gsize back = 1; back <= 3 && back <= i; back++) {
      if (((guchar)line[i - back] & 0xc0) == 0x80)
        continue;
      if (f2b_ini_is_space(line + i - back, back, &cl) && cl == back)
        return i;
      break;
    }
  }
  return -1;
}

static guint
indent_of(const char *line, gsize len)
{
  guint chars = 0;
  gsize i = 0, cl;
  while (i < len && is_space_at(line + i, len - i, &cl)) {
    i += cl;
    chars++;
  }
  return i < len ? chars : 0;
}

static gboolean
handle_section_header(ParseState *st, const char *value, guint lineno, GError **error)
{
  gsize vlen = strlen(value);
  const char *close = strrchr(value, ']');
  g_autofree char *name = g_strndup(value + 1, close - value - 1);
  if (g_hash_table_contains(st->ini->sections, name)) {
    if (g_hash_table_contains(st->added, name)) {
      GString *m = g_string_new("While reading from ");
      repr_append(m, st->fpname);
      g_string_append_printf(m, " [line %2u]: section ", lineno);
      repr_append(m, name);
      g_string_append(m, " already exists");
      g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_DUPLICATE, m->str);
      g_string_free(m, TRUE);
      return FALSE;
    }
    st->cursect = f2b_ini_section(st->ini, name);
  } else if (strcmp(name, "DEFAULT") == 0) {
    st->cursect = st->ini->defaults;
  } else {
    st->cursect = f2b_ini_ensure_section(st->ini, name);
  }
  g_hash_table_add(st->added, g_strdup(name));
  g_free(st->sectname);
  st->sectname = g_steal_pointer(&name);
  st->curopt = NULL;
  (void)vlen;
  return TRUE;
}

static gboolean
handle_option(ParseState *st, const char *value, const char *line, gsize linelen, gboolean nl,
              guint lineno, GError **error)
{
  const char *delim = strpbrk(value, "=:");
  if (delim == NULL) {
    parse_error_add(st, lineno, line, linelen, nl);
    return TRUE;
  }
  gsize olen = rstrip_len(value, delim - value);
  if (olen == 0)
    parse_error_add(st, lineno, line, linelen, nl);
  g_autofree char *opt = g_strndup(value, olen);
  if (is_ascii(opt)) {
    for (char *c = opt; *c; c++)
      *c = ascii_lower(*c);
  } else {
    char *x = f2b_ini_optionxform(opt);
    g_free(opt);
    opt = x;
  }
  Pending probe = { st->cursect, opt, NULL, 0 };
  if (g_hash_table_contains(st->opts_added, &probe)) {
    GString *m = g_string_new("While reading from ");
    repr_append(m, st->fpname);
    g_string_append_printf(m, " [line %2u]: option ", lineno);
    repr_append(m, opt);
    g_string_append(m, " in section ");
    repr_append(m, st->sectname);
    g_string_append(m, " already exists");
    g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_DUPLICATE, m->str);
    g_string_free(m, TRUE);
    return FALSE;
  }
  /* each option occurs once per file (a repeat is an error above) */
  Pending *p = g_new0(Pending, 1);
  p->sect = st->cursect;
  gsize rest = strlen(delim + 1), b = lstrip_len(delim + 1, rest);
  p->value = g_string_new_len(delim + 1 + b, rstrip_len(delim + 1 + b, rest - b));
  p->index = map_put(st->cursect, opt, NULL, key_hash(opt), g_ref_string_new(""),
                     loc_make(st->file_index, lineno));
  p->opt = g_steal_pointer(&opt);
  g_ptr_array_add(st->pending, p);
  g_hash_table_add(st->opts_added, p);
  st->curopt = p;
  if (G_UNLIKELY(st->trace != NULL) && lineno == st->trace_line) {
    st->traced = p;
    g_array_append_val(st->trace, lineno);
  }
  return TRUE;
}

/* LINENO continues the value being traced, if it is the current option's. */
static inline void
trace_line(ParseState *st, guint lineno)
{
  if (G_UNLIKELY(st->traced != NULL) && st->curopt == st->traced)
    g_array_append_val(st->trace, lineno);
}

/* One line of LEN bytes (its newline, when NL, not included). */
static gboolean
parse_line(ParseState *st, const char *line, gsize len, gboolean nl, guint lineno, GError **error)
{
  gsize ls = lstrip_len(line, len);
  gssize comment = (ls < len && (line[ls] == '#' || line[ls] == ';')) ? 0 : inline_comment_start(line, len);
  gsize vlen = comment >= 0 ? (gsize)comment : len;
  if (lstrip_len(line, vlen) == vlen) {
    if (comment < 0 && st->cursect != NULL && st->curopt != NULL) {
      pending_line(st->curopt, "", 0);
      trace_line(st, lineno);
    }
    return TRUE;
  }
  g_autofree char *value = f2b_ini_strip(line, vlen);
  guint cur_indent = indent_of(line, len);
  if (st->cursect != NULL && st->curopt != NULL && cur_indent > st->indent_level) {
    pending_line(st->curopt, value, strlen(value));
    trace_line(st, lineno);
    return TRUE;
  }
  st->indent_level = cur_indent;
  const char *close = strrchr(value, ']');
  if (value[0] == '[' && close != NULL && close - value > 1)
    return handle_section_header(st, value, lineno, error);
  if (st->cursect == NULL) {
    GString *m = g_string_new("File contains no section headers.\nfile: ");
    repr_append(m, st->fpname);
    g_string_append_printf(m, ", line: %u\n", lineno);
    repr_line_append(m, line, len, nl);
    g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_PARSE, m->str);
    g_string_free(m, TRUE);
    return FALSE;
  }
  return handle_option(st, value, line, len, nl, lineno, error);
}

/* _join_multiline_values: lines joined by '\n', trailing whitespace cut. */
static void
join_pending(ParseState *st)
{
  for (guint i = 0; i < st->pending->len; i++) {
    Pending *p = st->pending->pdata[i];
    g_string_truncate(p->value, rstrip_len(p->value->str, p->value->len));
    MapEntry *e = &p->sect->entries[p->index];
    ref_release(e->value);
    e->value = g_ref_string_new_len(p->value->str, p->value->len);
  }
}

/* Checks the bytes are UTF-8 (NUL allowed) as Python's decoder would and
 * phrases its complaint otherwise. */
static gboolean
check_utf8(const char *fpname, const char *data, gsize len, GError **error)
{
  /* most configuration files are ASCII: one pass over 8 bytes at a time */
  guint64 high = 0;
  gsize i = 0;
  for (; i + 8 <= len; i += 8) {
    guint64 w;
    memcpy(&w, data + i, 8);
    high |= w;
  }
  for (; i < len; i++)
    high |= (guchar)data[i];
  if ((high & G_GUINT64_CONSTANT(0x8080808080808080)) == 0)
    return TRUE;
  i = 0;
  while (i < len) {
    const char *end;
    if (g_utf8_validate_len(data + i, len - i, &end))
      return TRUE;
    i = end - data;
    if (data[i] == '\0') {
      i++;
      continue;
    }
    guchar b = (guchar)data[i];
    const char *why = "invalid start byte";
    if (b >= 0xc2 && b <= 0xf4) {
      gsize need = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
      why = i + need > len ? "unexpected end of data" : "invalid continuation byte";
    }
    g_set_error(error, F2B_INI_ERROR, F2B_INI_ERROR_DECODE,
                "'utf-8' codec can't decode byte 0x%02x in position %" G_GSIZE_FORMAT ": %s", b, i,
                why);
    (void)fpname;
    return FALSE;
  }
  return TRUE;
}

/* _read() of DATA into INI; TRACE (may be NULL) receives the line numbers
 * of the value of the option defined on line TRACE_FROM. */
static gboolean
parse_data(F2bIni *ini, const char *fpname, const char *data, gsize len, guint trace_from, GArray *trace,
           GError **error)
{
  if (!check_utf8(fpname, data, len, error))
    return FALSE;
  ParseState st = { .ini = ini, .fpname = fpname, .trace_line = trace_from, .trace = trace };
  st.file_index = ini->sources->len;
  g_ptr_array_add(ini->sources, g_strdup(fpname));
  st.added = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  st.opts_added = g_hash_table_new(pending_hash, pending_equal);
  st.pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free);
  gboolean ok = TRUE;
  guint lineno = 0;
  gsize i = 0;
  while (ok && i < len) {
    /* universal newlines: \r\n and \r end a line as \n does */
    const char *nl = memchr(data + i, '\n', len - i);
    gsize stop = nl ? (gsize)(nl - data) : len;
    const char *cr = memchr(data + i, '\r', stop - i);
    gsize j = cr ? (gsize)(cr - data) : stop;
    gsize end = j;
    if (j < len)
      j += (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n') ? 2 : 1;
    lineno++;
    ok = parse_line(&st, data + i, end - i, end < len, lineno, error);
    i = j;
  }
  if (ok)
    join_pending(&st);
  if (ok && st.errors != NULL) {
    g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_PARSE, st.errors->str);
    ok = FALSE;
  }
  if (st.errors)
    g_string_free(st.errors, TRUE);
  g_hash_table_destroy(st.opts_added);
  g_hash_table_destroy(st.added);
  g_ptr_array_unref(st.pending);
  g_free(st.sectname);
  return ok;
}

gboolean
f2b_ini_parse(F2bIni *ini, const char *fpname, const char *data, gsize len, GError **error)
{
  return parse_data(ini, fpname, data, len, 0, NULL, error);
}

GArray *
f2b_ini_value_lines(const char *fpname, const char *data, gsize len, guint start_line, GError **error)
{
  g_autoptr(F2bIni) ini = f2b_ini_new();
  g_autoptr(GArray) trace = g_array_new(FALSE, FALSE, sizeof(guint));
  if (!parse_data(ini, fpname, data, len, start_line, trace, error))
    return NULL;
  if (trace->len == 0) {
    g_set_error(error, F2B_INI_ERROR, F2B_INI_ERROR_NO_OPTION, "%s: no option starts on line %u", fpname,
                start_line);
    return NULL;
  }
  return g_steal_pointer(&trace);
}

GArray *
f2b_ini_value_lines_file(const char *path, guint start_line, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!g_file_get_contents(path, &data, &len, &local)) {
    g_set_error(error, F2B_INI_ERROR, F2B_INI_ERROR_PARSE, "%s", local->message);
    g_error_free(local);
    return NULL;
  }
  return f2b_ini_value_lines(path, data, len, start_line, error);
}

gboolean
f2b_ini_parse_file(F2bIni *ini, const char *path, gboolean *read, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  *read = FALSE;
  if (!g_file_get_contents(path, &data, &len, NULL))
    return FALSE;
  *read = TRUE;
  return f2b_ini_parse(ini, path, data, len, error);
}

/* ------------------------------------------------------------ merging */

/* A section name such as "Init?family=inet6": word characters, then '?'. */
static gboolean
conditional_name(const char *name, gsize *base_len)
{
  gsize i = 0;
  while (name[i] && (g_ascii_isalnum(name[i]) || name[i] == '_' || (guchar)name[i] >= 0x80))
    i++;
  if (i == 0 || name[i] != '?' || name[i + 1] == '\0')
    return FALSE;
  *base_len = i;
  return TRUE;
}

void
f2b_ini_merge_section(F2bIni *ini, const char *section, const F2bIniMap *options, const char *prefix)
{
  F2bIniMap *sec = f2b_ini_ensure_section(ini, section);
  if (prefix == NULL || *prefix == '\0') {
    f2b_ini_map_update(sec, options);
    return;
  }
  if (options == NULL)
    return;
  /* the values are shared, the prefixed keys built in one buffer */
  gsize plen = strlen(prefix);
  GString *pk = g_string_new(prefix);
  for (guint i = 0; i < options->len; i++) {
    const MapEntry *e = &options->entries[i];
    if (strncmp(e->key, prefix, plen) == 0 || strcmp(e->key, "__name__") == 0)
      continue;
    g_string_truncate(pk, plen);
    g_string_append(pk, e->key);
    map_put(sec, pk->str, NULL, key_hash(pk->str), ref_acquire(e->value), e->loc);
  }
  g_string_free(pk, TRUE);
}

/* LOC of a file whose source table was appended to another's at SHIFT. */
static guint32
loc_shift(guint32 loc, guint shift)
{
  if (loc == 0 || shift == 0)
    return loc;
  guint file = (loc >> LOC_LINE_BITS) + shift;
  return file > LOC_MAX_FILE ? 0 : ((guint32)file << LOC_LINE_BITS) | (loc & LOC_LINE_MASK);
}

static void
map_update_shift(F2bIniMap *dst, const F2bIniMap *src, guint shift)
{
  for (guint i = 0; src != NULL && i < src->len; i++) {
    const MapEntry *e = &src->entries[i];
    map_put(dst, e->key, e->key, e->hash, ref_acquire(e->value), loc_shift(e->loc, shift));
  }
}

/* Makes FILE's locations valid in INI: the offset to add to its file indices
 * (0 in the usual case of a table shared through the cache). */
static guint
merge_sources(F2bIni *ini, F2bIni *file)
{
  if (ini->sources == file->sources)
    return 0;
  if (ini->sources->len == 0) {
    ini_share_sources(ini, file->sources);
    return 0;
  }
  guint shift = ini->sources->len;
  for (guint i = 0; i < file->sources->len; i++)
    g_ptr_array_add(ini->sources, g_strdup(file->sources->pdata[i]));
  return shift;
}

void
f2b_ini_merge(F2bIni *ini, F2bIni *file)
{
  guint shift = merge_sources(ini, file);
  map_update_shift(ini->defaults, file->defaults, shift);
  for (guint i = 0; i < file->names->len; i++) {
    const char *n = file->names->pdata[i];
    F2bIniMap *s = f2b_ini_section(file, n);
    g_autoptr(F2bIniMap) renamed = NULL;
    g_autofree char *base = NULL;
    gsize blen;
    if (conditional_name(n, &blen)) {
      base = g_strndup(n, blen);
      renamed = f2b_ini_map_new();
      for (guint k = 0; k < s->len; k++) {
        g_autofree char *key = g_strconcat(s->entries[k].key, n + blen, NULL);
        map_put(renamed, key, NULL, key_hash(key), ref_acquire(s->entries[k].value),
                loc_shift(s->entries[k].loc, shift));
      }
      s = renamed;
      n = base;
    }
    guint s_shift = renamed != NULL ? 0 : shift;
    F2bIniMap *prev = f2b_ini_section(ini, n);
    if (prev != NULL) {
      g_autoptr(F2bIniMap) known = f2b_ini_map_new();
      for (guint k = 0; k < prev->len; k++) {
        const MapEntry *e = &prev->entries[k];
        if (map_find(s, e->key, e->hash) >= 0)
          map_put(known, e->key, e->key, e->hash, ref_acquire(e->value), e->loc);
      }
      g_autofree char *kn = g_strconcat("KNOWN/", n, NULL);
      f2b_ini_merge_section(ini, kn, known, NULL);
      prev = f2b_ini_section(ini, n);
      map_update_shift(prev, s, s_shift);
    } else {
      map_update_shift(f2b_ini_ensure_section(ini, n), s, s_shift);
    }
  }
}

/* -------------------------------------------------------- interpolation */

/* The lookup chain of one get(): extra names fail2ban adds (__name__ and
 * "sec/opt" values), the caller's vars, the section, DEFAULT. */
typedef struct {
  const char *name;       /* __name__: the section */
  F2bIniMap *extra;       /* created when first needed */
  const F2bIniMap *vars;
  const F2bIniMap *section;
  const F2bIniMap *defaults;
} Chain;

static gboolean
chain_lookup(const Chain *c, const char *key, const char **value)
{
  if (c->name != NULL && strcmp(key, "__name__") == 0) {
    *value = c->name;
    return TRUE;
  }
  const F2bIniMap *maps[] = { c->extra, c->vars, c->section, c->defaults };
  guint hash = key_hash(key);
  for (guint i = 0; i < G_N_ELEMENTS(maps); i++)
    if (map_lookup(maps[i], key, hash, value))
      return TRUE;
  return FALSE;
}

static void
set_ini_error(GError **error, int code, const char *fmt_prefix, const char *option,
              const char *section, const char *rawval, const char *extra)
{
  GString *m = g_string_new(fmt_prefix);
  repr_append(m, option);
  g_string_append(m, " in section ");
  repr_append(m, section);
  if (code == F2B_INI_ERROR_INTERPOLATION_MISSING) {
    g_string_append(m, " contains an interpolation key ");
    repr_append(m, extra);
    g_string_append(m, " which is not a valid option name. Raw value: ");
  } else {
    g_string_append_printf(m, " contains an interpolation key which cannot be substituted in %d "
                              "steps. Raw value: ", MAX_INTERPOLATION_DEPTH);
  }
  repr_append(m, rawval);
  g_set_error_literal(error, F2B_INI_ERROR, code, m->str);
  g_string_free(m, TRUE);
}

/* fail2ban's _map_section_options: "%(sec/opt)s" names found in REST are
 * resolved from the raw value of opt in [sec], KNOWN/<section> or DEFAULT. */
static void
map_section_options(F2bIni *ini, const char *section, const char *rest, Chain *c)
{
  if (strchr(rest, '/') == NULL || strstr(rest, "%(") == NULL)
    return;
  const char *next = rest;
  for (const char *p; (p = strstr(next, "%(")) != NULL;) {
    next = p + 1;
    const char *s = p + 2, *q = s;
    while (g_ascii_isalnum(*q) || *q == '_' || *q == '-' || (guchar)*q >= 0x80)
      q++;
    if (q == s || *q != '/')
      continue;
    const char *o = q + 1, *e = o;
    while (*e && *e != ')')
      e++;
    if (e == o || e[0] != ')' || e[1] != 's')
      continue;
    next = e + 2;
    g_autofree char *sopt = g_strndup(s, e - s);
    g_autofree char *sec = g_strndup(s, q - s);
    g_autofree char *opt = g_strndup(o, e - o);
    const char *v;
    if (chain_lookup(c, sopt, &v))
      continue;
    g_autofree char *seclwr = g_utf8_strdown(sec, -1);
    gboolean usedef = TRUE;
    const F2bIniMap *from = NULL;
    if (strcmp(seclwr, "default") != 0) {
      if (strcmp(seclwr, "known") == 0) {
        g_autofree char *kn = g_strconcat("KNOWN/", section, NULL);
        from = f2b_ini_section(ini, kn);
      } else {
        from = f2b_ini_section(ini, sec);
        if (from == NULL)
          continue;
      }
      if (f2b_ini_map_contains(from, opt))
        usedef = FALSE;
    }
    if (usedef) {
      from = ini->defaults;
      if (!f2b_ini_map_contains(from, opt))
        continue;
    }
    if (c->extra == NULL)
      c->extra = f2b_ini_map_new();
    f2b_ini_map_set(c->extra, sopt, f2b_ini_map_get(from, opt));
  }
}

static gboolean
interpolate_some(F2bIni *ini, const char *section, const char *option, GString *accum,
                 const char *rest, Chain *c, int depth, GError **error)
{
  const char *orig_rest = rest;
  c->name = section;
  map_section_options(ini, section, rest, c);
  if (depth > MAX_INTERPOLATION_DEPTH) {
    g_autofree char *raw = f2b_ini_get(ini, section, option, NULL, TRUE, NULL);
    set_ini_error(error, F2B_INI_ERROR_INTERPOLATION_DEPTH,
                  "Recursion limit exceeded in value substitution: option ", option, section,
                  raw ? raw : rest, NULL);
    return FALSE;
  }
  while (*rest) {
    const char *p = strchr(rest, '%');
    if (p == NULL) {
      g_string_append(accum, rest);
      return TRUE;
    }
    g_string_append_len(accum, rest, p - rest);
    rest = p;
    if (rest[1] == '%') {
      g_string_append_c(accum, '%');
      rest += 2;
    } else if (rest[1] == '(') {
      const char *close = strchr(rest + 2, ')');
      if (close == NULL || close == rest + 2 || close[1] != 's') {
        GString *m = g_string_new("bad interpolation variable reference ");
        repr_append(m, rest);
        g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_INTERPOLATION_SYNTAX, m->str);
        g_string_free(m, TRUE);
        return FALSE;
      }
      /* optionxform of the name: ASCII names are lowered in place */
      char small[64];
      gsize nlen = close - rest - 2;
      g_autofree char *var = NULL;
      const char *key = small;
      gboolean ascii = nlen < sizeof small;
      for (gsize k = 0; ascii && k < nlen; k++) {
        if ((guchar)rest[2 + k] >= 0x80)
          ascii = FALSE;
        small[k] = ascii_lower(rest[2 + k]);
      }
      if (ascii) {
        small[nlen] = '\0';
      } else {
        g_autofree char *name = g_strndup(rest + 2, nlen);
        key = var = f2b_ini_optionxform(name);
      }
      rest = close + 2;
      const char *v = NULL;
      if (!chain_lookup(c, key, &v) || v == NULL) {
        g_autofree char *raw = f2b_ini_get(ini, section, option, NULL, TRUE, NULL);
        set_ini_error(error, F2B_INI_ERROR_INTERPOLATION_MISSING, "Bad value substitution: option ",
                      option, section, raw ? raw : orig_rest, key);
        return FALSE;
      }
      /* V stays valid: a get() only adds names to the chain, never replaces one */
      if (strchr(v, '%') != NULL) {
        if (!interpolate_some(ini, section, option, accum, v, c, depth + 1, error))
          return FALSE;
      } else {
        g_string_append(accum, v);
      }
    } else {
      GString *m = g_string_new("'%' must be followed by '%' or '(', found: ");
      repr_append(m, rest);
      g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_INTERPOLATION_SYNTAX, m->str);
      g_string_free(m, TRUE);
      return FALSE;
    }
  }
  return TRUE;
}

/* f2b_ini_get; AS_REF makes the result a GRefString: the stored value
 * itself, with one more reference, when nothing is interpolated. */
static char *
get_value(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars, gboolean raw,
          gboolean as_ref, GError **error)
{
  const F2bIniMap *sect = f2b_ini_section(ini, section);
  if (sect == NULL && strcmp(section, "DEFAULT") != 0) {
    GString *m = g_string_new("No section: ");
    repr_append(m, section);
    g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_NO_SECTION, m->str);
    g_string_free(m, TRUE);
    return NULL;
  }
  g_autoptr(F2bIniMap) lvars = NULL;
  if (vars != NULL && vars->unlowered) {
    /* vars keys go through optionxform, as _unify_values does */
    lvars = f2b_ini_map_new();
    for (guint i = 0; i < f2b_ini_map_size(vars); i++) {
      g_autofree char *k = f2b_ini_optionxform(f2b_ini_map_key(vars, i));
      f2b_ini_map_set(lvars, k, f2b_ini_map_value(vars, i));
    }
  }
  g_autofree char *optx = is_lowered(option) ? NULL : f2b_ini_optionxform(option);
  const char *opt = optx ? optx : option;
  Chain c = { NULL, NULL, lvars ? lvars : vars, sect, ini->defaults };
  const char *value;
  if (!chain_lookup(&c, opt, &value)) {
    GString *m = g_string_new("No option ");
    repr_append(m, opt);
    g_string_append(m, " in section: ");
    repr_append(m, section);
    g_set_error_literal(error, F2B_INI_ERROR, F2B_INI_ERROR_NO_OPTION, m->str);
    g_string_free(m, TRUE);
    return NULL;
  }
  if (value == NULL)
    return as_ref ? g_ref_string_new("None") : g_strdup("None");
  if (raw || strchr(value, '%') == NULL) {
    /* map values are GRefStrings; only __name__ comes from elsewhere */
    if (as_ref && value != c.name)
      return g_ref_string_acquire((char *)value);
    return as_ref ? g_ref_string_new(value) : g_strdup(value);
  }
  GString *accum = g_string_sized_new(strlen(value) + 64);
  gboolean ok = interpolate_some(ini, section, opt, accum, value, &c, 1, error);
  f2b_ini_map_free(c.extra);
  if (!ok) {
    g_string_free(accum, TRUE);
    return NULL;
  }
  if (!as_ref)
    return g_string_free(accum, FALSE);
  char *r = g_ref_string_new_len(accum->str, accum->len);
  g_string_free(accum, TRUE);
  return r;
}

char *
f2b_ini_get(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars,
            gboolean raw, GError **error)
{
  return get_value(ini, section, option, vars, raw, FALSE, error);
}

char *
f2b_ini_get_ref(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars,
                gboolean raw, GError **error)
{
  return get_value(ini, section, option, vars, raw, TRUE, error);
}

/* "sec/opt" where sec is word characters or '-' and opt has no space or '>'. */
static gboolean
split_section_option(const char *option, char **sec, char **opt)
{
  const char *p = option;
  while (g_ascii_isalnum(*p) || *p == '_' || *p == '-' || (guchar)*p >= 0x80)
    p++;
  if (p == option || *p != '/' || p[1] == '\0')
    return FALSE;
  for (const char *q = p + 1; *q; q++)
    if (g_ascii_isspace(*q) || *q == '>')
      return FALSE;
  *sec = g_strndup(option, p - option);
  *opt = g_strdup(p + 1);
  return TRUE;
}

static char *
get_ex_value(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars, gboolean as_ref,
             GError **error)
{
  g_autofree char *sec = NULL, *opt = NULL;
  if (strchr(option, '/') != NULL && split_section_option(option, &sec, &opt)) {
    g_autofree char *seclwr = g_utf8_strdown(sec, -1);
    g_autofree char *known = g_strconcat("KNOWN/", section, NULL);
    const char *tries[2] = { sec, NULL };
    if (strcmp(seclwr, "known") == 0) {
      tries[0] = known;
      tries[1] = section;
    } else if (strcmp(seclwr, "default") == 0) {
      tries[0] = "DEFAULT";
    }
    for (guint i = 0; i < 2 && tries[i] != NULL; i++) {
      GError *local = NULL;
      char *v = get_value(ini, tries[i], opt, NULL, FALSE, as_ref, &local);
      if (v != NULL)
        return v;
      if (local->code != F2B_INI_ERROR_NO_SECTION && local->code != F2B_INI_ERROR_NO_OPTION) {
        g_propagate_error(error, local);
        return NULL;
      }
      g_error_free(local);
    }
  }
  return get_value(ini, section, option, vars, FALSE, as_ref, error);
}

char *
f2b_ini_get_ex(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars,
               GError **error)
{
  return get_ex_value(ini, section, option, vars, FALSE, error);
}

char *
f2b_ini_get_ex_ref(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars,
                   GError **error)
{
  return get_ex_value(ini, section, option, vars, TRUE, error);
}

gboolean
f2b_ini_has_option_vars(F2bIni *ini, const char *section, const char *option, const F2bIniMap *vars)
{
  const F2bIniMap *sect = f2b_ini_section(ini, section);
  if (sect == NULL && strcmp(section, "DEFAULT") != 0)
    return FALSE;
  g_autofree char *optx = is_lowered(option) ? NULL : f2b_ini_optionxform(option);
  const char *opt = optx ? optx : option;
  guint hash = key_hash(opt);
  const char *v;
  if (map_lookup(sect, opt, hash, &v) || map_lookup(ini->defaults, opt, hash, &v))
    return TRUE;
  if (vars == NULL || !vars->unlowered)
    return map_lookup(vars, opt, hash, &v);
  for (guint i = 0; i < vars->len; i++) {
    g_autofree char *k = f2b_ini_optionxform(vars->entries[i].key);
    if (strcmp(k, opt) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean
f2b_ini_has_option(F2bIni *ini, const char *section, const char *option, gboolean with_default)
{
  g_autofree char *opt = f2b_ini_optionxform(option);
  if (!with_default)
    return f2b_ini_map_contains(f2b_ini_section(ini, section), opt);
  if (section == NULL || *section == '\0' || strcmp(section, "DEFAULT") == 0)
    return f2b_ini_map_contains(ini->defaults, opt);
  const F2bIniMap *s = f2b_ini_section(ini, section);
  return s != NULL && (f2b_ini_map_contains(s, opt) || f2b_ini_map_contains(ini->defaults, opt));
}

gboolean
f2b_ini_get_location(F2bIni *ini, const char *section, const char *option, const char **file, guint *line)
{
  g_autofree char *opt = f2b_ini_optionxform(option);
  guint hash = key_hash(opt);
  const F2bIniMap *maps[] = { section ? f2b_ini_section(ini, section) : NULL, ini->defaults };
  for (guint m = 0; m < G_N_ELEMENTS(maps); m++) {
    gssize i = maps[m] ? map_find(maps[m], opt, hash) : -1;
    if (i < 0)
      continue;
    guint32 loc = maps[m]->entries[i].loc;
    guint f = loc >> LOC_LINE_BITS;
    if (loc == 0 || f > ini->sources->len)
      return FALSE;
    if (file)
      *file = ini->sources->pdata[f - 1];
    if (line)
      *line = loc & LOC_LINE_MASK;
    return TRUE;
  }
  return FALSE;
}

/* ------------------------------------------------------ include reading */

struct F2bIniCache {
  F2bLogSink log;
  GPtrArray *sources;     /* the file names every parsed file's locations index */
  GHashTable *files;      /* path -> F2bIni* or NULL (unreadable) */
  GHashTable *inc_paths;  /* "\001"-joined names -> GPtrArray of paths */
  GHashTable *regular;    /* path -> whether it is a regular file */
};

F2bIniCache *
f2b_ini_cache_new(const F2bLogSink *log)
{
  F2bIniCache *c = g_new0(F2bIniCache, 1);
  if (log)
    c->log = *log;
  c->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)f2b_ini_free);
  c->inc_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref);
  c->regular = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c->sources = g_ptr_array_new_with_free_func(g_free);
  return c;
}

void
f2b_ini_cache_free(F2bIniCache *c)
{
  if (c == NULL)
    return;
  g_hash_table_destroy(c->files);
  g_hash_table_destroy(c->inc_paths);
  g_hash_table_destroy(c->regular);
  g_ptr_array_unref(c->sources);
  g_free(c);
}

/* "  Loading files: [...]" (the Python list of the paths), as each first read of
 * a file and each read of a configuration with its includes log it. */
static void
log_loading(F2bIniCache *c, const char *const *paths, guint n)
{
  if (c->log.func == NULL)
    return;
  GString *l = g_string_new("[");
  for (guint i = 0; i < n; i++) {
    if (i)
      g_string_append(l, ", ");
    f2b_py_repr_str_append(l, paths[i], strlen(paths[i]));
  }
  g_string_append_c(l, ']');
  f2b_log(&c->log, F2B_LOG_INFO, "fail2ban.configparserinc", "  Loading files: %s", l->str);
  g_string_free(l, TRUE);
}

/* _getSharedSCPWI: the parsed file (transfer none), NULL when unreadable. */
static F2bIni *
shared_file(F2bIniCache *c, const char *path, GError **error)
{
  gpointer value;
  if (g_hash_table_lookup_extended(c->files, path, NULL, &value))
    return value;
  log_loading(c, &path, 1);
  g_autoptr(F2bIni) ini = f2b_ini_new();
  ini_share_sources(ini, c->sources);
  gboolean read;
  if (!f2b_ini_parse_file(ini, path, &read, error)) {
    if (read)
      return NULL;
    g_clear_pointer(&ini, f2b_ini_free);
  }
  F2bIni *r = ini;
  g_hash_table_insert(c->files, g_strdup(path), g_steal_pointer(&ini));
  return r;
}

static GPtrArray *get_includes(F2bIniCache *c, GPtrArray *names, GPtrArray *seen, GError **error);

static gboolean
str_in(GPtrArray *a, const char *s)
{
  for (guint i = 0; a && i < a->len; i++)
    if (strcmp(a->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
includes_of(F2bIniCache *c, F2bIni *parser, const char *resource, const char *opt,
            GPtrArray *seen, GPtrArray *out, GError **error)
{
  if (!f2b_ini_has_option(parser, "INCLUDES", opt, TRUE))
    return TRUE;
  g_autofree char *list = f2b_ini_get(parser, "INCLUDES", opt, NULL, FALSE, error);
  if (list == NULL)
    return FALSE;
  g_autofree char *dir = g_path_get_dirname(resource);
  if (strchr(resource, '/') == NULL) {
    g_free(dir);
    dir = g_strdup("");
  }
  g_auto(GStrv) items = g_strsplit(list, "\n", -1);
  for (guint i = 0; items[i]; i++) {
    g_autofree char *r = NULL;
    if (items[i][0] == '/' || dir[0] == '\0')
      r = g_strdup(items[i]);
    else
      r = g_str_has_suffix(dir, "/") ? g_strconcat(dir, items[i], NULL)
                                     : g_strconcat(dir, "/", items[i], NULL);
    if (str_in(seen, r))
      continue;
    g_autoptr(GPtrArray) s = g_ptr_array_new();
    for (guint k = 0; seen && k < seen->len; k++)
      g_ptr_array_add(s, seen->pdata[k]);
    g_ptr_array_add(s, (gpointer)resource);
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_ptr_array_add(one, r);
    g_autoptr(GPtrArray) got = get_includes(c, one, s, error);
    if (got == NULL)
      return FALSE;
    for (guint k = 0; k < got->len; k++)
      g_ptr_array_add(out, g_strdup(got->pdata[k]));
  }
  return TRUE;
}

/* __getIncludesUncached: RESOURCE with its before/after trees. */
static GPtrArray *
includes_uncached(F2bIniCache *c, const char *resource, GPtrArray *seen, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  GError *local = NULL;
  F2bIni *parser = shared_file(c, resource, &local);
  if (parser == NULL) {
    if (local == NULL)
      return out;
    if (local->code != F2B_INI_ERROR_DECODE) {
      g_propagate_error(error, local);
      g_ptr_array_unref(out);
      return NULL;
    }
    f2b_log(&c->log, F2B_LOG_ERROR, "fail2ban.configparserinc",
            "Error decoding config file '%s': %s", resource, local->message);
    g_error_free(local);
    return out;
  }
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func(g_free);
  if (f2b_ini_has_section(parser, "INCLUDES") &&
      (!includes_of(c, parser, resource, "before", seen, before, error) ||
       !includes_of(c, parser, resource, "after", seen, after, error))) {
    g_ptr_array_unref(out);
    return NULL;
  }
  for (guint i = 0; i < before->len; i++)
    g_ptr_array_add(out, g_strdup(before->pdata[i]));
  g_ptr_array_add(out, g_strdup(resource));
  for (guint i = 0; i < after->len; i++)
    g_ptr_array_add(out, g_strdup(after->pdata[i]));
  return out;
}

/* X.conf is followed by X.local when that exists and is not listed. */
/* Whether PATH is a regular file, asked of the file system once per cache:
 * include trees ask for the same X.local again and again. */
static gboolean
cached_is_regular(F2bIniCache *c, const char *path)
{
  gpointer v;
  if (g_hash_table_lookup_extended(c->regular, path, NULL, &v))
    return GPOINTER_TO_INT(v);
  gboolean r = g_file_test(path, G_FILE_TEST_IS_REGULAR);
  g_hash_table_insert(c->regular, g_strdup(path), GINT_TO_POINTER(r));
  return r;
}

static GPtrArray *
expand_with_local(F2bIniCache *c, GPtrArray *names)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < names->len; i++) {
    const char *f = names->pdata[i];
    g_ptr_array_add(out, g_strdup(f));
    /* os.path.splitext: the last dot of the base name, leading dots aside */
    const char *slash = strrchr(f, '/');
    const char *b = slash ? slash + 1 : f;
    while (*b == '.')
      b++;
    const char *dot = strrchr(b, '.');
    gsize stem = dot ? (gsize)(dot - f) : strlen(f);
    g_autofree char *local = g_strdup_printf("%.*s.local", (int)stem, f);
    if (!str_in(names, local) && cached_is_regular(c, local))
      g_ptr_array_add(out, g_steal_pointer(&local));
  }
  return out;
}

static GPtrArray *
get_includes(F2bIniCache *c, GPtrArray *names, GPtrArray *seen, GError **error)
{
  g_autoptr(GPtrArray) files = expand_with_local(c, names);
  GString *key = g_string_new(NULL);
  for (guint i = 0; i < files->len; i++) {
    if (i)
      g_string_append_c(key, '\001');
    g_string_append(key, files->pdata[i]);
  }
  GPtrArray *cached = g_hash_table_lookup(c->inc_paths, key->str);
  if (cached != NULL) {
    g_string_free(key, TRUE);
    return g_ptr_array_ref(cached);
  }
  GPtrArray *full = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < files->len; i++) {
    GPtrArray *one = includes_uncached(c, files->pdata[i], seen, error);
    if (one == NULL) {
      g_ptr_array_unref(full);
      g_string_free(key, TRUE);
      return NULL;
    }
    for (guint k = 0; k < one->len; k++)
      g_ptr_array_add(full, g_strdup(one->pdata[k]));
    g_ptr_array_unref(one);
  }
  g_hash_table_insert(c->inc_paths, g_string_free(key, FALSE), g_ptr_array_ref(full));
  return full;
}

gboolean
f2b_ini_read_with_includes(F2bIni *ini, F2bIniCache *c, GPtrArray *filenames, GPtrArray *files_read,
                           GError **error)
{
  g_autoptr(GPtrArray) full = get_includes(c, filenames, NULL, error);
  if (full == NULL)
    return FALSE;
  if (full->len)
    log_loading(c, (const char *const *)full->pdata, full->len);
  for (guint i = 0; i < full->len; i++) {
    F2bIni *file = shared_file(c, full->pdata[i], error);
    if (file == NULL) {
      if (error && *error)
        return FALSE;
      continue;
    }
    if (files_read)
      g_ptr_array_add(files_read, g_strdup(full->pdata[i]));
    f2b_ini_merge(ini, file);
  }
  return TRUE;
}
