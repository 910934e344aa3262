/* lazyjit.c - PCRE2 searches interpreted at first, as JIT code once a pattern is busy.
 *
 * See lazyjit.h for why.  Used by failregex.c (failregex, ignoreregex, prefregex) and
 * datedetect.c (date templates). */
#include "lazyjit.h"

#include <string.h>

void
f2b_lazyjit_init(F2bLazyJit *lj, gsize stack_max)
{
  *lj = (F2bLazyJit) { 0 };
  lj->stack_max = stack_max;
}

void
f2b_lazyjit_clear(F2bLazyJit *lj)
{
  g_clear_pointer(&lj->stack, pcre2_jit_stack_free);
}

gboolean
f2b_lazyjit_compile(F2bLazyJit *lj, pcre2_code *code, pcre2_match_context *mctx)
{
  if (lj->compiled)
    return lj->jit;
  lj->compiled = TRUE;
  size_t jit_size = 0;
  lj->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0 &&
            pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jit_size) == 0 && jit_size > 0;
  if (lj->jit && lj->stack_max > 0 && mctx) {
    lj->stack = pcre2_jit_stack_create(32 * 1024, lj->stack_max, NULL);
    pcre2_jit_stack_assign(mctx, NULL, lj->stack);
  }
  return lj->jit;
}

static gboolean
is_resource_limit(int rc)
{
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY;
}

/* One interpreted search with a match data of its own (its frame vector goes with
 * it); the offsets land in MD. */
static int
interpret(pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE len, PCRE2_SIZE start,
          pcre2_match_data *md, pcre2_match_context *mctx)
{
  pcre2_match_data *scratch = pcre2_match_data_create_from_pattern(code, NULL);
  int rc = pcre2_match(code, subject, len, start, 0, scratch, mctx);
  guint32 n = MIN(pcre2_get_ovector_count(scratch), pcre2_get_ovector_count(md));
  if (rc >= 0)
    memcpy(pcre2_get_ovector_pointer(md), pcre2_get_ovector_pointer(scratch),
           2 * (gsize) n * sizeof(PCRE2_SIZE));
  pcre2_match_data_free(scratch);
  return rc;
}

int
f2b_lazyjit_match(F2bLazyJit *lj, pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE len,
                  PCRE2_SIZE start, pcre2_match_data *md, pcre2_match_context *mctx)
{
  if (!lj->compiled) {
    if (lj->searches < F2B_LAZYJIT_AFTER && len < F2B_LAZYJIT_LONG_SUBJECT) {
      lj->searches++;
      int rc = interpret(code, subject, len, start, md, mctx);
      if (!is_resource_limit(rc))
        return rc;
    }
    f2b_lazyjit_compile(lj, code, mctx);
  }
  if (lj->jit)
    return pcre2_jit_match(code, subject, len, start, 0, md, mctx);
  return pcre2_match(code, subject, len, start, 0, md, mctx);
}
