/* datedetect.c - find and parse the time stamp of a log line, reproducing
 * fail2ban's DateDetector, its date templates and their ordering.
 *
 * Four parts:
 *   1. building templates: a datepattern is turned into a regex the way
 *      fail2ban does it (codes replaced, group 1 added, word or line-start
 *      boundaries added, "**" markers removed) so that names, regexes and
 *      spans are the same as fail2ban's; the Python regex is then
 *      translated to PCRE2 by pyre.c and compiled (JIT) on first use;
 *   2. the template list: defaults, anchored copies, datepattern lines;
 *   3. matching: the last winner first, then a scan with fail2ban's rules
 *      for picking the best template and moving it up.  On ASCII lines the
 *      syslog and ISO line-start templates are matched by datefast.c, which
 *      gives PCRE2's answer without running it; when one of them won the last
 *      line, the fast lane walks only what follows the hour of a stamp that
 *      shares its head with the last one and keeps that hour's conversion;
 *   4. converting: the fields of a match to a time (strptime.c), remembered
 *      for the lines of one hour when the conversion is linear over it.
 *
 * Regex flavour: fail2ban matches Python `re` patterns against decoded
 * Unicode text, so \d, \w, \s, \b and (?i) are Unicode-aware.  PCRE2 runs
 * in UTF + UCP mode to match that.  PCRE2_MATCH_INVALID_UTF makes lines that
 * are not valid UTF-8 safe to search: invalid bytes match nothing.
 * Positions fail2ban compares between lines (where the date was last
 * time) are character positions, as in Python; spans returned to the
 * caller are byte offsets. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "datedetect.h"

#include <pcre2.h>
#include <string.h>
#include <time.h>

#include "datefast.h"
#include "lazyjit.h"
#include "pyre.h"
#include "pystr.h"
#include "strptime.h"

G_DEFINE_QUARK(f2b-datedetect-error-quark, f2b_datedetect_error)

/* template flags, as fail2ban keeps them */
#define FLAG_WORD_END 1
#define FLAG_WORD_BEGIN 2
#define FLAG_LINE_END 4
#define FLAG_LINE_BEGIN 8
#define FLAGS_ANCHORED (FLAG_LINE_BEGIN | FLAG_LINE_END)

#define LN_BEG "{^LN-BEG}"
#define FAR_AWAY 0x7fffffff /* fail2ban's "no position yet" */

typedef enum { KIND_PATTERN, KIND_EPOCH, KIND_TAI64N } TemplateKind;

/* where setRegex may add a start boundary */
typedef enum { BEGIN_NONE, BEGIN_WORD, BEGIN_LINE } WordBegin;

typedef struct {
  guint number;
  char *name;
} DateGroup;

/* A template is immutable once built (its regex compiled on first use), so that
 * detectors sharing an F2bDateCache share it; what a detector learns about a
 * template (hits, weight, position) is in its Slot. */
typedef struct {
  gint refs;
  TemplateKind kind;
  char *name;
  char *pattern; /* the datepattern text; NULL for Epoch/TAI64N (fail2ban has no .pattern) */
  char *regex;   /* Python syntax, after boundaries were added */
  guint flags;
  gboolean long_epoch;
  guint epoch_group;
  /* compiled on first use */
  pcre2_code *code;
  F2bLazyJit lazy; /* JIT code once the template is busy */
  pcre2_match_data *match_data;
  F2bPyre *pyre;  /* kept for the ASCII code, compiled when first needed */
  pcre2_code *ascii_code; /* for pure-ASCII lines: no Unicode property look-ups */
  F2bLazyJit ascii_lazy; /* each code has its own lazy-JIT state */
  gboolean ascii_tried;
  GArray *groups; /* DateGroup, by group number: the named groups */
  F2bDateFast *fast; /* a matcher without regex engine for ASCII lines, or NULL */
  /* What the conversion reads (see conv_key_groups): indexes into GROUPS of the
   * groups whose text can change the result, and among them the seconds and
   * minutes groups (-1: none). */
  guint *key_groups;
  guint *key_numbers; /* their group numbers */
  guint n_key_groups;
  gint key_second, key_minute;
  /* Whether the fast lane takes the template (see FastLane): FAST set, anchored
   * at the line start, and the hour's conversion can be remembered for the lines
   * that share a head; and the key groups the head does not fix besides the
   * minutes and seconds. */
  gboolean lane;
  guint tail_keys[2];
  guint n_tail_keys;
  guint ovector_pairs;   /* pcre2_get_ovector_count(match_data) */
  PCRE2_SIZE *ovector;   /* pcre2_get_ovector_pointer(match_data) */
  guint match_count; /* searches that matched (fail2ban's template.hits, shared by
                      * all detectors there too) */
} Template;

/* A template in a detector's list, with that detector's statistics. */
typedef struct {
  Template *template; /* a reference */
  double weight;    /* 100 for fail2ban's line-start default copies (see ListBuilder) */
  guint hits;       /* lines won */
  double last_used; /* `now` of the last win */
  gint64 distance;  /* character position of the last win */
} Slot;

/* One character of a line, or none: Python compares one-character slices,
 * which may be empty.  Bytes that are not UTF-8 get a value of their own. */
typedef gint32 Char;
#define CHAR_NONE ((Char) -1)
#define CHAR_INVALID_BASE 0x110000

typedef struct {
  gint64 at;  /* character position */
  Char before;
  Char here;
} LastPos;

/* One remembered conversion: the texts of the template's key groups (those in
 * SKIP, a bit mask over key group indexes, left out) with "now", and its
 * result: for a range entry (SKIP not 0) whether the range is linear and its
 * base, else the time and whether the conversion succeeded. */
typedef struct {
  const void *template; /* NULL: empty */
  double now;
  guint skip;
  GString *texts;
  /* the key groups compared (those not in SKIP): group numbers, and where
   * their texts are in TEXTS; lengths[i] == CONV_UNSET: the group had none */
  guint n_compared;
  guint *numbers;
  gsize *offsets, *lengths;
  guint32 *words, *masks; /* texts of up to 4 bytes as word_of() gives them, and
                           * the word_mask() of their length */
  guint capacity;
  gboolean ok;   /* exact: converted; range: linear */
  double value;  /* exact: the time; range: the time at the start of the range */
} ConvEntry;
#define CONV_UNSET G_MAXSIZE

/* The last winner when it is an anchored template of datefast.c (the syslog or
 * ISO line-start one), for ASCII lines: the head its matcher walked last, and
 * the conversion of that head's hour.  The hour entry (ConvEntry conv_hour) of a
 * line is keyed by the texts of its key groups other than the minutes and
 * seconds; those in the head are the same for every line that shares the head
 * (f2b_datefast_tail_group), so only the others (the year after the seconds, a
 * zone) and "now" are compared here.  Cleared with the remembered conversions. */
typedef struct {
  const Template *template; /* the template HEAD and the hour are for; NULL: none */
  F2bDateFastHead head;
  gboolean hour_known; /* the fields below hold conv_hour's answer for the head */
  gboolean hour_ok;    /* linear over the hour: HOUR_BASE is its start */
  double hour_now, hour_base;
  gsize tail_len[2];   /* the tail key texts: lengths (CONV_UNSET: no text) */
  guint64 tail_word[2];/* and their bytes (at most 8) as text_word() gives them */
  /* hour_known and hour_ok with no tail key text: HOUR_BASE answers every line
   * of the head with a plain tail (f2b_datefast_match_plain) for HOUR_NOW */
  gboolean hour_plain;
} FastLane;

/* Templates by the key they are built from, and what building needs. */
struct F2bDateCache {
  gint refs;
  int wall_year, epoch2001_year;
  gboolean centuries_ok; /* %ExY is a century prefix and a digit: CENTURIES holds it */
  guint8 centuries[1000];
  F2bStrptimeCode *codes;
  GHashTable *templates; /* "KEY\x01PATTERN" -> Template (a reference) */
};

struct F2bDateDetector {
  F2bDateCache *cache;
  const F2bStrptimeCode *codes; /* the cache's */
  GPtrArray *slots;      /* Slot*, owned */
  GHashTable *names;     /* names in the list (borrowed from its templates) */
  gboolean has_tz;
  int tz;
  LastPos last_start, last_end;
  guint last_index;
  guint first_unused;
  /* The last conversions (see pattern_value): consecutive lines often carry the
   * same stamp or one of the same hour.  Cleared when the template list or the
   * zone changes. */
  ConvEntry conv_hour, conv_minute, conv_exact;
  FastLane fast;
  F2bStrptimeCache zone_cache; /* localtime()/mktime() answers (see strptime.h) */
  /* The line being matched is pure ASCII: character positions are byte
   * offsets, and the templates' ASCII codes apply.  Set per call. */
  gboolean line_ascii;
};

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */

/* Python's str.strip() */
static char *
strip_dup(const char *s)
{
  const char *b = s, *e = s + strlen(s);
  f2b_pystr_strip(&b, &e);
  return g_strndup(b, (gsize) (e - b));
}

static gboolean
has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------ */
/* Helper regexes for rewriting patterns (compiled per build, not hot)  */

typedef struct {
  pcre2_code *no_word_begin;  /* the pattern already starts at a line start or has "**" */
  pcre2_code *no_word_end;    /* it already ends with $, \b, \s or "**" */
  pcre2_code *has_group;      /* an unescaped capturing "(" */
  pcre2_code *whole_head;     /* the flags and ^ before a body (see group_body) */
  pcre2_code *star_markers;   /* leading/trailing "**" */
  pcre2_code *line_begin;
  pcre2_code *line_end;
  pcre2_code *epoch_tag;      /* {EPOCH} / {LEPOCH} */
  pcre2_code *date_tag;       /* {DATE} */
  F2bDateCache *cache;        /* where built templates are kept (borrowed) */
} Rewriter;

static pcre2_code *
helper_compile(const char *re, guint32 extra)
{
  int err;
  PCRE2_SIZE off;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | extra, &err, &off, NULL);
  g_assert(c != NULL);
  return c;
}

static void
rewriter_init(Rewriter *rw, F2bDateCache *cache)
{
  rw->cache = cache;
  rw->no_word_begin = helper_compile("^\\(*(?:\\(\\?\\w+\\))?(?:\\^|\\(*\\*\\*|\\((?:\\?:)?\\^)", 0);
  rw->no_word_end = helper_compile("(?<!\\\\)(?:\\$\\)?|\\\\b|\\\\s|\\*\\*\\)*)$", 0);
  rw->has_group = helper_compile("(?<!\\(\\?)(?<!\\\\)\\((?!\\?)", 0);
  rw->whole_head = helper_compile("^((?:\\(\\?\\w+\\))?\\^?(?:\\(\\?\\w+\\))?)", 0);
  rw->star_markers = helper_compile("^\\(*(?:\\(\\?\\w+\\))?\\(*\\*\\*|(?<!\\\\)\\*\\*\\)*$", 0);
  rw->line_begin = helper_compile("^(?:\\(\\?\\w+\\))?(?:\\^|\\((?:\\?:)?\\^(?!\\|))", 0);
  rw->line_end = helper_compile("(?<![\\\\|])(?:\\$\\)?)$", 0);
  rw->epoch_tag = helper_compile("(?<!\\\\)\\{L?EPOCH\\}", PCRE2_CASELESS);
  rw->date_tag = helper_compile("(?<!\\\\)\\{DATE\\}", PCRE2_CASELESS);
}

static void
rewriter_clear(Rewriter *rw)
{
  pcre2_code **all[] = { &rw->no_word_begin, &rw->no_word_end, &rw->has_group, &rw->whole_head,
                         &rw->star_markers, &rw->line_begin, &rw->line_end, &rw->epoch_tag,
                         &rw->date_tag };
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    g_clear_pointer(all[i], pcre2_code_free);
}

/* Searches RE in S from OFFSET; on success fills OV[0..2*n) and returns TRUE. */
static gboolean
helper_search(pcre2_code *re, const char *s, gsize offset, PCRE2_SIZE *ov, guint n)
{
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = pcre2_match(re, (PCRE2_SPTR) s, strlen(s), offset, 0, md, NULL);
  if (rc >= 0 && ov) {
    PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
    guint count = pcre2_get_ovector_count(md);
    for (guint i = 0; i < n; i++) {
      ov[2 * i] = i < count ? v[2 * i] : PCRE2_UNSET;
      ov[2 * i + 1] = i < count ? v[2 * i + 1] : PCRE2_UNSET;
    }
  }
  pcre2_match_data_free(md);
  return rc >= 0;
}

static gboolean
helper_found(pcre2_code *re, const char *s)
{
  return helper_search(re, s, 0, NULL, 0);
}

typedef void (*ReplaceFunc)(GString *out, const char *s, const PCRE2_SIZE *ov, gpointer data);

/* Python's re.sub(RE, func, S): every non-overlapping match replaced. */
static char *
helper_sub(pcre2_code *re, const char *s, ReplaceFunc func, gpointer data)
{
  GString *out = g_string_new(NULL);
  gsize len = strlen(s), pos = 0, copied = 0;
  PCRE2_SIZE ov[8];
  while (pos <= len && helper_search(re, s, pos, ov, 4)) {
    g_string_append_len(out, s + copied, (gssize) (ov[0] - copied));
    func(out, s, ov, data);
    copied = ov[1];
    if (ov[1] == ov[0]) {
      if (ov[1] >= len)
        break;
      pos = (gsize) (g_utf8_next_char(s + ov[1]) - s);
    } else {
      pos = ov[1];
    }
  }
  g_string_append(out, s + copied);
  return g_string_free(out, FALSE);
}

static void
replace_drop_stars(GString *out, const char *s, const PCRE2_SIZE *ov, gpointer data)
{
  for (PCRE2_SIZE i = ov[0]; i < ov[1]; i++) {
    if (s[i] == '*' && i + 1 < ov[1] && s[i + 1] == '*')
      i++;
    else
      g_string_append_c(out, s[i]);
  }
}

/* fail2ban's re.sub(r"^(flags ^ flags)(.*?)(\$?)$", r"\1(\2)\3", S): the body
 * between the leading flags and "^" and a final "$" put in a group.  The regex
 * walks ".*?" a character at a time (slowly); its answer is simple: "." stops
 * only at a newline and "$" matches at the end or before a final newline, so
 * with a newline before that the regex does not match at all, and otherwise
 * the head takes what it takes alone (nothing after it can fail) and the lazy
 * body leaves a last "$" to group 3. */
static char *
group_body(Rewriter *rw, const char *s)
{
  gsize len = strlen(s), end = len;
  if (len > 0 && s[len - 1] == '\n')
    end--;
  PCRE2_SIZE ov[4];
  if (memchr(s, '\n', end) || !helper_search(rw->whole_head, s, 0, ov, 2))
    return g_strdup(s);
  gsize head = ov[3];
  gsize body_end = end > head && s[end - 1] == '$' ? end - 1 : end;
  GString *out = g_string_sized_new(len + 2);
  g_string_append_len(out, s, (gssize) head);
  g_string_append_c(out, '(');
  g_string_append_len(out, s + head, (gssize) (body_end - head));
  g_string_append_c(out, ')');
  g_string_append(out, s + body_end);
  return g_string_free(out, FALSE);
}

static void
replace_with_string(GString *out, const char *s, const PCRE2_SIZE *ov, gpointer data)
{
  g_string_append(out, data);
}

/* Start of the first "(?flags)" with lower-case flags, or NULL. */
static const char *
find_global_flags(const char *s, gsize *len)
{
  for (const char *p = strstr(s, "(?"); p; p = strstr(p + 1, "(?")) {
    const char *q = p + 2;
    while (*q >= 'a' && *q <= 'z')
      q++;
    if (q > p + 2 && *q == ')') {
      *len = (gsize) (q + 1 - p);
      return p;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Templates                                                           */

/* Drops a reference. */
static void
template_free(Template *t)
{
  if (!t || --t->refs > 0)
    return;
  g_free(t->name);
  g_free(t->pattern);
  g_free(t->regex);
  g_clear_pointer(&t->code, pcre2_code_free);
  g_clear_pointer(&t->ascii_code, pcre2_code_free);
  g_clear_pointer(&t->pyre, f2b_pyre_free);
  f2b_lazyjit_clear(&t->lazy);
  f2b_lazyjit_clear(&t->ascii_lazy);
  g_clear_pointer(&t->match_data, pcre2_match_data_free);
  g_free(t->key_groups);
  g_clear_pointer(&t->fast, f2b_datefast_free);
  g_free(t->key_numbers);
  if (t->groups) {
    for (guint i = 0; i < t->groups->len; i++)
      g_free(g_array_index(t->groups, DateGroup, i).name);
    g_array_free(t->groups, TRUE);
  }
  g_free(t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Template, template_free)

static Template *
template_new(TemplateKind kind)
{
  Template *t = g_new0(Template, 1);
  t->refs = 1;
  t->kind = kind;
  t->epoch_group = 1;
  return t;
}

/* fail2ban's setRegex: adds group 1 when the regex has no group, start and
 * end boundaries unless the regex has its own, computes the anchoring
 * flags and removes the "**" markers that switch boundaries off. */
static void
template_set_regex(Template *t, Rewriter *rw, const char *regex_in, WordBegin begin, gboolean end)
{
  g_autofree char *regex = strip_dup(regex_in);
  g_autofree char *flags = NULL;
  gsize flen = 0;
  const char *gf = find_global_flags(regex, &flen);
  if (gf) {
    flags = g_strndup(gf, flen);
    memmove((char *) gf, gf + flen, strlen(gf + flen) + 1);
  }
  gboolean bound_begin = begin != BEGIN_NONE && !helper_found(rw->no_word_begin, regex);
  gboolean bound_end = end && !helper_found(rw->no_word_end, regex);
  if (!helper_found(rw->has_group, regex)) {
    char *grouped = group_body(rw, regex);
    g_free(regex);
    regex = grouped;
  }
  GString *r = g_string_new(NULL);
  t->flags = 0;
  if (bound_begin) {
    if (begin == BEGIN_WORD) {
      t->flags |= FLAG_WORD_BEGIN;
      g_string_append(r, "(?=^|\\b|\\W)");
    } else {
      t->flags |= FLAG_LINE_BEGIN;
      g_string_append(r, "^(?:\\W{0,2})?");
      if (!has_prefix(t->name, LN_BEG)) {
        char *named = g_strconcat(LN_BEG, t->name, NULL);
        g_free(t->name);
        t->name = named;
      }
    }
  }
  g_string_append(r, regex);
  if (bound_end) {
    t->flags |= FLAG_WORD_END;
    g_string_append(r, "(?=\\b|\\W|$)");
  }
  if (!(t->flags & FLAG_LINE_BEGIN) && helper_found(rw->line_begin, r->str))
    t->flags |= FLAG_LINE_BEGIN;
  if (!(t->flags & FLAG_LINE_END) && helper_found(rw->line_end, r->str))
    t->flags |= FLAG_LINE_END;
  g_autofree char *built = g_string_free(r, FALSE);
  /* both of its branches need a "**": most regexes have none and stay as they are */
  char *cleaned = strstr(built, "**") ? helper_sub(rw->star_markers, built, replace_drop_stars, NULL)
                                      : g_strdup(built);
  g_free(t->regex);
  t->regex = flags ? g_strconcat(flags, cleaned, NULL) : g_strdup(cleaned);
  g_free(cleaned);
}

static const F2bStrptimeCode *
code_at(const F2bStrptimeCode *codes, const char *p)
{
  for (const F2bStrptimeCode *c = codes; c->code; c++)
    if (has_prefix(p, c->code))
      return c;
  return NULL;
}

/* "%a", "%A", "%b", "%B", "%p" or "%c" not right after another "%": such
 * patterns are matched ignoring case (fail2ban's check, quirks included). */
static gboolean
needs_ignore_case(const char *p)
{
  for (const char *s = p; *s; s++)
    if (*s == '%' && s[1] && strchr("aAbBpc", s[1]) && (s == p || s[-1] != '%'))
      return TRUE;
  return FALSE;
}

static gboolean
pattern_error(const char *pattern, const char *why, GError **error)
{
  g_set_error(error, F2B_DATEDETECT_ERROR, F2B_DATEDETECT_ERROR_PATTERN,
              "Failed to set datepattern '%s' (may be an invalid format or unescaped percent "
              "char): %s", pattern, why);
  return FALSE;
}

/* Why Python's `fmt % timeRE` rejects the "%" at P, fmt being PATTERN with
 * each known code before P ("%%" included) written "%(X)s" (KEYED of them): CPython 3.11's
 * words.  A conversion after a keyed one finds no argument left; before
 * any, the mapping itself is the argument and the character is checked. */
static char *
percent_error(const char *pattern, const char *p, guint keyed)
{
  if (p[1] == '\0')
    return g_strdup("incomplete format");
  if (keyed > 0)
    return g_strdup("not enough arguments for format string");
  gunichar ch = g_utf8_get_char_validated(p + 1, -1);
  if (ch == (gunichar)-1 || ch == (gunichar)-2)
    ch = (guchar)p[1];
  glong index = g_utf8_pointer_to_offset(pattern, p + 1);
  /* CPython shows printable ASCII as itself, anything else as '?' */
  return g_strdup_printf("unsupported format character '%c' (0x%x) at index %ld", ch > 32 && ch < 127 ? (char)ch : '?',
                         (guint)ch, index);
}

/* Replaces the % codes of PATTERN by their regexes (into REGEX) and by
 * their display words (into NAME).  A "%" that starts no code is an error:
 * fail2ban hands the result to Python's % formatting, which rejects it
 * (or, for %s and %r, inserts a dictionary that fails later). */
static gboolean
expand_codes(const F2bStrptimeCode *codes, const char *pattern, const char *shown, GString *regex,
             GString *name, GError **error)
{
  guint keyed = 0;
  for (const char *p = pattern; *p; p++) {
    if (*p != '%') {
      g_string_append_c(regex, *p);
      g_string_append_c(name, *p);
      continue;
    }
    const F2bStrptimeCode *c = code_at(codes, p + 1);
    if (!c) {
      g_autofree char *why = percent_error(pattern, p, keyed);
      return pattern_error(shown, why, error);
    }
    keyed++;  /* "%%" too: fail2ban writes it "%(%)s" */
    g_string_append(regex, c->regex);
    g_string_append(name, c->display);
    p += strlen(c->code);
  }
  return TRUE;
}

/* fail2ban's DatePatternRegex. */
static Template *
template_new_pattern(const F2bStrptimeCode *codes, Rewriter *rw, const char *pattern_in,
                     GError **error)
{
  g_autoptr(Template) t = template_new(KIND_PATTERN);
  t->pattern = g_strdup(pattern_in);
  const char *pattern = pattern_in;
  WordBegin begin = BEGIN_WORD;
  gboolean end = TRUE;
  if (has_prefix(pattern, "{UNB}")) {
    pattern += strlen("{UNB}");
    begin = BEGIN_NONE;
    end = FALSE;
  }
  if (begin != BEGIN_NONE && has_prefix(pattern, LN_BEG)) {
    pattern += strlen(LN_BEG);
    begin = BEGIN_LINE;
  }
  g_autoptr(GString) regex = g_string_new(NULL);
  g_autoptr(GString) name = g_string_new(NULL);
  if (!expand_codes(codes, pattern, pattern_in, regex, name, error))
    return NULL;
  if (needs_ignore_case(pattern))
    g_string_prepend(regex, "(?iu)");
  t->name = g_strdup(name->str);
  template_set_regex(t, rw, regex->str, begin, end);
  return g_steal_pointer(&t);
}

#define EPOCH_SHORT "\\d{10,11}\\b(?:\\.\\d{3,6})?"
#define EPOCH_LONG "\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?"

/* fail2ban's DateEpoch: plain (at line start, after "[" or in an audit
 * record), anchored at line start, or inside a user pattern at {EPOCH}. */
static Template *
template_new_epoch(Rewriter *rw, gboolean line_begin_only, const char *pattern, gboolean long_form)
{
  Template *t = template_new(KIND_EPOCH);
  t->long_epoch = long_form;
  const char *num = long_form ? EPOCH_LONG : EPOCH_SHORT;
  t->name = g_strdup(pattern ? pattern : long_form ? "LongEpoch" : "Epoch");
  if (pattern) {
    g_autofree char *group = g_strdup_printf("(%s)", num);
    g_autofree char *inner = helper_sub(rw->epoch_tag, pattern, replace_with_string, group);
    g_autofree char *regex = g_strdup_printf("(%s)", inner);
    t->epoch_group = 2;
    template_set_regex(t, rw, regex, BEGIN_WORD, TRUE);
  } else if (!line_begin_only) {
    g_autofree char *regex = g_strdup_printf(
      "((?:^|(?P<square>(?<=^\\[))|(?P<selinux>(?<=\\baudit\\()))%s)"
      "(?:(?(selinux)(?=:\\d+\\)))|(?(square)(?=\\])))", num);
    template_set_regex(t, rw, regex, BEGIN_NONE, TRUE);
  } else {
    g_autofree char *regex = g_strdup_printf("((?P<square>(?<=^\\[))?%s)(?(square)(?=\\]))", num);
    template_set_regex(t, rw, regex, BEGIN_LINE, TRUE);
  }
  return t;
}

/* fail2ban's DateTai64n. */
static Template *
template_new_tai64n(Rewriter *rw, gboolean line_begin)
{
  Template *t = template_new(KIND_TAI64N);
  t->name = g_strdup("TAI64N");
  template_set_regex(t, rw, "@[0-9a-f]{24}", line_begin ? BEGIN_LINE : BEGIN_NONE, TRUE);
  return t;
}

static gboolean
key_is(const char *key, const char *base)
{
  if (strcmp(key, base) == 0)
    return TRUE;
  if (key[0] == '^' && strcmp(key + 1, base) == 0)
    return TRUE;
  return has_prefix(key, LN_BEG) && strcmp(key + strlen(LN_BEG), base) == 0;
}

/* The lookup key fail2ban uses: patterns without "%" are case-insensitive. */
static char *
pattern_key(const char *pattern)
{
  return strchr(pattern, '%') ? g_strdup(pattern) : g_utf8_strup(pattern, -1);
}

/* fail2ban's _getPatternTemplate: special names first, else a pattern. */
static Template *
template_build(const F2bStrptimeCode *codes, Rewriter *rw, const char *pattern, const char *key,
               GError **error)
{
  if (strstr(key, "EPOCH")) {
    if (helper_found(rw->epoch_tag, pattern))
      return template_new_epoch(rw, FALSE, pattern, strstr(key, "LEPOCH") != NULL);
    if (key_is(key, "EPOCH"))
      return template_new_epoch(rw, strcmp(key, "EPOCH") != 0, NULL, FALSE);
    if (key_is(key, "LEPOCH"))
      return template_new_epoch(rw, strcmp(key, "LEPOCH") != 0, NULL, TRUE);
  }
  if (key_is(key, "TAI64N"))
    return template_new_tai64n(rw, strcmp(key, "TAI64N") != 0);
  return template_new_pattern(codes, rw, pattern, error);
}

/* The template of PATTERN (looked up as KEY_IN, by default its pattern_key), from
 * the cache when an earlier detector built it: a new reference.  The result
 * depends only on the pattern, the key and the cache's codes. */
static Template *
template_for_pattern(const F2bStrptimeCode *codes, Rewriter *rw, const char *pattern,
                     const char *key_in, GError **error)
{
  g_autofree char *own_key = key_in ? NULL : pattern_key(pattern);
  const char *key = key_in ? key_in : own_key;
  g_autofree char *cache_key = g_strconcat(key, "\x01", pattern, NULL);
  Template *t = g_hash_table_lookup(rw->cache->templates, cache_key);
  if (!t) {
    t = template_build(codes, rw, pattern, key, error);
    if (!t)
      return NULL;
    g_hash_table_insert(rw->cache->templates, g_steal_pointer(&cache_key), t);
  }
  t->refs++;
  return t;
}

/* fail2ban's unboundPattern: a template's name or pattern without the
 * markers and boundaries that make it stand alone. */
static char *
unbound_pattern(const char *p)
{
  if (has_prefix(p, "{UNB}"))
    p += strlen("{UNB}");
  if (has_prefix(p, LN_BEG))
    p += strlen(LN_BEG);
  if (has_prefix(p, "(^|\\b|\\W)"))
    p += strlen("(^|\\b|\\W)");
  else if (has_prefix(p, "(?:^|\\b|\\W)"))
    p += strlen("(?:^|\\b|\\W)");
  gsize len = strlen(p);
  const char *tail = "(?=\\b|\\W|$)";
  if (len >= strlen(tail) && strcmp(p + len - strlen(tail), tail) == 0)
    len -= strlen(tail);
  return g_strndup(p, len);
}

/* fail2ban's _getAnchoredTemplate: a copy of T with its pattern (or, for
 * Epoch/TAI64N, its name) put through WRAP: "{^LN-BEG}" in front, or a
 * {DATE} pre-match pattern. */
typedef char *(*WrapFunc)(const char *s, gpointer data);

static Template *
template_wrapped(const F2bStrptimeCode *codes, Rewriter *rw, const Template *t, WrapFunc wrap,
                 gpointer data, GError **error)
{
  g_autofree char *text = wrap(t->pattern ? t->pattern : t->name, data);
  return template_for_pattern(codes, rw, text, NULL, error);
}

static char *
wrap_line_begin(const char *s, gpointer data)
{
  return g_strconcat(LN_BEG, s, NULL);
}

static char *
wrap_prematch(const char *s, gpointer data)
{
  Rewriter *rw = ((gpointer *) data)[0];
  const char *prematch = ((gpointer *) data)[1];
  g_autofree char *unbound = unbound_pattern(s);
  return helper_sub(rw->date_tag, prematch, replace_with_string, unbound);
}

/* fail2ban's default templates, most specific and most common first. */
static const char *const default_patterns[] = {
  /* ISO 8601 and simple dates: 2005-01-23T21:59:59.981746+01:00, 2005/01/23 21:59:59 */
  "%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?",
  /* asctime / syslog: [Sun ]Jan 23 21:59:59[.011][ 2005] */
  "(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  /* year after the day: [Sun ]Jan 23 2005 21:59:59[.011] */
  "(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?",
  /* 23/01/2005 21:59:59, 23/01/05 21:59:59, 17-07-2008 17:23:25 */
  "%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
  /* Apache: 31/Oct/2006:09:22:55 -0000, 26-Jul-2007 15:20:52[.252][ +0200] */
  "%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?",
  /* 05/20/2008:01:57:39 */
  "%m/%d/%ExY:%H:%M:%S",
  /* 01-27-2012 16:22:44[.252] */
  "%m-%d-%ExY %k:%M:%S(?:\\.%f)?",
  "EPOCH",
  /* time only, at line start */
  "{^LN-BEG}%H:%M:%S",
  /* <09/16/08@05:03:30> */
  "^<%m/%d/%Exy@%H:%M:%S>",
  /* 130322 11:46:11 */
  "%Exy%Exm%Exd  ?%H:%M:%S",
  /* Jan 23, 2005 9:59:59 PM */
  "%b %d, %ExY %I:%M:%S %p",
  /* Apr-27-13 02:33:06, at line start */
  "^%b-%d-%Exy %k:%M:%S",
  /* 20050123T215959, 20050123 215959 */
  "%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\\s*%z)?",
  /* with a zone name or offset in front: PDT Apr 16 21:05:29, +00:00 Jan 23 ... */
  "(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "TAI64N",
};

/* The default templates as listed (fail2ban's defaultTemplates). */
static GPtrArray *
default_templates(const F2bStrptimeCode *codes, Rewriter *rw)
{
  GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify) template_free);
  for (gsize i = 0; i < G_N_ELEMENTS(default_patterns); i++) {
    Template *t = template_for_pattern(codes, rw, default_patterns[i], NULL, NULL);
    g_assert(t != NULL);
    g_ptr_array_add(list, t);
  }
  return list;
}

/* The full default list (fail2ban's DateDetectorCache): a line-start
 * anchored copy of every template that is not anchored yet, weighted so
 * that it wins the reordering (the first *N_WEIGHTED entries), followed by
 * the templates themselves. */
static GPtrArray *
default_templates_with_anchored(const F2bStrptimeCode *codes, Rewriter *rw, guint *n_weighted)
{
  g_autoptr(GPtrArray) plain = default_templates(codes, rw);
  GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify) template_free);
  for (guint i = 0; i < plain->len; i++) {
    Template *t = g_ptr_array_index(plain, i);
    if (has_prefix(t->name, LN_BEG) || t->name[0] == '^')
      continue;
    Template *anchored = template_wrapped(codes, rw, t, wrap_line_begin, NULL, NULL);
    g_assert(anchored != NULL);
    if (strcmp(anchored->name, t->name) == 0) {
      template_free(anchored);
      continue;
    }
    g_ptr_array_add(list, anchored);
  }
  *n_weighted = list->len;
  while (plain->len > 0)
    g_ptr_array_add(list, g_ptr_array_steal_index(plain, 0));
  return list;
}

/* ------------------------------------------------------------------ */
/* Compiling a template: Python regex -> PCRE2 (pyre.c), then JIT      */

/* The named groups in pattern order: fail2ban iterates them that way. */
static GArray *
named_groups(const F2bPyre *re)
{
  GArray *groups = g_array_new(FALSE, FALSE, sizeof(DateGroup));
  for (guint i = 1; i <= re->n_groups; i++) {
    if (re->group_names[i]) {
      DateGroup g = { i, g_strdup(re->group_names[i]) };
      g_array_append_val(groups, g);
    }
  }
  return groups;
}

/* The groups whose text the conversion reads: strptime.c looks at one-letter
 * names only, and among them only at these (the others, %f's "f" among them,
 * are matched and dropped).  A name twice (impossible in a pattern that
 * compiles) would make the seconds or minutes index ambiguous: none then. */
static void
conv_key_groups(Template *t)
{
  static const char used[] = "yYmBbdHIMSAawjUWzZp";
  t->key_groups = g_new(guint, MAX(t->groups->len, 1));
  t->key_numbers = g_new(guint, MAX(t->groups->len, 1));
  t->n_key_groups = 0;
  t->key_second = t->key_minute = -1;
  gint seconds = 0, minutes = 0;
  for (guint i = 0; i < t->groups->len; i++) {
    const char *name = g_array_index(t->groups, DateGroup, i).name;
    if (name[0] == '\0' || name[1] != '\0' || !strchr(used, name[0]))
      continue;
    if (name[0] == 'S' && seconds++ == 0)
      t->key_second = (gint) t->n_key_groups;
    if (name[0] == 'M' && minutes++ == 0)
      t->key_minute = (gint) t->n_key_groups;
    t->key_numbers[t->n_key_groups] = g_array_index(t->groups, DateGroup, i).number;
    t->key_groups[t->n_key_groups++] = i;
  }
  /* the skip masks of ConvEntry have 32 bits */
  if (seconds > 1 || t->key_second >= 32)
    t->key_second = -1;
  if (minutes > 1 || t->key_minute >= 32)
    t->key_minute = -1;
}

static void
set_compile_error(GError **error, const Template *t, const char *why)
{
  g_set_error(error, F2B_DATEDETECT_ERROR, F2B_DATEDETECT_ERROR_REGEX,
              "Compile '%s' failed, expression '%s': %s", t->name, t->regex, why);
}

/* The matcher of datefast.c for T, when T is one of its templates. */
static void
template_fast_new(Template *t, const F2bPyre *re, const F2bDateCache *cache)
{
  F2bDateFastKind kind = t->kind == KIND_PATTERN ? f2b_datefast_kind_of(t->pattern) : 0;
  if (kind && cache->centuries_ok)
    t->fast = f2b_datefast_new(kind, (const char *const *) re->group_names, re->n_groups + 1,
                               cache->centuries);
  if (!t->fast)
    return;
  /* the hour can be remembered per head when the minutes and seconds are the
   * matcher's (the first two groups of the tail) and at most two other key
   * groups are in the tail */
  guint first = f2b_datefast_tail_group(t->fast);
  t->lane = (t->flags & FLAGS_ANCHORED) && t->ovector_pairs == f2b_datefast_n_pairs(t->fast) &&
            t->key_second >= 0 && t->key_minute >= 0 && t->key_numbers[t->key_minute] == first &&
            t->key_numbers[t->key_second] == first + 1;
  for (guint k = 0; k < t->n_key_groups; k++) {
    if ((gint) k == t->key_second || (gint) k == t->key_minute || t->key_numbers[k] < first)
      continue;
    if (t->n_tail_keys == G_N_ELEMENTS(t->tail_keys)) {
      t->lane = FALSE;
      break;
    }
    t->tail_keys[t->n_tail_keys++] = t->key_numbers[k];
  }
}

static gboolean
template_compile(Template *t, const F2bDateCache *cache, GError **error)
{
  if (t->code)
    return TRUE;
  g_autoptr(GError) pyre_error = NULL;
  g_autoptr(F2bPyre) re = f2b_pyre_translate(t->regex, &pyre_error);
  if (!re) {
    set_compile_error(error, t, pyre_error->message);
    return FALSE;
  }
  t->code = f2b_pyre_compile_nojit(re, t->regex, 0, &pyre_error);
  if (!t->code) {
    set_compile_error(error, t, pyre_error->message);
    return FALSE;
  }
  t->match_data = pcre2_match_data_create_from_pattern(t->code, NULL);
  f2b_lazyjit_init(&t->lazy, 0);
  f2b_lazyjit_init(&t->ascii_lazy, 0);
  t->groups = named_groups(re);
  t->ovector_pairs = pcre2_get_ovector_count(t->match_data);
  t->ovector = pcre2_get_ovector_pointer(t->match_data);
  conv_key_groups(t);
  template_fast_new(t, re, cache);
  f2b_pyre_drop_offsets(re);
  t->pyre = g_steal_pointer(&re);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The detector's template list                                        */

static void
slot_free(Slot *s)
{
  template_free(s->template);
  g_free(s);
}

static GPtrArray *
slot_list_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify) slot_free);
}

/* A template list under construction (fail2ban's appendTemplate). */
typedef struct {
  GPtrArray *slots;
  GHashTable *names;
  /* fail2ban keeps templates in a process-wide cache keyed by pattern, and
   * its default list marks the line-start copies it builds with weight 100
   * *on the cached object*.  A custom template that the cache shares with
   * such a copy (a datepattern of "{^LN-BEG}Epoch" next to the defaults, as
   * the stock nsd filter has) therefore weighs 100 too, which changes how
   * templates reorder.  These two tables reproduce that within a detector:
   * the cache keys of the weighted copies, and custom templates by key. */
  GHashTable *weighted_keys; /* set of keys */
  GHashTable *custom_by_key; /* key -> Slot (borrowed from slots) */
} ListBuilder;

/* The keys under which fail2ban's cache finds a line-start default copy:
 * its name, and its pattern (a pattern template) or its case-folded name. */
static void
weighted_keys_add(ListBuilder *b, const Template *t)
{
  g_hash_table_add(b->weighted_keys, g_strdup(t->name));
  g_hash_table_add(b->weighted_keys, t->pattern ? g_strdup(t->pattern) : pattern_key(t->name));
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, b->custom_by_key);
  while (g_hash_table_iter_next(&it, &key, &value))
    if (g_hash_table_contains(b->weighted_keys, key))
      ((Slot *) value)->weight = 100.0;
}

/* Takes T's reference; its slot weighs WEIGHT. */
static gboolean
list_append(ListBuilder *b, Template *t, double weight, gboolean ignore_duplicate, GError **error)
{
  if (g_hash_table_contains(b->names, t->name)) {
    if (!ignore_duplicate)
      g_set_error(error, F2B_DATEDETECT_ERROR, F2B_DATEDETECT_ERROR_DUPLICATE,
                  "There is already a template with name %s", t->name);
    template_free(t);
    return ignore_duplicate;
  }
  g_hash_table_add(b->names, t->name); /* the slot keeps T, and its name, alive */
  Slot *s = g_new0(Slot, 1);
  s->template = t;
  s->weight = weight;
  s->distance = FAR_AWAY;
  g_ptr_array_add(b->slots, s);
  return TRUE;
}

typedef enum { DEFAULTS_ALL, DEFAULTS_LINE_BEGIN, DEFAULTS_PREMATCH } DefaultsMode;

/* fail2ban's addDefaultTemplate: all defaults, only those anchored at line
 * start, or the plain defaults each wrapped into a {DATE} pattern. */
static gboolean
list_add_defaults(ListBuilder *b, const F2bStrptimeCode *codes, Rewriter *rw, DefaultsMode mode,
                  const char *prematch, GError **error)
{
  gboolean ignore_duplicate = b->slots->len > 0;
  guint n_weighted = 0;
  g_autoptr(GPtrArray) all = mode == DEFAULTS_PREMATCH
                               ? default_templates(codes, rw)
                               : default_templates_with_anchored(codes, rw, &n_weighted);
  for (guint i = 0; all->len > 0; i++) {
    Template *t = g_ptr_array_steal_index(all, 0);
    double weight = i < n_weighted ? 100.0 : 1.0;
    if (weight == 100.0)
      weighted_keys_add(b, t);
    if (mode == DEFAULTS_LINE_BEGIN && !(t->flags & FLAG_LINE_BEGIN)) {
      template_free(t);
      continue;
    }
    if (mode == DEFAULTS_PREMATCH) {
      gpointer data[] = { rw, (gpointer) prematch };
      Template *wrapped = template_wrapped(codes, rw, t, wrap_prematch, data, error);
      template_free(t);
      if (!wrapped)
        return FALSE;
      t = wrapped;
      weight = 1.0;
    }
    if (!list_append(b, t, weight, ignore_duplicate, error))
      return FALSE;
  }
  return TRUE;
}

/* One line of a datepattern (fail2ban's appendTemplate with a string). */
static gboolean
list_add_pattern(ListBuilder *b, const F2bStrptimeCode *codes, Rewriter *rw, const char *pattern,
                 GError **error)
{
  g_autofree char *key = pattern_key(pattern);
  if (strcmp(key, LN_BEG) == 0)
    return list_add_defaults(b, codes, rw, DEFAULTS_LINE_BEGIN, NULL, error);
  if (strcmp(key, "{DEFAULT}") == 0)
    return list_add_defaults(b, codes, rw, DEFAULTS_ALL, NULL, error);
  if (strstr(key, "{DATE}"))
    return list_add_defaults(b, codes, rw, DEFAULTS_PREMATCH, pattern, error);
  Template *t = strcmp(key, "{NONE}") == 0
                  ? template_for_pattern(codes, rw, "{UNB}^", key, error)
                  : template_for_pattern(codes, rw, pattern, key, error);
  if (!t)
    return FALSE;
  double weight = g_hash_table_contains(b->weighted_keys, key) ? 100.0 : 1.0;
  if (!list_append(b, t, weight, FALSE, error))
    return FALSE;
  g_hash_table_insert(b->custom_by_key, g_steal_pointer(&key),
                      g_ptr_array_index(b->slots, b->slots->len - 1));
  return TRUE;
}

static void
detector_reset_positions(F2bDateDetector *dd)
{
  dd->last_start = (LastPos) { 1, CHAR_NONE, CHAR_NONE };
  dd->last_end = (LastPos) { FAR_AWAY, CHAR_NONE, CHAR_NONE };
  dd->last_index = FAR_AWAY;
  dd->first_unused = 0;
}

/* Drops the remembered conversions (the zone or the templates changed). */
static void
conv_forget(F2bDateDetector *dd)
{
  dd->conv_hour.template = dd->conv_minute.template = dd->conv_exact.template = NULL;
  dd->fast.template = NULL;
  dd->fast.head.matcher = NULL;
  dd->fast.hour_known = dd->fast.hour_plain = FALSE;
}

static void
detector_take_list(F2bDateDetector *dd, ListBuilder *b)
{
  g_hash_table_unref(dd->names); /* its keys are the slots' templates' names */
  g_ptr_array_unref(dd->slots);
  conv_forget(dd);
  dd->slots = b->slots;
  dd->names = b->names;
  g_clear_pointer(&b->weighted_keys, g_hash_table_unref);
  g_clear_pointer(&b->custom_by_key, g_hash_table_unref);
  detector_reset_positions(dd);
}

static ListBuilder
list_builder_new(void)
{
  return (ListBuilder) { slot_list_new(), g_hash_table_new(g_str_hash, g_str_equal),
                         g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                         g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
}

static void
list_builder_clear(ListBuilder *b)
{
  g_clear_pointer(&b->slots, g_ptr_array_unref);
  g_clear_pointer(&b->names, g_hash_table_unref);
  g_clear_pointer(&b->weighted_keys, g_hash_table_unref);
  g_clear_pointer(&b->custom_by_key, g_hash_table_unref);
}

F2bDateCache *
f2b_datedetect_cache_new(double wall_now)
{
  F2bDateCache *c = g_new0(F2bDateCache, 1);
  c->refs = 1;
  time_t wall = (time_t) wall_now, y2001 = 978393600; /* 2001-01-01 00:00 UTC */
  struct tm tm;
  localtime_r(&wall, &tm);
  c->wall_year = tm.tm_year + 1900;
  localtime_r(&y2001, &tm);
  c->epoch2001_year = tm.tm_year + 1900;
  c->codes = f2b_strptime_codes_new(c->wall_year, c->epoch2001_year);
  c->centuries_ok = f2b_strptime_year_centuries(c->wall_year, c->epoch2001_year, c->centuries);
  c->templates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) template_free);
  return c;
}

F2bDateCache *
f2b_datedetect_cache_ref(F2bDateCache *cache)
{
  g_return_val_if_fail(cache != NULL, NULL);
  cache->refs++;
  return cache;
}

void
f2b_datedetect_cache_unref(F2bDateCache *cache)
{
  if (!cache || --cache->refs > 0)
    return;
  g_hash_table_unref(cache->templates);
  f2b_strptime_codes_free(cache->codes);
  g_free(cache);
}

static gboolean
only_cached(gpointer key, gpointer value, gpointer data)
{
  return ((Template *) value)->refs == 1;
}

guint
f2b_datedetect_cache_size(const F2bDateCache *cache)
{
  return g_hash_table_size(cache->templates);
}

F2bDateDetector *
f2b_datedetect_new(double wall_now)
{
  g_autoptr(F2bDateCache) own = f2b_datedetect_cache_new(wall_now);
  return f2b_datedetect_new_shared(own);
}

F2bDateDetector *
f2b_datedetect_new_shared(F2bDateCache *cache)
{
  g_return_val_if_fail(cache != NULL, NULL);
  F2bDateDetector *dd = g_new0(F2bDateDetector, 1);
  dd->cache = f2b_datedetect_cache_ref(cache);
  dd->codes = cache->codes;
  dd->slots = slot_list_new();
  dd->names = g_hash_table_new(g_str_hash, g_str_equal);
  ConvEntry *entries[] = { &dd->conv_hour, &dd->conv_minute, &dd->conv_exact };
  for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
    entries[i]->texts = g_string_new(NULL);
  detector_reset_positions(dd);
  return dd;
}

void
f2b_datedetect_free(F2bDateDetector *dd)
{
  if (!dd)
    return;
  g_hash_table_unref(dd->names); /* its keys are the slots' templates' names */
  g_ptr_array_unref(dd->slots);
  /* templates no other detector uses go: a server's jails come and go with
   * their own datepatterns */
  g_hash_table_foreach_remove(dd->cache->templates, only_cached, NULL);
  f2b_datedetect_cache_unref(dd->cache);
  ConvEntry *entries[] = { &dd->conv_hour, &dd->conv_minute, &dd->conv_exact };
  for (gsize i = 0; i < G_N_ELEMENTS(entries); i++) {
    g_string_free(entries[i]->texts, TRUE);
    g_free(entries[i]->numbers);
    g_free(entries[i]->words);
    g_free(entries[i]->masks);
    g_free(entries[i]->offsets);
    g_free(entries[i]->lengths);
  }
  g_free(dd);
}

/* Splits like fail2ban: on runs of newlines, each line stripped, empty ones
 * dropped. */
static gchar **
split_pattern_lines(const char *datepattern)
{
  g_auto(GStrv) parts = g_strsplit(datepattern, "\n", -1);
  GPtrArray *lines = g_ptr_array_new();
  for (gchar **p = parts; *p; p++) {
    char *s = strip_dup(*p);
    if (*s)
      g_ptr_array_add(lines, s);
    else
      g_free(s);
  }
  g_ptr_array_add(lines, NULL);
  return (gchar **) g_ptr_array_free(lines, FALSE);
}

gboolean
f2b_datedetect_set_pattern(F2bDateDetector *dd, const char *datepattern, GError **error)
{
  g_return_val_if_fail(dd != NULL, FALSE);
  ListBuilder b = list_builder_new();
  gboolean ok = TRUE;
  if (datepattern) {
    if (!g_utf8_validate(datepattern, -1, NULL)) {
      list_builder_clear(&b);
      return pattern_error("(invalid UTF-8)", "the pattern is not valid UTF-8", error);
    }
    g_auto(GStrv) lines = split_pattern_lines(datepattern);
    Rewriter rw;
    rewriter_init(&rw, dd->cache);
    for (gchar **l = lines; ok && *l; l++)
      ok = list_add_pattern(&b, dd->codes, &rw, *l, error);
    rewriter_clear(&rw);
    /* report regex errors now rather than at the first line */
    for (guint i = 0; ok && i < b.slots->len; i++)
      ok = template_compile(((Slot *) g_ptr_array_index(b.slots, i))->template, dd->cache,
                            error);
  }
  if (ok)
    detector_take_list(dd, &b);
  else
    list_builder_clear(&b);
  return ok;
}

gboolean
f2b_datedetect_set_timezone(F2bDateDetector *dd, const char *tz, GError **error)
{
  g_return_val_if_fail(dd != NULL, FALSE);
  if (!tz) {
    dd->has_tz = FALSE;
    conv_forget(dd);
    return TRUE;
  }
  int minutes;
  g_autoptr(GError) local = NULL;
  if (!f2b_strptime_parse_timezone(tz, strlen(tz), &minutes, &local)) {
    g_set_error_literal(error, F2B_DATEDETECT_ERROR, F2B_DATEDETECT_ERROR_TIMEZONE, local->message);
    return FALSE;
  }
  dd->has_tz = TRUE;
  dd->tz = minutes;
  conv_forget(dd);
  return TRUE;
}

static void
detector_add_defaults(F2bDateDetector *dd)
{
  ListBuilder b = list_builder_new();
  Rewriter rw;
  rewriter_init(&rw, dd->cache);
  gboolean ok = list_add_defaults(&b, dd->codes, &rw, DEFAULTS_ALL, NULL, NULL);
  g_assert(ok);
  rewriter_clear(&rw);
  detector_take_list(dd, &b);
}

static const Template *
template_at(const F2bDateDetector *dd, guint i)
{
  g_return_val_if_fail(i < dd->slots->len, NULL);
  return ((const Slot *) g_ptr_array_index(dd->slots, i))->template;
}

guint
f2b_datedetect_n_templates(const F2bDateDetector *dd)
{
  return dd->slots->len;
}

const char *
f2b_datedetect_template_name(const F2bDateDetector *dd, guint i)
{
  const Template *t = template_at(dd, i);
  return t ? t->name : NULL;
}

const char *
f2b_datedetect_template_pattern(const F2bDateDetector *dd, guint i)
{
  const Template *t = template_at(dd, i);
  return t ? t->pattern : NULL;
}

const char *
f2b_datedetect_template_regex(const F2bDateDetector *dd, guint i)
{
  const Template *t = template_at(dd, i);
  return t ? t->regex : NULL;
}

guint
f2b_datedetect_template_hits(const F2bDateDetector *dd, guint i)
{
  g_return_val_if_fail(i < dd->slots->len, 0);
  return ((const Slot *) g_ptr_array_index(dd->slots, i))->hits;
}

double
f2b_datedetect_template_weight(const F2bDateDetector *dd, guint i, double *base)
{
  g_return_val_if_fail(i < dd->slots->len, 0);
  const Slot *s = g_ptr_array_index(dd->slots, i);
  if (base)
    *base = s->weight;
  return s->hits * s->weight / (double) MAX(1, s->distance);
}

/* ------------------------------------------------------------------ */
/* Characters of a line                                                */

/* Decodes the character at byte POS; returns its length in bytes (1 for a
 * byte that does not start a valid UTF-8 sequence). */
static gsize
char_decode(const char *s, gsize len, gsize pos, Char *value)
{
  guchar b = (guchar) s[pos];
  if (b < 0x80) {
    *value = b;
    return 1;
  }
  gunichar c = g_utf8_get_char_validated(s + pos, (gssize) MIN(len - pos, 4));
  if (c == (gunichar) -1 || c == (gunichar) -2) {
    *value = CHAR_INVALID_BASE + b;
    return 1;
  }
  *value = (Char) c;
  return (gsize) g_utf8_skip[b];
}

static inline gint64
count_chars(const F2bDateDetector *dd, const char *s, gsize len, gsize from, gsize to)
{
  if (dd->line_ascii)
    return (gint64) (to - from);
  gint64 n = 0;
  Char c;
  for (gsize pos = from; pos < to; n++)
    pos += char_decode(s, len, pos, &c);
  return n;
}

/* Where character INDEX starts (LEN when the line is shorter), the
 * character there and the one before it (Python's one-character slices
 * line[index:index+1] and line[index-1:index]). */
typedef struct {
  gsize byte;
  Char here, before;
} CharPos;

static CharPos
locate_char_utf8(const char *s, gsize len, gint64 index);

static inline CharPos
locate_char(const F2bDateDetector *dd, const char *s, gsize len, gint64 index)
{
  if (!dd->line_ascii)
    return locate_char_utf8(s, len, index);
  CharPos r = { 0, CHAR_NONE, CHAR_NONE };
  r.byte = index < 0 ? 0 : (gsize) MIN(index, (gint64) len);
  if (index >= 0 && index <= (gint64) len) {
    if (index > 0)
      r.before = (guchar) s[index - 1];
    if (index < (gint64) len)
      r.here = (guchar) s[index];
  }
  return r;
}

static CharPos
locate_char_utf8(const char *s, gsize len, gint64 index)
{
  CharPos r = { 0, CHAR_NONE, CHAR_NONE };
  gsize pos = 0;
  Char c = CHAR_NONE, prev = CHAR_NONE;
  gint64 i = 0;
  while (pos < len && i < index) {
    pos += char_decode(s, len, pos, &c);
    prev = c;
    i++;
  }
  r.byte = pos;
  if (i == index) {
    if (index > 0)
      r.before = prev;
    if (pos < len)
      char_decode(s, len, pos, &r.here);
  }
  return r;
}

static Char
last_char(const char *s, gsize len)
{
  if (len == 0)
    return CHAR_NONE;
  gsize pos = len - 1;
  while (pos > 0 && len - pos < 4 && ((guchar) s[pos] & 0xc0) == 0x80)
    pos--;
  Char c;
  if (char_decode(s, len, pos, &c) != len - pos)
    char_decode(s, len, len - 1, &c);
  return c;
}

static gboolean
char_isalnum(Char c)
{
  return c >= 0 && c < CHAR_INVALID_BASE && g_unichar_isalnum((gunichar) c);
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */

typedef struct {
  Template *template;
  guint index;
  gint64 start, end;  /* character positions of the whole match */
  PCRE2_SIZE *saved;  /* owned copy of the offsets, for a match kept in reserve
                       * while the same template may be searched again */
} Hit;

static void
hit_save(Hit *dst, const Hit *src)
{
  g_free(dst->saved);
  *dst = *src;
  gsize n = 2 * (gsize) src->template->ovector_pairs;
  dst->saved = g_memdup2(src->template->ovector,
                         n * sizeof(PCRE2_SIZE));
}

static const PCRE2_SIZE *
hit_ovector(const Hit *h)
{
  return h->saved ? h->saved : h->template->ovector;
}

/* The ASCII code of T (see f2b_pyre_compile_for_ascii), or NULL: its own code serves. */
static pcre2_code *
template_ascii_code(Template *t)
{
  if (!t->ascii_tried) {
    t->ascii_tried = TRUE;
    if (!t->pyre->ascii)
      t->ascii_code = f2b_pyre_compile_for_ascii(t->pyre, t->regex, 0, NULL);
    g_clear_pointer(&t->pyre, f2b_pyre_free); /* its only use was the line above */
  }
  return t->ascii_code;
}

static gboolean
template_search(const F2bDateDetector *dd, Template *t, const char *line, gsize from, gsize to)
{
  if (!template_compile(t, dd->cache, NULL))
    return FALSE;
  if (t->fast && dd->line_ascii && from == 0 &&
      f2b_datefast_match(t->fast, line, to, t->ovector, t->ovector_pairs)) {
    t->match_count++;
    return TRUE;
  }
  pcre2_code *code = t->code;
  F2bLazyJit *lazy = &t->lazy;
  if (dd->line_ascii && template_ascii_code(t)) {
    code = t->ascii_code;
    lazy = &t->ascii_lazy;
  }
  /* f2b_pyre_compile sets PCRE2_MATCH_INVALID_UTF: the JIT code copes with any bytes */
  int rc = f2b_lazyjit_match(lazy, code, (PCRE2_SPTR) line, to, from, t->match_data, NULL);
  if (rc < 0)
    return FALSE; /* no match, or a resource limit: both mean no date here */
  t->match_count++;
  return TRUE;
}

static inline void
hit_positions(const F2bDateDetector *dd, Hit *h, const char *line, gsize len)
{
  const PCRE2_SIZE *ov = h->template->ovector;
  h->start = count_chars(dd, line, len, 0, ov[0]);
  h->end = h->start + count_chars(dd, line, len, ov[0], ov[1]);
}

static Slot *
slot_at(F2bDateDetector *dd, guint i)
{
  return g_ptr_array_index(dd->slots, i);
}

static double
slot_weight(const Slot *s)
{
  return s->hits * s->weight / (double) MAX(1, s->distance);
}

/* fail2ban's _reorderTemplate: moves a winning template up, to the first
 * never-used place or half-way, or one place, when it outweighs the
 * template there or that one was not used for five minutes. */
static guint
detector_reorder(F2bDateDetector *dd, guint num)
{
  Slot *s = slot_at(dd, num);
  double untime = s->last_used - 300;
  double weight = slot_weight(s);
  guint pos = dd->first_unused < num ? dd->first_unused : num / 2;
#define MOVEABLE(p) (weight > slot_weight(slot_at(dd, p)) || untime > slot_at(dd, p)->last_used)
  if (!MOVEABLE(pos)) {
    if (pos == num - 1)
      return num;
    pos = num - 1;
    if (!MOVEABLE(pos))
      return num;
  }
#undef MOVEABLE
  g_ptr_array_steal_index(dd->slots, num);
  g_ptr_array_insert(dd->slots, (gint) pos, s);
  while (dd->first_unused < dd->slots->len && slot_at(dd, dd->first_unused)->hits)
    dd->first_unused++;
  return pos;
}

/* Tries the last winner first: anchored ones on the whole line, others in
 * the part of the line where the date was last time, provided the
 * characters around that part agree with last time. */
static gboolean
try_last_template(F2bDateDetector *dd, const char *line, gsize len, Hit *hit, Hit *reserve,
                  guint *skip)
{
  guint i = dd->last_index;
  if (i >= dd->slots->len)
    return FALSE;
  Template *t = slot_at(dd, i)->template;
  gboolean matched;
  if (t->flags & FLAGS_ANCHORED) {
    matched = template_search(dd, t, line, 0, len);
    *skip = i;
  } else {
    CharPos b = locate_char(dd, line, len, dd->last_start.at);
    CharPos e = locate_char(dd, line, len, dd->last_end.at);
    gboolean left = b.before == dd->last_start.before ||
                    (b.here == dd->last_start.here && !char_isalnum(dd->last_start.here));
    gboolean right = e.here == dd->last_end.here ||
                     (e.before == dd->last_end.before && !char_isalnum(dd->last_end.before));
    if (left && right && b.byte <= e.byte) {
      matched = template_search(dd, t, line, b.byte, e.byte);
    } else {
      matched = template_search(dd, t, line, 0, len);
      *skip = i;
    }
  }
  if (!matched)
    return FALSE;
  *hit = (Hit) { t, i, 0, 0, NULL };
  hit_positions(dd, hit, line, len);
  if (dd->slots->len == 1 || (t->flags & FLAGS_ANCHORED) ||
      (hit->start == dd->last_start.at && hit->end == dd->last_end.at))
    return TRUE;
  hit_save(reserve, hit); /* moved: maybe another template fits better */
  return FALSE;
}

/* Searches the list in order.  A match further into the line than before
 * is kept in reserve and the search goes on; the closest reserve wins when
 * nothing better turns up. */
static gboolean
scan_templates(F2bDateDetector *dd, const char *line, gsize len, guint skip, Hit *hit, Hit *reserve)
{
  guint n = dd->slots->len;
  for (guint i = 0; i < n; i++) {
    if (i == skip)
      continue;
    Slot *s = slot_at(dd, i);
    if (!template_search(dd, s->template, line, 0, len))
      continue;
    *hit = (Hit) { s->template, i, 0, 0, NULL };
    hit_positions(dd, hit, line, len);
    if (i + 1 >= n || (s->template->flags & FLAGS_ANCHORED))
      return TRUE;
    if (hit->start == 0 && s->hits && !slot_at(dd, i + 1)->template->match_count)
      return TRUE;
    if (hit->start > s->distance || hit->start > dd->last_start.at) {
      if (hit->start < (reserve->template ? reserve->start : FAR_AWAY))
        hit_save(reserve, hit);
      continue;
    }
    return TRUE;
  }
  if (!reserve->template)
    return FALSE;
  *hit = *reserve;
  reserve->saved = NULL; /* now owned by HIT */
  return TRUE;
}

/* Returns FALSE where fail2ban fails: a match starting at the very end of
 * the line (an empty line, or a pattern that may match nothing) makes it
 * read the character there and raise IndexError, after it counted the win
 * but before it noted the position. */
static gboolean
record_win(F2bDateDetector *dd, Hit *hit, const char *line, gsize len, double now)
{
  Slot *s = slot_at(dd, hit->index);
  s->hits++;
  s->last_used = now;
  s->distance = hit->start;
  if (dd->first_unused == hit->index)
    dd->first_unused++;
  if (hit_ovector(hit)[0] >= len)
    return FALSE;
  CharPos b = locate_char(dd, line, len, hit->start);
  CharPos e = locate_char(dd, line, len, hit->end);
  dd->last_start = (LastPos) { hit->start, b.before, b.here };
  /* Python's line[end-1] with end == 0 is the last character of the line */
  dd->last_end = (LastPos) { hit->end, hit->end > 0 ? e.before : last_char(line, len), e.here };
  guint i = hit->index;
  if (i && i != dd->last_index)
    i = detector_reorder(dd, i);
  dd->last_index = i;
  hit->index = i;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Converting the match                                                */

static gboolean
epoch_value(const Template *t, const char *line, const PCRE2_SIZE *ov, double *result)
{
  guint g = t->epoch_group;
  if (g >= t->ovector_pairs || ov[2 * g] == PCRE2_UNSET)
    return FALSE;
  const char *p = line + ov[2 * g], *end = line + ov[2 * g + 1];
  g_autoptr(GString) ascii = g_string_new(NULL);
  glong chars = 0;
  gboolean dot = FALSE;
  for (; p < end; p = g_utf8_next_char(p), chars++) {
    gunichar c = g_utf8_get_char(p);
    int d = g_unichar_digit_value(c);
    if (d >= 0)
      g_string_append_c(ascii, (char) ('0' + d));
    else if (c == '.')
      g_string_append_c(ascii, '.'), dot = TRUE;
    else
      return FALSE;
  }
  char *stop = NULL;
  double v = g_ascii_strtod(ascii->str, &stop);
  if (ascii->len == 0 || *stop)
    return FALSE;
  if (t->long_epoch && chars >= 13)
    v = chars >= 16 && !dot ? v / 1000000 : v / 1000;
  *result = v;
  return TRUE;
}

static gboolean
tai64n_value(const char *line, const PCRE2_SIZE *ov, double *result)
{
  if (ov[2] == PCRE2_UNSET || ov[3] - ov[2] < 17)
    return FALSE;
  gint64 v = 0;
  for (gsize i = ov[2] + 2; i < ov[2] + 17; i++) {
    int d = g_ascii_xdigit_value(line[i]);
    if (d < 0)
      return FALSE;
    v = v * 16 + d;
  }
  *result = (double) v;
  return TRUE;
}

/* The value of a field that is one or two ASCII digits, 0..59, at group NUMBER
 * (what strptime.c reads from such a text), else -1. */
static inline gint
plain_sixty(const char *line, const PCRE2_SIZE *ov, guint number)
{
  PCRE2_SIZE b = ov[2 * number];
  if (b == PCRE2_UNSET)
    return -1;
  int d0 = line[b] - '0';
  if (d0 < 0 || d0 > 9)
    return -1;
  switch (ov[2 * number + 1] - b) {
  case 1:
    return d0;
  case 2: {
    int d1 = line[b + 1] - '0';
    return d0 <= 5 && d1 >= 0 && d1 <= 9 ? d0 * 10 + d1 : -1;
  }
  default:
    return -1;
  }
}

/* Converts the groups of a match; the minutes and seconds groups take the texts
 * MINUTE and SECOND instead of their own when those are not NULL. */
static gboolean
pattern_convert(F2bDateDetector *dd, const Template *t, const char *line, const PCRE2_SIZE *ov,
                double now, const char *minute, const char *second, double *result)
{
  guint n = t->groups->len;
  F2bStrptimeGroup on_stack[16];
  g_autofree F2bStrptimeGroup *on_heap = n > G_N_ELEMENTS(on_stack)
                                          ? g_new0(F2bStrptimeGroup, n) : NULL;
  F2bStrptimeGroup *groups = on_heap ? on_heap : on_stack;
  memset(groups, 0, sizeof(F2bStrptimeGroup) * MIN(n, G_N_ELEMENTS(on_stack)));
  for (guint i = 0; i < n; i++) {
    const DateGroup *g = &g_array_index(t->groups, DateGroup, i);
    groups[i].name = g->name;
    if (ov[2 * g->number] != PCRE2_UNSET) {
      groups[i].value = line + ov[2 * g->number];
      groups[i].len = ov[2 * g->number + 1] - ov[2 * g->number];
    }
  }
  const char *texts[] = { minute, second };
  const gint keys[] = { t->key_minute, t->key_second };
  for (guint k = 0; k < 2; k++) {
    if (texts[k]) {
      F2bStrptimeGroup *g = &groups[t->key_groups[keys[k]]];
      g->value = texts[k];
      g->len = strlen(texts[k]);
    }
  }
  return f2b_strptime_groups_to_time_cached(groups, n, now, dd->has_tz ? &dd->tz : NULL,
                                            &dd->zone_cache, result, NULL);
}

/* Whether the conversion over the range of this match's time where the seconds
 * (and with WITH_MINUTES the minutes too) run from 0 to 59 is the time at the
 * start of the range (*BASE) plus the seconds elapsed, so that two conversions
 * answer for a whole minute or hour of lines.
 *
 * Why the two ends decide.  With the other fields fixed, the conversion of the
 * x-th second of the range is base + x + c(x), and c steps only where a rule of
 * strptime.c switches: a time without a date after "now" goes back a day
 * (-86400, at one threshold), a date without a year more than a day ahead goes
 * back a year (a whole number of days, at one threshold), and the local zone's
 * offset changes at a transition (by less than a day, and the zone database
 * has no two transitions within an hour).  Range checks (years 1..9999, time_t)
 * are thresholds too: both ends converted means the whole range converts.
 * Steps of whole days that only go down and at most one step of less than a
 * day cannot add up to zero unless there is none, so c(end) == c(0) means c is
 * constant over the range. */
static gboolean
range_is_linear(F2bDateDetector *dd, const Template *t, const char *line, const PCRE2_SIZE *ov,
                double now, gboolean with_minutes, double *base)
{
  double last;
  return pattern_convert(dd, t, line, ov, now, with_minutes ? "00" : NULL, "00", base) &&
         pattern_convert(dd, t, line, ov, now, with_minutes ? "59" : NULL, "59", &last) &&
         last - *base == (with_minutes ? 3599 : 59);
}

/* The first N (at most 4) bytes at P as one number, the others zero: what a
 * 4-byte load masked to its first N bytes in memory gives. */
static inline guint32
word_mask(gsize n)
{
  if (n >= 4)
    return 0xffffffffu;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return (1u << (8 * n)) - 1;
#else
  return ~(0xffffffffu >> (8 * n));
#endif
}

static guint32
word_of(const char *p, gsize n)
{
  guint32 w = 0;
  memcpy(&w, p, MIN(n, 4));
  return w;
}

/* Whether E holds the conversion of T's key group texts in this match of LINE
 * (LEN bytes), those in SKIP left out, for NOW.  Texts are compared in place,
 * those of up to four bytes as one word when four bytes can be read there. */
static inline gboolean
conv_entry_hit(const ConvEntry *e, const Template *t, const char *line, gsize len,
               const PCRE2_SIZE *ov, double now, guint skip)
{
  if (e->template != t || e->now != now || e->skip != skip)
    return FALSE;
  for (guint i = 0; i < e->n_compared; i++) {
    guint g = e->numbers[i];
    PCRE2_SIZE b = ov[2 * g];
    if (b == PCRE2_UNSET) {
      if (e->lengths[i] != CONV_UNSET)
        return FALSE;
      continue;
    }
    gsize n = ov[2 * g + 1] - b;
    if (n != e->lengths[i])
      return FALSE;
    const char *x = line + b;
    if (n <= 4 && b + 4 <= len) {
      guint32 w;
      memcpy(&w, x, 4);
      if ((w & e->masks[i]) != e->words[i])
        return FALSE;
      continue;
    }
    const char *y = e->texts->str + e->offsets[i];
    for (gsize k = 0; k < n; k++)
      if (x[k] != y[k])
        return FALSE;
  }
  return TRUE;
}

/* Makes E the entry of this match's key group texts (those in SKIP left out). */
static void
conv_entry_store(ConvEntry *e, const Template *t, const char *line, const PCRE2_SIZE *ov,
                 double now, guint skip)
{
  if (e->capacity < t->n_key_groups) {
    e->capacity = t->n_key_groups;
    e->numbers = g_renew(guint, e->numbers, e->capacity);
    e->words = g_renew(guint32, e->words, e->capacity);
    e->masks = g_renew(guint32, e->masks, e->capacity);
    e->offsets = g_renew(gsize, e->offsets, e->capacity);
    e->lengths = g_renew(gsize, e->lengths, e->capacity);
  }
  e->template = t;
  e->now = now;
  e->skip = skip;
  e->n_compared = 0;
  g_string_truncate(e->texts, 0);
  for (guint i = 0; i < t->n_key_groups; i++) {
    if (skip & (1u << i))
      continue;
    guint g = t->key_numbers[i], k = e->n_compared++;
    e->numbers[k] = g;
    e->offsets[k] = e->texts->len;
    e->lengths[k] = CONV_UNSET;
    e->words[k] = e->masks[k] = 0;
    if (ov[2 * g] == PCRE2_UNSET)
      continue;
    e->lengths[k] = ov[2 * g + 1] - ov[2 * g];
    e->words[k] = word_of(line + ov[2 * g], e->lengths[k]);
    e->masks[k] = word_mask(e->lengths[k]);
    g_string_append_len(e->texts, line + ov[2 * g], (gssize) e->lengths[k]);
  }
}

/* The hour entry of a match whose minutes and seconds are plain 0..59: the one
 * kept when its key texts are this match's, else made for them. */
static const ConvEntry *
hour_entry(F2bDateDetector *dd, const Template *t, const char *line, gsize len,
           const PCRE2_SIZE *ov, double now)
{
  guint skip = (1u << t->key_second) | (1u << t->key_minute);
  ConvEntry *h = &dd->conv_hour;
  if (!conv_entry_hit(h, t, line, len, ov, now, skip)) {
    conv_entry_store(h, t, line, ov, now, skip);
    h->ok = range_is_linear(dd, t, line, ov, now, TRUE, &h->value);
  }
  return h;
}

/* The time of a pattern template's match.  Logs have many lines per hour and
 * few per second: a line whose minutes and seconds are plain 0..59 is looked
 * up by the rest of its fields (its hour), and when the conversion is linear
 * over that hour (range_is_linear) it is the hour's base plus its minutes and
 * seconds; else the same by minute; else the last exact conversion is reused
 * when every field is the same. */
static gboolean
pattern_value(F2bDateDetector *dd, const Template *t, const char *line, gsize len,
              const PCRE2_SIZE *ov, double now, double *result)
{
  gint sec = t->key_second >= 0 ? plain_sixty(line, ov, t->key_numbers[t->key_second]) : -1;
  if (sec >= 0) {
    gint min = t->key_minute >= 0 ? plain_sixty(line, ov, t->key_numbers[t->key_minute]) : -1;
    if (min >= 0) {
      const ConvEntry *h = hour_entry(dd, t, line, len, ov, now);
      if (h->ok) {
        *result = h->value + 60 * min + sec;
        return TRUE;
      }
    }
    guint skip = 1u << t->key_second;
    ConvEntry *m = &dd->conv_minute;
    if (!conv_entry_hit(m, t, line, len, ov, now, skip)) {
      conv_entry_store(m, t, line, ov, now, skip);
      m->ok = range_is_linear(dd, t, line, ov, now, FALSE, &m->value);
    }
    if (m->ok) {
      *result = m->value + sec;
      return TRUE;
    }
  }
  ConvEntry *x = &dd->conv_exact;
  if (!conv_entry_hit(x, t, line, len, ov, now, 0)) {
    conv_entry_store(x, t, line, ov, now, 0);
    x->ok = pattern_convert(dd, t, line, ov, now, NULL, NULL, &x->value);
  }
  *result = x->value;
  return x->ok;
}

static void
fill_result(F2bDateDetector *dd, const Hit *hit, const char *line, gsize len, double now,
            F2bDateMatch *out)
{
  const Template *t = hit->template;
  const PCRE2_SIZE *ov = hit_ovector(hit);
  out->template_index = hit->index;
  out->template_name = t->name;
  if (t->ovector_pairs < 2 || ov[2] == PCRE2_UNSET) {
    /* fail2ban slices with -1 here: everything but the last character is
     * "before the date", the last character "after" */
    gsize last = len;
    if (len > 0) {
      last = len - 1;
      while (last > 0 && len - last < 4 && ((guchar) line[last] & 0xc0) == 0x80)
        last--;
    }
    out->start = out->end = last;
    out->status = F2B_DATE_EMPTY;
    return;
  }
  out->start = ov[2];
  out->end = ov[3];
  if (out->start == out->end) {
    out->status = F2B_DATE_EMPTY;
    return;
  }
  gboolean ok;
  switch (t->kind) {
  case KIND_EPOCH:
    ok = epoch_value(t, line, ov, &out->time);
    break;
  case KIND_TAI64N:
    ok = tai64n_value(line, ov, &out->time);
    break;
  default:
    ok = pattern_value(dd, t, line, len, ov, now, &out->time);
    break;
  }
  out->status = ok ? F2B_DATE_FOUND : F2B_DATE_UNPARSABLE;
  if (!ok)
    out->time = 0;
}

/* ------------------------------------------------------------------ */
/* The fast lane: the last winner again, walked by datefast.c          */

/* The N (at most 8) bytes at LINE + B as one number (the others zero): an 8-byte
 * load masked to its first N bytes in memory when 8 bytes can be read there. */
static inline guint64
text_word(const char *line, gsize len, gsize b, gsize n)
{
  guint64 w = 0;
  if (b + 8 <= len) {
    memcpy(&w, line + b, 8);
    if (n < 8)
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      w &= (G_GUINT64_CONSTANT(1) << (8 * n)) - 1;
#else
      w &= ~(G_MAXUINT64 >> (8 * n));
#endif
    return w;
  }
  memcpy(&w, line + b, n);
  return w;
}

/* Whether the text of tail key K of this match is the one FL holds. */
static inline gboolean
tail_key_same(const FastLane *fl, const Template *t, guint k, const char *line, gsize len,
              const PCRE2_SIZE *ov)
{
  guint g = t->tail_keys[k];
  PCRE2_SIZE b = ov[2 * g];
  if (b == PCRE2_UNSET)
    return fl->tail_len[k] == CONV_UNSET;
  gsize n = ov[2 * g + 1] - b;
  return n == fl->tail_len[k] && text_word(line, len, b, n) == fl->tail_word[k];
}

/* Whether the tail key texts of this match are those FL holds (two at most). */
static inline gboolean
tail_keys_same(const FastLane *fl, const Template *t, const char *line, gsize len,
               const PCRE2_SIZE *ov)
{
  return (t->n_tail_keys < 1 || tail_key_same(fl, t, 0, line, len, ov)) &&
         (t->n_tail_keys < 2 || tail_key_same(fl, t, 1, line, len, ov));
}

/* Keeps the tail key texts of this match in FL; FALSE when one is too long. */
static gboolean
tail_keys_store(FastLane *fl, const Template *t, const char *line, gsize len,
                const PCRE2_SIZE *ov)
{
  for (guint k = 0; k < t->n_tail_keys; k++) {
    guint g = t->tail_keys[k];
    PCRE2_SIZE b = ov[2 * g];
    fl->tail_len[k] = CONV_UNSET;
    fl->tail_word[k] = 0;
    if (b == PCRE2_UNSET)
      continue;
    gsize n = ov[2 * g + 1] - b;
    if (n > 8)
      return FALSE;
    fl->tail_len[k] = n;
    fl->tail_word[k] = text_word(line, len, b, n);
  }
  return TRUE;
}

/* Whether FL holds no text for any tail key (the year or zone was absent). */
static gboolean
tail_keys_unset(const FastLane *fl, const Template *t)
{
  for (guint k = 0; k < t->n_tail_keys; k++)
    if (fl->tail_len[k] != CONV_UNSET)
      return FALSE;
  return TRUE;
}

/* pattern_value() for a match of the fast lane: with plain minutes and seconds
 * the hour's answer is FL's when it was got for this head (hour_known is cleared
 * when the head changes), these tail key texts and this "now"; else it is looked
 * up (hour_entry) and kept for the next lines. */
static gboolean
fast_value(F2bDateDetector *dd, FastLane *fl, const Template *t, const char *line, gsize len,
           double now, double *result)
{
  const PCRE2_SIZE *ov = fl->head.ov;
  /* the template's minutes and seconds are the matcher's (see template_fast_new) */
  gint min = fl->head.mmss[0], sec = fl->head.mmss[1];
  if (min < 0) {
    sec = plain_sixty(line, ov, t->key_numbers[t->key_second]);
    min = plain_sixty(line, ov, t->key_numbers[t->key_minute]);
  }
  if (sec < 0 || min < 0)
    return pattern_value(dd, t, line, len, ov, now, result);
  if (!fl->hour_known || fl->hour_now != now ||
      !tail_keys_same(fl, t, line, len, ov)) {
    const ConvEntry *h = hour_entry(dd, t, line, len, ov, now);
    fl->hour_ok = h->ok;
    fl->hour_base = h->value;
    fl->hour_now = now;
    fl->hour_known = tail_keys_store(fl, t, line, len, ov);
    fl->hour_plain = fl->hour_known && fl->hour_ok && tail_keys_unset(fl, t);
  }
  if (!fl->hour_ok)
    return pattern_value(dd, t, line, len, ov, now, result);
  *result = fl->hour_base + 60 * min + sec;
  return TRUE;
}

/* What record_win and fill_result record of a win of the fast lane (slot I,
 * template T, the match OV), but the time and status. */
static inline void
fast_record(F2bDateDetector *dd, guint i, Slot *s, Template *t, const PCRE2_SIZE *ov,
            const char *line, gsize len, double now, F2bDateMatch *out)
{
  gsize end = ov[1];
  t->match_count++;
  s->hits++;
  s->last_used = now;
  s->distance = 0;
  if (dd->first_unused == i)
    dd->first_unused++;
  dd->last_start = (LastPos) { 0, CHAR_NONE, (guchar) line[0] };
  dd->last_end = (LastPos) { (gint64) end, (guchar) line[end - 1],
                             end < len ? (guchar) line[end] : CHAR_NONE };
  out->template_index = i;
  out->template_name = t->name;
  out->start = ov[2];
  out->end = ov[3];
}

/* What try_last_template, record_win and fill_result do when the last winner is
 * an anchored template of datefast.c, the line is ASCII and its matcher answers,
 * without the steps that cannot apply: the match starts at offset 0 (character 0),
 * is not empty (so fail2ban raises no IndexError) and the winner stays where it
 * is.  FALSE when the lane does not apply: the general path then decides. */
static gboolean
fast_lane(F2bDateDetector *dd, const char *line, gsize len, double now, F2bDateMatch *out)
{
  guint i = dd->last_index;
  if (!dd->line_ascii || i >= dd->slots->len)
    return FALSE;
  /* every field of OUT is set below */
  Slot *s = slot_at(dd, i);
  Template *t = s->template;
  if (!t->lane)
    return FALSE;
  FastLane *fl = &dd->fast;
  if (fl->template != t) {
    fl->template = t;
    fl->head.matcher = NULL;
    fl->hour_known = fl->hour_plain = FALSE;
  }
  gboolean same_head;
  gboolean matched = f2b_datefast_match_cached(t->fast, &fl->head, line, len, &same_head);
  if (!same_head)
    fl->hour_known = fl->hour_plain = FALSE; /* even without a match: the head may be new */
  if (!matched)
    return FALSE;
  fast_record(dd, i, s, t, fl->head.ov, line, len, now, out);
  if (fast_value(dd, fl, t, line, len, now, &out->time)) {
    out->status = F2B_DATE_FOUND;
  } else {
    out->status = F2B_DATE_UNPARSABLE;
    out->time = 0;
  }
  return TRUE;
}

/* The usual line of the fast lane, in few steps: an ASCII line that shares the
 * head of the last one, has a plain tail (f2b_datefast_match_plain), and whose
 * hour's answer FastLane holds (hour_plain) for this "now". */
static inline gboolean
plain_lane(F2bDateDetector *dd, const char *line, gsize len, int ascii, double now,
           F2bDateMatch *out)
{
  FastLane *fl = &dd->fast;
  guint i = dd->last_index;
  if (ascii <= 0 || !fl->hour_plain || fl->hour_now != now || i >= dd->slots->len)
    return FALSE;
  Slot *s = slot_at(dd, i);
  Template *t = s->template;
  if (fl->template != t)
    return FALSE;
  int mmss = f2b_datefast_match_plain(t->fast, &fl->head, line, len);
  if (mmss < 0)
    return FALSE;
  dd->line_ascii = TRUE;
  fast_record(dd, i, s, t, fl->head.ov, line, len, now, out);
  out->time = fl->hour_base + mmss;
  out->status = F2B_DATE_FOUND;
  return TRUE;
}

gboolean
f2b_datedetect_match(F2bDateDetector *dd, const char *line, gsize len, double now,
                     F2bDateMatch *out)
{
  return f2b_datedetect_match_ascii(dd, line, len, -1, now, out);
}

/* f2b_datedetect_match_ascii() but plain_lane */
static G_NO_INLINE gboolean
match_ascii_other(F2bDateDetector *dd, const char *line, gsize len, int ascii, double now,
                  F2bDateMatch *out)
{
  if (!line)
    line = "";
  if (dd->slots->len == 0)
    detector_add_defaults(dd);
  dd->line_ascii = ascii < 0 ? f2b_pystr_is_ascii(line, len) : ascii != 0;
  if (fast_lane(dd, line, len, now, out))
    return out->status == F2B_DATE_FOUND;
  *out = (F2bDateMatch) { F2B_DATE_NONE, 0, 0, 0, 0, NULL };
  Hit hit = { 0 }, reserve = { 0 };
  guint skip = FAR_AWAY;
  if (try_last_template(dd, line, len, &hit, &reserve, &skip) ||
      scan_templates(dd, line, len, skip, &hit, &reserve)) {
    if (record_win(dd, &hit, line, len, now)) {
      fill_result(dd, &hit, line, len, now, out);
    } else {
      out->status = F2B_DATE_ERROR;
      out->template_index = hit.index;
      out->template_name = hit.template->name;
    }
  }
  if (hit.saved)
    g_free(hit.saved);
  if (reserve.saved)
    g_free(reserve.saved);
  return out->status == F2B_DATE_FOUND;
}

gboolean
f2b_datedetect_match_ascii(F2bDateDetector *dd, const char *line, gsize len, int ascii,
                           double now, F2bDateMatch *out)
{
  g_return_val_if_fail(dd != NULL && out != NULL && (line != NULL || len == 0), FALSE);
  /* hour_plain is set only by lines of the fast lane: LINE is not NULL then */
  if (plain_lane(dd, line, len, ascii, now, out))
    return TRUE;
  return match_ascii_other(dd, line, len, ascii, now, out);
}
