/* fuzz-journalfmt.c - a systemd journal entry turned into a log line, and
 * journal match terms.
 *
 * The first byte picks the log encoding and the zone offset; the rest is
 * the entry's "FIELD=value" items separated by NUL bytes (what
 * sd_journal_enumerate_data gives, values holding any byte).  The same
 * items are then tried as journalmatch terms, separated into groups by "+".
 * Formatting must either give a line or an error of the module's domain. */
#include <stdlib.h>

#include "fuzz.h"
#include "journalfmt.h"

static const char *const encodings[] = { NULL, "latin-1", "utf-8", "ascii", "cp1252", "utf-16" };

static void
format_entry(const uint8_t *data, size_t size, guint8 options)
{
  gint64 realtime = (gint64)(options & 0x30) << 40; /* 0 or far in the future */
  g_autoptr(F2bJournalEntry) entry = f2b_journal_entry_new(realtime, options);
  size_t pos = 0;
  const char *item;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\0', &item, &len))
    f2b_journal_entry_add(entry, item, len);
  F2bJournalLine line = { 0 };
  g_autoptr(GError) error = NULL;
  const char *encoding = encodings[(options & 0x0f) % G_N_ELEMENTS(encodings)];
  gint32 offset = (options & 0x40) ? -12 * 3600 : 14 * 3600;
  if (f2b_journalfmt_format(entry, encoding, offset, &line, &error)) {
    if (line.line == NULL || line.date == NULL || line.line[line.line_len] != '\0')
      abort();
    if (!g_utf8_validate(line.line, line.line_len, NULL))
      abort();
  } else if (error == NULL || error->domain != F2B_JOURNALFMT_ERROR || line.line != NULL) {
    abort();
  }
  f2b_journal_line_clear(&line);
}

static void
add_matches(const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) terms = g_ptr_array_new_with_free_func(g_free);
  size_t pos = 0;
  const char *item;
  size_t len;
  while (f2b_fuzz_next(data, size, &pos, '\0', &item, &len)) {
    f2b_journalfmt_match_valid(item, len);
    g_ptr_array_add(terms, g_strndup(item, len));
  }
  g_autoptr(F2bJournalMatches) matches = f2b_journal_matches_new();
  g_autoptr(GError) error = NULL;
  if (f2b_journal_matches_add(matches, (const char *const *)terms->pdata, terms->len, &error)) {
    g_free(f2b_journal_matches_status(matches));
    if (!f2b_journal_matches_del(matches, (const char *const *)terms->pdata, terms->len, &error))
      g_clear_error(&error);
  } else if (error == NULL) {
    abort();
  }
  g_free(f2b_journal_matches_status(matches));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  format_entry(data + 1, size - 1, data[0]);
  add_matches(data + 1, size - 1);
  return 0;
}
