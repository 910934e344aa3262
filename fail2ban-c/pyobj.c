/* pyobj.c - Python values as a tree, and Python's repr() of them.
 *
 * See pyobj.h.  The repr rules follow CPython 3: a string is quoted with
 * single quotes unless it holds a single quote and no double quote; only
 * non-printable characters are escaped (Unicode categories Cc, Cf, Cs, Co,
 * Cn, Zl, Zp and Zs other than the space); floats use the shortest text
 * that reads back to the same double. */
#include "pyobj.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The items of a container: a plain growable array (a dump builds tens of
 * thousands of small lists, so one allocation per list matters). */
typedef struct {
  gpointer *pdata;
  guint len;
  guint cap;
} PyItems;

struct F2bPyObj {
  F2bPyKind kind;
  /* References beyond the first, for immutable kinds only (numbers, None,
   * str, bytes): a copy of one of those is the same node, one more owner.
   * Containers are never shared, so the tree stays a tree for its owners. */
  gint extra_refs;
  union {
    gboolean b;
    gint64 i;
    double f;
    struct {
      char *data; /* NUL-terminated copy, may hold NULs before it */
      gsize len;
    } s;
    PyItems items; /* LIST, TUPLE; DICT as key, value, key, value... */
    struct {
      char *module;
      char *name;
      F2bPyObj *args; /* a TUPLE */
    } inst;
  } v;
};

static F2bPyObj *
py_new(F2bPyKind kind)
{
  F2bPyObj *obj = g_new0(F2bPyObj, 1);
  obj->kind = kind;
  return obj;
}

/* None, True and False exist once: they are immutable and never freed
 * (f2b_py_free knows them), so making one costs no allocation. */
static F2bPyObj py_none_value = { .kind = F2B_PY_NONE };
static F2bPyObj py_true_value = { .kind = F2B_PY_BOOL, .v.b = TRUE };
static F2bPyObj py_false_value = { .kind = F2B_PY_BOOL, .v.b = FALSE };

static gboolean
is_static(const F2bPyObj *obj)
{
  return obj == &py_none_value || obj == &py_true_value || obj == &py_false_value;
}

F2bPyObj *
f2b_py_none(void)
{
  return &py_none_value;
}

F2bPyObj *
f2b_py_bool(gboolean value)
{
  return value ? &py_true_value : &py_false_value;
}

F2bPyObj *
f2b_py_int(gint64 value)
{
  F2bPyObj *obj = py_new(F2B_PY_INT);
  obj->v.i = value;
  return obj;
}

F2bPyObj *
f2b_py_float(double value)
{
  F2bPyObj *obj = py_new(F2B_PY_FLOAT);
  obj->v.f = value;
  return obj;
}

/* A string's bytes live in the same block as its node: one allocation
 * per string instead of two (a dump makes tens of thousands of them). */
static F2bPyObj *
py_new_data(F2bPyKind kind, const void *data, gsize len)
{
  /* one allocation: the text lives right after the object (see f2b_py_free) */
  g_return_val_if_fail(len < G_MAXSIZE - sizeof(F2bPyObj) - 1, NULL);
  F2bPyObj *obj = g_malloc(sizeof(F2bPyObj) + len + 1);
  memset(obj, 0, sizeof(F2bPyObj));
  obj->kind = kind;
  obj->v.s.data = (char *) (obj + 1);
  if (len > 0)
    memcpy(obj->v.s.data, data, len);
  obj->v.s.data[len] = '\0';
  obj->v.s.len = len;
  return obj;
}

F2bPyObj *
f2b_py_str(const char *utf8)
{
  g_return_val_if_fail(utf8 != NULL, NULL);
  return py_new_data(F2B_PY_STR, utf8, strlen(utf8));
}

F2bPyObj *
f2b_py_str_len(const char *utf8, gsize len)
{
  g_return_val_if_fail(utf8 != NULL || len == 0, NULL);
  return py_new_data(F2B_PY_STR, utf8, len);
}

F2bPyObj *
f2b_py_str_take(char *utf8)
{
  g_return_val_if_fail(utf8 != NULL, NULL);
  F2bPyObj *obj = py_new(F2B_PY_STR);
  obj->v.s.data = utf8;
  obj->v.s.len = strlen(utf8);
  return obj;
}

F2bPyObj *
f2b_py_bytes(const void *data, gsize len)
{
  g_return_val_if_fail(data != NULL || len == 0, NULL);
  return py_new_data(F2B_PY_BYTES, data, len);
}

/* Items of a container made with its size known may live in the node's block,
 * right after it (see f2b_py_dict_new_sized): one allocation instead of two. */
static gboolean
items_inline(const F2bPyObj *obj)
{
  return obj->v.items.pdata == (gpointer *) (gpointer) (obj + 1);
}

static void
items_add(PyItems *items, gpointer item)
{
  if (items->len == items->cap) {
    F2bPyObj *obj = (F2bPyObj *) ((char *) items - G_STRUCT_OFFSET(F2bPyObj, v.items));
    guint cap = items->cap ? items->cap * 2 : 8;
    if (items->cap && items_inline(obj)) {
      /* outgrew the node's block: the items move to an array of their own */
      gpointer *pdata = g_new(gpointer, cap);
      memcpy(pdata, items->pdata, items->len * sizeof(gpointer));
      items->pdata = pdata;
    } else {
      items->pdata = g_renew(gpointer, items->pdata, cap);
    }
    items->cap = cap;
  }
  items->pdata[items->len++] = item;
}

static F2bPyObj *
py_new_container(F2bPyKind kind)
{
  F2bPyObj *obj = py_new(kind);
  return obj;
}

F2bPyObj *
f2b_py_list_new(void)
{
  return py_new_container(F2B_PY_LIST);
}

F2bPyObj *
f2b_py_tuple_new(void)
{
  return py_new_container(F2B_PY_TUPLE);
}

F2bPyObj *
f2b_py_dict_new(void)
{
  return py_new_container(F2B_PY_DICT);
}

F2bPyObj *
f2b_py_dict_new_sized(gsize n_pairs)
{
  g_return_val_if_fail(n_pairs < G_MAXUINT / 4, NULL);
  if (n_pairs == 0)
    return py_new_container(F2B_PY_DICT);
  F2bPyObj *obj = g_malloc(sizeof(F2bPyObj) + 2 * n_pairs * sizeof(gpointer));
  memset(obj, 0, sizeof(F2bPyObj));
  obj->kind = F2B_PY_DICT;
  obj->v.items.cap = (guint) (2 * n_pairs);
  obj->v.items.pdata = (gpointer *) (gpointer) (obj + 1);
  return obj;
}

F2bPyObj *
f2b_py_instance_new(const char *module, const char *name, F2bPyObj *args)
{
  g_return_val_if_fail(module != NULL && name != NULL, NULL);
  g_return_val_if_fail(args == NULL || args->kind == F2B_PY_TUPLE, NULL);
  F2bPyObj *obj = py_new(F2B_PY_INSTANCE);
  obj->v.inst.module = g_strdup(module);
  obj->v.inst.name = g_strdup(name);
  obj->v.inst.args = args ? args : f2b_py_tuple_new();
  return obj;
}

F2bPyObj *
f2b_py_list_of_strs(const char *first, ...)
{
  F2bPyObj *list = f2b_py_list_new();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
    f2b_py_append(list, f2b_py_str(s));
  va_end(ap);
  return list;
}

F2bPyObj *
f2b_py_tuple_of(F2bPyObj *first, ...)
{
  F2bPyObj *tuple = f2b_py_tuple_new();
  va_list ap;
  va_start(ap, first);
  for (F2bPyObj *item = first; item != NULL; item = va_arg(ap, F2bPyObj *))
    f2b_py_append(tuple, item);
  va_end(ap);
  return tuple;
}

F2bPyObj *
f2b_py_append(F2bPyObj *seq, F2bPyObj *item)
{
  g_return_val_if_fail(seq != NULL && item != NULL, NULL);
  g_return_val_if_fail(seq->kind == F2B_PY_LIST || seq->kind == F2B_PY_TUPLE, NULL);
  items_add(&seq->v.items, item);
  return item;
}

void
f2b_py_dict_set(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value)
{
  g_return_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL && value != NULL);
  PyItems *a = &dict->v.items;
  for (guint i = 0; i < a->len; i += 2) {
    const F2bPyObj *k = a->pdata[i];
    /* string keys are the common case: compare them without the numeric rules */
    gboolean same = (k->kind == F2B_PY_STR && key->kind == F2B_PY_STR)
                        ? k->v.s.len == key->v.s.len && memcmp(k->v.s.data, key->v.s.data, k->v.s.len) == 0
                        : f2b_py_equal(k, key);
    if (same) {
      f2b_py_free(key);
      f2b_py_free(a->pdata[i + 1]);
      a->pdata[i + 1] = value;
      return;
    }
  }
  items_add(a, key);
  items_add(a, value);
}

void
f2b_py_dict_append_new(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value)
{
  g_return_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL && value != NULL);
  items_add(&dict->v.items, key);
  items_add(&dict->v.items, value);
}

/* The immutable kinds, which copies share (see extra_refs). */
static gboolean
is_shared_kind(F2bPyKind kind)
{
  return kind <= F2B_PY_BYTES;
}

void
f2b_py_free(F2bPyObj *obj)
{
  if (obj == NULL || is_static(obj))
    return;
  /* the old count: above zero, another owner still holds the node */
  if (is_shared_kind(obj->kind) && g_atomic_int_add(&obj->extra_refs, -1) > 0)
    return;
  switch (obj->kind) {
  case F2B_PY_STR:
  case F2B_PY_BYTES:
    if (obj->v.s.data != (char *) (obj + 1))
      g_free(obj->v.s.data);
    break;
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
  case F2B_PY_DICT:
    for (guint i = 0; i < obj->v.items.len; i++)
      f2b_py_free(obj->v.items.pdata[i]);
    if (!items_inline(obj))
      g_free(obj->v.items.pdata);
    break;
  case F2B_PY_INSTANCE:
    g_free(obj->v.inst.module);
    g_free(obj->v.inst.name);
    f2b_py_free(obj->v.inst.args);
    break;
  default:
    break;
  }
  g_free(obj);
}

F2bPyObj *
f2b_py_copy(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL, NULL);
  if (is_static(obj))
    return (F2bPyObj *) obj;
  switch (obj->kind) {
  case F2B_PY_NONE:
  case F2B_PY_BOOL:
  case F2B_PY_INT:
  case F2B_PY_FLOAT:
  case F2B_PY_STR:
  case F2B_PY_BYTES: {
    /* immutable: the copy is the same node with one more owner */
    F2bPyObj *shared = (F2bPyObj *) obj;
    g_atomic_int_inc(&shared->extra_refs);
    return shared;
  }
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
  case F2B_PY_DICT: {
    F2bPyObj *copy = py_new_container(obj->kind);
    for (guint i = 0; i < obj->v.items.len; i++)
      items_add(&copy->v.items, f2b_py_copy(obj->v.items.pdata[i]));
    return copy;
  }
  case F2B_PY_INSTANCE:
    return f2b_py_instance_new(obj->v.inst.module, obj->v.inst.name,
                               f2b_py_copy(obj->v.inst.args));
  }
  g_return_val_if_reached(NULL);
}

gsize
f2b_py_count_nodes(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL, 0);
  switch (obj->kind) {
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
  case F2B_PY_DICT: {
    gsize n = 1;
    for (guint i = 0; i < obj->v.items.len; i++)
      n += f2b_py_count_nodes(obj->v.items.pdata[i]);
    return n;
  }
  case F2B_PY_INSTANCE:
    return 1 + f2b_py_count_nodes(obj->v.inst.args);
  default:
    return 1;
  }
}

F2bPyKind
f2b_py_kind(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL, F2B_PY_NONE);
  return obj->kind;
}

gboolean
f2b_py_get_bool(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_BOOL, FALSE);
  return obj->v.b;
}

gint64
f2b_py_get_int(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_INT, 0);
  return obj->v.i;
}

double
f2b_py_get_float(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_FLOAT, 0.0);
  return obj->v.f;
}

const char *
f2b_py_get_str(const F2bPyObj *obj, gsize *len)
{
  g_return_val_if_fail(obj != NULL && (obj->kind == F2B_PY_STR || obj->kind == F2B_PY_BYTES), NULL);
  if (len)
    *len = obj->v.s.len;
  return obj->v.s.data;
}

gsize
f2b_py_len(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL, 0);
  switch (obj->kind) {
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
    return obj->v.items.len;
  case F2B_PY_DICT:
    return obj->v.items.len / 2;
  case F2B_PY_INSTANCE:
    return obj->v.inst.args->v.items.len;
  case F2B_PY_STR:
  case F2B_PY_BYTES:
    return obj->v.s.len;
  default:
    g_return_val_if_reached(0);
  }
}

F2bPyObj *
f2b_py_item(const F2bPyObj *obj, gsize i)
{
  g_return_val_if_fail(obj != NULL, NULL);
  if (obj->kind == F2B_PY_INSTANCE)
    obj = obj->v.inst.args;
  g_return_val_if_fail(obj->kind == F2B_PY_LIST || obj->kind == F2B_PY_TUPLE, NULL);
  g_return_val_if_fail(i < obj->v.items.len, NULL);
  return obj->v.items.pdata[i];
}

void
f2b_py_dict_pair(const F2bPyObj *dict, gsize i, F2bPyObj **key, F2bPyObj **value)
{
  g_return_if_fail(dict != NULL && dict->kind == F2B_PY_DICT);
  g_return_if_fail(2 * i + 1 < dict->v.items.len);
  if (key)
    *key = dict->v.items.pdata[2 * i];
  if (value)
    *value = dict->v.items.pdata[2 * i + 1];
}

F2bPyObj *
f2b_py_dict_lookup(const F2bPyObj *dict, const F2bPyObj *key)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  for (guint i = 0; i < dict->v.items.len; i += 2)
    if (f2b_py_equal(dict->v.items.pdata[i], key))
      return dict->v.items.pdata[i + 1];
  return NULL;
}

F2bPyObj *
f2b_py_dict_pop(F2bPyObj *dict, const F2bPyObj *key)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  PyItems *a = &dict->v.items;
  for (guint i = 0; i < a->len; i += 2) {
    if (f2b_py_equal(a->pdata[i], key)) {
      F2bPyObj *value = a->pdata[i + 1];
      f2b_py_free(a->pdata[i]);
      memmove(&a->pdata[i], &a->pdata[i + 2], (a->len - i - 2) * sizeof(gpointer));
      a->len -= 2;
      return value;
    }
  }
  return NULL;
}

static gboolean
is_str_key(const F2bPyObj *k, const char *key, gsize len)
{
  return k->kind == F2B_PY_STR && k->v.s.len == len && memcmp(k->v.s.data, key, len) == 0;
}

F2bPyObj *
f2b_py_dict_get_str(const F2bPyObj *dict, const char *key, gsize len)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  for (guint i = 0; i < dict->v.items.len; i += 2)
    if (is_str_key(dict->v.items.pdata[i], key, len))
      return dict->v.items.pdata[i + 1];
  return NULL;
}

F2bPyObj *
f2b_py_dict_pop_str(F2bPyObj *dict, const char *key, gsize len)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  PyItems *a = &dict->v.items;
  for (guint i = 0; i < a->len; i += 2) {
    if (is_str_key(a->pdata[i], key, len)) {
      F2bPyObj *value = a->pdata[i + 1];
      f2b_py_free(a->pdata[i]);
      memmove(&a->pdata[i], &a->pdata[i + 2], (a->len - i - 2) * sizeof(gpointer));
      a->len -= 2;
      return value;
    }
  }
  return NULL;
}

/* Index of the pair whose key is KEY itself, or -1. */
static gint
dict_index_same(const F2bPyObj *dict, const F2bPyObj *key)
{
  gpointer *p = dict->v.items.pdata;
  for (guint i = 0; i < dict->v.items.len; i += 2)
    if (p[i] == key)
      return (gint) i;
  return -1;
}

F2bPyObj *
f2b_py_dict_get_same(const F2bPyObj *dict, const F2bPyObj *key)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  gint i = dict_index_same(dict, key);
  return i < 0 ? NULL : dict->v.items.pdata[i + 1];
}

F2bPyObj *
f2b_py_dict_pop_same(F2bPyObj *dict, const F2bPyObj *key)
{
  g_return_val_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL, NULL);
  gint i = dict_index_same(dict, key);
  if (i < 0)
    return NULL;
  PyItems *a = &dict->v.items;
  F2bPyObj *value = a->pdata[i + 1];
  f2b_py_free(a->pdata[i]);
  memmove(&a->pdata[i], &a->pdata[i + 2], (a->len - (guint) i - 2) * sizeof(gpointer));
  a->len -= 2;
  return value;
}

void
f2b_py_dict_set_same(F2bPyObj *dict, F2bPyObj *key, F2bPyObj *value)
{
  g_return_if_fail(dict != NULL && dict->kind == F2B_PY_DICT && key != NULL && value != NULL);
  gint i = dict_index_same(dict, key);
  if (i < 0) {
    items_add(&dict->v.items, key);
    items_add(&dict->v.items, value);
    return;
  }
  f2b_py_free(key); /* the same object: one reference less */
  f2b_py_free(dict->v.items.pdata[i + 1]);
  dict->v.items.pdata[i + 1] = value;
}

const char *
f2b_py_instance_module(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_INSTANCE, NULL);
  return obj->v.inst.module;
}

const char *
f2b_py_instance_name(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_INSTANCE, NULL);
  return obj->v.inst.name;
}

F2bPyObj *
f2b_py_instance_args(const F2bPyObj *obj)
{
  g_return_val_if_fail(obj != NULL && obj->kind == F2B_PY_INSTANCE, NULL);
  return obj->v.inst.args;
}

gboolean
f2b_py_str_equal(const F2bPyObj *obj, const char *s)
{
  return obj != NULL && s != NULL && obj->kind == F2B_PY_STR &&
         obj->v.s.len == strlen(s) && memcmp(obj->v.s.data, s, obj->v.s.len) == 0;
}

/* Numbers compare across kinds as in Python: True == 1 == 1.0. */
static gboolean
py_number(const F2bPyObj *obj, double *as_double, gint64 *as_int, gboolean *is_int)
{
  switch (obj->kind) {
  case F2B_PY_BOOL:
    *as_int = obj->v.b;
    *as_double = obj->v.b;
    *is_int = TRUE;
    return TRUE;
  case F2B_PY_INT:
    *as_int = obj->v.i;
    *as_double = (double) obj->v.i;
    *is_int = TRUE;
    return TRUE;
  case F2B_PY_FLOAT:
    *as_int = 0;
    *as_double = obj->v.f;
    *is_int = FALSE;
    return TRUE;
  default:
    return FALSE;
  }
}

gboolean
f2b_py_equal(const F2bPyObj *a, const F2bPyObj *b)
{
  g_return_val_if_fail(a != NULL && b != NULL, FALSE);
  double da, db;
  gint64 ia, ib;
  gboolean inta, intb;
  if (py_number(a, &da, &ia, &inta) && py_number(b, &db, &ib, &intb))
    return (inta && intb) ? ia == ib : da == db;
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind) {
  case F2B_PY_NONE:
    return TRUE;
  case F2B_PY_STR:
  case F2B_PY_BYTES:
    return a->v.s.len == b->v.s.len && memcmp(a->v.s.data, b->v.s.data, a->v.s.len) == 0;
  case F2B_PY_LIST:
  case F2B_PY_TUPLE:
  case F2B_PY_DICT:
    if (a->v.items.len != b->v.items.len)
      return FALSE;
    if (a->kind == F2B_PY_DICT) {
      for (guint i = 0; i < a->v.items.len; i += 2) {
        F2bPyObj *other = f2b_py_dict_lookup(b, a->v.items.pdata[i]);
        if (other == NULL || !f2b_py_equal(a->v.items.pdata[i + 1], other))
          return FALSE;
      }
      return TRUE;
    }
    for (guint i = 0; i < a->v.items.len; i++)
      if (!f2b_py_equal(a->v.items.pdata[i], b->v.items.pdata[i]))
        return FALSE;
    return TRUE;
  case F2B_PY_INSTANCE:
    /* Python compares exceptions by identity; as data, compare by content. */
    return strcmp(a->v.inst.module, b->v.inst.module) == 0 &&
           strcmp(a->v.inst.name, b->v.inst.name) == 0 &&
           f2b_py_equal(a->v.inst.args, b->v.inst.args);
  default:
    return FALSE;
  }
}

/* ---- repr ---------------------------------------------------------------- */

/* g_string_append_len, with the common case (room enough) inline: repr()
 * appends many short pieces and GLib 2.74 has no inline variant. */
static inline void
out_append(GString *out, const char *s, gsize n)
{
  if (out->len + n < out->allocated_len) {
    memcpy(out->str + out->len, s, n);
    out->len += n;
    out->str[out->len] = '\0';
  } else {
    g_string_append_len(out, s, n);
  }
}

/* Python's str.isprintable() for one code point. */
static gboolean
py_unichar_printable(gunichar c)
{
  if (c == ' ')
    return TRUE;
  switch (g_unichar_type(c)) {
  case G_UNICODE_CONTROL:
  case G_UNICODE_FORMAT:
  case G_UNICODE_SURROGATE:
  case G_UNICODE_PRIVATE_USE:
  case G_UNICODE_UNASSIGNED:
  case G_UNICODE_LINE_SEPARATOR:
  case G_UNICODE_PARAGRAPH_SEPARATOR:
  case G_UNICODE_SPACE_SEPARATOR:
    return FALSE;
  default:
    return TRUE;
  }
}

static void
repr_escape_codepoint(GString *out, gunichar c)
{
  if (c <= 0xff)
    g_string_append_printf(out, "\\x%02x", c);
  else if (c <= 0xffff)
    g_string_append_printf(out, "\\u%04x", c);
  else
    g_string_append_printf(out, "\\U%08x", c);
}

static char
repr_choose_quote(const char *data, gsize len)
{
  gboolean single = memchr(data, '\'', len) != NULL;
  gboolean dbl = memchr(data, '"', len) != NULL;
  return (single && !dbl) ? '"' : '\'';
}

/* Escapes of the ASCII range shared by str and bytes; FALSE when C needs
 * the caller's own treatment. */
static gboolean
repr_ascii(GString *out, unsigned char c, char quote)
{
  if (c == '\\' || c == (unsigned char) quote) {
    g_string_append_c(out, '\\');
    g_string_append_c(out, (char) c);
  } else if (c == '\t') {
    g_string_append(out, "\\t");
  } else if (c == '\n') {
    g_string_append(out, "\\n");
  } else if (c == '\r') {
    g_string_append(out, "\\r");
  } else if (c < 0x20 || c == 0x7f) {
    g_string_append_printf(out, "\\x%02x", c);
  } else if (c < 0x80) {
    g_string_append_c(out, (char) c);
  } else {
    return FALSE;
  }
  return TRUE;
}

/* Printable ASCII that repr() copies as it is: bit 0 when the quote is
 * '\'', bit 1 when it is '"' (the quote itself and '\\' are escaped). */
static const guint8 repr_plain[256] = {
  [0x20 ... 0x21] = 3, [0x22] = 1, [0x23 ... 0x26] = 3, [0x27] = 2, [0x28 ... 0x5b] = 3, [0x5d ... 0x7e] = 3,
};

void
f2b_py_repr_str_append(GString *out, const char *data, gsize len)
{
  char quote = repr_choose_quote(data, len);
  guint8 mask = quote == '\'' ? 1 : 2;
  g_string_append_c(out, quote);
  const char *p = data, *end = data + len;
  while (p < end) {
    /* runs of printable ASCII that need no escape are copied at once */
    const char *run = p;
    while (run < end && (repr_plain[(unsigned char) *run] & mask))
      run++;
    if (run > p) {
      out_append(out, p, run - p);
      p = run;
      continue;
    }
    if (repr_ascii(out, (unsigned char) *p, quote)) {
      p++;
      continue;
    }
    gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == (gunichar) -1 || c == (gunichar) -2) {
      /* An undecodable byte: Python's surrogateescape turns it into the
       * lone surrogate U+DC80..U+DCFF, which repr() escapes. */
      g_string_append_printf(out, "\\udc%02x", (unsigned char) *p);
      p++;
      continue;
    }
    const char *next = g_utf8_next_char(p);
    if (py_unichar_printable(c))
      g_string_append_len(out, p, next - p);
    else
      repr_escape_codepoint(out, c);
    p = next;
  }
  g_string_append_c(out, quote);
}

char *
f2b_py_repr_str(const char *utf8)
{
  GString *out = g_string_new(NULL);
  f2b_py_repr_str_append(out, utf8, strlen(utf8));
  return g_string_free(out, FALSE);
}

void
f2b_py_repr_str_append_cut(GString *out, const char *data, gsize len, gsize max_chars)
{
  gsize start = out->len;
  f2b_py_repr_str_append(out, data, len);
  /* the repr is valid UTF-8: undecodable bytes were escaped */
  const char *repr = out->str + start, *cut = repr;
  for (gsize n = 0; n < max_chars && *cut; n++)
    cut = g_utf8_next_char(cut);
  g_string_truncate(out, (gsize) (cut - out->str));
}

static void
repr_bytes_append(GString *out, const char *data, gsize len)
{
  char quote = repr_choose_quote(data, len);
  g_string_append_c(out, 'b');
  g_string_append_c(out, quote);
  for (gsize i = 0; i < len; i++)
    if (!repr_ascii(out, (unsigned char) data[i], quote))
      g_string_append_printf(out, "\\x%02x", (unsigned char) data[i]);
  g_string_append_c(out, quote);
}

void
f2b_py_repr_float_append(GString *out, double value)
{
  if (isnan(value)) {
    g_string_append(out, "nan");
    return;
  }
  if (isinf(value)) {
    g_string_append(out, value < 0 ? "-inf" : "inf");
    return;
  }
  /* The shortest %e form that reads back to VALUE gives the digits and the
   * decimal exponent; Python then writes it positionally when the exponent
   * lies in [-4, 16) and in scientific notation otherwise. */
  char buf[40];
  for (int prec = 0; prec <= 16; prec++) {
    snprintf(buf, sizeof buf, "%.*e", prec, value);
    if (strtod(buf, NULL) == value)
      break;
  }
  gboolean negative = buf[0] == '-';
  const char *mant = negative ? buf + 1 : buf;
  char *e = strchr(mant, 'e');
  int exponent = atoi(e + 1);
  char digits[24];
  gsize nd = 0;
  for (const char *p = mant; p < e; p++)
    if (*p != '.')
      digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';

  if (negative)
    g_string_append_c(out, '-');
  if (exponent < -4 || exponent >= 16) {
    g_string_append_c(out, digits[0]);
    if (nd > 1) {
      g_string_append_c(out, '.');
      g_string_append(out, digits + 1);
    }
    g_string_append_printf(out, "e%c%02d", exponent < 0 ? '-' : '+', abs(exponent));
  } else if (exponent < 0) {
    g_string_append(out, "0.");
    for (int i = -1; i > exponent; i--)
      g_string_append_c(out, '0');
    g_string_append(out, digits);
  } else {
    gsize int_digits = (gsize) exponent + 1;
    for (gsize i = 0; i < int_digits; i++)
      g_string_append_c(out, i < nd ? digits[i] : '0');
    g_string_append_c(out, '.');
    if (nd > int_digits)
      g_string_append(out, digits + int_digits);
    else
      g_string_append_c(out, '0');
  }
}

static void
repr_items_append(GString *out, const PyItems *items, const char *open, const char *close,
                  gboolean one_tuple)
{
  out_append(out, open, strlen(open));
  for (guint i = 0; i < items->len; i++) {
    if (i > 0)
      out_append(out, ", ", 2);
    f2b_py_repr_append(out, items->pdata[i]);
  }
  if (one_tuple && items->len == 1)
    g_string_append_c(out, ',');
  out_append(out, close, strlen(close));
}

void
f2b_py_repr_append(GString *out, const F2bPyObj *obj)
{
  g_return_if_fail(out != NULL && obj != NULL);
  switch (obj->kind) {
  case F2B_PY_NONE:
    g_string_append(out, "None");
    break;
  case F2B_PY_BOOL:
    g_string_append(out, obj->v.b ? "True" : "False");
    break;
  case F2B_PY_INT:
    g_string_append_printf(out, "%" G_GINT64_FORMAT, obj->v.i);
    break;
  case F2B_PY_FLOAT:
    f2b_py_repr_float_append(out, obj->v.f);
    break;
  case F2B_PY_STR:
    f2b_py_repr_str_append(out, obj->v.s.data, obj->v.s.len);
    break;
  case F2B_PY_BYTES:
    repr_bytes_append(out, obj->v.s.data, obj->v.s.len);
    break;
  case F2B_PY_LIST:
    repr_items_append(out, &obj->v.items, "[", "]", FALSE);
    break;
  case F2B_PY_TUPLE:
    repr_items_append(out, &obj->v.items, "(", ")", TRUE);
    break;
  case F2B_PY_DICT:
    g_string_append_c(out, '{');
    for (guint i = 0; i < obj->v.items.len; i += 2) {
      if (i > 0)
        g_string_append(out, ", ");
      f2b_py_repr_append(out, obj->v.items.pdata[i]);
      g_string_append(out, ": ");
      f2b_py_repr_append(out, obj->v.items.pdata[i + 1]);
    }
    g_string_append_c(out, '}');
    break;
  case F2B_PY_INSTANCE:
    /* BaseException.__repr__: the class name and the argument tuple, with
     * no trailing comma for a single argument. */
    g_string_append(out, obj->v.inst.name);
    repr_items_append(out, &obj->v.inst.args->v.items, "(", ")", FALSE);
    break;
  }
}

char *
f2b_py_repr(const F2bPyObj *obj)
{
  GString *out = g_string_new(NULL);
  f2b_py_repr_append(out, obj);
  return g_string_free(out, FALSE);
}

void
f2b_py_str_append(GString *out, const F2bPyObj *obj)
{
  g_return_if_fail(out != NULL && obj != NULL);
  if (obj->kind == F2B_PY_STR) {
    g_string_append_len(out, obj->v.s.data, obj->v.s.len);
  } else if (obj->kind == F2B_PY_INSTANCE) {
    /* str(exception): empty without arguments, str() of a single argument,
     * the argument tuple otherwise. */
    const PyItems *args = &obj->v.inst.args->v.items;
    if (args->len == 1)
      f2b_py_str_append(out, args->pdata[0]);
    else if (args->len > 1)
      repr_items_append(out, args, "(", ")", FALSE);
  } else {
    f2b_py_repr_append(out, obj);
  }
}
