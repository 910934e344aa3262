/* lazyjit.h - run a PCRE2 pattern in the interpreter until it proves busy, then as JIT code.
 *
 * JIT code costs several kilobytes of executable memory per pattern (tens of kilobytes
 * for the Unicode-aware patterns fail2ban's filters become), and a server with every
 * stock jail holds about a thousand patterns, most of which see a few lines an hour.
 * So a pattern is searched by PCRE2's interpreter until it has run F2B_LAZYJIT_AFTER
 * times, and JIT-compiled then.
 *
 * Results do not depend on the engine, with one difference PCRE2 documents: its
 * resource limits count differently in the two.  Before lazy JIT every search ran as
 * JIT code, and the answer stays that one: a search the interpreter stops on a
 * limit is run again as JIT code, and a long subject goes to the JIT at once (the
 * interpreter's backtracking frames would take heap in proportion to its length).
 *
 * The interpreter keeps its backtracking frames (20 KiB at least) in the match data
 * between calls; an interpreted search therefore runs with a temporary match data
 * and copies the offsets into the caller's, so that a thousand idle patterns do not
 * hold a thousand frame vectors. */
#pragma once

#include <glib.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/* Searches run interpreted before the pattern is JIT-compiled. */
#define F2B_LAZYJIT_AFTER 64
/* Subjects at least this long (bytes) are searched with JIT code at once. */
#define F2B_LAZYJIT_LONG_SUBJECT 4096

typedef struct {
  guint32 searches;       /* searches so far, up to F2B_LAZYJIT_AFTER */
  gboolean compiled;      /* pcre2_jit_compile() was called */
  gboolean jit;           /* ... and produced JIT code */
  gsize stack_max;        /* > 0: a JIT stack of that size is made with the JIT code */
  pcre2_jit_stack *stack; /* owned; assigned to the match context of each search */
} F2bLazyJit;

/* A state for a pattern not JIT-compiled yet.  STACK_MAX: the largest JIT stack
 * the pattern may use (0: PCRE2's default 32 KiB machine stack). */
void f2b_lazyjit_init(F2bLazyJit *lj, gsize stack_max);
/* Frees the JIT stack (the JIT code belongs to the pattern). */
void f2b_lazyjit_clear(F2bLazyJit *lj);

/* pcre2_match(CODE, SUBJECT, LEN, START, 0, MD, MCTX) by the engine LJ chooses:
 * the return value and MD's offsets are pcre2_match()'s.  CODE must have been
 * compiled with PCRE2_MATCH_INVALID_UTF when subjects may be invalid UTF-8 (the JIT
 * entry point skips pcre2_match()'s UTF check).  MD was created for CODE; MCTX may
 * be NULL (PCRE2's default limits) unless LJ has a stack size. */
int f2b_lazyjit_match(F2bLazyJit *lj, pcre2_code *code, PCRE2_SPTR subject, PCRE2_SIZE len,
                      PCRE2_SIZE start, pcre2_match_data *md, pcre2_match_context *mctx);

/* JIT-compiles CODE now (idempotent); TRUE when JIT code exists. */
gboolean f2b_lazyjit_compile(F2bLazyJit *lj, pcre2_code *code, pcre2_match_context *mctx);
