/* pyexpr.c - the arithmetic subset of Python expressions (see pyexpr.h).
 *
 * Compile builds a small tree of nodes in one array (children by index);
 * evaluation walks it.  The parser is recursive descent in Python's
 * precedence order; its nesting is counted, and every node records its
 * height, so evaluation recursion is bounded too. */
#include "pyexpr.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "pyobj.h"

G_DEFINE_QUARK(f2b-pyexpr-error-quark, f2b_pyexpr_error)

/* The tree height limit: left-associative chains (1+1+1...) grow the tree
 * without nesting the parser, so they are bounded separately. */
#define MAX_HEIGHT (2 * F2B_PYEXPR_MAX_DEPTH)

typedef enum {
  N_NUM, N_VAR, N_NEG, N_POS, N_INVERT, N_NOT, N_BIN, N_AND, N_OR, N_IF, N_CALL,
} NodeKind;

typedef enum {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW,
  OP_LSHIFT, OP_RSHIFT, OP_BITAND, OP_BITOR, OP_BITXOR,
  OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
} BinOp;

typedef enum {
  F_MIN, F_MAX, F_ABS, F_INT, F_FLOAT, F_ROUND, F_POW,
  M_EXP, M_LOG, M_LOG2, M_LOG10, M_SQRT, M_POW, M_FLOOR, M_CEIL, M_TRUNC, M_FABS,
  M_SIN, M_COS, M_TAN, M_ATAN, M_HYPOT,
} Func;

typedef struct {
  const char *name;
  Func func;
  guint min_args, max_args;
} FuncInfo;

static const FuncInfo functions[] = {
  { "min", F_MIN, 2, G_MAXUINT },   { "max", F_MAX, 2, G_MAXUINT },  { "abs", F_ABS, 1, 1 },
  { "int", F_INT, 1, 1 },           { "float", F_FLOAT, 1, 1 },      { "round", F_ROUND, 1, 2 },
  { "pow", F_POW, 2, 2 },           { "math.exp", M_EXP, 1, 1 },     { "math.log", M_LOG, 1, 2 },
  { "math.log2", M_LOG2, 1, 1 },    { "math.log10", M_LOG10, 1, 1 }, { "math.sqrt", M_SQRT, 1, 1 },
  { "math.pow", M_POW, 2, 2 },      { "math.floor", M_FLOOR, 1, 1 }, { "math.ceil", M_CEIL, 1, 1 },
  { "math.trunc", M_TRUNC, 1, 1 },  { "math.fabs", M_FABS, 1, 1 },   { "math.sin", M_SIN, 1, 1 },
  { "math.cos", M_COS, 1, 1 },      { "math.tan", M_TAN, 1, 1 },     { "math.atan", M_ATAN, 1, 1 },
  { "math.hypot", M_HYPOT, 2, 2 },
};

typedef struct {
  guint8 kind;   /* NodeKind */
  guint8 op;     /* BinOp or Func */
  guint16 height;
  guint32 a, b, c; /* children; for N_CALL: a = first argument slot, b = count */
  F2bPyNum num;    /* N_NUM value; N_VAR: num.i is the variable index */
} Node;

struct F2bPyExpr {
  GArray *nodes; /* Node */
  GArray *args;  /* guint32: argument lists of calls */
  guint32 root;
  guint flags;
};

/* ---- tokens ---- */

typedef enum { T_END, T_NUM, T_NAME, T_OP } TokKind;

typedef struct {
  TokKind kind;
  const char *s;
  gsize len;
  F2bPyNum num;
} Token;

typedef struct {
  const char *text, *p, *end;
  Token tok;
  const char *const *names;
  F2bPyExpr *expr;
  int depth;
  GError **error;
} Parser;

static gboolean
fail(Parser *ps, gint code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
fail(Parser *ps, gint code, const char *fmt, ...)
{
  if (ps->error && *ps->error == NULL) {
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(ps->error, F2B_PYEXPR_ERROR, code, msg);
  }
  return FALSE;
}

static gboolean
is_ident_start(char c)
{
  return g_ascii_isalpha(c) || c == '_';
}

static gboolean
is_ident_char(char c)
{
  return g_ascii_isalnum(c) || c == '_';
}

/* Copies the digits of [S, E) without '_' separators, which may stand only
 * between two digits (or right after a 0x/0o/0b prefix). */
static gboolean
strip_underscores(Parser *ps, const char *s, const char *e, GString *out)
{
  for (const char *c = s; c < e; c++) {
    if (*c != '_') {
      g_string_append_c(out, *c);
      continue;
    }
    if (c + 1 >= e || !g_ascii_isxdigit(c[1]) || (c > s && !g_ascii_isxdigit(c[-1]) && c[-1] != 'x' &&
                                                  c[-1] != 'X' && c[-1] != 'o' && c[-1] != 'O' &&
                                                  c[-1] != 'b' && c[-1] != 'B'))
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid decimal literal");
  }
  return TRUE;
}

static gboolean
int_literal(Parser *ps, const char *digits, int base)
{
  errno = 0;
  char *endp = NULL;
  guint64 u = g_ascii_strtoull(digits, &endp, base);
  if (*digits == '\0' || *endp != '\0')
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid literal");
  if (errno == ERANGE || u > G_MAXINT64) {
    if (!(ps->expr->flags & F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT))
      return fail(ps, F2B_PYEXPR_ERROR_VALUE, "integer out of range");
    ps->tok.num = f2b_pynum_float(errno == ERANGE ? ldexp(1.0, 64) : (double)u);
    return TRUE;
  }
  ps->tok.num = f2b_pynum_int((gint64)u);
  return TRUE;
}

/* Python 3.11 lets a keyword follow a number directly ("1if x else 2"). */
static gboolean
keyword_at(const char *p, const char *end)
{
  static const char *const kw[] = { "and", "else", "for", "if", "in", "is", "not", "or" };
  for (guint i = 0; i < G_N_ELEMENTS(kw); i++) {
    gsize n = strlen(kw[i]);
    if ((gsize)(end - p) >= n && memcmp(p, kw[i], n) == 0 && (p + n == end || !is_ident_char(p[n])))
      return TRUE;
  }
  return FALSE;
}

static gboolean
lex_number(Parser *ps)
{
  const char *s = ps->p, *p = ps->p, *end = ps->end;
  int base = 10;
  gboolean is_float = FALSE;
  if (p + 1 < end && p[0] == '0' && strchr("xXoObB", p[1]) && p[1]) {
    base = (p[1] == 'x' || p[1] == 'X') ? 16 : (p[1] == 'o' || p[1] == 'O') ? 8 : 2;
    p += 2;
    while (p < end && (g_ascii_isxdigit(*p) || *p == '_'))
      p++;
  } else {
    while (p < end && (g_ascii_isdigit(*p) || *p == '_'))
      p++;
    if (p < end && *p == '.') {
      is_float = TRUE;
      p++;
      while (p < end && (g_ascii_isdigit(*p) || *p == '_'))
        p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      const char *q = p + 1;
      if (q < end && (*q == '+' || *q == '-'))
        q++;
      if (q < end && g_ascii_isdigit(*q)) {
        is_float = TRUE;
        p = q;
        while (p < end && (g_ascii_isdigit(*p) || *p == '_'))
          p++;
      }
    }
  }
  if (p < end && (*p == 'j' || *p == 'J'))
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "complex numbers are not supported");
  if (p < end && is_ident_char(*p) && !keyword_at(p, end))
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid decimal literal");
  ps->p = p;
  ps->tok = (Token){ T_NUM, s, p - s, { 0 } };
  g_autoptr(GString) clean = g_string_new(NULL);
  if (!strip_underscores(ps, s + (base != 10 ? 2 : 0), p, clean))
    return FALSE;
  if (base != 10)
    return int_literal(ps, clean->str, base);
  if (is_float) {
    ps->tok.num = f2b_pynum_float(g_ascii_strtod(clean->str, NULL));
    return TRUE;
  }
  /* Python 3 refuses leading zeros in a non-zero decimal int */
  if (clean->str[0] == '0' && strspn(clean->str, "0") != clean->len)
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "leading zeros in decimal integer literals are not permitted");
  return int_literal(ps, clean->str, 10);
}

static gboolean
next(Parser *ps)
{
  while (ps->p < ps->end && strchr(" \t\n\r\f\v", *ps->p) && *ps->p)
    ps->p++;
  if (ps->p >= ps->end) {
    ps->tok = (Token){ T_END, ps->p, 0, { 0 } };
    return TRUE;
  }
  char c = *ps->p;
  if (g_ascii_isdigit(c) || (c == '.' && ps->p + 1 < ps->end && g_ascii_isdigit(ps->p[1])))
    return lex_number(ps);
  if (is_ident_start(c)) {
    const char *s = ps->p;
    while (ps->p < ps->end && is_ident_char(*ps->p))
      ps->p++;
    ps->tok = (Token){ T_NAME, s, ps->p - s, { 0 } };
    return TRUE;
  }
  static const char *const two[] = { "**", "//", "<<", ">>", "<=", ">=", "==", "!=" };
  for (guint i = 0; i < G_N_ELEMENTS(two); i++)
    if (ps->p + 1 < ps->end && ps->p[0] == two[i][0] && ps->p[1] == two[i][1]) {
      ps->tok = (Token){ T_OP, ps->p, 2, { 0 } };
      ps->p += 2;
      return TRUE;
    }
  if (c != '\0' && strchr("+-*/%()<>,&|^~.", c)) {
    ps->tok = (Token){ T_OP, ps->p++, 1, { 0 } };
    return TRUE;
  }
  if (g_ascii_isprint(c))
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "'%c' is not allowed (offset %d)", c, (int)(ps->p - ps->text));
  return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "character 0x%02x is not allowed (offset %d)", (guchar)c,
              (int)(ps->p - ps->text));
}

static gboolean
tok_is(const Parser *ps, const char *op)
{
  gsize n = strlen(op);
  return (ps->tok.kind == T_OP || ps->tok.kind == T_NAME) && ps->tok.len == n && memcmp(ps->tok.s, op, n) == 0;
}

/* ---- tree building ---- */

static guint16
height_of(Parser *ps, guint32 idx)
{
  return g_array_index(ps->expr->nodes, Node, idx).height;
}

static gboolean
add_node(Parser *ps, Node node, guint32 *out)
{
  if (ps->expr->nodes->len >= F2B_PYEXPR_MAX_NODES)
    return fail(ps, F2B_PYEXPR_ERROR_LIMIT, "expression too large (more than %d nodes)", F2B_PYEXPR_MAX_NODES);
  guint h = 0;
  if (node.kind == N_CALL) {
    for (guint k = 0; k < node.b; k++)
      h = MAX(h, height_of(ps, g_array_index(ps->expr->args, guint32, node.a + k)));
  } else if (node.kind != N_NUM && node.kind != N_VAR) {
    h = height_of(ps, node.a);
    if (node.kind == N_BIN || node.kind == N_AND || node.kind == N_OR || node.kind == N_IF)
      h = MAX(h, height_of(ps, node.b));
    if (node.kind == N_IF)
      h = MAX(h, height_of(ps, node.c));
  }
  if (h + 1 > MAX_HEIGHT)
    return fail(ps, F2B_PYEXPR_ERROR_LIMIT, "expression too deeply nested");
  node.height = h + 1;
  *out = ps->expr->nodes->len;
  g_array_append_val(ps->expr->nodes, node);
  return TRUE;
}

static gboolean
add_binary(Parser *ps, NodeKind kind, guint op, guint32 a, guint32 b, guint32 *out)
{
  return add_node(ps, (Node){ .kind = kind, .op = op, .a = a, .b = b }, out);
}

static gboolean parse_expr(Parser *ps, guint32 *out);
static gboolean parse_factor(Parser *ps, guint32 *out);

static gboolean
enter(Parser *ps)
{
  if (++ps->depth > F2B_PYEXPR_MAX_DEPTH)
    return fail(ps, F2B_PYEXPR_ERROR_LIMIT, "expression too deeply nested");
  return TRUE;
}

static gboolean
expect_op(Parser *ps, const char *op, const char *what)
{
  if (!tok_is(ps, op))
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "%s (offset %d)", what, (int)(ps->tok.s - ps->text));
  return next(ps);
}

static gboolean
parse_call(Parser *ps, const char *name, guint32 *out)
{
  const FuncInfo *fi = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(functions); i++)
    if (strcmp(functions[i].name, name) == 0)
      fi = &functions[i];
  if (!fi)
    return fail(ps, F2B_PYEXPR_ERROR_NAME, "function '%s' is not defined or not allowed", name);
  if (!next(ps))
    return FALSE;
  g_autoptr(GArray) args = g_array_new(FALSE, FALSE, sizeof(guint32));
  while (!tok_is(ps, ")")) {
    guint32 arg;
    if (!parse_expr(ps, &arg))
      return FALSE;
    g_array_append_val(args, arg);
    if (tok_is(ps, ",")) {
      if (!next(ps))
        return FALSE;
    } else if (!tok_is(ps, ")")) {
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "expected ',' or ')' in the arguments of %s() (offset %d)",
                  name, (int)(ps->tok.s - ps->text));
    }
  }
  if (!next(ps))
    return FALSE;
  if (args->len < fi->min_args || args->len > fi->max_args)
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "%s() takes %u to %u arguments here (%u given)", name,
                fi->min_args, MIN(fi->max_args, 99u), args->len);
  guint32 first = ps->expr->args->len;
  g_array_append_vals(ps->expr->args, args->data, args->len);
  return add_node(ps, (Node){ .kind = N_CALL, .op = fi->func, .a = first, .b = args->len }, out);
}

static gboolean
name_constant(const char *name, F2bPyNum *value)
{
  if (strcmp(name, "True") == 0)
    *value = f2b_pynum_int(1);
  else if (strcmp(name, "False") == 0)
    *value = f2b_pynum_int(0);
  else if (strcmp(name, "math.pi") == 0)
    *value = f2b_pynum_float(G_PI);
  else if (strcmp(name, "math.e") == 0)
    *value = f2b_pynum_float(G_E);
  else if (strcmp(name, "math.inf") == 0)
    *value = f2b_pynum_float(INFINITY);
  else
    return FALSE;
  return TRUE;
}

/* A dotted name: a variable, a constant, or a call of an allowed function. */
static gboolean
parse_name(Parser *ps, guint32 *out)
{
  g_autoptr(GString) name = g_string_new_len(ps->tok.s, ps->tok.len);
  for (;;) {
    if (!next(ps))
      return FALSE;
    if (!tok_is(ps, "."))
      break;
    if (!next(ps))
      return FALSE;
    if (ps->tok.kind != T_NAME)
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid syntax after '%s.'", name->str);
    g_string_append_c(name, '.');
    g_string_append_len(name, ps->tok.s, ps->tok.len);
  }
  static const char *const keywords[] = { "if", "else", "and", "or", "not", "lambda", "in", "is", "for",
                                          "None", "await", "yield" };
  for (guint i = 0; i < G_N_ELEMENTS(keywords); i++)
    if (strcmp(name->str, keywords[i]) == 0)
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "'%s' is not allowed here", name->str);
  if (tok_is(ps, "("))
    return parse_call(ps, name->str, out);
  for (guint k = 0; ps->names && ps->names[k]; k++)
    if (strcmp(ps->names[k], name->str) == 0)
      return add_node(ps, (Node){ .kind = N_VAR, .num = f2b_pynum_int(k) }, out);
  F2bPyNum value;
  if (name_constant(name->str, &value))
    return add_node(ps, (Node){ .kind = N_NUM, .num = value }, out);
  return fail(ps, F2B_PYEXPR_ERROR_NAME, "name '%s' is not defined or not allowed", name->str);
}

static gboolean
parse_atom(Parser *ps, guint32 *out)
{
  if (ps->tok.kind == T_NUM) {
    F2bPyNum v = ps->tok.num;
    return next(ps) && add_node(ps, (Node){ .kind = N_NUM, .num = v }, out);
  }
  if (ps->tok.kind == T_NAME)
    return parse_name(ps, out);
  if (tok_is(ps, "(")) {
    if (!next(ps))
      return FALSE;
    if (tok_is(ps, ")"))
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "tuples are not allowed");
    if (!parse_expr(ps, out))
      return FALSE;
    if (tok_is(ps, ","))
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "tuples are not allowed");
    return expect_op(ps, ")", "'(' was never closed");
  }
  if (ps->tok.kind == T_END)
    return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "unexpected end of expression");
  return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid syntax at '%.*s' (offset %d)", (int)ps->tok.len,
              ps->tok.s, (int)(ps->tok.s - ps->text));
}

static gboolean
parse_power(Parser *ps, guint32 *out)
{
  guint32 base, exponent;
  if (!parse_atom(ps, &base))
    return FALSE;
  if (!tok_is(ps, "**")) {
    *out = base;
    return TRUE;
  }
  if (!next(ps) || !enter(ps) || !parse_factor(ps, &exponent))
    return FALSE;
  ps->depth--;
  return add_binary(ps, N_BIN, OP_POW, base, exponent, out);
}

static gboolean
parse_factor(Parser *ps, guint32 *out)
{
  NodeKind kind = tok_is(ps, "-") ? N_NEG : tok_is(ps, "+") ? N_POS : tok_is(ps, "~") ? N_INVERT : N_NUM;
  if (kind == N_NUM)
    return parse_power(ps, out);
  guint32 operand;
  if (!next(ps) || !enter(ps) || !parse_factor(ps, &operand))
    return FALSE;
  ps->depth--;
  return add_node(ps, (Node){ .kind = kind, .a = operand }, out);
}

typedef gboolean (*ParseFn)(Parser *ps, guint32 *out);

typedef struct {
  const char *token;
  BinOp op;
} OpToken;

/* One left-associative level: OPERAND (OP OPERAND)*. */
static gboolean
parse_level(Parser *ps, ParseFn operand, const OpToken *ops, guint n_ops, guint32 *out)
{
  if (!operand(ps, out))
    return FALSE;
  for (;;) {
    guint k = 0;
    while (k < n_ops && !tok_is(ps, ops[k].token))
      k++;
    if (k == n_ops)
      return TRUE;
    guint32 rhs;
    if (!next(ps) || !operand(ps, &rhs) || !add_binary(ps, N_BIN, ops[k].op, *out, rhs, out))
      return FALSE;
  }
}

static gboolean
parse_term(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "*", OP_MUL }, { "/", OP_DIV }, { "//", OP_FLOORDIV }, { "%", OP_MOD } };
  return parse_level(ps, parse_factor, ops, G_N_ELEMENTS(ops), out);
}

static gboolean
parse_arith(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "+", OP_ADD }, { "-", OP_SUB } };
  return parse_level(ps, parse_term, ops, G_N_ELEMENTS(ops), out);
}

static gboolean
parse_shift(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "<<", OP_LSHIFT }, { ">>", OP_RSHIFT } };
  return parse_level(ps, parse_arith, ops, G_N_ELEMENTS(ops), out);
}

static gboolean
parse_bitand(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "&", OP_BITAND } };
  return parse_level(ps, parse_shift, ops, G_N_ELEMENTS(ops), out);
}

static gboolean
parse_bitxor(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "^", OP_BITXOR } };
  return parse_level(ps, parse_bitand, ops, G_N_ELEMENTS(ops), out);
}

static gboolean
parse_bitor(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "|", OP_BITOR } };
  return parse_level(ps, parse_bitxor, ops, G_N_ELEMENTS(ops), out);
}

/* a < b < c is (a < b) and (b < c), with b shared: evaluation is pure, so
 * evaluating b twice gives what Python's single evaluation gives. */
static gboolean
parse_comparison(Parser *ps, guint32 *out)
{
  static const OpToken ops[] = { { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT },
                                 { ">=", OP_GE }, { "==", OP_EQ }, { "!=", OP_NE } };
  guint32 left, chain = G_MAXUINT32;
  if (!parse_bitor(ps, &left))
    return FALSE;
  for (;;) {
    if (tok_is(ps, "in") || tok_is(ps, "is"))
      return fail(ps, F2B_PYEXPR_ERROR_SYNTAX, "'%.*s' is not allowed here", (int)ps->tok.len, ps->tok.s);
    guint k = 0;
    while (k < G_N_ELEMENTS(ops) && !tok_is(ps, ops[k].token))
      k++;
    if (k == G_N_ELEMENTS(ops))
      break;
    guint32 right, cmp;
    if (!next(ps) || !parse_bitor(ps, &right) || !add_binary(ps, N_BIN, ops[k].op, left, right, &cmp))
      return FALSE;
    if (chain == G_MAXUINT32)
      chain = cmp;
    else if (!add_binary(ps, N_AND, 0, chain, cmp, &chain))
      return FALSE;
    left = right;
  }
  *out = chain == G_MAXUINT32 ? left : chain;
  return TRUE;
}

static gboolean
parse_not(Parser *ps, guint32 *out)
{
  if (!tok_is(ps, "not"))
    return parse_comparison(ps, out);
  guint32 operand;
  if (!next(ps) || !enter(ps) || !parse_not(ps, &operand))
    return FALSE;
  ps->depth--;
  return add_node(ps, (Node){ .kind = N_NOT, .a = operand }, out);
}

static gboolean
parse_logic(Parser *ps, const char *word, NodeKind kind, ParseFn operand, guint32 *out)
{
  if (!operand(ps, out))
    return FALSE;
  while (tok_is(ps, word)) {
    guint32 rhs;
    if (!next(ps) || !operand(ps, &rhs) || !add_binary(ps, kind, 0, *out, rhs, out))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_and(Parser *ps, guint32 *out)
{
  return parse_logic(ps, "and", N_AND, parse_not, out);
}

static gboolean
parse_or(Parser *ps, guint32 *out)
{
  return parse_logic(ps, "or", N_OR, parse_and, out);
}

/* expr := or_test ['if' or_test 'else' expr] */
static gboolean
parse_expr(Parser *ps, guint32 *out)
{
  if (!enter(ps))
    return FALSE;
  guint32 value, cond, other;
  if (!parse_or(ps, &value))
    return FALSE;
  if (tok_is(ps, "if")) {
    if (!next(ps) || !parse_or(ps, &cond) || !expect_op(ps, "else", "expected 'else' after 'if'") ||
        !parse_expr(ps, &other) || !add_node(ps, (Node){ .kind = N_IF, .a = cond, .b = value, .c = other }, &value))
      return FALSE;
  }
  ps->depth--;
  *out = value;
  return TRUE;
}

F2bPyExpr *
f2b_pyexpr_compile(const char *text, gssize len, const char *const *names, guint flags, GError **error)
{
  g_return_val_if_fail(text != NULL, NULL);
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  if (n > F2B_PYEXPR_MAX_TEXT) {
    g_set_error(error, F2B_PYEXPR_ERROR, F2B_PYEXPR_ERROR_LIMIT, "expression too long (more than %d bytes)",
                F2B_PYEXPR_MAX_TEXT);
    return NULL;
  }
  g_autoptr(F2bPyExpr) expr = g_new0(F2bPyExpr, 1);
  expr->nodes = g_array_new(FALSE, FALSE, sizeof(Node));
  expr->args = g_array_new(FALSE, FALSE, sizeof(guint32));
  expr->flags = flags;
  Parser ps = { text, text, text + n, { 0 }, names, expr, 0, error };
  if (!next(&ps))
    return NULL;
  if (ps.tok.kind == T_END) {
    fail(&ps, F2B_PYEXPR_ERROR_SYNTAX, "empty expression");
    return NULL;
  }
  if (!parse_expr(&ps, &expr->root))
    return NULL;
  if (ps.tok.kind != T_END) {
    fail(&ps, F2B_PYEXPR_ERROR_SYNTAX, "invalid syntax at '%.*s' (offset %d)", (int)ps.tok.len, ps.tok.s,
         (int)(ps.tok.s - text));
    return NULL;
  }
  return g_steal_pointer(&expr);
}

void
f2b_pyexpr_free(F2bPyExpr *expr)
{
  if (!expr)
    return;
  g_array_unref(expr->nodes);
  g_array_unref(expr->args);
  g_free(expr);
}

/* ---- evaluation ---- */

typedef struct {
  const F2bPyExpr *expr;
  const F2bPyNum *values;
  GError **error;
} Eval;

static gboolean
value_error(Eval *ev, const char *msg)
{
  g_set_error_literal(ev->error, F2B_PYEXPR_ERROR, F2B_PYEXPR_ERROR_VALUE, msg);
  return FALSE;
}

/* An int result that does not fit 64 bits: an error, or its float value. */
static gboolean
int_overflow(Eval *ev, double approx, F2bPyNum *out)
{
  if (!(ev->expr->flags & F2B_PYEXPR_INT_OVERFLOW_TO_FLOAT))
    return value_error(ev, "integer out of range");
  *out = f2b_pynum_float(approx);
  return TRUE;
}

static gboolean
truthy(F2bPyNum v)
{
  return v.is_float ? v.f != 0.0 : v.i != 0;
}

/* A float that must become an int (int(), math.floor...): Python's errors. */
static gboolean
float_to_int(Eval *ev, double f, F2bPyNum *out)
{
  if (isnan(f))
    return value_error(ev, "cannot convert float NaN to integer");
  if (isinf(f))
    return value_error(ev, "cannot convert float infinity to integer");
  if (f >= 9223372036854775808.0 || f < -9223372036854775808.0)
    return int_overflow(ev, f, out);
  *out = f2b_pynum_int((gint64)f);
  return TRUE;
}

static gboolean
int_pow(Eval *ev, gint64 base, gint64 exp, F2bPyNum *out)
{
  gint64 result = 1, b = base, exponent = exp;
  gboolean overflow = FALSE;
  while (exp > 0 && !overflow) {
    if ((exp & 1) && __builtin_mul_overflow(result, b, &result))
      overflow = TRUE;
    exp >>= 1;
    if (exp > 0 && !overflow && __builtin_mul_overflow(b, b, &b))
      overflow = TRUE;
  }
  if (overflow)
    return int_overflow(ev, pow((double)base, (double)exponent), out);
  *out = f2b_pynum_int(result);
  return TRUE;
}

static gboolean
float_pow(Eval *ev, double x, double y, F2bPyNum *out)
{
  if (x == 0.0 && y < 0.0)
    return value_error(ev, "0.0 cannot be raised to a negative power");
  if (x < 0.0 && isfinite(y) && y != floor(y))
    return value_error(ev, "complex result not supported");
  double r = pow(x, y);
  if (isinf(r) && isfinite(x) && isfinite(y))
    return value_error(ev, "numerical result out of range");
  *out = f2b_pynum_float(r);
  return TRUE;
}

static gboolean
do_pow(Eval *ev, F2bPyNum a, F2bPyNum b, F2bPyNum *out)
{
  if (!a.is_float && !b.is_float && b.i >= 0) {
    /* big results are refused (or approximated) before any work is spent */
    if (b.i > 64 && a.i != 0 && a.i != 1 && a.i != -1)
      return int_overflow(ev, pow((double)a.i, (double)b.i), out);
    return int_pow(ev, a.i, b.i, out);
  }
  return float_pow(ev, f2b_pynum_as_double(a), f2b_pynum_as_double(b), out);
}

/* Python's float floor division and modulo (Objects/floatobject.c: float_divmod). */
static void
float_divmod(double x, double y, double *floordiv, double *mod)
{
  double m = fmod(x, y);
  double div = (x - m) / y;
  if (m != 0.0) {
    if ((y < 0) != (m < 0)) {
      m += y;
      div -= 1.0;
    }
  } else {
    m = copysign(0.0, y);
  }
  double fd;
  if (div != 0.0) {
    fd = floor(div);
    if (div - fd > 0.5)
      fd += 1.0;
  } else {
    fd = copysign(0.0, x / y);
  }
  *floordiv = fd;
  *mod = m;
}

static gboolean
do_divmod(Eval *ev, BinOp op, F2bPyNum a, F2bPyNum b, F2bPyNum *out)
{
  if (!a.is_float && !b.is_float) {
    if (b.i == 0)
      return value_error(ev, op == OP_MOD ? "integer modulo by zero" : "integer division or modulo by zero");
    if (a.i == G_MININT64 && b.i == -1)
      return op == OP_MOD ? (*out = f2b_pynum_int(0), TRUE) : int_overflow(ev, 9223372036854775808.0, out);
    gint64 q = a.i / b.i, m = a.i % b.i;
    if (m != 0 && ((m < 0) != (b.i < 0))) {
      q--;
      m += b.i;
    }
    *out = f2b_pynum_int(op == OP_MOD ? m : q);
    return TRUE;
  }
  double x = f2b_pynum_as_double(a), y = f2b_pynum_as_double(b);
  if (y == 0.0)
    return value_error(ev, op == OP_MOD ? "float modulo" : "float floor division by zero");
  double fd, m;
  float_divmod(x, y, &fd, &m);
  *out = f2b_pynum_float(op == OP_MOD ? m : fd);
  return TRUE;
}

static gboolean
do_shift(Eval *ev, BinOp op, gint64 a, gint64 n, F2bPyNum *out)
{
  if (n < 0)
    return value_error(ev, "negative shift count");
  if (op == OP_RSHIFT) {
    *out = f2b_pynum_int(n >= 64 ? (a < 0 ? -1 : 0) : (a >> n));
    return TRUE;
  }
  if (a == 0) {
    *out = f2b_pynum_int(0);
    return TRUE;
  }
  /* a multiplication, as shifting a negative value left is undefined in C */
  gint64 r;
  if (n == 63 && a == -1)
    r = G_MININT64;
  else if (n >= 63 || __builtin_mul_overflow(a, (gint64)1 << n, &r))
    return int_overflow(ev, ldexp((double)a, (int)MIN(n, 100000)), out);
  *out = f2b_pynum_int(r);
  return TRUE;
}

static int
compare(F2bPyNum a, F2bPyNum b)
{
  if (!a.is_float && !b.is_float)
    return a.i < b.i ? -1 : a.i > b.i;
  double x = f2b_pynum_as_double(a), y = f2b_pynum_as_double(b);
  return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2; /* 2: unordered (NaN) */
}

static gboolean
do_compare(BinOp op, F2bPyNum a, F2bPyNum b)
{
  int c = compare(a, b);
  switch (op) {
  case OP_LT: return c == -1;
  case OP_LE: return c == -1 || c == 0;
  case OP_GT: return c == 1;
  case OP_GE: return c == 1 || c == 0;
  case OP_EQ: return c == 0;
  default: return c != 0;
  }
}

static gboolean
do_add_sub_mul(Eval *ev, BinOp op, F2bPyNum a, F2bPyNum b, F2bPyNum *out)
{
  if (!a.is_float && !b.is_float) {
    gint64 r;
    gboolean ovf = op == OP_ADD ? __builtin_add_overflow(a.i, b.i, &r)
                   : op == OP_SUB ? __builtin_sub_overflow(a.i, b.i, &r)
                                  : __builtin_mul_overflow(a.i, b.i, &r);
    if (!ovf) {
      *out = f2b_pynum_int(r);
      return TRUE;
    }
  }
  double x = f2b_pynum_as_double(a), y = f2b_pynum_as_double(b);
  double r = op == OP_ADD ? x + y : op == OP_SUB ? x - y : x * y;
  if (!a.is_float && !b.is_float)
    return int_overflow(ev, r, out);
  *out = f2b_pynum_float(r);
  return TRUE;
}

static const char *const op_names[] = { "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^" };

static gboolean
do_binary(Eval *ev, BinOp op, F2bPyNum a, F2bPyNum b, F2bPyNum *out)
{
  switch (op) {
  case OP_ADD: case OP_SUB: case OP_MUL:
    return do_add_sub_mul(ev, op, a, b, out);
  case OP_DIV: {
    double y = f2b_pynum_as_double(b);
    if (y == 0.0)
      return value_error(ev, a.is_float || b.is_float ? "float division by zero" : "division by zero");
    *out = f2b_pynum_float(f2b_pynum_as_double(a) / y);
    return TRUE;
  }
  case OP_FLOORDIV: case OP_MOD:
    return do_divmod(ev, op, a, b, out);
  case OP_POW:
    return do_pow(ev, a, b, out);
  case OP_LSHIFT: case OP_RSHIFT: case OP_BITAND: case OP_BITOR: case OP_BITXOR:
    if (a.is_float || b.is_float) {
      g_set_error(ev->error, F2B_PYEXPR_ERROR, F2B_PYEXPR_ERROR_VALUE,
                  "unsupported operand type(s) for %s: '%s' and '%s'", op_names[op], a.is_float ? "float" : "int",
                  b.is_float ? "float" : "int");
      return FALSE;
    }
    if (op == OP_LSHIFT || op == OP_RSHIFT)
      return do_shift(ev, op, a.i, b.i, out);
    *out = f2b_pynum_int(op == OP_BITAND ? (a.i & b.i) : op == OP_BITOR ? (a.i | b.i) : (a.i ^ b.i));
    return TRUE;
  default:
    *out = f2b_pynum_int(do_compare(op, a, b));
    return TRUE;
  }
}

/* round(x) rounds half to even; round(x, n) as Python's correctly rounded
 * decimal form, which printf's %.*f also gives. */
static gboolean
do_round(Eval *ev, F2bPyNum x, const F2bPyNum *ndigits, F2bPyNum *out)
{
  if (!ndigits) {
    if (!x.is_float) {
      *out = x;
      return TRUE;
    }
    double r = round(x.f);
    if (fabs(x.f - r) == 0.5)
      r = 2.0 * round(x.f / 2.0);
    return float_to_int(ev, r, out);
  }
  if (ndigits->is_float)
    return value_error(ev, "'float' object cannot be interpreted as an integer");
  if (!x.is_float && ndigits->i >= 0) {
    *out = x;
    return TRUE;
  }
  if (ndigits->i < 0 || ndigits->i > 300)
    return value_error(ev, "round() with this number of digits is not supported");
  if (!isfinite(x.f)) {
    *out = x;
    return TRUE;
  }
  g_autofree char *s = g_strdup_printf("%.*f", (int)ndigits->i, x.f);
  *out = f2b_pynum_float(g_ascii_strtod(s, NULL));
  return TRUE;
}

static gboolean
math_result(Eval *ev, double arg_ok, double r, F2bPyNum *out)
{
  if (isnan(r) && !isnan(arg_ok))
    return value_error(ev, "math domain error");
  if (isinf(r) && isfinite(arg_ok))
    return value_error(ev, "math range error");
  *out = f2b_pynum_float(r);
  return TRUE;
}

static gboolean
do_log(Eval *ev, const F2bPyNum *args, guint n, double (*fn)(double), F2bPyNum *out)
{
  double x = f2b_pynum_as_double(args[0]);
  if (x <= 0.0)
    return value_error(ev, "math domain error");
  double r = fn(x);
  if (n == 2) {
    double base = f2b_pynum_as_double(args[1]);
    if (base <= 0.0)
      return value_error(ev, "math domain error");
    double d = fn(base);
    if (d == 0.0)
      return value_error(ev, "float division by zero");
    r /= d;
  }
  *out = f2b_pynum_float(r);
  return TRUE;
}

static gboolean
do_minmax(Func f, const F2bPyNum *args, guint n, F2bPyNum *out)
{
  F2bPyNum best = args[0];
  for (guint k = 1; k < n; k++)
    if (compare(args[k], best) == (f == F_MIN ? -1 : 1))
      best = args[k];
  *out = best;
  return TRUE;
}

static gboolean
do_call(Eval *ev, Func f, const F2bPyNum *args, guint n, F2bPyNum *out)
{
  F2bPyNum a = args[0];
  double x = f2b_pynum_as_double(a);
  switch (f) {
  case F_MIN: case F_MAX: return do_minmax(f, args, n, out);
  case F_ABS:
    if (a.is_float)
      return (*out = f2b_pynum_float(fabs(a.f)), TRUE);
    if (a.i == G_MININT64)
      return int_overflow(ev, 9223372036854775808.0, out);
    return (*out = f2b_pynum_int(a.i < 0 ? -a.i : a.i), TRUE);
  case F_INT: case M_TRUNC:
    return a.is_float ? float_to_int(ev, trunc(a.f), out) : (*out = a, TRUE);
  case F_FLOAT: case M_FABS:
    return (*out = f2b_pynum_float(f == M_FABS ? fabs(x) : x), TRUE);
  case F_ROUND: return do_round(ev, a, n == 2 ? &args[1] : NULL, out);
  case F_POW: return do_pow(ev, a, args[1], out);
  case M_POW: {
    double y = f2b_pynum_as_double(args[1]);
    if ((x == 0.0 && y < 0.0) || (x < 0.0 && isfinite(y) && y != floor(y)))
      return value_error(ev, "math domain error");
    return math_result(ev, isfinite(x) && isfinite(y) ? 0.0 : INFINITY, pow(x, y), out);
  }
  case M_EXP: return math_result(ev, x, exp(x), out);
  case M_LOG: return do_log(ev, args, n, log, out);
  case M_LOG2: return do_log(ev, args, 1, log2, out);
  case M_LOG10: return do_log(ev, args, 1, log10, out);
  case M_SQRT: return math_result(ev, x, sqrt(x), out);
  case M_FLOOR: case M_CEIL:
    return a.is_float ? float_to_int(ev, f == M_FLOOR ? floor(a.f) : ceil(a.f), out) : (*out = a, TRUE);
  case M_SIN: return math_result(ev, x, sin(x), out);
  case M_COS: return math_result(ev, x, cos(x), out);
  case M_TAN: return math_result(ev, x, tan(x), out);
  case M_ATAN: return math_result(ev, x, atan(x), out);
  case M_HYPOT: return (*out = f2b_pynum_float(hypot(x, f2b_pynum_as_double(args[1]))), TRUE);
  }
  return value_error(ev, "unknown function");
}

static gboolean
eval_node(Eval *ev, guint32 idx, F2bPyNum *out)
{
  const Node *node = &g_array_index(ev->expr->nodes, Node, idx);
  F2bPyNum a, b;
  switch ((NodeKind)node->kind) {
  case N_NUM: *out = node->num; return TRUE;
  case N_VAR: *out = ev->values[node->num.i]; return TRUE;
  case N_NEG:
    if (!eval_node(ev, node->a, &a))
      return FALSE;
    if (a.is_float)
      return (*out = f2b_pynum_float(-a.f), TRUE);
    if (a.i == G_MININT64)
      return int_overflow(ev, 9223372036854775808.0, out);
    return (*out = f2b_pynum_int(-a.i), TRUE);
  case N_POS: return eval_node(ev, node->a, out);
  case N_INVERT:
    if (!eval_node(ev, node->a, &a))
      return FALSE;
    if (a.is_float)
      return value_error(ev, "bad operand type for unary ~: 'float'");
    return (*out = f2b_pynum_int(~a.i), TRUE);
  case N_NOT:
    if (!eval_node(ev, node->a, &a))
      return FALSE;
    return (*out = f2b_pynum_int(!truthy(a)), TRUE);
  case N_AND: case N_OR:
    if (!eval_node(ev, node->a, &a))
      return FALSE;
    if (truthy(a) == (node->kind == N_OR))
      return (*out = a, TRUE);
    return eval_node(ev, node->b, out);
  case N_IF:
    if (!eval_node(ev, node->a, &a))
      return FALSE;
    return eval_node(ev, truthy(a) ? node->b : node->c, out);
  case N_BIN:
    if (!eval_node(ev, node->a, &a) || !eval_node(ev, node->b, &b))
      return FALSE;
    return do_binary(ev, node->op, a, b, out);
  case N_CALL: {
    g_autofree F2bPyNum *args = g_new(F2bPyNum, node->b);
    for (guint k = 0; k < node->b; k++)
      if (!eval_node(ev, g_array_index(ev->expr->args, guint32, node->a + k), &args[k]))
        return FALSE;
    return do_call(ev, node->op, args, node->b, out);
  }
  }
  return value_error(ev, "bad node");
}

gboolean
f2b_pyexpr_eval(const F2bPyExpr *expr, const F2bPyNum *values, F2bPyNum *result, GError **error)
{
  g_return_val_if_fail(expr != NULL && result != NULL, FALSE);
  Eval ev = { expr, values, error };
  return eval_node(&ev, expr->root, result);
}

gboolean
f2b_pyexpr_eval_text(const char *text, gssize len, guint flags, F2bPyNum *result, GError **error)
{
  g_autoptr(F2bPyExpr) expr = f2b_pyexpr_compile(text, len, NULL, flags, error);
  return expr && f2b_pyexpr_eval(expr, NULL, result, error);
}

char *
f2b_pynum_repr(F2bPyNum n)
{
  if (!n.is_float)
    return g_strdup_printf("%" G_GINT64_FORMAT, n.i);
  GString *out = g_string_new(NULL);
  f2b_py_repr_float_append(out, n.f);
  return g_string_free(out, FALSE);
}
