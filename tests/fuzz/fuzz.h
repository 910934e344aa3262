/* fuzz.h - what every fuzz target shares.
 *
 * A target is one LLVMFuzzerTestOneInput.  tests/fuzz/build.sh links it with
 * libFuzzer (clang); meson links it with fuzz-main.c, a driver that replays
 * the committed seed corpus, so that the normal and sanitizer builds run
 * every target on every input of its corpus.
 *
 * Many targets take several texts from one input (a regex and lines, a
 * pattern and lines, several files): they cut it at a separator with
 * f2b_fuzz_next(), which gives the fuzzer a simple structure to find. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next piece of the input [*POS, SIZE) up to SEP (not included) or the
 * end; *POS moves past the separator.  FALSE when nothing is left. */
static inline gboolean
f2b_fuzz_next(const uint8_t *data, size_t size, size_t *pos, char sep, const char **piece,
              size_t *len)
{
  if (*pos > size || (*pos == size && size > 0 && data[size - 1] != (uint8_t)sep))
    return FALSE;
  if (*pos == size) {
    *pos = size + 1; /* a trailing separator ends one last, empty piece */
    *piece = (const char *)data + size;
    *len = 0;
    return TRUE;
  }
  const uint8_t *end = memchr(data + *pos, (uint8_t)sep, size - *pos);
  size_t stop = end ? (size_t)(end - data) : size;
  *piece = (const char *)data + *pos;
  *len = stop - *pos;
  *pos = end ? stop + 1 : size + 1;
  return TRUE;
}

/* GLib's criticals (a g_return_if_fail that failed) and warnings are bugs
 * when the input comes from outside: both drivers make them abort.  The
 * local zone is fixed (a POSIX rule, no tzdata needed) and has DST, so that
 * runs repeat on any machine and reach the code around DST changes. */
static inline void
f2b_fuzz_init(void)
{
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", TRUE);
  tzset();
}
