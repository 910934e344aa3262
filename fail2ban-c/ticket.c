/* ticket.c - fail2ban's Ticket, FailTicket and BanTicket (see ticket.h). */
#include "ticket.h"

#include <math.h>
#include <string.h>

F2bTicket *
f2b_ticket_new(F2bTicketKind kind, const F2bIPAddr *id, double time)
{
  g_return_val_if_fail(id != NULL, NULL);
  F2bTicket *t = g_new0(F2bTicket, 1);
  t->refcount = 1;
  t->kind = kind;
  t->id = f2b_ipaddr_copy(id);
  t->time = time;
  t->first_time = time;
  t->matches = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  return t;
}

F2bTicket *
f2b_ticket_ref(F2bTicket *t)
{
  g_return_val_if_fail(t != NULL && t->refcount > 0, NULL);
  t->refcount++;
  return t;
}

void
f2b_ticket_unref(F2bTicket *t)
{
  if (!t || --t->refcount > 0)
    return;
  f2b_ipaddr_free(t->id);
  f2b_ipaddr_free(t->ip);
  g_ptr_array_unref(t->matches);
  f2b_py_free(t->data);
  g_free(t);
}

void
f2b_ticket_wrap(F2bTicket *t, F2bTicketKind kind)
{
  t->kind = kind;
}

const F2bIPAddr *
f2b_ticket_get_ip(const F2bTicket *t)
{
  return t->ip ? t->ip : t->id;
}

void
f2b_ticket_set_ip(F2bTicket *t, const F2bIPAddr *ip)
{
  f2b_ipaddr_free(t->ip);
  t->ip = ip ? f2b_ipaddr_copy(ip) : NULL;
}

F2bPyNum
f2b_ticket_get_ban_time(const F2bTicket *t, F2bPyNum default_bt)
{
  return t->has_ban_time ? t->ban_time : default_bt;
}

void
f2b_ticket_set_ban_time(F2bTicket *t, F2bPyNum ban_time)
{
  t->has_ban_time = TRUE;
  t->ban_time = ban_time;
}

void
f2b_ticket_unset_ban_time(F2bTicket *t)
{
  t->has_ban_time = FALSE;
}

static gboolean
is_permanent(F2bPyNum bt)
{
  return f2b_pynum_as_double(bt) == -1.0;
}

double
f2b_ticket_end_of_ban(const F2bTicket *t, F2bPyNum default_bt)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(t, default_bt);
  if (is_permanent(bt))
    return F2B_TICKET_MAX_TIME;
  return t->time + f2b_pynum_as_double(bt);
}

gboolean
f2b_ticket_is_timed_out(const F2bTicket *t, double now, F2bPyNum default_bt)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(t, default_bt);
  if (is_permanent(bt))
    return FALSE;
  return now > t->time + f2b_pynum_as_double(bt);
}

void
f2b_ticket_set_ban_count(F2bTicket *t, gint64 value, gboolean always)
{
  if (always || value > t->ban_count)
    t->ban_count = value;
}

void
f2b_ticket_incr_ban_count(F2bTicket *t, gint64 by)
{
  t->ban_count += by;
}

void
f2b_ticket_set_retry(F2bTicket *t, gint64 retry)
{
  t->retry = retry;
  if (!t->failures)
    t->failures = 1;
  if (!retry) {
    t->failures = 0;
    g_ptr_array_set_size(t->matches, 0);
  }
}

void
f2b_ticket_adjust_time(F2bTicket *t, double time, double max_time)
{
  if (!(time > t->time))
    return;
  if (t->first_time < time - max_time) {
    /* estimate the count for a findtime-long window from the known rate */
    double rate = (double)t->retry / (time - t->first_time);
    t->retry = (gint64)nearbyint(rate * max_time);
    t->first_time = time - max_time;
  }
  t->time = time;
}

void
f2b_ticket_inc(F2bTicket *t, GPtrArray *matches, gint64 attempt, gint64 count)
{
  t->retry += count;
  t->failures += attempt;
  for (guint k = 0; matches && k < matches->len; k++)
    g_ptr_array_add(t->matches, g_bytes_ref(matches->pdata[k]));
}

void
f2b_ticket_add_match(F2bTicket *t, const char *line, gsize len)
{
  g_ptr_array_add(t->matches, g_bytes_new(line, len));
}

void
f2b_ticket_truncate_matches(F2bTicket *t, guint max)
{
  if (t->matches->len > max)
    g_ptr_array_remove_range(t->matches, 0, t->matches->len - max);
}

char *
f2b_ticket_matches_joined(const F2bTicket *t, gsize *len)
{
  GString *out = g_string_new(NULL);
  for (guint k = 0; k < t->matches->len; k++) {
    gsize n;
    const char *data = g_bytes_get_data(t->matches->pdata[k], &n);
    if (k)
      g_string_append_c(out, '\n');
    g_string_append_len(out, data, n);
  }
  if (len)
    *len = out->len;
  return g_string_free(out, FALSE);
}

/* A copy of the dict DATA without KEY (pyobj has no removal). */
static F2bPyObj *
dict_without(const F2bPyObj *data, const char *key)
{
  F2bPyObj *copy = f2b_py_dict_new();
  for (gsize k = 0; k < f2b_py_len(data); k++) {
    F2bPyObj *name, *value;
    f2b_py_dict_pair(data, k, &name, &value);
    if (!f2b_py_str_equal(name, key))
      f2b_py_dict_append_new(copy, f2b_py_copy(name), f2b_py_copy(value));
  }
  return copy;
}

void
f2b_ticket_set_data(F2bTicket *t, const char *key, F2bPyObj *value)
{
  if (!value) {
    if (t->data && f2b_ticket_get_data(t, key)) {
      F2bPyObj *copy = dict_without(t->data, key);
      f2b_py_free(t->data);
      t->data = copy;
    }
    return;
  }
  if (!t->data)
    t->data = f2b_py_dict_new();
  f2b_py_dict_set(t->data, f2b_py_str(key), value);
}

F2bPyObj *
f2b_ticket_get_data(const F2bTicket *t, const char *key)
{
  if (!t->data)
    return NULL;
  g_autoptr(F2bPyObj) k = f2b_py_str(key);
  return f2b_py_dict_lookup(t->data, k);
}

char *
f2b_ticket_repr(const F2bTicket *t)
{
  static const char *const classes[] = { "Ticket", "FailTicket", "BanTicket" };
  GString *out = g_string_new(classes[t->kind]);
  gsize idlen;
  g_autofree char *id = f2b_ipaddr_to_string(t->id, &idlen);
  g_string_append(out, ": ip=");
  g_string_append_len(out, id, idlen);
  g_string_append(out, " time=");
  f2b_py_repr_float_append(out, t->time);
  g_string_append(out, " bantime=");
  if (t->has_ban_time) {
    g_autofree char *bt = f2b_pynum_repr(t->ban_time);
    g_string_append(out, bt);
  } else {
    g_string_append(out, "None");
  }
  g_string_append_printf(out, " bancount=%" G_GINT64_FORMAT " #attempts=%" G_GINT64_FORMAT " matches=[",
                         t->ban_count, t->failures);
  for (guint k = 0; k < t->matches->len; k++) {
    gsize n;
    const char *data = g_bytes_get_data(t->matches->pdata[k], &n);
    if (k)
      g_string_append(out, ", ");
    f2b_py_repr_str_append(out, data, n);
  }
  g_string_append_c(out, ']');
  return g_string_free(out, FALSE);
}

