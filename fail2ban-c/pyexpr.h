/* pyexpr.h - a safe evaluator for the arithmetic subset of Python expressions.
 *
 * fail2ban evaluates a few configuration values with Python's eval():
 * time abbreviations after unit substitution (str2seconds), bantime.factor
 * and bantime.formula.  We accept the part of Python those values need and
 * reject everything else at compile time, so nothing in a configuration can
 * reach anything but arithmetic:
 *
 *   numbers (decimal, 0x/0o/0b, floats, '_' separators), True, False,
 *   the caller's variables (dotted names such as "ban.Time"),
 *   + - * / // % ** << >> & | ^ ~, comparisons (chained), not/and/or,
 *   "x if c else y", parentheses, and calls of min, max, abs, int, float,
 *   round, pow and math.{exp,log,log2,log10,sqrt,pow,floor,ceil,trunc,fabs,
 *   sin,cos,tan,atan,hypot}, plus math.pi, math.e, math.inf.
 *
 * Values are Python ints (64-bit here) and floats with Python's semantics:
 * true division always gives a float, // and % floor towards minus infinity,
 * comparisons give bools (ints 0/1), min/max keep the first of equal values.
 * Size is bounded: the text, the number of nodes and the nesting depth, so
 * a hostile expression costs a bounded amount of memory and stack. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define F2B_PYEXPR_ERROR (f2b_pyexpr_error_quark())
GQuark f2b_pyexpr_error_quark(void);

typedef enum {
  F2B_PYEXPR_ERROR_SYNTAX, /* not an expression of the accepted subset */
  F2B_PYEXPR_ERROR_NAME,   /* a name that is neither a variable nor allowed */
  F2B_PYEXPR_ERROR_LIMIT,  /* too long, too many nodes or too deeply nested */
  F2B_PYEXPR_ERROR_VALUE,  /* evaluation failed: division by zero, math domain, overflow... */
} F2bPyExprError;

/* A Python number: an int (i) or a float (f). */
typedef struct {
  gboolean is_float;
  gint64 i;
  double f;
} F2bPyNum;

static inline F2bPyNum
f2b_pynum_int(gint64 i)
{
  return (F2bPyNum){ FALSE, i, 0.0 };
}

static inline F2bPyNum
f2b_pynum_float(double f)
{
  return (F2bPyNum){ TRUE, 0, f };
}

static inline double
f2b_pynum_as_double(F2bPyNum n)
{
  return n.is_float ? n.f : (double)n.i;
}

/* Python's repr() of N ("600", "600.0", "1e+16", "inf"), transfer full. */
char *f2b_pynum_repr(F2bPyNum n);

typedef enum {
  F2B_PYEXPR_NONE = 0,
  /* Python ints never overflow; by default a result beyond 64 bits is an
   * error.  With this flag it continues as a float instead (an approximation
   * that keeps min()/max()/comparisons right, used for ban time formulas). */
  F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT = 1 << 0,
} F2bPyExprFlags;

/* Limits on what compile accepts. */
#define F2B_PYEXPR_MAX_TEXT 8192
#define F2B_PYEXPR_MAX_NODES 2048
#define F2B_PYEXPR_MAX_DEPTH 100

typedef struct F2bPyExpr F2bPyExpr;

/* Compiles TEXT (LEN bytes or -1 for NUL-terminated).  NAMES is a
 * NULL-terminated list (may be NULL) of the variables the expression may
 * read; variable k gets values[k] at evaluation.  Returns a new expression
 * (transfer full) or NULL with ERROR. */
F2bPyExpr *f2b_pyexpr_compile(const char *text, gssize len, const char *const *names, guint flags,
                              GError **error);
void f2b_pyexpr_free(F2bPyExpr *expr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bPyExpr, f2b_pyexpr_free)

/* Evaluates EXPR with VALUES (one per compile-time name; may be NULL when
 * there are none).  Returns TRUE and sets *RESULT, or FALSE with ERROR
 * (domain F2B_PYEXPR_ERROR, code VALUE) as Python would raise. */
gboolean f2b_pyexpr_eval(const F2bPyExpr *expr, const F2bPyNum *values, F2bPyNum *result, GError **error);

/* Compile and evaluate a constant expression in one step. */
gboolean f2b_pyexpr_eval_text(const char *text, gssize len, guint flags, F2bPyNum *result, GError **error);

G_END_DECLS
