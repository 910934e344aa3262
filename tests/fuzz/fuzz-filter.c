/* fuzz-filter.c - log lines through a compiled filter, as a jail sees them.
 *
 * The first byte chooses the filter and its settings: one of four filters
 * written for this test (an sshd-like one with a prefregex and <F-MLFID>
 * merging, an exim-like one with <F-ID> and a custom datepattern, a
 * multi-line one with maxlines and <SKIPLINES>, one with <CIDR>/<SUBNET>,
 * tuple and alt groups and an ignoreregex), usedns, the log encoding,
 * in-operation and check-all-regex.  The rest is lines separated by "\n",
 * processed in turn with "now" moving forward.  Every failure must have its
 * data; a line may fail only with one of the errors filter.h names.
 *
 * Compiling a filter with the default date templates costs tens of
 * milliseconds, so the filters (one per filter, usedns and encoding) live
 * as long as the process and the input continues the stream of lines the
 * filter saw before, as in a jail: buffered lines, the mlfid cache and the
 * last date carry over.  A crash found by libFuzzer may need the corpus run
 * before it to reproduce. */
#include <stdlib.h>

#include "filter.h"
#include "fuzz.h"

typedef struct {
  const char *prefregex;
  const char *failregex[4];
  const char *ignoreregex;
  const char *datepattern;
  gint64 maxlines;
} FilterSpec;

static const FilterSpec specs[] = {
  { "^\\S+ sshd\\[<F-MLFID>\\d+</F-MLFID>\\]: (?:error: )?<F-CONTENT>.+</F-CONTENT>$",
    { "^Failed \\S+ for (?:invalid user )?<F-USER>\\S+</F-USER> from <HOST>(?: port \\d+)?",
      "^Invalid user <F-USER>\\S*</F-USER> from <HOST>",
      "^Accepted \\S+ for <F-USER>\\S+</F-USER> from <HOST><F-NOFAIL></F-NOFAIL>",
      "^Connection closed by <ADDR> port \\d+ <F-MLFFORGET>\\[preauth\\]</F-MLFFORGET>$" },
    NULL, NULL, 1 },
  { NULL,
    { "^<F-ID>[\\w-]{6,}</F-ID> \\S+ rejected RCPT <[^>]*>: \\[<HOST>\\](?::<F-PORT>\\d+</F-PORT>)?",
      "^\\S+ SMTP protocol error in \"\\w+\" H=\\S* \\[<HOST>\\]:\\d+ I=\\[\\S+\\]",
      NULL },
    "^\\S+ SMTP connection from \\S* \\[<HOST>\\] closed by QUIT",
    "^%Y-%m-%d %H:%M:%S(?:\\.%f)?(?: %z)?\n%b %d %H:%M:%S\nEPOCH", 1 },
  { NULL,
    { "^session (?P<sid>\\d+) opened for <HOST>$<SKIPLINES>^session (?P=sid) auth failure$",
      "^<F-USER>\\w+</F-USER> from <HOST>\\n.*denied$",
      NULL },
    NULL, "{^LN-BEG}", 4 },
  { "^\\[<F-TUPLE_A>\\w*</F-TUPLE_A>\\] <F-CONTENT>.*</F-CONTENT>",
    { "^block <ADDR>(?:/<CIDR>)?(?: user <F-USER>\\S+</F-USER>| <F-ALT_USER1>\\S+</F-ALT_USER1>)?$",
      "^net <SUBNET>$",
      "^host <F-IP4>[\\d.]+</F-IP4>(?::<F-IP6>[\\da-f:]+</F-IP6>)?$",
      "^dns (?:<DNS>|<IP6>)$" },
    "^block 127\\.", NULL, 2 },
};

static const char *const usedns[] = { "warn", "no", "raw", "yes" };

/* Names ending in ".test" resolve to two documentation addresses. */
static void
resolve(const char *host, gsize len, F2bFilterUseDns mode, GPtrArray *addrs, gpointer user_data)
{
  if (len < 5 || memcmp(host + len - 5, ".test", 5) != 0)
    return;
  g_ptr_array_add(addrs, f2b_ipaddr_new("192.0.2.1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL));
  g_ptr_array_add(addrs, f2b_ipaddr_new("2001:db8::1", -1, F2B_IPADDR_CIDR_UNSPEC, NULL));
}

static F2bFilter *
make_filter(guint8 options)
{
  const FilterSpec *spec = &specs[options % G_N_ELEMENTS(specs)];
  F2bFilter *filter = f2b_filter_new(1700000000.0);
  g_autoptr(GError) error = NULL;
  f2b_filter_set_usedns(filter, usedns[(options >> 2) % G_N_ELEMENTS(usedns)]);
  if (!f2b_filter_set_maxlines(filter, spec->maxlines, &error) ||
      (spec->prefregex && !f2b_filter_set_prefregex(filter, spec->prefregex, &error)) ||
      (spec->ignoreregex && !f2b_filter_add_ignoreregex(filter, spec->ignoreregex, &error)) ||
      (spec->datepattern && !f2b_filter_set_datepattern(filter, spec->datepattern, &error)) ||
      ((options & 0x10) && !f2b_filter_set_logencoding(filter, "latin-1", &error)))
    g_error("%s", error->message);
  for (guint i = 0; i < G_N_ELEMENTS(spec->failregex) && spec->failregex[i]; i++)
    if (!f2b_filter_add_failregex(filter, spec->failregex[i], &error))
      g_error("%s", error->message);
  f2b_filter_set_match_limit(filter, 100000);
  f2b_filter_set_resolver(filter, resolve, NULL);
  return filter;
}

/* The filter for OPTIONS: made once for its spec, usedns and encoding; the
 * other flags are set for this input. */
static F2bFilter *
get_filter(guint8 options)
{
  static F2bFilter *filters[32];
  F2bFilter **slot = &filters[options & 0x1f];
  if (*slot == NULL)
    *slot = make_filter(options & 0x1f);
  f2b_filter_set_in_operation(*slot, (options & 0x20) != 0);
  f2b_filter_set_check_all_regex(*slot, (options & 0x40) != 0);
  f2b_filter_set_return_raw_host(*slot, (options & 0x80) != 0);
  return *slot;
}

static void
check_failures(GPtrArray *failures)
{
  for (guint i = 0; i < failures->len; i++) {
    const F2bFailure *f = failures->pdata[i];
    if (f->data == NULL)
      abort();
    g_free(f2b_py_repr(f->data));
    if (f->fid != NULL)
      g_free(f2b_ipaddr_to_string(f->fid, NULL));
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  F2bFilter *filter = get_filter(data[0]);
  double now = 1700000000.0;
  size_t pos = 1;
  const char *line;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\n', &line, &len)) {
    f2b_filter_set_now(filter, now);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) failures = f2b_filter_process_line(filter, line, len, &error);
    if (failures == NULL && (error == NULL || error->domain != F2B_FILTER_ERROR))
      abort();
    if (failures != NULL && error != NULL &&
        (error->domain != F2B_FAILREGEX_ERROR || error->code != F2B_FAILREGEX_ERROR_LIMIT))
      abort();
    if (failures != NULL)
      check_failures(failures);
    gsize plen;
    g_free(f2b_filter_processed_line(filter, &plen));
    g_autoptr(F2bPyObj) groups = f2b_filter_prefregex_groups(filter);
    now += 7.0;
  }
  return 0;
}
