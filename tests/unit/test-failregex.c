/* test-failregex.c - fail2ban's Regex/FailRegex: tags, messages, matching, hints.
 * Expected texts and results were taken from fail2ban 1.0.2 on Python 3.11. */
#include "check-main.h"
#include <string.h>

#include "failregex.h"

#define IP4 "(?:::f{4,6}:)?(?P<ip4>(?:\\d{1,3}\\.){3}\\d{1,3})"
#define IP6 "(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):))"
#define ADDR "\\[?(?:" IP4 "|" IP6 ")\\]?"
#define DNS "(?P<dns>[\\w\\-.^_]*\\w)"
#define HOST "(?:" ADDR "|" DNS ")"

static void
check_tags(const char *regex, F2bFailRegexFlags flags, const char *want)
{
  g_autofree char *got = f2b_failregex_resolve_tags(regex, flags);
  ck_assert_msg(strcmp(got, want) == 0, "%s -> %s, want %s", regex, got, want);
}

START_TEST(test_tag_expansion)
{
  check_tags("<HOST>", 0, HOST);
  check_tags("<HOST>", F2B_FAILREGEX_USEDNS_NO, ADDR);
  check_tags("<ADDR>", 0, ADDR);
  check_tags("<IP4>", 0, IP4);
  check_tags("<F-IP4/>", 0, IP4);
  check_tags("<IP6>", 0, IP6);
  check_tags("<DNS>", 0, DNS);
  check_tags("<CIDR>", 0, "(?P<cidr>\\d+)");
  check_tags("<SUBNET>", 0, "\\[?(?:" IP4 "|" IP6 ")(?:/(?P<cidr>\\d+))?\\]?");
  check_tags("<F-ID/>", 0, "(?P<fid>\\S+)");
  check_tags("<F-PORT/>", 0, "(?P<fport>\\w+)");
  check_tags("<SKIPLINES>a<SKIPLINES>", 0,
             "\\n(?P<skiplines0>(?:(?:.*\\n)*?))a\\n(?P<skiplines1>(?:(?:.*\\n)*?))");
  check_tags("<F-USER>x</F-USER>", 0, "(?P<user>x)");
  check_tags("</F-USER>", 0, "</F-USER>");
  check_tags("<F-USER>a</F-USER></F-USER>", 0, "(?P<user>a))");
  check_tags("<F-ALT_USER1>a</F-ALT_USER1>", 0, "(?P<alt_user1>a)");
  check_tags("<F-ID>a</F-ID><F-PORT>b</F-PORT>", 0, "(?P<fid>a)(?P<fport>b)");
  check_tags("<F-MLFID>a</F-MLFID><F-NOFAIL>b</F-NOFAIL>", 0, "(?P<mlfid>a)(?P<nofail>b)");
  check_tags("<F-CONTENT>.+</F-CONTENT>", 0, "(?P<content>.+)");
  check_tags("<F-USER/>", 0, "<F-USER/>");
  check_tags("<f-user><host><Host>", 0, "<f-user><host><Host>");
  check_tags("<F-MY-TAG>", 0, "(?P<my-tag>");
  check_tags("<<HOST>>", 0, "<" HOST ">");
  check_tags("<H\xc3\x89ST><HOST", 0, "<H\xc3\x89ST><HOST");
}
END_TEST

static GError *
compile_error(const char *regex, const F2bRegex *pref, F2bFailRegexFlags flags)
{
  GError *error = NULL;
  F2bRegex *re = f2b_failregex_new_fail(regex, pref, flags, &error);
  ck_assert_msg(re == NULL, "%s compiled", regex);
  return error;
}

START_TEST(test_error_messages)
{
  GError *e = compile_error("   ", NULL, 0);
  ck_assert(g_error_matches(e, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_EMPTY));
  ck_assert_str_eq(e->message, "Cannot add empty regex");
  g_clear_error(&e);
  e = compile_error("\\[\\] .*refused: too many connections", NULL, 0);
  ck_assert(g_error_matches(e, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_FAILURE_ID));
  ck_assert_str_eq(e->message, "No failure-id group in '\\[\\] .*refused: too many connections'");
  g_clear_error(&e);
  /* The message quotes the regex after tag expansion. */
  e = compile_error("<F-USER></F-USER>", NULL, 0);
  ck_assert_str_eq(e->message, "No failure-id group in '(?P<user>)'");
  g_clear_error(&e);
  e = compile_error("(?P<host>\\S+)", NULL, 0);
  ck_assert_str_eq(e->message, "No failure-id group in '(?P<host>\\S+)'");
  g_clear_error(&e);
  e = compile_error("a(b", NULL, 0);
  ck_assert(g_error_matches(e, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_COMPILE));
  ck_assert_str_eq(e->message,
                   "Unable to compile regular expression 'a(b':\nmissing ), unterminated subpattern at position 1");
  g_clear_error(&e);
  e = compile_error("\\((?i)x)<HOST>", NULL, 0);
  ck_assert_str_eq(e->message, "Unable to compile regular expression '\\((?i)x)" HOST
                               "':\nglobal flags not at the start of the expression at position 2");
  g_clear_error(&e);
  /* An error only PCRE2 finds: its message, placed in the fail2ban regex. */
  e = compile_error("<HOST> x{70000}", NULL, 0);
  ck_assert(g_error_matches(e, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_COMPILE));
  ck_assert_msg(g_str_has_prefix(e->message, "Unable to compile regular expression '" HOST " x{70000}':\n"),
                "%s", e->message);
  ck_assert_msg(strstr(e->message, "too big") && strstr(e->message, "at position 153 (PCRE2)"), "%s",
                e->message);
  g_clear_error(&e);
}
END_TEST

START_TEST(test_failure_id_from_prefregex)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) pref = f2b_failregex_new("^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", 0, &error);
  ck_assert_ptr_nonnull(pref);
  g_autoptr(F2bRegex) fail = f2b_failregex_new_fail("^user <F-USER>\\S+</F-USER>", pref, 0, &error);
  ck_assert_ptr_nonnull(fail);
  g_autoptr(F2bRegex) plain = f2b_failregex_new("^user <F-USER>\\S+</F-USER>", 0, &error);
  ck_assert_ptr_nonnull(plain); /* Regex (ignoreregex, prefregex) needs no failure id */
  g_autoptr(F2bRegex) nopref = f2b_failregex_new("^x", 0, &error);
  GError *e = compile_error("^user <F-USER>\\S+</F-USER>", nopref, 0);
  ck_assert_str_eq(e->message, "No failure-id group in '^user (?P<user>\\S+)'");
  g_error_free(e);
  g_autoptr(F2bRegex) gl = f2b_failregex_new_fail("((?i)abc)<HOST>", NULL, 0, &error);
  ck_assert_str_eq(f2b_failregex_get_regex(gl), "(?i:abc)" HOST);
  g_autoptr(F2bRegex) gl2 = f2b_failregex_new_fail("(?:(?i)abc)<F-ID/>", NULL, 0, &error);
  ck_assert_str_eq(f2b_failregex_get_regex(gl2), "(?i:abc)(?P<fid>\\S+)");
  ck_assert(f2b_failregex_has_group(gl2, "fid"));
  ck_assert(!f2b_failregex_has_group(gl2, "ip4"));
}
END_TEST

static const struct {
  const char *regex;
  const char *hint_contains;
} hints[] = {
    {"\\[\\] .*refused: too many connections", "did you mean: \\[<HOST>\\] .*refused: too many connections"},
    {"refused connect from \\S+ \\(\\)", "did you mean: refused connect from \\S+ \\(<HOST>\\)"},
    {"login failed for \"\"", "did you mean: login failed for \"<HOST>\""},
    {"auth failure rhost= user=x", "did you mean: auth failure rhost=<HOST> user=x"},
    {"Failed password for .* from  port \\d+", "did you mean: Failed password for .* from <HOST> port \\d+"},
    {"Failed password from <host>", "did you mean: Failed password from <HOST>"},
    {"Failed password from <Host> port", "<Host> is not a tag"},
    {"client \\[<HOST>\\]x[<HOST>]", "is inside the character class [<HOST>]"},
    {"Failed from &lt;HOST&gt;", "did you mean: Failed from <HOST>"},
    {"Failed from (?P<host>\\S+) port", "did you mean: Failed from <HOST> port"},
    {"Failed from <IP> port", "did you mean <ADDR>: Failed from <ADDR> port"},
    {"Failed from <HOSTNAME>", "did you mean <HOST>: Failed from <HOST>"},
    {"Failed from %(host)s", "did you mean <HOST>"},
    {"id=<F-HOST>\\S+</F-HOST>", "does not identify a failure"},
    {"id=\\S+</F-ID>", "never opened"},
};

START_TEST(test_hints)
{
  for (gsize i = 0; i < G_N_ELEMENTS(hints); i++) {
    g_autofree char *hint = f2b_failregex_hint(hints[i].regex);
    ck_assert_msg(hint != NULL, "no hint for %s", hints[i].regex);
    ck_assert_msg(strstr(hint, hints[i].hint_contains) != NULL, "%s: %s", hints[i].regex, hint);
  }
  g_autofree char *seed = f2b_failregex_hint("\\[\\] .*refused: too many connections");
  ck_assert_str_eq(seed, "the regex has an empty \\[\\] where a <HOST> tag was probably lost (a web "
                         "page or blog can eat \"<HOST>\" as an unknown HTML tag); did you mean: "
                         "\\[<HOST>\\] .*refused: too many connections");
  ck_assert_ptr_null(f2b_failregex_hint("^too many connections$"));
  ck_assert_ptr_null(f2b_failregex_hint("^session (?P<sid>\\d+) closed \\(x\\)$"));
  ck_assert_ptr_null(f2b_failregex_hint(""));
}
END_TEST

static F2bRegex *
compile_ok(const char *regex, F2bFailRegexFlags flags)
{
  GError *error = NULL;
  F2bRegex *re = f2b_failregex_new(regex, flags, &error);
  ck_assert_msg(re != NULL, "%s: %s", regex, error ? error->message : "");
  return re;
}

/* Searches TEXT (LEN bytes) and returns the whole match as a new string, or NULL. */
static char *
search_text(F2bRegex *re, const char *text, gssize len)
{
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  GError *error = NULL;
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, text, n, NULL, 0, &error);
  ck_assert_msg(error == NULL, "%s", error ? error->message : "");
  if (!m)
    return NULL;
  gsize s, e;
  f2b_regex_match_bounds(m, &s, &e);
  return g_strndup(text + s, e - s);
}

static void
check_search(const char *regex, F2bFailRegexFlags flags, const char *text, const char *want)
{
  g_autoptr(F2bRegex) re = compile_ok(regex, flags);
  g_autofree char *got = search_text(re, text, -1);
  if (!want)
    ck_assert_msg(got == NULL, "%s on '%s' matched '%s'", regex, text, got);
  else
    ck_assert_msg(got && strcmp(got, want) == 0, "%s on '%s': got '%s' want '%s'", regex, text,
                  got ? got : "(none)", want);
}

/* Where Python and PCRE2 differ, the match must be Python's. */
START_TEST(test_python_semantics)
{
  check_search("\\d{,3}", 0, "1234", "123");
  check_search("x{,}", 0, "xxx", "xxx");
  check_search("a{}", 0, "a{}", "a{}");
  check_search("a$", 0, "a\n", "a");
  check_search("a\\Z", 0, "a\n", NULL);
  check_search("a\\Z", 0, "xa", "a");
  check_search("(?m)^$", 0, "a\n", "");
  check_search("^b", F2B_FAILREGEX_MULTILINE, "a\nb\n", "b");
  check_search("^b", 0, "a\nb\n", NULL);
  /* Python: a class of "[:alph" then "]+", no POSIX class. */
  check_search("[[:alpha:]]+", 0, "xx:a[:]", ":]");
  check_search("\\s", 0, "a\x1c" "b", "\x1c");
  check_search("\\S+", 0, "\x1f" "ab\x1e", "ab");
  check_search("(?a)\\w+", 0, "\xc3\xa9t\xc3\xa9x", "t");
  check_search("\\w+", 0, "\xc3\xa9t\xc3\xa9 x", "\xc3\xa9t\xc3\xa9");
  check_search("\\d+", 0, "x\xd9\xa1\xd9\xa2", "\xd9\xa1\xd9\xa2");
  check_search("(?i)STRASSE", 0, "strasse", "strasse");
  check_search("(?x) a b # comment\n c", 0, "abc", "abc");
  check_search("[\\b]", 0, "a\bb", "\b");
  check_search("\\v", 0, "a\x0b" "b\n", "\x0b");
  check_search("(?P<q>['\"])x(?P=q)", 0, "'x\" \"x\"", "\"x\"");
  check_search("^(?P<c>a)?(?(c)b|c)$", 0, "c", "c");
  check_search("^(?P<c>a)?(?(c)b|c)$", 0, "ab", "ab");
  check_search("(?<=:):", 0, "a::", ":");
  check_search(".", 0, "\n", NULL);
  check_search("(?s).", 0, "\n", "\n");
}
END_TEST

/* The required-literal prefilter must never skip a regex that matches: each of
 * these has top-level text next to escapes, quantifiers, classes, groups or
 * alternations that could fool a careless literal extractor. */
START_TEST(test_required_literal_prefilter)
{
  check_search("ab\\x41cd", 0, "abAcd", "abAcd");
  check_search("ab\\u0041cd", 0, "abAcd", "abAcd");
  check_search("(x)ab\\1cd", 0, "xabxcd", "xabxcd");
  check_search("ab\\d{1,3}cd", 0, "ab12cd", "ab12cd");
  check_search("abc?de", 0, "abde", "abde");
  check_search("abc*de", 0, "abde", "abde");
  check_search("abc{0}de", 0, "abde", "abde");
  check_search("foo|barbaz", 0, "foo", "foo");
  check_search("(?:foo|bar)baz", 0, "barbaz", "barbaz");
  check_search("x[abc]yz", 0, "xbyz", "xbyz");
  check_search("x[]a]yz", 0, "x]yz", "x]yz");
  check_search("\\.\\[ab\\]", 0, ".[ab]", ".[ab]");
  check_search("r\xc3\xa9sum\xc3\xa9", 0, "r\xc3\xa9sum\xc3\xa9", "r\xc3\xa9sum\xc3\xa9");
  check_search("(?i)hello world", 0, "HELLO WORLD", "HELLO WORLD");
  check_search("(?i:hello) world", 0, "HELLO world", "HELLO world");
  check_search("hello(?#a(b) world", 0, "hello world", "hello world");
  check_search("hello(?#c) world", 0, "hello world", "hello world");
  check_search("refused: too many", 0, "refused: too man", NULL);
  check_search("refused: too many", 0, "xrefused: too many", "refused: too many");
  check_search("many", 0, "man", NULL);
}
END_TEST

/* The anchored-literal prefilter (a "^" and text at the start, maybe inside plain
 * groups) must never skip a regex that matches either. */
START_TEST(test_anchored_literal_prefilter)
{
  check_search("^Failed for", 0, "Failed for x", "Failed for");
  check_search("^Failed for", 0, "Failed fo", NULL);
  check_search("^Failed for", 0, "xFailed for", NULL);
  check_search("^(?P<nofail>Connection from) (?P<fid>\\S+)", 0, "Connection from a", "Connection from a");
  check_search("^(?P<nofail>Connection from) (?P<fid>\\S+)", 0, "Connection frox a", NULL);
  check_search("^(?:(?P<x>ab)cd)e", 0, "abcde", "abcde");
  check_search("^(?:a|b)c", 0, "bc", "bc");
  check_search("^(?:ab)?c", 0, "c", "c");
  check_search("^(ab)*c", 0, "c", "c");
  check_search("^(ab){0,1}c", 0, "c", "c");
  check_search("^a|b", 0, "xb", "b");
  check_search("^ab*c", 0, "ac", "ac");
  check_search("^ab?c", 0, "ac", "ac");
  check_search("^ab{0}c", 0, "ac", "ac");
  check_search("^(?=x)xy", 0, "xy", "xy");
  check_search("^(?!y)xy", 0, "xy", "xy");
  check_search("^(?i:abc)", 0, "ABC", "ABC");
  check_search("^(?P<a>x)(?P=a)y", 0, "xxy", "xxy");
  check_search("^\\.\\[a", 0, ".[a", ".[a");
  check_search("^\\x41b", 0, "Ab", "Ab");
  check_search("^abc", F2B_FAILREGEX_MULTILINE, "x\nabc\n", "abc");
  check_search("^abc", 0, "x\nabc\n", NULL);
  check_search("^r\xc3\xa9s", 0, "r\xc3\xa9s", "r\xc3\xa9s");
  check_search("^a[]b]c", 0, "a]c", "a]c");
  /* a group of alternatives first: each branch's leading text */
  const char *cd = "^(Connection (?:closed|reset)|Disconnected) x";
  check_search(cd, 0, "Disconnected x", "Disconnected x");
  check_search(cd, 0, "Connection reset x", "Connection reset x");
  check_search(cd, 0, "Connection x", NULL);
  check_search(cd, 0, "CRON x", NULL);
  check_search(cd, 0, "Disconnecte", NULL);
  check_search("^(?:ab|a)c", 0, "ac", "ac");
  check_search("^(?:a|)b", 0, "b", "b");
  check_search("^(?:a*|b)c", 0, "c", "c");
  check_search("^(?:ab?|c)d", 0, "ad", "ad");
  check_search("^(?:(?:x|y)|z)w", 0, "yw", "yw");
  check_search("^(?:\\.|\\[)a", 0, "[a", "[a");
  check_search("^(?P<n>foo|bar)?baz", 0, "baz", "baz");
  check_search("^(?:ab|cd)+e", 0, "cdabe", "cdabe");
  check_search("^(a|b|c|d|e|f|g|h|i)z", 0, "iz", "iz");
  check_search("^(?:a|b(?:c|d))e", 0, "bde", "bde");
  check_search("^(?:a[|]|b)c", 0, "a|c", "a|c");
  check_search("^(?:a\\||b)c", 0, "a|c", "a|c");
  check_search("^(?P<x>(?:ab|cd))e", 0, "cde", "cde");
  check_search("^(?:ab|cd)", 0, "cd", "cd"); /* the whole buffer */
}
END_TEST

/* Which alternatives the prefilter takes from a leading group (none when a branch
 * has no leading text, the group is quantified, or there are more than 8). */
START_TEST(test_anchor_alternatives)
{
  static const struct {
    const char *regex;
    const char *alts; /* "|"-separated; NULL: none */
  } cases[] = {
    {"^<F-NOFAIL><F-MLFFORGET>(Connection (?:closed|reset)|Disconnected)</F-MLFFORGET>"
     "</F-NOFAIL> <HOST>", "Connection |Disconnected"},
    {"^(?:ab|a)c <HOST>", "ab|a"},
    {"^(?:\\.x|\\[)a <HOST>", ".x|["},
    {"^(?:ab?|c)d <HOST>", "a|c"},
    {"^(?:a|b(?:c|d))e <HOST>", "a|b"},
    {"^(?:a|)b <HOST>", NULL},
    {"^(?:a*|b)c <HOST>", NULL},
    {"^(?:(?:x|y)|z)w <HOST>", NULL},
    {"^(?P<n>foo|bar)?baz <HOST>", NULL},
    {"^(?:ab|cd)+e <HOST>", NULL},
    {"^(a|b|c|d|e|f|g|h|i)z <HOST>", NULL},
    {"^(?:a|b)c|d <HOST>", NULL},
    {"(?:a|b)c <HOST>", NULL},
    {"(?i)^(?:a|b)c <HOST>", NULL},
    {"^Failed <HOST>", NULL}, /* a single anchor instead */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    GError *error = NULL;
    g_autoptr(F2bRegex) re = f2b_failregex_new_fail(cases[i].regex, NULL, 0, &error);
    ck_assert_msg(re != NULL, "%s: %s", cases[i].regex, error ? error->message : "");
    g_autoptr(GString) got = g_string_new(NULL);
    gsize len;
    const char *a;
    for (guint k = 0; (a = f2b_failregex_get_anchor_alternative(re, k, &len)) != NULL; k++)
      g_string_append_printf(got, "%s%.*s", k ? "|" : "", (int) len, a);
    ck_assert_msg(g_strcmp0(got->len ? got->str : NULL, cases[i].alts) == 0, "%s: '%s'",
                  cases[i].regex, got->str);
  }
  g_autoptr(F2bRegex) ml = f2b_failregex_new_fail("^(?:a|b)c <HOST>", NULL, F2B_FAILREGEX_MULTILINE,
                                                  NULL);
  gsize len;
  ck_assert_ptr_null(f2b_failregex_get_anchor_alternative(ml, 0, &len));
}
END_TEST

/* The first-byte prefilter (PCRE2's first code unit or start map of a regex it
 * anchors) must never skip a regex that matches either: other cases, caseless
 * characters whose other cases are outside ASCII (the Kelvin sign is a k), classes,
 * alternations, empty subjects, and "^" after a newline with the multi-line flag. */
START_TEST(test_first_byte_prefilter)
{
  check_search("^[iI]nvalid", 0, "invalid", "invalid");
  check_search("^[iI]nvalid", 0, "Invalid", "Invalid");
  check_search("^[iI]nvalid", 0, "xInvalid", NULL);
  check_search("^(?:Connection|Disconnected) x", 0, "Disconnected x", "Disconnected x");
  check_search("^(?:Connection|Disconnected) x", 0, "Connection x", "Connection x");
  check_search("^(?:Connection|Disconnected) x", 0, "connection x", NULL);
  check_search("(?i)^k from", 0, "\xe2\x84\xaa" " from", "\xe2\x84\xaa" " from");
  check_search("(?i)^k from", 0, "K from", "K from");
  check_search("^(?i:k|x) y", 0, "\xe2\x84\xaa" " y", "\xe2\x84\xaa" " y");
  check_search("(?i)^s", 0, "\xc5\xbf", "\xc5\xbf");
  check_search("^[\xc3\xa9" "a]b", 0, "\xc3\xa9" "b", "\xc3\xa9" "b");
  check_search("^\\wb", 0, "\xc3\xa9" "b", "\xc3\xa9" "b");
  check_search("^x?", 0, "", "");
  check_search("^a", F2B_FAILREGEX_MULTILINE, "b\na", "a");
  check_search("^a|^b", 0, "b", "b");
  /* the same knowledge as the filter's per-byte table reads it */
  struct { const char *regex; const char *possible, *impossible; } cases[] = {
    {"^[iI]nvalid", "iI", "xX\n"},
    {"^Failed for", "F", "f\n "},
    {"^(?:Connection|Disconnected) x", "CD", "cd\n"},
    {"user <HOST>", "\n x\x80", ""}, /* unanchored: any byte */
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(F2bRegex) re = compile_ok(cases[i].regex, 0);
    for (const char *p = cases[i].possible; *p; p++)
      ck_assert_msg(f2b_failregex_first_byte_possible(re, (guchar) *p), "%s: %c", cases[i].regex, *p);
    for (const char *p = cases[i].impossible; *p; p++)
      ck_assert_msg(!f2b_failregex_first_byte_possible(re, (guchar) *p), "%s: %c", cases[i].regex, *p);
  }
}
END_TEST

/* A pure-ASCII subject may be searched with a byte-mode compile: the results must
 * be those of the Unicode compile, also for patterns whose non-ASCII characters
 * match ASCII ones without case (the Kelvin sign and the long s fold to k and s). */
static void
check_ascii_path(const char *regex, const char *text, const char *want)
{
  g_autoptr(F2bRegex) re = compile_ok(regex, 0);
  for (int pass = 0; pass < 2; pass++) {
    GError *error = NULL;
    g_autoptr(F2bRegexMatch) m = f2b_failregex_search_full(re, text, strlen(text), pass == 1,
                                                           NULL, 0, &error);
    ck_assert_msg(error == NULL, "%s", error ? error->message : "");
    if (!want) {
      ck_assert_msg(m == NULL, "%s on '%s' (ascii %d) matched", regex, text, pass);
      continue;
    }
    ck_assert_msg(m != NULL, "%s on '%s' (ascii %d): no match", regex, text, pass);
    gsize st, en;
    f2b_regex_match_bounds(m, &st, &en);
    ck_assert_msg(en - st == strlen(want) && memcmp(text + st, want, en - st) == 0,
                  "%s on '%s' (ascii %d): wrong match", regex, text, pass);
  }
}

START_TEST(test_ascii_subject_path)
{
  check_ascii_path("(?i)\\u212a", "xk", "k");
  check_ascii_path("(?i)\xe2\x84\xaa", "xK", "K");
  check_ascii_path("(?i)\\u017f", "S", "S");
  check_ascii_path("(?i)\xc5\xbf", "s", "s");
  check_ascii_path("[^\xc3\xa9]+", "abc", "abc");
  check_ascii_path("\\xe9|b", "ab", "b");
  check_ascii_path("\\w+", "a_1-b", "a_1");
  check_ascii_path("\\d+\\s+\\S+", "x 12 \t ab", "12 \t ab");
  check_ascii_path("\\bfoo\\b", "a foo.", "foo");
  check_ascii_path("\\s", "a\x1c" "b", "\x1c");
  check_ascii_path("(?i)HELLO", "hello", "hello");
  check_ascii_path("^(?P<a>.+)$", "line\n", "line");
  check_ascii_path("^(?P<a>.+)$", "line", "line");         /* tail elided: */
  check_ascii_path("^(?P<a>.+)$", "\n", NULL);
  check_ascii_path("^a(?P<b>.*)$", "a\n", "a");
  check_ascii_path("^\\s*(?P<b>.*)$", "\n", "\n");         /* the tail after the "\n" */
  check_ascii_path("^(?P<a>.+)$", "l1\nl2\n", NULL);       /* not elided: a "\n" inside */
  check_ascii_path("(?m)^(?P<a>.+)$", "l1\nl2\n", "l1");
  check_ascii_path("\\W", "abc", NULL);
}
END_TEST

START_TEST(test_anchor_and_merged_accessors)
{
  static const struct {
    const char *regex;
    const char *anchor; /* NULL: none */
  } cases[] = {
    { "^Failed for <HOST>", "Failed for " },
    { "^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>", "Connection from" },
    { "^(?:ab)?c <HOST>", NULL },
    { "^a|b <HOST>", NULL },
    { "Failed <HOST>", NULL },
    { "^\\[<HOST>\\]", "[" },
    { "^(?i:x) <HOST>", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    GError *error = NULL;
    g_autoptr(F2bRegex) re = f2b_failregex_new_fail(cases[i].regex, NULL, 0, &error);
    ck_assert_msg(re != NULL, "%s: %s", cases[i].regex, error ? error->message : "");
    gsize len = 99;
    const char *a = f2b_failregex_get_anchor(re, &len);
    if (!cases[i].anchor) {
      ck_assert_msg(a == NULL, "%s: anchor '%s'", cases[i].regex, a);
      ck_assert_uint_eq(len, 0);
    } else {
      ck_assert_msg(a && len == strlen(cases[i].anchor) && memcmp(a, cases[i].anchor, len) == 0,
                    "%s: anchor '%.*s'", cases[i].regex, (int) len, a ? a : "");
    }
  }
  /* with the multi-line flag, ^ is any line's start: no anchor */
  g_autoptr(F2bRegex) ml = f2b_failregex_new_fail("^Failed <HOST>", NULL, F2B_FAILREGEX_MULTILINE, NULL);
  gsize len;
  ck_assert_ptr_null(f2b_failregex_get_anchor(ml, &len));

  g_autoptr(F2bRegex) plain = f2b_failregex_new_fail("<F-USER>\\S+</F-USER> <HOST>", NULL, 0, NULL);
  g_autoptr(F2bRegex) alt = f2b_failregex_new_fail("<F-ALT_USER>\\S+</F-ALT_USER> <HOST>", NULL, 0, NULL);
  g_autoptr(F2bRegex) tup = f2b_failregex_new_fail("<F-TUPLE_X>\\S+</F-TUPLE_X> <HOST>", NULL, 0, NULL);
  ck_assert(!f2b_failregex_has_merged_groups(plain));
  ck_assert(f2b_failregex_has_merged_groups(alt));
  ck_assert(f2b_failregex_has_merged_groups(tup));
}
END_TEST

START_TEST(test_lines_and_skiplines)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail("^fail from <HOST><SKIPLINES>^end (?P<x>\\w+)$", NULL,
                                                  F2B_FAILREGEX_MULTILINE, &error);
  ck_assert_ptr_nonnull(re);
  F2bRegexLine lines[] = {
      {"", 0, "", 0, "fail from 1.2.3.4", 17},
      {"p:", 2, "D", 1, "noise", 5},
      {"", 0, "", 0, "end X", 5},
      {"", 0, "", 0, "after", 5},
  };
  g_autoptr(GString) buf = f2b_failregex_lines_buffer(lines, 4);
  ck_assert_str_eq(buf->str, "fail from 1.2.3.4\np:noise\nend X\nafter\n");
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, buf->str, buf->len, lines, 4, &error);
  ck_assert_ptr_nonnull(m);
  gsize n;
  const gsize *matched = f2b_regex_match_matched_lines(m, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(matched[0], 0);
  ck_assert_uint_eq(matched[1], 2);
  const gsize *unmatched = f2b_regex_match_unmatched_lines(m, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(unmatched[0], 1);
  ck_assert_uint_eq(unmatched[1], 3);
  const GArray *skipped = f2b_regex_match_skipped_lines(m);
  ck_assert_uint_eq(skipped->len, 1);
  F2bRegexSpan s0 = g_array_index(skipped, F2bRegexSpan, 0);
  ck_assert_uint_eq(s0.len, 7);
  ck_assert(memcmp(s0.ptr, "p:noise", 7) == 0);
  F2bRegexSpan v;
  ck_assert(f2b_regex_match_group(m, "skiplines0", &v));
  ck_assert_uint_eq(v.len, 8);
  ck_assert(f2b_regex_match_group(m, "x", &v) && v.len == 1 && v.ptr[0] == 'X');
  ck_assert(!f2b_regex_match_group(m, "ip6", &v));
  ck_assert(!f2b_regex_match_group(m, "nosuch", &v));
  /* One line: everything is matched, nothing unmatched. */
  g_autoptr(F2bRegex) one = compile_ok("b", 0);
  g_autoptr(F2bRegexMatch) m1 = f2b_failregex_search(one, "abc\n", 4, lines, 1, &error);
  f2b_regex_match_matched_lines(m1, &n);
  ck_assert_uint_eq(n, 1);
  f2b_regex_match_unmatched_lines(m1, &n);
  ck_assert_uint_eq(n, 0);
  /* A match on the second of three lines. */
  g_autoptr(F2bRegexMatch) m2 = f2b_failregex_search(one, "x\nb\ny\n", 6, lines, 3, &error);
  matched = f2b_regex_match_matched_lines(m2, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(matched[0], 1);
  unmatched = f2b_regex_match_unmatched_lines(m2, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(unmatched[0], 0);
  ck_assert_uint_eq(unmatched[1], 2);
}
END_TEST

static const F2bRegexGroup *
group(const GArray *groups, const char *name)
{
  for (guint i = 0; i < groups->len; i++)
    if (strcmp(g_array_index(groups, F2bRegexGroup, i).name, name) == 0)
      return &g_array_index(groups, F2bRegexGroup, i);
  return NULL;
}

static gboolean
span_is(F2bRegexSpan s, const char *text)
{
  return text ? s.ptr && s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0 : s.ptr == NULL;
}

START_TEST(test_groups_alt_tuple)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail(
      "user=<F-USER>\\S*</F-USER> (?:alt=<F-ALT_USER>\\S+</F-ALT_USER> )?(?:alt1=<F-ALT_USER_1>\\S+"
      "</F-ALT_USER_1> )?<F-TUPLE_ID>\\w+</F-TUPLE_ID> <F-TUPLE_ID_2>\\w+</F-TUPLE_ID_2> <HOST>",
      NULL, 0, &error);
  ck_assert_ptr_nonnull(re);
  const char *text = "user= alt1=bob a b 1.2.3.4\n";
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, text, strlen(text), NULL, 0, &error);
  ck_assert_ptr_nonnull(m);
  const GArray *g = f2b_regex_match_groups(m);
  /* {'user': 'bob', 'alt_user': None, 'alt_user_1': 'bob', 'tuple_id': 'a', 'tuple_id_2': 'b',
   *  'ip4': '1.2.3.4', 'ip6': None, 'dns': None, 'fid': (None, 'a', 'b')} */
  const char *order[] = {"user", "alt_user", "alt_user_1", "tuple_id", "tuple_id_2", "ip4", "ip6", "dns", "fid"};
  ck_assert_uint_eq(g->len, G_N_ELEMENTS(order));
  for (guint i = 0; i < g->len; i++)
    ck_assert_str_eq(g_array_index(g, F2bRegexGroup, i).name, order[i]);
  ck_assert(span_is(group(g, "user")->value, "bob"));
  ck_assert(span_is(group(g, "alt_user")->value, NULL));
  ck_assert(span_is(group(g, "ip4")->value, "1.2.3.4"));
  const GArray *fid = group(g, "fid")->tuple;
  ck_assert_ptr_nonnull(fid);
  ck_assert_uint_eq(fid->len, 3);
  ck_assert(span_is(g_array_index(fid, F2bRegexSpan, 0), NULL));
  ck_assert(span_is(g_array_index(fid, F2bRegexSpan, 1), "a"));
  ck_assert(span_is(g_array_index(fid, F2bRegexSpan, 2), "b"));
  /* getFailID looks at the raw groups: no raw fid, so ip4. */
  F2bRegexSpan id;
  const char *which;
  ck_assert(f2b_regex_match_failure_id(m, NULL, &id, &which, &error));
  ck_assert(span_is(id, "1.2.3.4"));
  ck_assert_str_eq(which, "ip4");
  ck_assert(f2b_regex_match_host(m, &id, &error) && span_is(id, "1.2.3.4"));
  g_autoptr(F2bIPAddr) ip = f2b_regex_match_ip(m, &error);
  g_autofree char *ips = f2b_ipaddr_to_string(ip, NULL);
  ck_assert_str_eq(ips, "1.2.3.4");
  /* The first alt (sorted by name) wins: alt_user before alt_user_1. */
  const char *text2 = "user= alt=al alt1=bob a b 1.2.3.4\n";
  g_autoptr(F2bRegexMatch) m2 = f2b_failregex_search(re, text2, strlen(text2), NULL, 0, &error);
  ck_assert(span_is(group(f2b_regex_match_groups(m2), "user")->value, "al"));
}
END_TEST

/* The user group of a search of TEXT with RE (a copying search unless BORROW). */
static char *
user_of(F2bRegex *re, const char *text, gboolean borrow, F2bRegexMatch **keep)
{
  GError *error = NULL;
  F2bRegexMatch *m = borrow ? f2b_failregex_search_borrow(re, text, strlen(text), FALSE, NULL, 0,
                                                          &error)
                            : f2b_failregex_search(re, text, strlen(text), NULL, 0, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_nonnull(m);
  F2bRegexSpan v;
  ck_assert(f2b_regex_match_group(m, "user", &v));
  char *user = g_strndup(v.ptr, v.len);
  if (keep)
    *keep = m;
  else
    f2b_regex_match_free(m);
  return user;
}

/* A regex reuses the block of its last match freed: each match still reads its
 * own subject, whatever its size, however many are alive at once. */
START_TEST(test_match_block_reuse)
{
  g_autoptr(F2bRegex) re = compile_ok("^user (?P<user>\\S+)", 0);
  g_autoptr(GString) big = g_string_new("user ");
  for (guint i = 0; i < 5000; i++)
    g_string_append_c(big, (char) ('a' + i % 26));
  for (guint round = 0; round < 3; round++) {
    g_autofree char *a = user_of(re, "user alice", TRUE, NULL);
    g_autofree char *b = user_of(re, "user bob and more text", FALSE, NULL);
    g_autofree char *c = user_of(re, big->str, FALSE, NULL); /* too big to keep */
    g_autofree char *d = user_of(re, "user dan", FALSE, NULL);
    ck_assert_str_eq(a, "alice");
    ck_assert_str_eq(b, "bob");
    ck_assert_str_eq(c, big->str + 5);
    ck_assert_str_eq(d, "dan");
    /* two alive: the second cannot have the first's block */
    F2bRegexMatch *m1 = NULL, *m2 = NULL;
    g_autofree char *e = user_of(re, "user eve", FALSE, &m1);
    g_autofree char *f = user_of(re, "user frank", FALSE, &m2);
    ck_assert_ptr_ne(m1, m2);
    F2bRegexSpan v;
    ck_assert(f2b_regex_match_group(m1, "user", &v));
    ck_assert(v.len == 3 && memcmp(v.ptr, "eve", 3) == 0);
    f2b_regex_match_free(round % 2 ? m1 : m2);
    f2b_regex_match_free(round % 2 ? m2 : m1);
  }
}
END_TEST

/* A borrowed search points into the caller's buffer and finds what a copying one
 * finds; group_nth reads the raw groups by their index in group_names(). */
START_TEST(test_borrow_and_group_nth)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail(
      "^(?:x)?user=<F-USER>\\S*</F-USER>(?: alt=<F-ALT_USER>\\S+</F-ALT_USER>)? from <HOST>", NULL,
      0, &error);
  ck_assert_ptr_nonnull(re);
  char buf[] = "user=bob from 192.0.2.1\n";
  g_autoptr(F2bRegexMatch) b = f2b_failregex_search_borrow(re, buf, strlen(buf), FALSE, NULL, 0,
                                                           &error);
  g_autoptr(F2bRegexMatch) c = f2b_failregex_search_full(re, buf, strlen(buf), FALSE, NULL, 0,
                                                         &error);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_eq(f2b_regex_match_subject(b).ptr, buf);
  ck_assert_ptr_ne(f2b_regex_match_subject(c).ptr, buf);
  gsize s1, e1, s2, e2;
  f2b_regex_match_bounds(b, &s1, &e1);
  f2b_regex_match_bounds(c, &s2, &e2);
  ck_assert_uint_eq(s1, s2);
  ck_assert_uint_eq(e1, e2);
  /* names: user, alt_user, ip4, ip6, dns */
  const char *const *names = f2b_failregex_group_names(re);
  ck_assert_str_eq(names[0], "user");
  ck_assert_str_eq(names[1], "alt_user");
  ck_assert_str_eq(names[2], "ip4");
  F2bRegexSpan v = {"junk", 4};
  ck_assert(f2b_regex_match_group_nth(b, 0, &v) && span_is(v, "bob"));
  ck_assert_ptr_eq(v.ptr, buf + 5); /* in the caller's buffer */
  ck_assert(!f2b_regex_match_group_nth(b, 1, &v) && v.ptr == NULL); /* None */
  ck_assert(f2b_regex_match_group_nth(c, 2, &v) && span_is(v, "192.0.2.1"));
  ck_assert(!f2b_regex_match_group_nth(c, 3, &v)); /* ip6: None */
  ck_assert(!f2b_regex_match_group_nth(c, 99, &v) && v.ptr == NULL); /* no such group */
  ck_assert(!f2b_regex_match_group_nth(c, 99, NULL));
  /* no match and the prefilters answer the same way without a copy */
  ck_assert_ptr_null(f2b_failregex_search_borrow(re, "nothing\n", 8, FALSE, NULL, 0, &error));
  ck_assert_ptr_null(error);
  ck_assert_ptr_null(f2b_failregex_search_borrow(re, "", 0, FALSE, NULL, 0, &error));
  ck_assert_ptr_null(error);
}
END_TEST

START_TEST(test_failure_id_and_ip)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail("x(?P<fid>y)?<SUBNET>", NULL, 0, &error);
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, "x1.2.3.4/24\n", 12, NULL, 0, &error);
  ck_assert_ptr_nonnull(m);
  g_autoptr(F2bIPAddr) ip = f2b_regex_match_ip(m, &error);
  g_autofree char *s = f2b_ipaddr_to_string(ip, NULL);
  ck_assert_str_eq(s, "1.2.3.0/24");
  g_autoptr(F2bRegex) nofid = f2b_failregex_new_fail("x(?P<fid>y)?", NULL, 0, &error);
  g_autoptr(F2bRegexMatch) m2 = f2b_failregex_search(nofid, "xz\n", 3, NULL, 0, &error);
  F2bRegexSpan id;
  ck_assert(!f2b_regex_match_failure_id(m2, NULL, &id, NULL, &error));
  ck_assert(g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_GROUP));
  ck_assert_str_eq(error->message, "No group found in 'xz\n' using 're.compile('x(?P<fid>y)?')'");
  g_clear_error(&error);
  g_autoptr(F2bRegex) ml = f2b_failregex_new_fail("x(?P<fid>y)?'", NULL, F2B_FAILREGEX_MULTILINE, &error);
  g_autoptr(F2bRegexMatch) m3 = f2b_failregex_search(ml, "x'\n", 3, NULL, 0, &error);
  ck_assert(!f2b_regex_match_failure_id(m3, NULL, &id, NULL, &error));
  ck_assert_str_eq(error->message, "No group found in 'x'\n' using 're.compile(\"x(?P<fid>y)?'\", re.MULTILINE)'");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_regex_match_ip(m3, &error));
  ck_assert(g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_NO_GROUP));
  g_clear_error(&error);
  /* usedns=no: <HOST> has no dns group, so a name does not match. */
  g_autoptr(F2bRegex) nodns = f2b_failregex_new_fail("^from <HOST>$", NULL, F2B_FAILREGEX_USEDNS_NO, &error);
  g_autoptr(F2bRegexMatch) m4 = f2b_failregex_search(nodns, "from example.com\n", 17, NULL, 0, &error);
  ck_assert_ptr_null(m4);
  ck_assert_ptr_null(error);
  g_autoptr(F2bRegex) dns = f2b_failregex_new_fail("^from <HOST>$", NULL, 0, &error);
  g_autoptr(F2bRegexMatch) m5 = f2b_failregex_search(dns, "from example.com\n", 17, NULL, 0, &error);
  ck_assert(f2b_regex_match_failure_id(m5, NULL, &id, NULL, &error) && span_is(id, "example.com"));
  /* [v6]:port and ::ffff: mapped IPv4. */
  g_autoptr(F2bRegexMatch) m6 = f2b_failregex_search(dns, "from ::ffff:10.0.0.1\n", 21, NULL, 0, &error);
  ck_assert(f2b_regex_match_failure_id(m6, NULL, &id, NULL, &error) && span_is(id, "10.0.0.1"));
  g_autoptr(F2bRegexMatch) m7 = f2b_failregex_search(dns, "from [2001:db8::1]\n", 19, NULL, 0, &error);
  const char *which;
  ck_assert(f2b_regex_match_failure_id(m7, NULL, &id, &which, &error) && span_is(id, "2001:db8::1"));
  ck_assert_str_eq(which, "ip6");
}
END_TEST

START_TEST(test_match_limit)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail("^(\\w+\\s?)+$<HOST>", NULL, 0, &error);
  ck_assert_ptr_nonnull(re);
  f2b_failregex_set_match_limit(re, 100000);
  const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, evil, strlen(evil), NULL, 0, &error);
  ck_assert_ptr_null(m);
  ck_assert(g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_LIMIT));
  ck_assert_msg(strstr(error->message, "limit"), "%s", error->message);
  g_clear_error(&error);
  /* Back to the default limit, a normal line still works. */
  f2b_failregex_set_match_limit(re, 0);
  g_autoptr(F2bRegexMatch) none = f2b_failregex_search(re, "abc", 3, NULL, 0, &error);
  ck_assert_ptr_null(none);
  ck_assert_ptr_null(error);
}
END_TEST

START_TEST(test_hostile_subjects)
{
  GError *error = NULL;
  g_autoptr(F2bRegex) re = f2b_failregex_new_fail(
      "^(?:\\S+\\s+)?Failed password for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST>(?: port \\d+)?\\s*$",
      NULL, 0, &error);
  ck_assert_ptr_nonnull(re);
  /* 1 MiB line of filler, then the failure. */
  GString *big = g_string_new(NULL);
  for (int i = 0; i < 1024 * 1024 / 8; i++)
    g_string_append(big, "abcdefg ");
  g_string_append(big, "Failed password for root from 1.2.3.4 port 22\n");
  g_autoptr(F2bRegexMatch) m = f2b_failregex_search(re, big->str, big->len, NULL, 0, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_null(m); /* "^(?:\S+\s+)?" allows one word only */
  g_string_free(big, TRUE);
  /* NUL bytes inside a value. */
  const char nul[] = "Failed password for ro\0ot from 1.2.3.4\n";
  g_autoptr(F2bRegexMatch) m2 = f2b_failregex_search(re, nul, sizeof nul - 1, NULL, 0, &error);
  ck_assert_ptr_nonnull(m2);
  F2bRegexSpan user;
  ck_assert(f2b_regex_match_group(m2, "user", &user));
  ck_assert_uint_eq(user.len, 5);
  ck_assert(memcmp(user.ptr, "ro\0ot", 5) == 0);
  /* Invalid UTF-8: no error; \S does not cross the bad bytes. */
  const char bad[] = "Failed password for r\xff\xfe from 1.2.3.4\n";
  g_autoptr(F2bRegexMatch) m3 = f2b_failregex_search(re, bad, sizeof bad - 1, NULL, 0, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_null(m3);
  g_autoptr(F2bRegex) any = f2b_failregex_new_fail("from <HOST>", NULL, 0, &error);
  const char bad2[] = "\xc3(\xff\xff from 5.6.7.8 \xed\xa0\x80\n";
  g_autoptr(F2bRegexMatch) m4 = f2b_failregex_search(any, bad2, sizeof bad2 - 1, NULL, 0, &error);
  ck_assert_ptr_nonnull(m4);
  F2bRegexSpan id;
  ck_assert(f2b_regex_match_failure_id(m4, NULL, &id, NULL, &error) && span_is(id, "5.6.7.8"));
  /* A big buffer of many lines with <SKIPLINES>. */
  g_autoptr(F2bRegex) ml = f2b_failregex_new_fail("^start <HOST><SKIPLINES>end$", NULL, F2B_FAILREGEX_MULTILINE, &error);
  GString *lines = g_string_new("start 1.2.3.4\n");
  for (int i = 0; i < 20000; i++)
    g_string_append(lines, "filler line with some text\n");
  g_string_append(lines, "end\n");
  g_autoptr(F2bRegexMatch) m5 = f2b_failregex_search(ml, lines->str, lines->len, NULL, 0, &error);
  ck_assert_ptr_null(error);
  ck_assert_ptr_nonnull(m5);
  ck_assert_uint_eq(f2b_regex_match_skipped_lines(m5)->len, 20000);
  g_string_free(lines, TRUE);
  /* A regex that is not UTF-8. */
  ck_assert_ptr_null(f2b_failregex_new("\xff<HOST>", 0, &error));
  ck_assert(g_error_matches(error, F2B_FAILREGEX_ERROR, F2B_FAILREGEX_ERROR_COMPILE));
  g_clear_error(&error);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("failregex");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_tag_expansion);
  tcase_add_test(tc, test_error_messages);
  tcase_add_test(tc, test_failure_id_from_prefregex);
  tcase_add_test(tc, test_hints);
  tcase_add_test(tc, test_python_semantics);
  tcase_add_test(tc, test_required_literal_prefilter);
  tcase_add_test(tc, test_anchored_literal_prefilter);
  tcase_add_test(tc, test_anchor_alternatives);
  tcase_add_test(tc, test_ascii_subject_path);
  tcase_add_test(tc, test_anchor_and_merged_accessors);
  tcase_add_test(tc, test_lines_and_skiplines);
  tcase_add_test(tc, test_groups_alt_tuple);
  tcase_add_test(tc, test_borrow_and_group_nth);
  tcase_add_test(tc, test_failure_id_and_ip);
  tcase_add_test(tc, test_match_limit);
  tcase_add_test(tc, test_hostile_subjects);
  tcase_add_test(tc, test_first_byte_prefilter);
  tcase_add_test(tc, test_match_block_reuse);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
