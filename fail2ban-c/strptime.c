/* strptime.c - fail2ban's "%" date codes and the conversion of matched date
 * fields into seconds since the epoch.
 *
 * Dates are handled as "naive" civil times (fields without a zone), the way
 * fail2ban compares them with Python datetime objects: the inference of a
 * missing year or day compares the parsed fields with the local civil time
 * of "now", even when the line carried a zone offset (fail2ban does the
 * same, so a line in UTC is compared against local wall time).  Only the
 * final step turns fields into an epoch value, with timegm() rules when an
 * offset is known and with mktime() (local zone, DST guessed) otherwise. */
#include "strptime.h"

#include <string.h>
#include <time.h>

#include "pystr.h"

G_DEFINE_QUARK(f2b-strptime-error-quark, f2b_strptime_error)

/* ---- names as Python's C locale spells them (lower case) ---- */

static const char *const month_full[] = {
  "", "january", "february", "march", "april", "may", "june", "july",
  "august", "september", "october", "november", "december", NULL
};
static const char *const month_abbr[] = {
  "", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
  "nov", "dec", NULL
};
static const char *const weekday_full[] = {
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
  "sunday", NULL
};
static const char *const weekday_abbr[] = {
  "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL
};

/* ---- the code table ----
 * Expressions for the codes Python's strptime knows come from Python's
 * TimeRE in the C locale (alternatives ordered longest first, as Python
 * does), with fail2ban's narrower replacements for d, m, Y, H, M, S, z, Z
 * and its additions (k, l and the "Ex" family). */

#define ZONE_ABBR "[A-Z](?:[A-Z]{2,4})?"

typedef struct {
  const char *code;
  const char *regex; /* NULL: built at run time (ExY) */
  const char *display;
} CodeSpec;

static const CodeSpec code_specs[] = {
  /* "Ex" codes first: the pattern scanner must prefer them over "E". */
  { "ExZ", "(?P<Z>" ZONE_ABBR ")", "ExZone name" },
  { "Exz", "(?P<z>(?:" ZONE_ABBR ")?[+-][01]\\d(?::?\\d{2})?|" ZONE_ABBR ")", "ExZone offset" },
  { "Exd", "(?P<d>[1-2]\\d|0[1-9]|3[0-1])", "ExDay" },
  { "Exm", "(?P<m>0[1-9]|1[0-2])", "ExMonth" },
  { "ExH", "(?P<H>[0-1]\\d|2[0-3])", "Ex24hour" },
  { "Exk", " ?(?P<H>[0-1]?\\d|2[0-3])", "%Exk" },
  { "Exl", " ?(?P<I>1[0-2]|\\d)", "%Exl" },
  { "ExM", "(?P<M>[0-5]\\d)", "ExMinute" },
  { "ExS", "(?P<S>[0-5]\\d|6[0-1])", "ExSecond" },
  { "ExY", NULL, "ExYear" },
  { "Exy", "(?P<y>\\d{2})", "ExYear2" },
  { "d", "(?P<d>[1-2]\\d|[0 ]?[1-9]|3[0-1])", "Day" },
  { "f", "(?P<f>[0-9]{1,6})", "Microseconds" },
  { "H", "(?P<H>[0-1]?\\d|2[0-3])", "24hour" },
  { "I", "(?P<I>1[0-2]|0[1-9]|[1-9])", "12hour" },
  { "G", "(?P<G>\\d\\d\\d\\d)", "%G" },
  { "j", "(?P<j>36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])", "Yearday" },
  { "m", "(?P<m>0?[1-9]|1[0-2])", "Month" },
  { "M", "(?P<M>[0-5]?\\d)", "Minute" },
  { "S", "(?P<S>[0-5]?\\d|6[0-1])", "Second" },
  { "U", "(?P<U>5[0-3]|[0-4]\\d|\\d)", "Yearweek" },
  { "w", "(?P<w>[0-6])", "Weekday" },
  { "u", "(?P<u>[1-7])", "%u" },
  { "V", "(?P<V>5[0-3]|0[1-9]|[1-4]\\d|\\d)", "%V" },
  { "y", "(?P<y>\\d\\d)", "Year2" },
  { "Y", "(?P<Y>\\d{4})", "Year" },
  { "z", "(?P<z>Z|UTC|GMT|[+-][01]\\d(?::?\\d{2})?)", "Zone offset" },
  { "A", "(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)", "DAYNAME" },
  { "a", "(?P<a>mon|tue|wed|thu|fri|sat|sun)", "DAY" },
  { "B", "(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)", "MONTH" },
  { "b", "(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", "MON" },
  { "p", "(?P<p>am|pm)", "AMPM" },
  { "Z", "(?P<Z>Z|[A-Z]{3,5})", "Zone name" },
  { "%", "%", "%" },
  { "W", "(?P<W>5[0-3]|[0-4]\\d|\\d)", "Yearweek" },
  { "c", "(?P<a>mon|tue|wed|thu|fri|sat|sun)\\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
         "\\s+(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])\\s+(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d)"
         ":(?P<S>6[0-1]|[0-5]\\d|\\d)\\s+(?P<Y>\\d\\d\\d\\d)", "%c" },
  { "x", "(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9])/(?P<y>\\d\\d)", "%x" },
  { "X", "(?P<H>2[0-3]|[0-1]\\d|\\d):(?P<M>[0-5]\\d|\\d):(?P<S>6[0-1]|[0-5]\\d|\\d)", "%X" },
  { "k", " ?(?P<H>[0-2]?\\d)", "%k" },
  { "l", " ?(?P<I>1?\\d)", "%l" },
};

/* fail2ban narrows %ExY to the centuries ("200", "201", ...) of the years
 * from the last year up to three years ahead, plus every third year from
 * the year before 2001 (local time) up to now, so that old test logs keep
 * matching.  The set of three-digit prefixes is written as a compact
 * alternation: a common leading part is factored out recursively. */
static void
append_prefix_alternation(GString *out, GPtrArray *items)
{
  guint n = items->len;
  if (n == 1) {
    g_string_append(out, g_ptr_array_index(items, 0));
    return;
  }
  const char *first = g_ptr_array_index(items, 0);
  gsize flen = strlen(first);
  gsize common = 0;
  /* all but the last character shared by every item? */
  if (flen > 1) {
    gboolean same = TRUE;
    for (guint i = 1; i < n && same; i++) {
      const char *s = g_ptr_array_index(items, i);
      same = strlen(s) == flen && strncmp(s, first, flen - 1) == 0;
    }
    if (same)
      common = flen - 1;
  }
  if (common == 0 && flen > 0) {
    gboolean same = TRUE;
    for (guint i = 1; i < n && same; i++) {
      const char *s = g_ptr_array_index(items, i);
      same = s[0] == first[0];
    }
    if (same)
      common = 1;
  }
  if (common > 0) {
    g_string_append_len(out, first, common);
    g_autoptr(GPtrArray) rest = g_ptr_array_new();
    for (guint i = 0; i < n; i++)
      g_ptr_array_add(rest, (char *) g_ptr_array_index(items, i) + common);
    append_prefix_alternation(out, rest);
    return;
  }
  gboolean multi = flen > 1;
  g_string_append(out, multi ? "(?:" : "[");
  for (guint i = 0; i < n; i++) {
    if (multi && i > 0)
      g_string_append_c(out, '|');
    g_string_append(out, g_ptr_array_index(items, i));
  }
  g_string_append(out, multi ? ")" : "]");
}

static void
add_century(GPtrArray *set, int year)
{
  char *c = g_strdup_printf("%d", year);
  if (strlen(c) > 3)
    c[3] = '\0';
  for (guint i = 0; i < set->len; i++) {
    if (strcmp(g_ptr_array_index(set, i), c) == 0) {
      g_free(c);
      return;
    }
  }
  g_ptr_array_add(set, c);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The centuries (first three digits) of the years %ExY accepts, sorted. */
static GPtrArray *
year_centuries(int wall_year, int epoch2001_year)
{
  GPtrArray *set = g_ptr_array_new_with_free_func(g_free);
  add_century(set, wall_year - 1);
  add_century(set, wall_year + 3);
  for (int i = -1; i < wall_year - epoch2001_year + 1; i += 3)
    add_century(set, epoch2001_year + i);
  g_ptr_array_sort(set, compare_strings);
  return set;
}

char *
f2b_strptime_year_regex(int wall_year, int epoch2001_year)
{
  g_autoptr(GPtrArray) set = year_centuries(wall_year, epoch2001_year);
  GString *out = g_string_new("(?P<Y>");
  append_prefix_alternation(out, set);
  g_string_append(out, "\\d)");
  return g_string_free(out, FALSE);
}

gboolean
f2b_strptime_year_centuries(int wall_year, int epoch2001_year, guint8 centuries[1000])
{
  g_autoptr(GPtrArray) set = year_centuries(wall_year, epoch2001_year);
  memset(centuries, 0, 1000);
  for (guint i = 0; i < set->len; i++) {
    const char *c = g_ptr_array_index(set, i);
    if (strlen(c) != 3 || !g_ascii_isdigit(c[0]) || !g_ascii_isdigit(c[1]) ||
        !g_ascii_isdigit(c[2]))
      return FALSE; /* a year before 100 or a negative one: not four digits */
    centuries[(c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0')] = 1;
  }
  return TRUE;
}

F2bStrptimeCode *
f2b_strptime_codes_new(int wall_year, int epoch2001_year)
{
  gsize n = G_N_ELEMENTS(code_specs);
  F2bStrptimeCode *codes = g_new0(F2bStrptimeCode, n + 1);
  for (gsize i = 0; i < n; i++) {
    codes[i].code = code_specs[i].code;
    codes[i].display = code_specs[i].display;
    codes[i].regex = code_specs[i].regex
                       ? g_strdup(code_specs[i].regex)
                       : f2b_strptime_year_regex(wall_year, epoch2001_year);
  }
  return codes;
}

void
f2b_strptime_codes_free(F2bStrptimeCode *codes)
{
  if (!codes)
    return;
  for (F2bStrptimeCode *c = codes; c->code; c++)
    g_free((char *) c->regex);
  g_free(codes);
}

/* ---- Python int() ---- */

gboolean
f2b_strptime_parse_int(const char *text, gsize len, gint64 *value)
{
  /* the usual field: ASCII digits, maybe padded with spaces (" 1") */
  gsize from = 0, to = len;
  while (from < to && (text[from] == ' ' || (text[from] >= '\t' && text[from] <= '\r')))
    from++;
  while (to > from && (text[to - 1] == ' ' || (text[to - 1] >= '\t' && text[to - 1] <= '\r')))
    to--;
  if (to > from && to - from <= 18) {
    gint64 v = 0;
    gsize i = from;
    for (; i < to && text[i] >= '0' && text[i] <= '9'; i++)
      v = v * 10 + (text[i] - '0');
    if (i == to) {
      *value = v;
      return TRUE;
    }
  }
  gboolean saturated;
  /* a number past gint64 is far outside any date field: refused */
  return f2b_pystr_to_int(text, len, value, &saturated) && !saturated;
}

/* ---- time zones ---- */

typedef struct {
  const char *abbr;
  int minutes;
} ZoneAbbr;

/* Fixed offsets fail2ban assigns to zone abbreviations (no DST switching:
 * "CET" is always +01:00).  Two-letter entries and "ChST" cannot be reached
 * through its abbreviation syntax but are kept for completeness. */
static const ZoneAbbr zone_abbrs[] = {
  { "Y", -720 },
  { "X", -660 }, { "NUT", -660 }, { "SST", -660 },
  { "W", -600 }, { "CKT", -600 }, { "HAST", -600 }, { "HST", -600 }, { "TAHT", -600 }, { "TKT", -600 },
  { "V", -540 }, { "AKST", -540 }, { "GAMT", -540 }, { "GIT", -540 }, { "HADT", -540 }, { "HNY", -540 },
  { "U", -480 }, { "AKDT", -480 }, { "CIST", -480 }, { "HAY", -480 }, { "HNP", -480 }, { "PST", -480 },
  { "PT", -480 },
  { "T", -420 }, { "HAP", -420 }, { "HNR", -420 }, { "MST", -420 }, { "PDT", -420 },
  { "S", -360 }, { "CST", -360 }, { "EAST", -360 }, { "GALT", -360 }, { "HAR", -360 }, { "HNC", -360 },
  { "MDT", -360 },
  { "R", -300 }, { "CDT", -300 }, { "COT", -300 }, { "EASST", -300 }, { "ECT", -300 }, { "EST", -300 },
  { "ET", -300 }, { "HAC", -300 }, { "HNE", -300 }, { "PET", -300 },
  { "Q", -240 }, { "AST", -240 }, { "BOT", -240 }, { "CLT", -240 }, { "COST", -240 }, { "EDT", -240 },
  { "FKT", -240 }, { "GYT", -240 }, { "HAE", -240 }, { "HNA", -240 }, { "PYT", -240 },
  { "P", -180 }, { "ADT", -180 }, { "ART", -180 }, { "BRT", -180 }, { "CLST", -180 }, { "FKST", -180 },
  { "GFT", -180 }, { "HAA", -180 }, { "PMST", -180 }, { "PYST", -180 }, { "SRT", -180 }, { "UYT", -180 },
  { "WGT", -180 },
  { "O", -120 }, { "BRST", -120 }, { "FNT", -120 }, { "PMDT", -120 }, { "UYST", -120 }, { "WGST", -120 },
  { "N", -60 }, { "AZOT", -60 }, { "CVT", -60 }, { "EGT", -60 },
  { "Z", 0 }, { "EGST", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "WET", 0 }, { "WT", 0 },
  { "A", 60 }, { "CET", 60 }, { "DFT", 60 }, { "WAT", 60 }, { "WEDT", 60 }, { "WEST", 60 },
  { "B", 120 }, { "CAT", 120 }, { "CEDT", 120 }, { "CEST", 120 }, { "EET", 120 }, { "SAST", 120 },
  { "WAST", 120 },
  { "C", 180 }, { "EAT", 180 }, { "EEDT", 180 }, { "EEST", 180 }, { "IDT", 180 }, { "MSK", 180 },
  { "D", 240 }, { "AMT", 240 }, { "AZT", 240 }, { "GET", 240 }, { "GST", 240 }, { "KUYT", 240 },
  { "MSD", 240 }, { "MUT", 240 }, { "RET", 240 }, { "SAMT", 240 }, { "SCT", 240 },
  { "E", 300 }, { "AMST", 300 }, { "AQTT", 300 }, { "AZST", 300 }, { "HMT", 300 }, { "MAWT", 300 },
  { "MVT", 300 }, { "PKT", 300 }, { "TFT", 300 }, { "TJT", 300 }, { "TMT", 300 }, { "UZT", 300 },
  { "YEKT", 300 },
  { "F", 360 }, { "ALMT", 360 }, { "BIOT", 360 }, { "BTT", 360 }, { "IOT", 360 }, { "KGT", 360 },
  { "NOVT", 360 }, { "OMST", 360 }, { "YEKST", 360 },
  { "G", 420 }, { "CXT", 420 }, { "DAVT", 420 }, { "HOVT", 420 }, { "ICT", 420 }, { "KRAT", 420 },
  { "NOVST", 420 }, { "OMSST", 420 }, { "THA", 420 }, { "WIB", 420 },
  { "H", 480 }, { "ACT", 480 }, { "AWST", 480 }, { "BDT", 480 }, { "BNT", 480 }, { "CAST", 480 },
  { "HKT", 480 }, { "IRKT", 480 }, { "KRAST", 480 }, { "MYT", 480 }, { "PHT", 480 }, { "SGT", 480 },
  { "ULAT", 480 }, { "WITA", 480 }, { "WST", 480 },
  { "I", 540 }, { "AWDT", 540 }, { "IRKST", 540 }, { "JST", 540 }, { "KST", 540 }, { "PWT", 540 },
  { "TLT", 540 }, { "WDT", 540 }, { "WIT", 540 }, { "YAKT", 540 },
  { "K", 600 }, { "AEST", 600 }, { "ChST", 600 }, { "PGT", 600 }, { "VLAT", 600 }, { "YAKST", 600 },
  { "YAPT", 600 },
  { "L", 660 }, { "AEDT", 660 }, { "LHDT", 660 }, { "MAGT", 660 }, { "NCT", 660 }, { "PONT", 660 },
  { "SBT", 660 }, { "VLAST", 660 }, { "VUT", 660 },
  { "M", 720 }, { "ANAST", 720 }, { "ANAT", 720 }, { "FJT", 720 }, { "GILT", 720 }, { "MAGST", 720 },
  { "MHT", 720 }, { "NZST", 720 }, { "PETST", 720 }, { "PETT", 720 }, { "TVT", 720 }, { "WFT", 720 },
  { "FJST", 780 }, { "NZDT", 780 },
  { "NFT", 690 },
  { "ACDT", 630 }, { "LHST", 630 },
  { "ACST", 570 },
  { "CCT", 390 }, { "MMT", 390 },
  { "NPT", 345 },
  { "SLT", 330 },
  { "AFT", 270 }, { "IRDT", 270 },
  { "IRST", 210 },
  { "HAT", -150 }, { "NDT", -150 },
  { "HNT", -210 }, { "NST", -210 }, { "NT", -210 },
  { "HLV", -270 }, { "VET", -270 },
  { "MART", -570 }, { "MIT", -570 },
};

static gboolean
lookup_zone_abbr(const gunichar *abbr, gsize n, int *minutes)
{
  if (n == 0) {
    *minutes = 0;
    return TRUE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(zone_abbrs); i++) {
    const char *a = zone_abbrs[i].abbr;
    gsize j = 0;
    while (j < n && a[j] && (gunichar) a[j] == abbr[j])
      j++;
    if (j == n && a[j] == '\0') {
      *minutes = zone_abbrs[i].minutes;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
ucs4_int(const gunichar *s, gsize n, gint64 *value)
{
  g_autofree char *utf8 = g_ucs4_to_utf8(s, (glong) n, NULL, NULL, NULL);
  return utf8 && f2b_strptime_parse_int(utf8, strlen(utf8), value);
}

static gboolean
is_digit_char(gunichar c)
{
  return g_unichar_digit_value(c) >= 0;
}

/* Length of a "[+-][01]d", "[+-][01]ddd" or "[+-][01]d:dd" offset at S, or 0. */
static gsize
offset_length(const gunichar *s, gsize n)
{
  if (n < 3 || (s[0] != '+' && s[0] != '-') || (s[1] != '0' && s[1] != '1') || !is_digit_char(s[2]))
    return 0;
  if (n >= 6 && s[3] == ':' && is_digit_char(s[4]) && is_digit_char(s[5]))
    return 6;
  if (n >= 5 && is_digit_char(s[3]) && is_digit_char(s[4]))
    return 5;
  return 3;
}

static gboolean
bad_zone(const char *tz, gsize len, GError **error)
{
  g_autofree char *shown = g_utf8_make_valid(tz, (gssize) len);
  g_set_error(error, F2B_STRPTIME_ERROR, F2B_STRPTIME_ERROR_BAD_TIMEZONE,
              "Unknown or unsupported time zone: '%s'", shown);
  return FALSE;
}

gboolean
f2b_strptime_parse_timezone(const char *tz, gsize len, int *minutes, GError **error)
{
  if (!g_utf8_validate_len(tz, len, NULL))
    return bad_zone(tz, len, error);
  glong n = 0;
  g_autofree gunichar *s = g_utf8_to_ucs4_fast(tz, (glong) len, &n);
  /* like a Python "$": the end, or just before a final newline */
  gsize end = (gsize) n;
  gsize abbr = 0;
  while (abbr < end && s[abbr] >= 'A' && s[abbr] <= 'Z')
    abbr++;
  if (abbr == 2 || abbr > 5)
    return bad_zone(tz, len, error);
  gsize off = offset_length(s + abbr, end - abbr);
  gsize rest = end - abbr - off;
  if (!(rest == 0 || (rest == 1 && s[end - 1] == '\n')))
    return bad_zone(tz, len, error);
  int base;
  if (!lookup_zone_abbr(s, abbr, &base))
    return bad_zone(tz, len, error);
  gint64 value = 0;
  const gunichar *o = s + abbr;
  if (off == 3) {
    if (!ucs4_int(o, 3, &value))
      return bad_zone(tz, len, error);
    value *= 60;
  } else if (off > 3) {
    gint64 hh, mm;
    if (!ucs4_int(o + 1, 2, &hh) || !ucs4_int(o + (off == 6 ? 4 : 3), 2, &mm))
      return bad_zone(tz, len, error);
    value = (o[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  }
  *minutes = base + (int) value;
  return TRUE;
}

/* ---- civil (proleptic Gregorian) dates ---- */

static gint64
days_from_civil(gint64 y, int m, int d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
civil_from_days(gint64 z, int *y, int *m, int *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = (int) (yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(gint64 y, int m)
{
  static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

/* A naive date-time: seconds since 1970-01-01 00:00 without any zone. */
typedef gint64 NaiveTime;

#define NAIVE_MIN (days_from_civil(1, 1, 1) * 86400)
#define NAIVE_MAX (days_from_civil(9999, 12, 31) * 86400 + 86399)

static NaiveTime
naive_from_fields(gint64 y, int mo, int d, int h, int mi, int s)
{
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void
naive_to_tm(NaiveTime t, struct tm *tm)
{
  gint64 days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  gint64 secs = t - days * 86400;
  memset(tm, 0, sizeof *tm);
  civil_from_days(days, &tm->tm_year, &tm->tm_mon, &tm->tm_mday);
  tm->tm_year -= 1900;
  tm->tm_mon -= 1;
  tm->tm_hour = (int) (secs / 3600);
  tm->tm_min = (int) (secs / 60 % 60);
  tm->tm_sec = (int) (secs % 60);
}

/* Local civil time of NOW, as Python's datetime.fromtimestamp() gives it
 * (microseconds rounded; they only matter when the seconds are equal, where
 * a parsed date without fraction is never later than now). */
static NaiveTime
naive_now(double now, F2bStrptimeCache *cache)
{
  gint64 whole = (gint64) now;
  if ((double) whole > now)
    whole--; /* floor, also for times before 1970 */
  if ((now - (double) whole) * 1e6 + 0.5 >= 1000000)
    whole++;
  if (cache->now_valid && cache->now_whole == whole)
    return cache->now_naive;
  time_t t = (time_t) whole;
  struct tm tm;
  localtime_r(&t, &tm);
  cache->now_valid = TRUE;
  cache->now_whole = whole;
  cache->now_year = tm.tm_year + 1900;
  cache->now_mon = tm.tm_mon + 1;
  cache->now_mday = tm.tm_mday;
  cache->now_naive = naive_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                       tm.tm_min, tm.tm_sec);
  return cache->now_naive;
}

/* ---- fields to time ---- */

typedef struct {
  gboolean has_year, has_month, has_day, has_tz, has_weekday, has_julian, has_week;
  gint64 year, month, day, hour, minute, second;
  gint64 weekday, julian, week;
  gboolean week_starts_monday;
  int tz;
} Fields;

static gboolean
bad_value(GError **error, const char *what, const char *value, gsize len)
{
  g_autofree char *shown = g_utf8_make_valid(value, (gssize) len);
  g_set_error(error, F2B_STRPTIME_ERROR, F2B_STRPTIME_ERROR_BAD_VALUE,
              "invalid %s: '%s'", what, shown);
  return FALSE;
}

/* NAME (lower-case ASCII) equals VALUE (LEN bytes) in any ASCII case. */
static gboolean
ascii_name_equal(const char *name, const char *value, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z')
      c = (char) (c - 'A' + 'a');
    if (name[i] == '\0' || name[i] != c)
      return FALSE;
  }
  return name[len] == '\0';
}

static gboolean
name_index(const char *const *names, const char *value, gsize len, gint64 *index)
{
  gboolean ascii = TRUE;
  for (gsize i = 0; i < len && ascii; i++)
    ascii = (guchar) value[i] < 0x80 && value[i] != '\0';
  if (ascii) { /* no allocation for the usual English names */
    for (gint64 i = 0; names[i]; i++) {
      if (ascii_name_equal(names[i], value, len)) {
        *index = i;
        return TRUE;
      }
    }
    return FALSE;
  }
  g_autofree char *lower = g_utf8_strdown(value, (gssize) len);
  for (gint64 i = 0; names[i]; i++) {
    if (strcmp(names[i], lower) == 0) {
      *index = i;
      return TRUE;
    }
  }
  return FALSE;
}

static const F2bStrptimeGroup *
find_group(const F2bStrptimeGroup *groups, guint n, const char *name)
{
  for (guint i = 0; i < n; i++)
    if (strcmp(groups[i].name, name) == 0)
      return &groups[i];
  return NULL;
}

/* %I with %p: "am" (or no %p) keeps the hour except 12 -> 0, "pm" adds 12
 * except to 12; any other text leaves the hour alone. */
static gboolean
apply_12hour(Fields *f, const F2bStrptimeGroup *groups, guint n, GError **error)
{
  const F2bStrptimeGroup *p = find_group(groups, n, "p");
  if (!p) {
    if (f->hour == 12)
      f->hour = 0;
    return TRUE;
  }
  if (!p->value) /* fail2ban fails on an AM/PM group that did not match */
    return bad_value(error, "AM/PM", "", 0);
  g_autofree char *ampm = g_utf8_strdown(p->value, (gssize) p->len);
  if (ampm[0] == '\0' || strcmp(ampm, "am") == 0) {
    if (f->hour == 12)
      f->hour = 0;
  } else if (strcmp(ampm, "pm") == 0) {
    if (f->hour != 12)
      f->hour += 12;
  }
  return TRUE;
}

static gboolean
apply_group(Fields *f, const F2bStrptimeGroup *g, const F2bStrptimeGroup *groups, guint n,
            GError **error)
{
  const char *name = g->name;
  if (name[0] == '\0' || name[1] != '\0')
    return TRUE;
  gint64 v = 0;
  switch (name[0]) {
  case 'y': case 'Y': case 'm': case 'd': case 'H': case 'I': case 'M': case 'S':
  case 'w': case 'j': case 'U': case 'W':
    if (!f2b_strptime_parse_int(g->value, g->len, &v))
      return bad_value(error, "number", g->value, g->len);
    break;
  default:
    break;
  }
  switch (name[0]) {
  case 'y':
    f->has_year = TRUE;
    f->year = v <= 2000 ? v + 2000 : v;
    break;
  case 'Y': f->has_year = TRUE; f->year = v; break;
  case 'm': f->has_month = TRUE; f->month = v; break;
  case 'B':
  case 'b':
    if (!name_index(name[0] == 'B' ? month_full : month_abbr, g->value, g->len, &f->month))
      return bad_value(error, "month name", g->value, g->len);
    f->has_month = TRUE;
    break;
  case 'd': f->has_day = TRUE; f->day = v; break;
  case 'H': f->hour = v; break;
  case 'I':
    f->hour = v;
    return apply_12hour(f, groups, n, error);
  case 'M': f->minute = v; break;
  case 'S': f->second = v; break;
  case 'A':
  case 'a':
    if (!name_index(name[0] == 'A' ? weekday_full : weekday_abbr, g->value, g->len, &f->weekday))
      return bad_value(error, "weekday name", g->value, g->len);
    f->has_weekday = TRUE;
    break;
  case 'w':
    f->has_weekday = TRUE;
    f->weekday = v - 1 < 0 ? 6 : v - 1;
    break;
  case 'j': f->has_julian = TRUE; f->julian = v; break;
  case 'U':
  case 'W':
    f->has_week = TRUE;
    f->week = v;
    f->week_starts_monday = name[0] == 'W';
    break;
  case 'z':
  case 'Z':
    f->has_tz = TRUE;
    if ((g->len == 1 && g->value[0] == 'Z') || (g->len == 3 && (memcmp(g->value, "UTC", 3) == 0 ||
                                                                 memcmp(g->value, "GMT", 3) == 0)))
      f->tz = 0;
    else if (!f2b_strptime_parse_timezone(g->value, g->len, &f->tz, error))
      return FALSE;
    break;
  default:
    break;
  }
  return TRUE;
}

static gboolean
year_in_range(gint64 y)
{
  return y >= 1 && y <= 9999;
}

/* Day of the year from week number and weekday, as Python's strptime
 * computes it (weekday 0 is Monday). */
static gint64
julian_from_week(gint64 year, gint64 week, gint64 weekday, gboolean week_starts_monday)
{
  gint64 first = (days_from_civil(year, 1, 1) % 7 + 7 + 3) % 7; /* 1970-01-01 was a Thursday */
  if (!week_starts_monday) {
    first = (first + 1) % 7;
    weekday = (weekday + 1) % 7;
  }
  gint64 week0_length = (7 - first) % 7;
  if (week == 0)
    return 1 + weekday - first;
  return 1 + week0_length + 7 * (week - 1) + weekday;
}

static gboolean
resolve_julian(Fields *f, GError **error)
{
  if (f->has_month && f->has_day)
    return TRUE;
  if (!f->has_julian && f->has_week && f->has_weekday) {
    if (!year_in_range(f->year))
      return bad_value(error, "year", "", 0);
    f->julian = julian_from_week(f->year, f->week, f->weekday, f->week_starts_monday);
    f->has_julian = TRUE;
  }
  if (!f->has_julian)
    return TRUE;
  if (!year_in_range(f->year))
    return bad_value(error, "year", "", 0);
  gint64 days = days_from_civil(f->year, 1, 1) + f->julian - 1;
  if (days < days_from_civil(1, 1, 1) || days > days_from_civil(9999, 12, 31))
    return bad_value(error, "day of the year", "", 0);
  int y, m, d;
  civil_from_days(days, &y, &m, &d);
  f->year = y;
  f->month = m;
  f->day = d;
  f->has_month = f->has_day = TRUE;
  return TRUE;
}

static gboolean
valid_fields(const Fields *f)
{
  return year_in_range(f->year) && f->month >= 1 && f->month <= 12 && f->day >= 1 &&
         f->day <= days_in_month(f->year, (int) f->month) && f->hour >= 0 && f->hour <= 23 &&
         f->minute >= 0 && f->minute <= 59 && f->second >= 0 && f->second <= 59;
}

static gboolean
naive_in_range(NaiveTime t)
{
  return t >= NAIVE_MIN && t <= NAIVE_MAX;
}

/* mktime() of the naive local time T: FALSE when it fails. */
static gboolean
local_mktime(NaiveTime t, gint64 *epoch)
{
  struct tm tm;
  naive_to_tm(t, &tm);
  tm.tm_isdst = -1;
  tm.tm_wday = -1;
  time_t r = mktime(&tm);
  if (r == (time_t) -1 && tm.tm_wday == -1)
    return FALSE;
  *epoch = (gint64) r;
  return TRUE;
}

static gint64
floor_div(gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Remembers the offset of T's hour when the last second before it, its first and
 * last second and the first second after it all have the offset T has: no DST
 * change (and no skipped or repeated local time, where mktime()'s choice could
 * vary) near that hour, so its other times can skip mktime(). */
static void
remember_hour(F2bStrptimeCache *cache, NaiveTime t, gint64 epoch)
{
  gint64 hour = floor_div(t, 3600);
  const NaiveTime probes[] = {hour * 3600 - 1, hour * 3600, hour * 3600 + 3599,
                              hour * 3600 + 3600};
  gint64 offset = epoch - t;
  for (guint i = 0; i < G_N_ELEMENTS(probes); i++) {
    gint64 e;
    if (!local_mktime(probes[i], &e) || e - probes[i] != offset)
      return;
  }
  cache->hour_valid = TRUE;
  cache->hour = hour;
  cache->offset = offset;
}

/* Whether the hour after the remembered one has its offset too: remember_hour's
 * test, of which the remembered hour's own probes did the first half (its last
 * second and its first second after are this hour's second before and first). */
static gboolean
next_hour_same(const F2bStrptimeCache *cache, gint64 hour)
{
  const NaiveTime probes[] = {hour * 3600 + 3599, hour * 3600 + 3600};
  for (guint i = 0; i < G_N_ELEMENTS(probes); i++) {
    gint64 e;
    if (!local_mktime(probes[i], &e) || e - probes[i] != cache->offset)
      return FALSE;
  }
  return TRUE;
}

static gboolean
naive_to_epoch(NaiveTime t, gboolean utc, F2bStrptimeCache *cache, double *result,
               GError **error)
{
  if (utc) {
    *result = (double) t;
    return TRUE;
  }
  gint64 hour = floor_div(t, 3600);
  /* logs run forward: mostly this hour, else the next one */
  if (cache->hour_valid && (cache->hour == hour ||
                            (cache->hour + 1 == hour && next_hour_same(cache, hour)))) {
    cache->hour = hour;
    *result = (double) (t + cache->offset);
    return TRUE;
  }
  gint64 r;
  if (!local_mktime(t, &r))
    return bad_value(error, "local time", "", 0);
  remember_hour(cache, t, r);
  *result = (double) r;
  return TRUE;
}

gboolean
f2b_strptime_groups_to_time(const F2bStrptimeGroup *groups, guint n_groups, double now,
                            const int *default_tz, double *result, GError **error)
{
  return f2b_strptime_groups_to_time_cached(groups, n_groups, now, default_tz, NULL, result,
                                            error);
}

gboolean
f2b_strptime_groups_to_time_cached(const F2bStrptimeGroup *groups, guint n_groups, double now,
                                   const int *default_tz, F2bStrptimeCache *cache,
                                   double *result, GError **error)
{
  F2bStrptimeCache one_call = F2B_STRPTIME_CACHE_INIT;
  if (cache == NULL)
    cache = &one_call;
  Fields f = { 0 };
  for (guint i = 0; i < n_groups; i++) {
    if (groups[i].value && !apply_group(&f, &groups[i], groups, n_groups, error))
      return FALSE;
  }
  NaiveTime now_naive = naive_now(now, cache);
  gboolean assume_year = !f.has_year;
  if (assume_year) {
    f.year = cache->now_year;
    f.has_year = TRUE;
  }
  if (!resolve_julian(&f, error))
    return FALSE;
  gboolean assume_today = !f.has_month && !f.has_day;
  if (assume_today) {
    f.month = cache->now_mon;
    f.day = cache->now_mday;
    f.has_month = f.has_day = TRUE;
  }
  if (!f.has_month || !f.has_day)
    return bad_value(error, f.has_month ? "date (no day)" : "date (no month)", "", 0);
  if (!valid_fields(&f))
    return bad_value(error, "date", "", 0);
  NaiveTime t = naive_from_fields(f.year, (int) f.month, (int) f.day, (int) f.hour, (int) f.minute,
                                  (int) f.second);
  if (!f.has_tz && default_tz) {
    f.has_tz = TRUE;
    f.tz = *default_tz;
  }
  if (f.has_tz) {
    t -= (NaiveTime) f.tz * 60;
    if (!naive_in_range(t))
      return bad_value(error, "date (out of range)", "", 0);
  }
  if (assume_today && t > now_naive) {
    t -= 86400; /* a time after now without a date is from yesterday */
    if (!naive_in_range(t))
      return bad_value(error, "date (out of range)", "", 0);
  }
  if (assume_year && t > now_naive + 86400) {
    /* more than a day ahead: last year.  fail2ban puts back the parsed
     * month and day but keeps the (possibly zone-shifted) time of day. */
    gint64 tod = ((t % 86400) + 86400) % 86400;
    gint64 y = f.year - 1;
    if (!year_in_range(y) || f.day > days_in_month(y, (int) f.month))
      return bad_value(error, "date (previous year)", "", 0);
    t = days_from_civil(y, (int) f.month, (int) f.day) * 86400 + tod;
  }
  return naive_to_epoch(t, f.has_tz, cache, result, error);
}
