/* failregex.c - fail2ban's Regex/FailRegex on PCRE2: tags, compilation, matching.
 *
 * The steps of compilation follow fail2ban's (see failregex.h); the Python syntax
 * itself is handled by pyre.c. Matching copies the buffer into the match so that
 * group values (which may hold NUL bytes) stay valid after the next search. */
#include "failregex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "lazyjit.h"
#include "pyobj.h"
#include "pyre.h"
#include "pystr.h"

G_DEFINE_QUARK(f2b-failregex-error-quark, f2b_failregex_error)

/* ---- tag expansions (the regex texts fail2ban substitutes) ----------------------- */

#define RX_IP4 "(?:\\d{1,3}\\.){3}\\d{1,3}"
#define RX_IP6 "(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)"
#define RX_IPV4 "(?:::f{4,6}:)?(?P<ip4>" RX_IP4 ")"
#define RX_IPV6 "(?P<ip6>" RX_IP6 ")"
#define RX_DNS "(?P<dns>[\\w\\-.^_]*\\w)"
#define RX_ADDR "\\[?(?:" RX_IPV4 "|" RX_IPV6 ")\\]?"
#define RX_HOST "(?:" RX_ADDR "|" RX_DNS ")"
#define RX_CIDR "(?P<cidr>\\d+)"
#define RX_SUBNET "\\[?(?:" RX_IPV4 "|" RX_IPV6 ")(?:/" RX_CIDR ")?\\]?"

static const struct {
  const char *tag;
  const char *expansion;
} static_tags[] = {
    {"IP4", RX_IPV4},       {"F-IP4/", RX_IPV4},     {"IP6", RX_IPV6},
    {"F-IP6/", RX_IPV6},    {"ADDR", RX_ADDR},       {"F-ADDR/", RX_ADDR},
    {"CIDR", RX_CIDR},      {"F-CIDR/", RX_CIDR},    {"SUBNET", RX_SUBNET},
    {"F-SUBNET/", RX_SUBNET}, {"DNS", RX_DNS},       {"F-DNS/", RX_DNS},
    {"F-ID/", "(?P<fid>\\S+)"}, {"F-PORT/", "(?P<fport>\\w+)"},
};

/* Groups that identify a failure, in getFailID's order, and with the multi-line id. */
static const char *const failure_id_groups[] = {"fid", "ip4", "ip6", "dns", NULL};
static const char *const failure_id_presents[] = {"fid", "ip4", "ip6", "dns", "mlfid", NULL};

/* ---- Python string helpers ------------------------------------------------------- */

/* \w of a Python str pattern */
static gboolean
py_isword(gunichar c)
{
  return c == '_' || g_unichar_isalnum(c);
}

/* ---- tag resolution -------------------------------------------------------------- */

/* Length of a tag "</?[\w\-]+/?>" at S, or 0. */
static gsize
tag_length(const char *s, const char *end)
{
  const char *p = s + 1;
  if (p < end && *p == '/')
    p++;
  const char *name = p;
  while (p < end) {
    gunichar c = g_utf8_get_char(p);
    if (!py_isword(c) && c != '-')
      break;
    p = g_utf8_next_char(p);
  }
  if (p == name)
    return 0;
  if (p < end && *p == '/')
    p++;
  return p < end && *p == '>' ? (gsize)(p + 1 - s) : 0;
}

/* fail2ban's mapTag2Opt: lower case, with id -> fid and port -> fport. */
static char *
map_tag_to_group(const char *name)
{
  char *lower = g_utf8_strdown(name, -1);
  if (strcmp(lower, "id") == 0)
    return (g_free(lower), g_strdup("fid"));
  if (strcmp(lower, "port") == 0)
    return (g_free(lower), g_strdup("fport"));
  return lower;
}

/* "F-NAME" or "/F-NAME" with NAME in [A-Z0-9_-]+: sets *closing, returns NAME. */
static const char *
custom_tag_name(const char *tn, gboolean *closing)
{
  *closing = *tn == '/';
  const char *p = tn + (*closing ? 1 : 0);
  if (strncmp(p, "F-", 2) != 0 || !p[2])
    return NULL;
  for (const char *q = p + 2; *q; q++)
    if (!g_ascii_isupper(*q) && !g_ascii_isdigit(*q) && *q != '_' && *q != '-')
      return NULL;
  return p + 2;
}

static void
substitute_tag(GString *out, const char *tag, gsize len, F2bFailRegexFlags flags,
               GHashTable *open_tags, guint *skiplines)
{
  g_autofree char *tn = g_strndup(tag + 1, len - 2);
  if (strcmp(tn, "HOST") == 0) {
    g_string_append(out, (flags & F2B_FAILREGEX_USEDNS_NO) ? RX_ADDR : RX_HOST);
    return;
  }
  if (strcmp(tn, "SKIPLINES") == 0) {
    g_string_append_printf(out, "\\n(?P<skiplines%u>(?:(?:.*\\n)*?))", (*skiplines)++);
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(static_tags); i++)
    if (strcmp(tn, static_tags[i].tag) == 0) {
      g_string_append(out, static_tags[i].expansion);
      return;
    }
  gboolean closing;
  const char *name = custom_tag_name(tn, &closing);
  if (!name)
    g_string_append_len(out, tag, (gssize)len);
  else if (closing)
    g_string_append_len(out, g_hash_table_contains(open_tags, name) ? ")" : tag,
                        g_hash_table_contains(open_tags, name) ? 1 : (gssize)len);
  else {
    g_hash_table_add(open_tags, g_strdup(name));
    g_autofree char *group = map_tag_to_group(name);
    g_string_append_printf(out, "(?P<%s>", group);
  }
}

char *
f2b_failregex_resolve_tags(const char *regex, F2bFailRegexFlags flags)
{
  g_return_val_if_fail(regex != NULL, NULL);
  g_autoptr(GHashTable) open_tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GString *out = g_string_sized_new(strlen(regex) * 2);
  guint skiplines = 0;
  const char *end = regex + strlen(regex);
  for (const char *p = regex; p < end;) {
    gsize n = *p == '<' ? tag_length(p, end) : 0;
    if (n) {
      substitute_tag(out, p, n, flags, open_tags, &skiplines);
      p += n;
    } else
      g_string_append_c(out, *p++);
  }
  return g_string_free(out, FALSE);
}

/* fail2ban rewrites "((?i)x)" and "(?:(?i)x)" (not after a backslash) to "(?i:x)". */
static char *
global_to_local_flags(const char *s)
{
  GString *out = g_string_new(NULL);
  gsize len = strlen(s);
  for (gsize i = 0; i < len;) {
    if (s[i] == '(' && (i == 0 || s[i - 1] != '\\')) {
      gsize j = i + 1;
      if (strncmp(s + j, "?:", 2) == 0)
        j += 2;
      if (strncmp(s + j, "(?", 2) == 0 && g_ascii_islower(s[j + 2])) {
        gsize k = j + 2;
        while (g_ascii_islower(s[k]))
          k++;
        if (s[k] == ')') {
          g_string_append_len(out, s + j, (gssize)(k - j));
          g_string_append_c(out, ':');
          i = k + 1;
          continue;
        }
      }
    }
    g_string_append_c(out, s[i++]);
  }
  return g_string_free(out, FALSE);
}

/* ---- compiled regex ---------------------------------------------------------------- */

typedef struct {
  guint group;  /* the alt_* / tuple_* group */
  char *target; /* the merged name */
} CompoundName;

/* Another code of a regex for some subjects, compiled on first use: each code has
 * its own JIT state. */
typedef struct {
  pcre2_code *code; /* NULL: none (the regex's own code serves) */
  F2bLazyJit lazy;
  gboolean tried;
} CodeVariant;

typedef pcre2_code *(*VariantCompile)(const F2bPyre *re, const char *source, guint32 options,
                                      GError **error);

struct F2bRegex {
  char *regex; /* getRegex() */
  F2bPyre *pyre;
  pcre2_code *code;
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  F2bLazyJit lazy; /* JIT code once the regex is busy, with its own JIT stack */
  CodeVariant ascii;   /* for pure-ASCII subjects (see f2b_pyre_compile_for_ascii) */
  CodeVariant tail;    /* the same with the tail elided (f2b_pyre_compile_tail_for_ascii) */
  gboolean multiline;
  GArray *alt, *tuple; /* CompoundName, sorted as fail2ban sorts them */
  const char **names;  /* named groups in order, NULL-terminated */
  guint *name_groups;  /* their group numbers */
  guint n_names;
  GArray *skip_groups; /* guint: the groups skiplines0, skiplines1, ... */
  char *required;      /* a literal every match contains (NULL: none known) */
  gsize required_len;
  gsize required_probe; /* the index of its least common byte, searched first */
  char *anchor;         /* a literal every match starts with at offset 0 (NULL: none) */
  gsize anchor_len;
  GPtrArray *anchor_alts; /* GBytes: literals one of which every match starts with at
                           * offset 0 (NULL: none known; see find_anchored_literal) */
  guint8 *first_bytes;  /* a 256-bit map of the bytes a match can start with at offset 0,
                         * the only place it can start (NULL: not known) */
  F2bRegexMatch *spare; /* the last match freed, for the next search (see match_alloc) */
};

static void
compound_name_clear(gpointer p)
{
  g_free(((CompoundName *)p)->target);
}

static gint
compound_name_cmp(gconstpointer a, gconstpointer b, gpointer user)
{
  const F2bRegex *re = user;
  const CompoundName *x = a, *y = b;
  int c = strcmp(re->pyre->group_names[x->group], re->pyre->group_names[y->group]);
  return c ? c : strcmp(x->target, y->target);
}

/* COMPLNAME_CRE: "alt_NAME" / "tuple_NAME" with an optional "_<digits>" suffix. */
static char *
compound_target(const char *k, gboolean *is_alt)
{
  const char *rest;
  if (g_str_has_prefix(k, "alt_"))
    rest = k + 4, *is_alt = TRUE;
  else if (g_str_has_prefix(k, "tuple_"))
    rest = k + 6, *is_alt = FALSE;
  else
    return NULL;
  const char *end = rest + strlen(rest), *p = end;
  while (p > rest) {
    const char *prev = g_utf8_prev_char(p);
    if (!g_unichar_isdigit(g_utf8_get_char(prev)))
      break;
    p = prev;
  }
  if (p < end && p > rest && p[-1] == '_')
    end = p - 1;
  g_autofree char *name = g_strndup(rest, (gsize)(end - rest));
  return map_tag_to_group(name);
}

static void
collect_names(F2bRegex *re)
{
  GPtrArray *names = g_ptr_array_new();
  GArray *numbers = g_array_new(FALSE, FALSE, sizeof(guint));
  re->alt = g_array_new(FALSE, FALSE, sizeof(CompoundName));
  re->tuple = g_array_new(FALSE, FALSE, sizeof(CompoundName));
  g_array_set_clear_func(re->alt, compound_name_clear);
  g_array_set_clear_func(re->tuple, compound_name_clear);
  for (guint g = 1; g <= re->pyre->n_groups; g++) {
    const char *k = re->pyre->group_names[g];
    if (!k)
      continue;
    g_ptr_array_add(names, (gpointer)k);
    g_array_append_val(numbers, g);
    gboolean is_alt;
    char *target = g_utf8_strlen(k, -1) > 4 ? compound_target(k, &is_alt) : NULL;
    if (target) {
      CompoundName c = {g, target};
      g_array_append_val(is_alt ? re->alt : re->tuple, c);
    }
  }
  g_ptr_array_add(names, NULL);
  re->names = (const char **)g_ptr_array_free(names, FALSE);
  re->n_names = numbers->len;
  re->name_groups = (guint *)(void *)g_array_free(numbers, FALSE);
  /* <SKIPLINES> groups, looked up once rather than on every match */
  re->skip_groups = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint n = 0;; n++) {
    g_autofree char *name = g_strdup_printf("skiplines%u", n);
    guint g = 0;
    for (guint k = 1; k <= re->pyre->n_groups && !g; k++)
      if (re->pyre->group_names[k] && strcmp(re->pyre->group_names[k], name) == 0)
        g = k;
    if (!g)
      break;
    g_array_append_val(re->skip_groups, g);
  }
  g_array_sort_with_data(re->alt, compound_name_cmp, re);
  g_array_sort_with_data(re->tuple, compound_name_cmp, re);
}

/* ---- required literal (a prefilter) --------------------------------------------------
 *
 * Most lines match none of a filter's regexes, and most regexes spell out some
 * words. A regex whose every match must contain a literal text cannot match a
 * buffer without it, and memmem() answers that far faster than a call into
 * PCRE2. The literal is taken from the regex (Python syntax) conservatively:
 * only characters at the top level of the pattern (outside any group, class or
 * alternation, not made optional or repeated by a quantifier) count, and a
 * pattern with case-insensitive or verbose flags, or a top-level "|", has none. */

/* The end of the character class starting at S[I] == '[', or the length of S. */
static gsize
skip_class(const char *s, gsize i)
{
  gsize n = strlen(s);
  i++;
  if (i < n && s[i] == '^')
    i++;
  if (i < n && s[i] == ']')
    i++;
  while (i < n && s[i] != ']')
    i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
  return i < n ? i + 1 : n;
}

/* The end of the group starting at S[I] == '(', or the length of S. */
static gsize
skip_group(const char *s, gsize i)
{
  gsize n = strlen(s);
  guint depth = 0;
  while (i < n) {
    char c = s[i];
    if (c == '\\')
      i += i + 1 < n ? 2 : 1;
    else if (c == '[')
      i = skip_class(s, i);
    else {
      i++;
      if (c == '(')
        depth++;
      else if (c == ')' && --depth == 0)
        return i;
    }
  }
  return n;
}

/* The end of the escape at S[I] == '\\' that is not a literal character: \d, \b,
 * \xhh, \uhhhh, \Uhhhhhhhh, \0oo, \12 ... (what follows it is not part of it). */
static gsize
skip_escape(const char *s, gsize i)
{
  gsize n = strlen(s), extra = 0;
  if (i + 1 >= n)
    return n;
  char c = s[i + 1];
  i += 2;
  if (c == 'x')
    extra = 2;
  else if (c == 'u')
    extra = 4;
  else if (c == 'U')
    extra = 8;
  else if (g_ascii_isdigit(c))
    extra = 2;
  else if (c == 'N' && i < n && s[i] == '{') {
    const char *close = strchr(s + i, '}');
    return close ? (gsize)(close - s) + 1 : n;
  }
  while (extra-- > 0 && i < n && g_ascii_isxdigit(s[i]))
    i++;
  return i;
}

static gboolean
is_quantifier_at(const char *s, gsize i)
{
  return s[i] == '*' || s[i] == '+' || s[i] == '?' || s[i] == '{';
}

/* TRUE when REGEX sets the i or x flag anywhere ("(?i)", "(?ix:", "(?-i:"...). */
static gboolean
has_case_or_verbose_flag(const char *regex)
{
  for (const char *p = strstr(regex, "(?"); p; p = strstr(p + 2, "(?")) {
    if (p > regex && p[-1] == '\\')
      continue;
    for (const char *q = p + 2; *q && strchr("aiLmsux-", *q); q++)
      if (*q == 'i' || *q == 'x')
        return TRUE;
  }
  return FALSE;
}

/* A guess at the byte of S that log text holds least often: memchr() for it
 * stops at fewer false candidates. */
static gsize
rare_byte_index(const char *s, gsize len)
{
  /* most common first: log lines are full of spaces, digits and separators */
  static const char common[] = " 0123456789.:-=/etaoinsrhldcumfpgwybvk";
  gsize best = 0, best_rank = 0;
  for (gsize i = 0; i < len; i++) {
    const char *c = memchr(common, s[i], sizeof common - 1);
    /* later in COMMON is rarer; absent from it, rarest */
    gsize rank = c ? (gsize)(c - common) + 1 : sizeof common + 1;
    if (rank > best_rank)
      best = i, best_rank = rank;
  }
  return best;
}

/* memmem() for short needles in short lines (glibc's sets up tables per call). */
static gboolean
contains_required(const F2bRegex *re, const char *buf, gsize len)
{
  gsize k = re->required_probe, n = re->required_len;
  if (len < n)
    return FALSE;
  const char *p = buf + k, *last = buf + (len - n) + k;
  char c = re->required[k];
  while (p <= last && (p = memchr(p, c, (gsize)(last - p) + 1)) != NULL) {
    if (memcmp(p - k, re->required, n) == 0)
      return TRUE;
    p++;
  }
  return FALSE;
}

static void
find_required_literal(F2bRegex *re)
{
  const char *s = re->regex;
  if (has_case_or_verbose_flag(s))
    return;
  g_autoptr(GString) run = g_string_new(NULL), best = g_string_new(NULL);
  gsize n = strlen(s), i = 0;
  while (i <= n) {
    gsize lit_start = i, lit_end = 0;
    if (i < n && s[i] == '\\' && i + 1 < n &&
        (g_ascii_ispunct(s[i + 1]) || (guchar)s[i + 1] >= 0x80))
      lit_start = i + 1, lit_end = i + 1 + (gsize)(g_utf8_next_char(s + i + 1) - (s + i + 1));
    else if (i < n && !strchr("\\.^$*+?{}[]()|", s[i]))
      lit_end = i + (gsize)(g_utf8_next_char(s + i) - (s + i));
    if (lit_end && !(lit_end < n && is_quantifier_at(s, lit_end))) {
      g_string_append_len(run, s + lit_start, (gssize)(lit_end - lit_start));
      i = lit_end;
      continue;
    }
    /* the run ends here: keep the longest */
    if (run->len > best->len)
      g_string_assign(best, run->str);
    g_string_truncate(run, 0);
    if (i >= n)
      break;
    if (s[i] == '|')
      return; /* a top-level alternation: no literal is required */
    if (s[i] == '(')
      i = skip_group(s, i);
    else if (s[i] == '[')
      i = skip_class(s, i);
    else if (s[i] == '\\')
      i = skip_escape(s, i);
    else if (s[i] == '{') {
      /* a {m,n} quantifier (or a literal brace: skipping it only loses text) */
      const char *close = strchr(s + i, '}');
      i = close ? (gsize)(close - s) + 1 : n;
    } else
      i = lit_end ? lit_end : i + 1; /* a quantified literal, or . ^ $ * + ? } */
  }
  if (best->len >= 2) {
    re->required_probe = rare_byte_index(best->str, best->len);
    re->required_len = best->len;
    re->required = g_string_free(g_steal_pointer(&best), FALSE);
  }
}

/* ---- anchored literal (a cheaper prefilter) ------------------------------------------
 *
 * Most failregexes start with "^" and a word ("^Failed ", "^<F-NOFAIL>Connection
 * from"): without the multi-line flag such a regex can only match a buffer that
 * starts with that text, which one memcmp() at offset 0 tells, instead of a scan
 * for the required literal and a call into PCRE2.  The text is read from the
 * regex conservatively: after the "^", plain groups at the start are entered when
 * they hold no "|" and carry no quantifier, then literal characters are taken up
 * to the first one that is not (or that a quantifier follows).  A first group
 * that holds a "|" gives each branch's leading text instead (anchor_alts). */

/* The index of the first "|" of S[FROM..TO) outside any group or class, or TO. */
static gsize
next_alternation(const char *s, gsize from, gsize to)
{
  gsize i = from;
  while (i < to && s[i] != '|') {
    if (s[i] == '(')
      i = skip_group(s, i);
    else if (s[i] == '[')
      i = skip_class(s, i);
    else if (s[i] == '\\')
      i += 2;
    else
      i++;
  }
  return MIN(i, to);
}

/* TRUE when S[FROM..TO) holds a "|" outside any group or class. */
static gboolean
has_alternation(const char *s, gsize from, gsize to)
{
  return next_alternation(s, from, to) < to;
}

/* The length of the opener of a plain group at S[I] == '(' ("(", "(?:",
 * "(?P<name>"), or 0 for any other kind (look-around, conditional, flags...). */
static gsize
group_opener_len(const char *s, gsize i)
{
  if (s[i + 1] != '?')
    return 1;
  if (s[i + 2] == ':')
    return 3;
  if (s[i + 2] == 'P' && s[i + 3] == '<') {
    const char *close = strchr(s + i + 4, '>');
    return close ? (gsize)(close - (s + i)) + 1 : 0;
  }
  return 0;
}

/* TRUE when REGEX sets any of FLAGS anywhere ("(?m)", "(?im:", ...). */
static gboolean
has_flag(const char *regex, const char *flags)
{
  for (const char *p = strstr(regex, "(?"); p; p = strstr(p + 2, "(?")) {
    for (const char *q = p + 2; *q && strchr("aiLmsux-", *q); q++)
      if (strchr(flags, *q))
        return TRUE;
  }
  return FALSE;
}

/* The literal text at S[*I..END) (Python syntax: escaped punctuation is literal),
 * up to the first character that is not literal or that a quantifier follows,
 * appended to LIT; *I moves past it. */
static void
literal_prefix(const char *s, gsize *i, gsize end, GString *lit)
{
  while (*i < end) {
    gsize at = *i, lit_start = at, lit_end = 0;
    if (s[at] == '\\' && at + 1 < end && (g_ascii_ispunct(s[at + 1]) || (guchar)s[at + 1] >= 0x80))
      lit_start = at + 1, lit_end = at + 1 + (gsize)(g_utf8_next_char(s + at + 1) - (s + at + 1));
    else if (!strchr("\\.^$*+?{}[]()|", s[at]))
      lit_end = at + (gsize)(g_utf8_next_char(s + at) - (s + at));
    if (!lit_end || lit_end > end || (lit_end < end && is_quantifier_at(s, lit_end)))
      return;
    g_string_append_len(lit, s + lit_start, (gssize)(lit_end - lit_start));
    *i = lit_end;
  }
}

/* At most this many alternatives are kept (see anchored_alternatives). */
#define ANCHOR_ALTS_MAX 8

/* The branches of the group body S[FROM..TO), which holds a top-level "|": when
 * each starts with literal text, those texts are the ones a match of the group
 * starts with ("(Connection (?:closed|reset)|Disconnected)" gives "Connection "
 * and "Disconnected").  NULL when a branch has none, or when there are too many. */
static GPtrArray *
anchored_alternatives(const char *s, gsize from, gsize to)
{
  g_autoptr(GPtrArray) alts = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  gsize b = from;
  while (b <= to) {
    gsize e = next_alternation(s, b, to); /* the branch's end */
    g_autoptr(GString) lit = g_string_new(NULL);
    gsize i = b;
    literal_prefix(s, &i, e, lit);
    if (lit->len == 0 || alts->len == ANCHOR_ALTS_MAX)
      return NULL;
    g_ptr_array_add(alts, g_bytes_new(lit->str, lit->len));
    b = e + 1;
  }
  return g_steal_pointer(&alts);
}

static void
find_anchored_literal(F2bRegex *re)
{
  const char *s = re->regex;
  gsize n = strlen(s), i = 1;
  if (s[0] != '^' || has_flag(s, "imx") || has_alternation(s, 0, n))
    return;
  while (i < n && s[i] == '(') {
    gsize open = group_opener_len(s, i), end = skip_group(s, i);
    if (open == 0 || end > n || (end < n && is_quantifier_at(s, end)))
      return;
    if (has_alternation(s, i + open, end - 1)) {
      /* a group of alternatives first: one of their leading texts starts a match */
      re->anchor_alts = anchored_alternatives(s, i + open, end - 1);
      return;
    }
    i += open;
  }
  g_autoptr(GString) lit = g_string_new(NULL);
  literal_prefix(s, &i, n, lit);
  if (lit->len == 0)
    return;
  re->anchor_len = lit->len;
  re->anchor = g_string_free(g_steal_pointer(&lit), FALSE);
}

/* FALSE when BUF cannot start with any of RE's anchored alternatives. */
static gboolean
starts_with_an_alternative(const F2bRegex *re, const char *buf, gsize len)
{
  for (guint k = 0; k < re->anchor_alts->len; k++) {
    gsize alen;
    const char *a = g_bytes_get_data(re->anchor_alts->pdata[k], &alen);
    if (len >= alen && memcmp(buf, a, alen) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ---- first byte (a prefilter for every anchored regex) ---------------------------------
 *
 * PCRE2 works out, for most patterns, which code units a match can start with (one
 * fixed unit, or a 256-bit map of them) and skips start positions with it.  A regex
 * that PCRE2 anchors itself (every top-level branch starts with "^", no multi-line
 * flag) has a single start position, offset 0: a buffer whose first byte is not in
 * that set cannot match, which a bit test tells without a call into PCRE2.  That
 * covers the regexes find_anchored_literal gives up on ("^[iI]nvalid",
 * "^(?:Connection|Disconnected)").  PCRE2 does not publish whether a fixed unit is
 * caseless: both ASCII cases are let through, a superset of what it accepts. */
static void
find_first_bytes(F2bRegex *re)
{
  guint32 options = 0, type = 0;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &options) != 0 ||
      !(options & PCRE2_ANCHORED) || (options & PCRE2_MULTILINE))
    return;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0)
    return;
  if (type == 1) {
    guint32 unit = 0;
    if (pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0 || unit > 0xff)
      return;
    re->first_bytes = g_new0(guint8, 32);
    guint8 cases[] = {(guint8) unit, (guint8) g_ascii_tolower((gchar) unit),
                      (guint8) g_ascii_toupper((gchar) unit)};
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
      re->first_bytes[cases[i] >> 3] |= (guint8) (1u << (cases[i] & 7));
    return;
  }
  const guint8 *map = NULL;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTBITMAP, &map) == 0 && map)
    re->first_bytes = g_memdup2(map, 32);
}

const char *
f2b_failregex_get_anchor_alternative(const F2bRegex *re, guint index, gsize *len)
{
  *len = 0;
  if (!re->anchor_alts || index >= re->anchor_alts->len)
    return NULL;
  return g_bytes_get_data(re->anchor_alts->pdata[index], len);
}

gboolean
f2b_failregex_first_byte_possible(const F2bRegex *re, guchar c)
{
  if (re->anchor && (guchar) re->anchor[0] != c)
    return FALSE;
  return re->first_bytes == NULL || ((re->first_bytes[c >> 3] >> (c & 7)) & 1);
}

static void
set_compile_error(GError **error, const char *regex, const char *detail)
{
  g_set_error(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_COMPILE,
              "Unable to compile regular expression '%s':\n%s", regex, detail);
}

static gboolean
compile_pcre2(F2bRegex *re, GError **error)
{
  guint32 options = PCRE2_ALT_CIRCUMFLEX | (re->multiline ? PCRE2_MULTILINE : 0);
  g_autoptr(GError) pcre2_error = NULL;
  re->code = f2b_pyre_compile_nojit(re->pyre, re->regex, options, &pcre2_error);
  if (!re->code) {
    set_compile_error(error, re->regex, pcre2_error->message);
    return FALSE;
  }
  f2b_pyre_drop_offsets(re->pyre);
  re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  re->mctx = pcre2_match_context_create(NULL);
  f2b_lazyjit_init(&re->lazy, 4 * 1024 * 1024);
  f2b_lazyjit_init(&re->ascii.lazy, 4 * 1024 * 1024);
  f2b_lazyjit_init(&re->tail.lazy, 4 * 1024 * 1024);
  f2b_failregex_set_match_limit(re, 0);
  return TRUE;
}

static gboolean
is_blank(const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char(p))
    if (!f2b_pystr_isspace(g_utf8_get_char(p)))
      return FALSE;
  return TRUE;
}

F2bRegex *
f2b_failregex_new(const char *regex, F2bFailRegexFlags flags, GError **error)
{
  g_return_val_if_fail(regex != NULL, NULL);
  if (!g_utf8_validate(regex, -1, NULL)) {
    set_compile_error(error, regex, "regex is not valid UTF-8");
    return NULL;
  }
  g_autofree char *resolved = f2b_failregex_resolve_tags(regex, flags);
  if (is_blank(resolved)) {
    g_set_error_literal(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_EMPTY,
                        "Cannot add empty regex");
    return NULL;
  }
  g_autoptr(F2bRegex) re = g_new0(F2bRegex, 1);
  re->regex = global_to_local_flags(resolved);
  re->multiline = (flags & F2B_FAILREGEX_MULTILINE) != 0;
  GError *perr = NULL;
  re->pyre = f2b_pyre_translate(re->regex, &perr);
  if (!re->pyre) {
    set_compile_error(error, re->regex, perr->message);
    g_error_free(perr);
    return NULL;
  }
  if (!compile_pcre2(re, error))
    return NULL;
  collect_names(re);
  find_required_literal(re);
  if (!re->multiline)
    find_anchored_literal(re);
  find_first_bytes(re);
  return g_steal_pointer(&re);
}

static gboolean
has_any_group(const F2bRegex *re, const char *const *groups)
{
  for (const char *const *g = groups; *g; g++)
    if (f2b_failregex_has_group(re, *g))
      return TRUE;
  return FALSE;
}

F2bRegex *
f2b_failregex_new_fail(const char *regex, const F2bRegex *prefregex, F2bFailRegexFlags flags,
                       GError **error)
{
  g_autoptr(F2bRegex) re = f2b_failregex_new(regex, flags, error);
  if (!re)
    return NULL;
  if (!has_any_group(re, failure_id_presents) &&
      (!prefregex || !has_any_group(prefregex, failure_id_presents))) {
    g_set_error(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID,
                "No failure-id group in '%s'", re->regex);
    return NULL;
  }
  return g_steal_pointer(&re);
}

void
f2b_failregex_free(F2bRegex *re)
{
  if (!re)
    return;
  g_free(re->regex);
  f2b_pyre_free(re->pyre);
  pcre2_match_data_free(re->md);
  pcre2_match_context_free(re->mctx);
  f2b_lazyjit_clear(&re->lazy);
  f2b_lazyjit_clear(&re->ascii.lazy);
  f2b_lazyjit_clear(&re->tail.lazy);
  pcre2_code_free(re->code);
  pcre2_code_free(re->ascii.code);
  pcre2_code_free(re->tail.code);
  if (re->alt)
    g_array_unref(re->alt);
  if (re->tuple)
    g_array_unref(re->tuple);
  g_free(re->names);
  g_free(re->name_groups);
  if (re->skip_groups)
    g_array_unref(re->skip_groups);
  g_free(re->required);
  g_free(re->anchor);
  if (re->anchor_alts)
    g_ptr_array_unref(re->anchor_alts);
  g_free(re->first_bytes);
  g_free(re->spare);
  g_free(re);
}

const char *
f2b_failregex_get_regex(const F2bRegex *re)
{
  return re->regex;
}

const char *
f2b_failregex_get_pcre2_pattern(const F2bRegex *re)
{
  return re->pyre->pattern;
}

static guint
group_number(const F2bRegex *re, const char *name)
{
  for (guint g = 1; g <= re->pyre->n_groups; g++)
    if (re->pyre->group_names[g] && strcmp(re->pyre->group_names[g], name) == 0)
      return g;
  return 0;
}

const char *
f2b_failregex_get_anchor(const F2bRegex *re, gsize *len)
{
  *len = re->anchor_len;
  return re->anchor;
}

gboolean
f2b_failregex_has_merged_groups(const F2bRegex *re)
{
  return (re->alt && re->alt->len) || (re->tuple && re->tuple->len);
}

gboolean
f2b_failregex_has_group(const F2bRegex *re, const char *name)
{
  return group_number(re, name) != 0;
}

const char *const *
f2b_failregex_group_names(const F2bRegex *re)
{
  return re->names;
}

void
f2b_failregex_set_match_limit(F2bRegex *re, guint32 limit)
{
  limit = limit ? limit : F2B_FAILREGEX_DEFAULT_MATCH_LIMIT;
  pcre2_set_match_limit(re->mctx, limit);
  pcre2_set_depth_limit(re->mctx, limit);
}

GString *
f2b_failregex_lines_buffer(const F2bRegexLine *lines, gsize n_lines)
{
  GString *buf = g_string_new(NULL);
  for (gsize i = 0; i < n_lines; i++) {
    if (i)
      g_string_append_c(buf, '\n');
    g_string_append_len(buf, lines[i].prefix, (gssize)lines[i].prefix_len);
    g_string_append_len(buf, lines[i].rest, (gssize)lines[i].rest_len);
  }
  g_string_append_c(buf, '\n');
  return buf;
}

/* ---- matching ---------------------------------------------------------------------- */

/* A match is one allocation (the struct, the ovector, the subject) plus, only
 * when needed, the arrays below: most matches are of a one-line buffer without
 * <SKIPLINES>, whose line bookkeeping is trivial. */
struct F2bRegexMatch {
  const F2bRegex *re;
  char *subject; /* in the same allocation, after ov; or the caller's (borrowed, read only) */
  gsize len;
  gsize *ov; /* start/end per group, G_MAXSIZE when unset */
  GArray *groups;
  GArray *matched, *unmatched; /* gsize indices into the org lines; NULL: n_simple */
  gsize n_simple;              /* with matched NULL: lines 0..n_simple-1 matched, none not */
  GString *skipped_text;       /* NULL until computed */
  GArray *skipped;             /* F2bRegexSpan into skipped_text */
  gsize cap;                   /* bytes of room after the struct */
};

/* A spare match bigger than this is freed, not kept: a regex keeps at most one. */
#define MATCH_SPARE_MAX_CAP 4096

/* A match block with NEED bytes after the struct, zeroed but for those: the
 * regex's spare when it is big enough (most searches of a regex need the same
 * room), else a new one. */
static F2bRegexMatch *
match_alloc(F2bRegex *re, gsize need)
{
  F2bRegexMatch *m = g_steal_pointer(&re->spare);
  if (m == NULL || m->cap < need) {
    g_free(m);
    g_return_val_if_fail(need < G_MAXSIZE - sizeof(F2bRegexMatch), NULL);
    m = g_malloc(sizeof(F2bRegexMatch) + need);
    m->cap = need;
  }
  gsize cap = m->cap;
  memset(m, 0, sizeof(F2bRegexMatch));
  m->cap = cap;
  return m;
}

static const gsize simple_indices[1] = {0};

static gboolean
group_span(const F2bRegexMatch *m, guint g, F2bRegexSpan *span)
{
  if (g == 0 || m->ov[2 * g] == G_MAXSIZE)
    return FALSE;
  span->ptr = m->subject + m->ov[2 * g];
  span->len = m->ov[2 * g + 1] - m->ov[2 * g];
  return TRUE;
}

gboolean
f2b_regex_match_group(const F2bRegexMatch *m, const char *name, F2bRegexSpan *value)
{
  F2bRegexSpan s = {NULL, 0};
  gboolean ok = group_span(m, group_number(m->re, name), &s);
  if (value)
    *value = s;
  return ok;
}

gboolean
f2b_regex_match_group_nth(const F2bRegexMatch *m, guint i, F2bRegexSpan *value)
{
  F2bRegexSpan s = {NULL, 0};
  gboolean ok = i < m->re->n_names && group_span(m, m->re->name_groups[i], &s);
  if (value)
    *value = s;
  return ok;
}

/* Python's str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029.
 * Returns the length of the boundary at P, 0 if none. */
static gsize
line_boundary(const char *p, const char *end)
{
  guchar c = (guchar)*p;
  if (c == '\r')
    return (p + 1 < end && p[1] == '\n') ? 2 : 1;
  if (c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e))
    return 1;
  if (c == 0xc2 && p + 1 < end && (guchar)p[1] == 0x85)
    return 2;
  if (c == 0xe2 && p + 2 < end && (guchar)p[1] == 0x80 && ((guchar)p[2] == 0xa8 || (guchar)p[2] == 0xa9))
    return 3;
  return 0;
}

static void
compute_skipped(F2bRegexMatch *m)
{
  m->skipped_text = g_string_new(NULL);
  m->skipped = g_array_new(FALSE, FALSE, sizeof(F2bRegexSpan));
  for (guint n = 0; n < m->re->skip_groups->len; n++) {
    guint g = g_array_index(m->re->skip_groups, guint, n);
    F2bRegexSpan s;
    if (group_span(m, g, &s))
      g_string_append_len(m->skipped_text, s.ptr, (gssize)s.len);
  }
  const char *text = m->skipped_text->str, *end = text + m->skipped_text->len;
  const char *line = text;
  for (const char *p = text; p < end;) {
    gsize b = line_boundary(p, end);
    if (!b) {
      p++;
      continue;
    }
    F2bRegexSpan s = {line, (gsize)(p - line)};
    g_array_append_val(m->skipped, s);
    p += b;
    line = p;
  }
  if (line < end) {
    F2bRegexSpan s = {line, (gsize)(end - line)};
    g_array_append_val(m->skipped, s);
  }
}

static gboolean
line_text_equals(const F2bRegexLine *l, const F2bRegexSpan *s)
{
  return l->prefix_len + l->rest_len == s->len && memcmp(l->prefix, s->ptr, l->prefix_len) == 0 &&
         memcmp(l->rest, s->ptr + l->prefix_len, l->rest_len) == 0;
}

static gsize
count_newlines(const char *s, gsize len)
{
  gsize n = 0;
  for (const char *p = s; (p = memchr(p, '\n', len - (gsize)(p - s))); p++)
    n++;
  return n;
}

static void
append_range(GArray *a, gsize from, gsize to)
{
  for (gsize i = from; i < to; i++)
    g_array_append_val(a, i);
}

/* Regex.search's bookkeeping of which original lines the match covers. */
static void
compute_lines(F2bRegexMatch *m, const F2bRegexLine *org, gsize n_org)
{
  if (n_org <= 1) {
    m->n_simple = n_org;
    return;
  }
  m->matched = g_array_new(FALSE, FALSE, sizeof(gsize));
  m->unmatched = g_array_new(FALSE, FALSE, sizeof(gsize));
  compute_skipped(m);
  const char *s = m->subject;
  gsize start = m->ov[0], end = m->ov[1];
  gsize line_start = 0;
  for (gsize i = MIN(start + 1, m->len); i > 0; i--)
    if (s[i - 1] == '\n') {
      line_start = i;
      break;
    }
  /* Python's index("\n", end - 1): a start of -1 counts from the end. */
  gsize from = end ? end - 1 : (m->len ? m->len - 1 : 0);
  const char *nl = from < m->len ? memchr(s + from, '\n', m->len - from) : NULL;
  gsize line_end = nl ? (gsize)(nl - s) + 1 : m->len;
  gsize lc1 = MIN(count_newlines(s, line_start), n_org);
  gsize lc2 = MIN(count_newlines(s, line_end), n_org);
  append_range(m->matched, lc1, MAX(lc1, lc2));
  append_range(m->unmatched, 0, lc1);
  gsize n = 0;
  for (guint k = 0; k < m->skipped->len; k++) {
    const F2bRegexSpan *sk = &g_array_index(m->skipped, F2bRegexSpan, k);
    for (gsize j = n; j < m->matched->len; j++) {
      gsize idx = g_array_index(m->matched, gsize, j);
      if (line_text_equals(&org[idx], sk)) {
        g_array_append_val(m->unmatched, idx);
        g_array_remove_index(m->matched, (guint)j);
        n = j;
        break;
      }
    }
  }
  append_range(m->unmatched, lc2, n_org);
}

static gboolean
is_limit_error(int rc)
{
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* Variant V of RE, compiled by COMPILE on first use; NULL when RE has none. */
static CodeVariant *
variant(F2bRegex *re, CodeVariant *v, VariantCompile compile)
{
  if (!v->tried) {
    v->tried = TRUE;
    guint32 options = PCRE2_ALT_CIRCUMFLEX | (re->multiline ? PCRE2_MULTILINE : 0);
    v->code = compile(re->pyre, re->regex, options, NULL);
  }
  return v->code ? v : NULL;
}

F2bRegexMatch *
f2b_failregex_search(F2bRegex *re, const char *buf, gsize len, const F2bRegexLine *org_lines,
                     gsize n_org, GError **error)
{
  return f2b_failregex_search_full(re, buf, len, FALSE, org_lines, n_org, error);
}

static F2bRegexMatch *
search(F2bRegex *re, const char *buf, gsize len, gboolean subject_ascii,
       const F2bRegexLine *org_lines, gsize n_org, gboolean borrow, GError **error)
{
  g_return_val_if_fail(re != NULL && (buf != NULL || len == 0), NULL);
  if (re->anchor && (len < re->anchor_len || memcmp(buf, re->anchor, re->anchor_len) != 0))
    return NULL; /* cannot match (see find_anchored_literal) */
  if (re->anchor_alts && !starts_with_an_alternative(re, buf, len))
    return NULL; /* the same with alternatives */
  if (len > 0 && !f2b_failregex_first_byte_possible(re, (guchar) buf[0]))
    return NULL; /* cannot match (see find_first_bytes) */
  if (re->required && !contains_required(re, buf, len))
    return NULL; /* cannot match (see find_required_literal) */
  PCRE2_SPTR subject = (PCRE2_SPTR)(buf ? buf : "");
  pcre2_code *code = re->code;
  F2bLazyJit *lazy = &re->lazy;
  CodeVariant *v = NULL;
  gboolean tail = FALSE;
  if (subject_ascii && re->pyre->tail_group && f2b_pyre_tail_applies(buf, len) &&
      (v = variant(re, &re->tail, f2b_pyre_compile_tail_for_ascii)))
    tail = TRUE; /* the usual prefregex: spares the walk of ".+" to the end */
  else if (subject_ascii)
    v = variant(re, &re->ascii, f2b_pyre_compile_for_ascii);
  if (v) {
    code = v->code;
    lazy = &v->lazy;
  }
  /* the pattern has PCRE2_MATCH_INVALID_UTF: its JIT code copes with any bytes.
   * The lazy states assign their JIT stack to the one match context when they
   * compile; any stack serves any code (same size), all live as long as RE. */
  int rc = f2b_lazyjit_match(lazy, code, subject, len, 0, re->md, re->mctx);
  if (rc == PCRE2_ERROR_NOMATCH)
    return NULL;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    g_set_error(error, F2B_FAILREGEX_ERROR,
                is_limit_error(rc) ? F2B_FAILREGEX_ERROR_LIMIT : F2B_FAILREGEX_ERROR_MATCH,
                "regex '%s' stopped: %s", re->regex, (char *)msg);
    return NULL;
  }
  guint n = re->pyre->n_groups + 1;
  gsize copy = borrow ? 0 : len + 1;
  F2bRegexMatch *m = match_alloc(re, 2 * n * sizeof(gsize) + copy);
  m->re = re;
  m->len = len;
  m->ov = (gsize *)(void *)(m + 1);
  if (borrow) {
    m->subject = (char *)subject;
  } else {
    m->subject = (char *)(m->ov + 2 * n);
    if (len)
      memcpy(m->subject, buf, len);
    m->subject[len] = '\0';
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
  if (tail) {
    /* the tail group is the last one, and set: the match ends where it does */
    guint g = re->pyre->tail_group;
    ov[2 * g + 1] = ov[1] = f2b_pyre_tail_end(buf, len, ov[2 * g]);
  }
  /* PCRE2_UNSET is G_MAXSIZE: the first RC pairs are copied as they are, the
   * groups past the last one set are unset */
  G_STATIC_ASSERT(sizeof(PCRE2_SIZE) == sizeof(gsize) && PCRE2_UNSET == G_MAXSIZE);
  guint set = MIN((guint)rc, n);
  memcpy(m->ov, ov, 2 * set * sizeof(gsize));
  memset(m->ov + 2 * set, 0xff, 2 * (n - set) * sizeof(gsize));
  compute_lines(m, org_lines, n_org);
  return m;
}

F2bRegexMatch *
f2b_failregex_search_full(F2bRegex *re, const char *buf, gsize len, gboolean subject_ascii,
                          const F2bRegexLine *org_lines, gsize n_org, GError **error)
{
  return search(re, buf, len, subject_ascii, org_lines, n_org, FALSE, error);
}

F2bRegexMatch *
f2b_failregex_search_borrow(F2bRegex *re, const char *buf, gsize len, gboolean subject_ascii,
                            const F2bRegexLine *org_lines, gsize n_org, GError **error)
{
  return search(re, buf, len, subject_ascii, org_lines, n_org, TRUE, error);
}

static void
group_clear(gpointer p)
{
  F2bRegexGroup *g = p;
  if (g->tuple)
    g_array_unref(g->tuple);
}

void
f2b_regex_match_free(F2bRegexMatch *m)
{
  if (!m)
    return;
  if (m->groups)
    g_array_unref(m->groups);
  if (m->matched)
    g_array_unref(m->matched);
  if (m->unmatched)
    g_array_unref(m->unmatched);
  if (m->skipped_text)
    g_string_free(m->skipped_text, TRUE);
  if (m->skipped)
    g_array_unref(m->skipped);
  F2bRegex *re = (F2bRegex *)m->re; /* its spare is a cache, not part of its value */
  if (re->spare == NULL && m->cap <= MATCH_SPARE_MAX_CAP)
    re->spare = m;
  else
    g_free(m);
}

void
f2b_regex_match_bounds(const F2bRegexMatch *m, gsize *start, gsize *end)
{
  *start = m->ov[0];
  *end = m->ov[1];
}

F2bRegexSpan
f2b_regex_match_subject(const F2bRegexMatch *m)
{
  return (F2bRegexSpan){m->subject, m->len};
}

static F2bRegexGroup *
find_group(GArray *groups, const char *name)
{
  for (guint i = 0; i < groups->len; i++) {
    F2bRegexGroup *g = &g_array_index(groups, F2bRegexGroup, i);
    if (strcmp(g->name, name) == 0)
      return g;
  }
  return NULL;
}

static F2bRegexGroup *
find_or_add_group(GArray *groups, const char *name)
{
  F2bRegexGroup *g = find_group(groups, name);
  if (!g) {
    F2bRegexGroup fresh = {name, {NULL, 0}, NULL};
    g_array_append_val(groups, fresh);
    g = &g_array_index(groups, F2bRegexGroup, groups->len - 1);
  }
  return g;
}

/* Python truthiness of a dict value: a non-empty string or a tuple. */
static gboolean
group_truthy(const F2bRegexGroup *g)
{
  return g && (g->tuple || (g->value.ptr && g->value.len));
}

static void
merge_alt(F2bRegexMatch *m)
{
  for (guint i = 0; i < m->re->alt->len; i++) {
    const CompoundName *c = &g_array_index(m->re->alt, CompoundName, i);
    F2bRegexGroup *v = find_group(m->groups, m->re->pyre->group_names[c->group]);
    if (!group_truthy(v) || group_truthy(find_group(m->groups, c->target)))
      continue;
    F2bRegexSpan value = v->value;
    F2bRegexGroup *t = find_or_add_group(m->groups, c->target);
    if (t->tuple)
      g_clear_pointer(&t->tuple, g_array_unref);
    t->value = value;
  }
}

static void
merge_tuple(F2bRegexMatch *m)
{
  for (guint i = 0; i < m->re->tuple->len; i++) {
    const CompoundName *c = &g_array_index(m->re->tuple, CompoundName, i);
    F2bRegexGroup *v = find_group(m->groups, m->re->pyre->group_names[c->group]);
    F2bRegexSpan value = v ? v->value : (F2bRegexSpan){NULL, 0};
    GArray *vt = v && v->tuple ? g_array_ref(v->tuple) : NULL;
    F2bRegexGroup *t = find_or_add_group(m->groups, c->target);
    if (!t->tuple) {
      t->tuple = g_array_new(FALSE, FALSE, sizeof(F2bRegexSpan));
      g_array_append_val(t->tuple, t->value);
      t->value = (F2bRegexSpan){NULL, 0};
    }
    /* A tuple nested in a tuple is flattened to its first item (not seen in practice). */
    if (vt)
      value = vt->len ? g_array_index(vt, F2bRegexSpan, 0) : (F2bRegexSpan){NULL, 0};
    g_array_append_val(t->tuple, value);
    if (vt)
      g_array_unref(vt);
  }
}

const GArray *
f2b_regex_match_groups(F2bRegexMatch *m)
{
  if (m->groups)
    return m->groups;
  const F2bRegex *re = m->re;
  m->groups = g_array_sized_new(FALSE, TRUE, sizeof(F2bRegexGroup), re->n_names + 4);
  g_array_set_clear_func(m->groups, group_clear);
  g_array_set_size(m->groups, re->n_names); /* zero-filled: no value, no tuple */
  F2bRegexGroup *entry = (F2bRegexGroup *)(void *)m->groups->data;
  for (guint i = 0; i < re->n_names; i++) {
    entry[i].name = re->names[i];
    group_span(m, re->name_groups[i], &entry[i].value);
  }
  merge_alt(m);
  merge_tuple(m);
  return m->groups;
}

gboolean
f2b_regex_match_failure_id(const F2bRegexMatch *m, const char *const *groups,
                           F2bRegexSpan *value, const char **group, GError **error)
{
  for (const char *const *g = groups ? groups : failure_id_groups; *g; g++) {
    F2bRegexSpan s;
    if (f2b_regex_match_group(m, *g, &s)) {
      if (value)
        *value = s;
      if (group)
        *group = *g;
      return TRUE;
    }
  }
  GString *msg = g_string_new("No group found in '");
  g_string_append_len(msg, m->subject, (gssize)m->len);
  g_string_append(msg, "' using 're.compile(");
  f2b_py_repr_str_append_cut(msg, m->re->regex, strlen(m->re->regex), 200); /* "%.200R" */
  g_string_append_printf(msg, "%s)'", m->re->multiline ? ", re.MULTILINE" : "");
  g_set_error_literal(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_GROUP, msg->str);
  g_string_free(msg, TRUE);
  return FALSE;
}

gboolean
f2b_regex_match_host(const F2bRegexMatch *m, F2bRegexSpan *value, GError **error)
{
  static const char *const host_groups[] = {"ip4", "ip6", "dns", NULL};
  return f2b_regex_match_failure_id(m, host_groups, value, NULL, error);
}

/* int() of a captured cidr: Unicode decimal digits (what \d captures). */
static gboolean
parse_cidr(const F2bRegexSpan *s, gint64 *cidr)
{
  gint64 v = 0;
  if (!s->len || !g_utf8_validate_len(s->ptr, s->len, NULL))
    return FALSE;
  for (const char *p = s->ptr; p < s->ptr + s->len; p = g_utf8_next_char(p)) {
    int d = g_unichar_digit_value(g_utf8_get_char(p));
    if (d < 0)
      return FALSE;
    v = v > (G_MAXINT64 - d) / 10 ? G_MAXINT64 : v * 10 + d;
  }
  *cidr = v;
  return TRUE;
}

F2bIPAddr *
f2b_regex_match_ip(F2bRegexMatch *m, GError **error)
{
  static const char *const ip_groups[] = {"ip4", "ip6", NULL};
  F2bRegexSpan ip;
  if (!f2b_regex_match_failure_id(m, ip_groups, &ip, NULL, error))
    return NULL;
  gint64 cidr = F2B_IPADDR_CIDR_UNSPEC;
  const GArray *groups = f2b_regex_match_groups(m);
  const F2bRegexGroup *c = find_group((GArray *)groups, "cidr");
  if (c && !c->tuple && c->value.ptr && c->value.len && !parse_cidr(&c->value, &cidr)) {
    GString *msg = g_string_new("invalid literal for int() with base 10: ");
    f2b_py_repr_str_append_cut(msg, c->value.ptr, c->value.len, 200); /* int()'s "%.200R" */
    g_set_error_literal(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_MATCH, msg->str);
    g_string_free(msg, TRUE);
    return NULL;
  }
  return f2b_ipaddr_new(ip.ptr, (gssize)ip.len, cidr, error);
}

const gsize *
f2b_regex_match_matched_lines(const F2bRegexMatch *m, gsize *n)
{
  if (!m->matched) {
    *n = m->n_simple;
    return simple_indices;
  }
  *n = m->matched->len;
  return (const gsize *)(void *)m->matched->data;
}

const gsize *
f2b_regex_match_unmatched_lines(const F2bRegexMatch *m, gsize *n)
{
  if (!m->unmatched) {
    *n = 0;
    return simple_indices;
  }
  *n = m->unmatched->len;
  return (const gsize *)(void *)m->unmatched->data;
}

const GArray *
f2b_regex_match_skipped_lines(const F2bRegexMatch *m)
{
  if (!m->skipped)
    compute_skipped((F2bRegexMatch *)m); /* computed on demand: a cache, not a change */
  return m->skipped;
}

/* ---- hints for "No failure-id group" ----------------------------------------------- */

/* Replaces the LEN bytes at OFFSET of REGEX by WITH. Transfer full. */
static char *
splice(const char *regex, gsize offset, gsize len, const char *with)
{
  GString *s = g_string_new_len(regex, (gssize)offset);
  g_string_append(s, with);
  g_string_append(s, regex + offset + len);
  return g_string_free(s, FALSE);
}

static char *
hint_html_escaped(const char *regex)
{
  if (!strstr(regex, "&lt;") && !strstr(regex, "&gt;"))
    return NULL;
  g_autoptr(GString) fixed = g_string_new(regex);
  g_string_replace(fixed, "&lt;", "<", 0);
  g_string_replace(fixed, "&gt;", ">", 0);
  g_string_replace(fixed, "&amp;", "&", 0);
  return g_strdup_printf("the regex holds HTML escapes (&lt; &gt;), probably copied from a web "
                         "page: fail2ban tags are written with plain < and >; did you mean: %s",
                         fixed->str);
}

static const char *const known_tags[] = {"HOST", "ADDR", "IP4", "IP6", "DNS", "SUBNET", "CIDR",
                                         "SKIPLINES", NULL};

/* <host>, <Host>, <f-id/> ...: a known tag in the wrong case. */
static char *
hint_tag_case(const char *regex)
{
  const char *end = regex + strlen(regex);
  for (const char *p = strchr(regex, '<'); p; p = strchr(p + 1, '<')) {
    gsize n = tag_length(p, end);
    if (!n || (p - regex >= 2 && p[-2] == '?' && p[-1] == 'P'))
      continue; /* a group name, not a tag */
    g_autofree char *tn = g_strndup(p + 1, n - 2);
    g_autofree char *up = g_ascii_strup(tn, -1);
    if (strcmp(tn, up) == 0)
      continue;
    gboolean known = g_str_has_prefix(up, "F-") || g_str_has_prefix(up, "/F-");
    for (const char *const *k = known_tags; *k && !known; k++)
      known = strcmp(up, *k) == 0;
    if (!known)
      continue;
    g_autofree char *good = g_strdup_printf("<%s>", up);
    g_autofree char *fixed = splice(regex, (gsize)(p - regex), n, good);
    return g_strdup_printf("fail2ban tags are upper case: <%s> is not a tag and matches "
                           "itself literally; did you mean: %s",
                           tn, fixed);
  }
  return NULL;
}

/* Offset just past the character class starting at S[i] == '[' (Python's rules:
 * a "]" right after "[" or "[^" is a member), or 0 when it never ends. */
static gsize
class_end(const char *s, gsize i)
{
  gsize j = i + 1;
  if (s[j] == '^')
    j++;
  if (s[j] == ']')
    j++;
  for (; s[j]; j++) {
    if (s[j] == '\\' && s[j + 1])
      j++;
    else if (s[j] == ']')
      return j + 1;
  }
  return 0;
}

static char *
hint_tag_in_class(const char *regex)
{
  for (gsize i = 0; regex[i]; i++) {
    if (regex[i] == '\\' && regex[i + 1]) {
      i++;
      continue;
    }
    if (regex[i] != '[')
      continue;
    gsize e = class_end(regex, i);
    if (!e)
      return NULL;
    g_autofree char *cls = g_strndup(regex + i, e - i);
    for (const char *const *k = known_tags; *k; k++) {
      g_autofree char *tag = g_strdup_printf("<%s>", *k);
      if (!strstr(cls, tag))
        continue;
      g_autofree char *with = g_strdup_printf("\\[%s\\]", tag);
      g_autofree char *fixed = splice(regex, i, e - i, with);
      return g_strdup_printf("%s is inside the character class %s, which matches a single "
                             "character, so the tag cannot capture an address; for an address "
                             "in square brackets write \\[%s\\], e.g.: %s",
                             tag, cls, tag, fixed);
    }
    i = e - 1;
  }
  return NULL;
}

/* Offset of the ")" closing the group opened at S[i] == '(', or 0. */
static gsize
group_end(const char *s, gsize i)
{
  int depth = 0;
  for (gsize j = i; s[j]; j++) {
    if (s[j] == '\\' && s[j + 1])
      j++;
    else if (s[j] == '[') {
      gsize e = class_end(s, j);
      if (!e)
        return 0;
      j = e - 1;
    } else if (s[j] == '(')
      depth++;
    else if (s[j] == ')' && --depth == 0)
      return j;
  }
  return 0;
}

/* (?P<host>...) and friends, the group names of fail2ban before 0.10. */
static char *
hint_old_group(const char *regex)
{
  static const char *const old[] = {"(?P<host>", "(?P<ip>", "(?P<addr>", "(?P<HOST>", NULL};
  for (const char *const *o = old; *o; o++) {
    const char *p = strstr(regex, *o);
    if (!p)
      continue;
    gsize i = (gsize)(p - regex), e = group_end(regex, i);
    g_autofree char *name = g_strndup(*o + 4, strlen(*o) - 5);
    if (!e)
      return g_strdup_printf("a group named '%s' does not identify a failure in fail2ban "
                             "1.0; use the <HOST> tag (or <ADDR>, <F-ID>...</F-ID>)",
                             name);
    g_autofree char *fixed = splice(regex, i, e + 1 - i, "<HOST>");
    return g_strdup_printf("a group named '%s' (the style of fail2ban before 0.10) does not "
                           "identify a failure any more: the groups that do are made by the "
                           "<HOST>, <ADDR>, <IP4>, <IP6>, <DNS> tags or <F-ID>...</F-ID>; did "
                           "you mean: %s",
                           name, fixed);
  }
  return NULL;
}

/* Spots where a lost <HOST> leaves an empty pair behind. */
static char *
hint_empty_spot(const char *regex)
{
  static const struct {
    const char *empty;
    const char *fixed;
  } spots[] = {
      {"\\[\\]", "\\[<HOST>\\]"}, {"\\(\\)", "\\(<HOST>\\)"}, {"()", "(<HOST>)"},
      {"<>", "<HOST>"},           {"\"\"", "\"<HOST>\""},      {"''", "'<HOST>'"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(spots); i++) {
    const char *p = strstr(regex, spots[i].empty);
    /* "()" must not be the tail of "\(\)"; "<>" must not be part of a tag. */
    while (p && spots[i].empty[0] != '\\' && p > regex && p[-1] == '\\')
      p = strstr(p + 1, spots[i].empty);
    if (!p)
      continue;
    g_autofree char *fixed = splice(regex, (gsize)(p - regex), strlen(spots[i].empty),
                                    spots[i].fixed);
    return g_strdup_printf("the regex has an empty %s where a <HOST> tag was probably lost "
                           "(a web page or blog can eat \"<HOST>\" as an unknown HTML tag); "
                           "did you mean: %s",
                           spots[i].empty, fixed);
  }
  return NULL;
}

/* "from " followed by nothing, "rhost=" followed by a space...: the tag was dropped. */
static char *
hint_dangling_keyword(const char *regex)
{
  static const char *const keys[] = {"from ", "rhost=", "host=", "client ", "client=", "ip=",
                                     "addr=", "src=", "address ", NULL};
  for (const char *const *k = keys; *k; k++) {
    for (const char *p = strstr(regex, *k); p; p = strstr(p + 1, *k)) {
      const char *after = p + strlen(*k);
      gboolean empty = *after == '\0' || *after == ' ' || *after == '$' ||
                       g_str_has_prefix(after, "\\s") || (after[-1] == '=' && *after == ' ');
      if (!empty)
        continue;
      gsize at = (gsize)(after - regex);
      g_autofree char *fixed = splice(regex, at, 0, "<HOST>");
      return g_strdup_printf("nothing follows \"%.*s\" where the address is expected (a lost "
                             "<HOST> tag?); did you mean: %s",
                             (int)strlen(*k), *k, fixed);
    }
  }
  return NULL;
}

/* <IP>, <HOSTNAME>, <F-HOST>...: tags that look right but are not fail2ban's. */
static char *
hint_unknown_tag(const char *regex)
{
  static const struct {
    const char *wrong, *right;
  } tags[] = {
      {"<IP>", "<ADDR>"},       {"<IPADDR>", "<ADDR>"},   {"<ADDRESS>", "<ADDR>"},
      {"<IPV4>", "<IP4>"},      {"<IPV6>", "<IP6>"},      {"<HOSTNAME>", "<HOST>"},
      {"<CLIENT>", "<HOST>"},   {"<SRC>", "<HOST>"},      {"<RHOST>", "<HOST>"},
      {"<FID>", "<F-ID/>"},     {"<F-ID>", "<F-ID/>"},    {"{HOST}", "<HOST>"},
      {"${HOST}", "<HOST>"},    {"$HOST", "<HOST>"},      {"%(host)s", "<HOST>"},
      {"<HOST/>", "<HOST>"},    {"</HOST>", "<HOST>"},    {"<HOST ", "<HOST> "},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
    const char *p = strstr(regex, tags[i].wrong);
    if (!p)
      continue;
    g_autofree char *fixed = splice(regex, (gsize)(p - regex), strlen(tags[i].wrong),
                                    tags[i].right);
    return g_strdup_printf("%s is not a fail2ban tag (it matches itself literally); did you "
                           "mean %s: %s",
                           tags[i].wrong, tags[i].right, fixed);
  }
  if (strstr(regex, "<F-HOST>") || strstr(regex, "<F-IP>"))
    return g_strdup("<F-HOST>/<F-IP> make a group that does not identify a failure; use "
                    "<HOST> or <ADDR> for an address, or <F-ID>...</F-ID> for another id");
  if (strstr(regex, "</F-ID>") && !strstr(regex, "<F-ID>"))
    return g_strdup("</F-ID> closes a tag that is never opened; write <F-ID>...</F-ID> "
                    "around the failure id");
  return NULL;
}

char *
f2b_failregex_hint(const char *regex)
{
  g_return_val_if_fail(regex != NULL, NULL);
  char *(*const checks[])(const char *) = {
      hint_html_escaped, hint_old_group,  hint_tag_case,         hint_tag_in_class,
      hint_unknown_tag,  hint_empty_spot, hint_dangling_keyword,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(checks); i++) {
    char *hint = checks[i](regex);
    if (hint)
      return hint;
  }
  return NULL;
}
