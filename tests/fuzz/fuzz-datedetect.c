/* fuzz-datedetect.c - the date detector with fail2ban's default templates.
 *
 * The first byte picks "now" (the year inference depends on it); the rest
 * is log lines separated by "\n", matched in turn by one detector, so that
 * the template reordering (last winner first, bubbling up) is exercised
 * too.  The span of a date must lie inside its line, and a template index
 * must name a template.
 *
 * The detector lives as long as the process: compiling the default
 * templates costs tens of milliseconds, a hundred times the matching.  So
 * the template order an input meets depends on the inputs before it, as in
 * a long-running jail; a crash found by libFuzzer may need the corpus run
 * before it to reproduce. */
#include <stdlib.h>

#include "datedetect.h"
#include "fuzz.h"

static const double nows[] = {
  1700000000.0,  /* 2023-11-14 */
  1711846800.0,  /* 2024-03-31 02:00 local: a DST change */
  1704067199.0,  /* the last second of 2023 */
  0.0,
  253402300799.0, /* 9999-12-31 */
  1709164800.0,  /* 2024-02-29 */
};

static void
check_match(const F2bDateDetector *dd, const F2bDateMatch *m, size_t len)
{
  if (m->status == F2B_DATE_NONE || m->status == F2B_DATE_ERROR)
    return;
  if (m->start > m->end || m->end > len)
    abort();
  if (m->template_index >= f2b_datedetect_n_templates(dd) || m->template_name == NULL)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  double now = nows[data[0] % G_N_ELEMENTS(nows)];
  static F2bDateDetector *dd;
  if (dd == NULL)
    dd = f2b_datedetect_new(1700000000.0);
  size_t pos = 1;
  const char *line;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\n', &line, &len)) {
    F2bDateMatch m;
    f2b_datedetect_match(dd, line, len, now, &m);
    check_match(dd, &m, len);
    now += 1.0;
  }
  return 0;
}
