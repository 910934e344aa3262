/* actions.c - a jail's bans and shell actions (see actions.h).
 *
 * Three layers:
 *  - decisions (ban, unban, flush, expiry), taken at once on the ban and fail
 *    managers, each queuing one Work item;
 *  - the per-jail queue: a Work item calls one CommandAction method per
 *    action, in order, and logs its failure as fail2ban's Actions does;
 *  - the CommandAction methods (start, stop, flush, ban, unban, with the
 *    check/repair dance of _processCmd and _invariantCheck) as Tasks: small
 *    state machines whose steps resume when a command (cmdrun.h) or a
 *    sub-task ends.
 * A method that runs no command finishes synchronously; the queue loops
 * instead of recursing, so a long queue of such items does not grow the
 * stack. */
#include "actions.h"

#include <gio/gio.h>
#include <string.h>

#include "actiontags.h"
#include "actnative.h"
#include "cmdaction.h"
#include "bantime.h"
#include "cmdrun.h"
#include "database.h"
#include "pyexc.h"
#include "serverlog.h"
#include "timeutil.h"

#define LOGGER "fail2ban.actions"
#define CA_LOGGER "fail2ban.CommandAction"

enum { STARTED = 1, HAS_BANS = 2 };

static guint live_runners;

struct F2bsActions {
  char *name;
  GPtrArray *actions; /* the jail's F2bsAction* (shared) */
  F2bBanManager *bm;
  F2bFailManager *fm;
  GQueue queue;       /* Work* */
  gboolean busy;      /* a Work item is running */
  gboolean kicking;   /* rt_kick's loop runs (items ending synchronously do not recurse) */
  gboolean released;  /* the jail is gone */
  guint unban_timer;
  double unban_at;
  double next_svc;
  GPtrArray *reload_keep; /* reload in progress: the names of the actions added again (else NULL) */
  gboolean idle;      /* fail2ban's actions thread sleeps: no expiry, no ban of failures */
  gint64 ban_epoch;   /* raised by every repair: tickets banned before are banned again when seen */
  GHashTable *action_epochs; /* F2bsAction* -> its ban epoch (GINT_TO_POINTER) */
  double last_check;  /* the last consistency check of an "already banned" */
  GPtrArray *held;    /* F2bTicket*: failures that reached maxretry while idle */
  F2bTicket *empty;   /* the ticket of start/stop commands (fail2ban's actionInfo) */
  F2bDb *db;          /* the server's database (borrowed), NULL when none */
  GPtrArray *batch;   /* new bans decided, reported once committed (f2bs_actions_ban, restore) */
  F2bBanTimeIncr *incr; /* bantime.increment, NULL when off (owned) */
  gboolean overalljails;
  guint kick_source;  /* bans and unbans of a native jail start from here, once the turn queued them all */
  struct Work *current; /* the Work item running (NULL: none) */
  guint turn_source;  /* a native jail's log bans of this turn share one commit, ended from here */
};

/* ---- tags of a ticket (fail2ban's ActionInfo) -------------------------- */

typedef struct {
  F2bsActions *rt;
  F2bTicket *ticket;
  gboolean has_time;  /* start/stop: the time of the command, not the ticket's */
  double time;
  const char *family; /* start/stop: the family operated on; NULL: the ip's */
  guint used;         /* bit per AI_NAMES entry looked up (for the repr) */
  gboolean snap;      /* the jail.* counters as they were when the ban was decided */
  guint banned, found;
  gint64 banned_total, found_total;
} AInfo;

static const char *const ai_names[] = { "ip", "family", "ip-rev", "ip-host", "fid", "failures", "time",
                                        "bantime", "bancount", "matches", "restored", "ipmatches",
                                        "ipjailmatches", "ipfailures", "ipjailfailures", "raw-ticket",
                                        "jail.banned", "jail.banned_total", "jail.found",
                                        "jail.found_total" };

static const char *
ai_family(const AInfo *ai)
{
  if (ai->family)
    return ai->family;
  return f2b_ipaddr_family_str(f2b_ticket_get_ip(ai->ticket));
}

static void
append_ip(GString *out, const F2bIPAddr *ip)
{
  gsize len;
  g_autofree char *s = f2b_ipaddr_to_string(ip, &len);
  g_string_append_len(out, s, len);
}

/* ---- <ip-host>: names looked up off the loop ------------------------------
 * fail2ban's DNSUtils.ipToName resolves in the actions thread and caches the
 * answer (also "no name") for five minutes, at most 1000 of them.  Ours is
 * looked up (GResolver, in its worker thread) before the work of a ticket
 * starts when an action of the jail mentions ip-host, and kept the same way;
 * the substitution only reads the cache. */

#define HOST_CACHE_TIME 300.0
#define HOST_CACHE_MAX 1000

typedef struct {
  char *name; /* NULL: no name */
  double when;
} HostEntry;

static GHashTable *host_cache; /* address text -> HostEntry */

static void
host_entry_free(gpointer p)
{
  HostEntry *e = p;
  g_free(e->name);
  g_free(e);
}

static gboolean
host_cached(const char *ip, const char **name)
{
  HostEntry *e = host_cache ? g_hash_table_lookup(host_cache, ip) : NULL;
  if (e == NULL || (double)g_get_monotonic_time() / G_USEC_PER_SEC - e->when > HOST_CACHE_TIME)
    return FALSE;
  *name = e->name;
  return TRUE;
}

static void
host_store(const char *ip, const char *name)
{
  if (host_cache == NULL)
    host_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, host_entry_free);
  if (g_hash_table_size(host_cache) >= HOST_CACHE_MAX)
    g_hash_table_remove_all(host_cache);
  HostEntry *e = g_new0(HostEntry, 1);
  e->name = g_strdup(name);
  e->when = (double)g_get_monotonic_time() / G_USEC_PER_SEC;
  g_hash_table_insert(host_cache, g_strdup(ip), e);
}

static void
append_reverse_host(GString *out, const F2bIPAddr *ip)
{
  g_autofree char *txt = f2b_ipaddr_to_string(ip, NULL);
  const char *name = NULL;
  /* looked up before the work started (host_pending); never here, on the loop */
  if (host_cached(txt, &name) && name)
    g_string_append(out, name);
  else
    g_string_append(out, "None");
}

static void
append_float(GString *out, double v)
{
  f2b_py_repr_float_append(out, v);
}

static gint64
ai_bantime(const AInfo *ai)
{
  F2bPyNum bt = f2b_ticket_get_ban_time(ai->ticket, f2b_pynum_int(f2b_banmanager_get_ban_time(ai->rt->bm)));
  return bt.is_float ? (gint64)bt.f : bt.i;
}

/* fail2ban's ActionInfo._mi4ip: the bans of the id merged (getBansMerged),
 * over all jails (ALL) or this one; MATCHES: their matches, else their
 * failures, into V.  FALSE when there is no database or no ban of the id. */
static gboolean
ai_merged(AInfo *ai, gboolean all, gboolean matches, GString *v)
{
  if (ai->rt->db == NULL)
    return FALSE;
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(ai->ticket->id, &len);
  gboolean found;
  gint64 failures;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  g_autoptr(GError) error = NULL;
  /* this very ban is in: it is committed before its actions run (in
   * fail2ban the observer thread stores it, usually but not always first) */
  if (!f2b_db_get_bans_merged(ai->rt->db, ip, all ? NULL : ai->rt->name, &found, &failures, &text, &text_len,
                              &error)) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to get %s bans merged, jail '%s': %s", all ? "all" : "jail",
             ai->rt->name, error->message);
    return FALSE;
  }
  if (!found)
    return FALSE;
  if (matches)
    g_string_append_len(v, text, text_len);
  else
    g_string_append_printf(v, "%" G_GINT64_FORMAT, failures);
  return TRUE;
}

static gboolean
ai_value(AInfo *ai, guint i, GString *v)
{
  F2bTicket *t = ai->ticket;
  const F2bIPAddr *ip = f2b_ticket_get_ip(t);
  /* ipmatches, ipjailmatches, ipfailures, ipjailfailures: from the database
   * when there is one and it knows the id, else the ticket's own */
  if (i >= 11 && i <= 14 && ai_merged(ai, i == 11 || i == 13, i <= 12, v))
    return TRUE;
  switch (i) {
  case 0: append_ip(v, ip); break;
  case 1: {
    const char *fam = ai_family(ai);
    g_string_append(v, fam ? fam : "None");
    break;
  }
  case 2: {
    g_autofree char *ptr = f2b_ipaddr_ptr(ip, "");
    g_string_append(v, ptr);
    break;
  }
  case 3: append_reverse_host(v, ip); break;
  case 4: append_ip(v, t->id); break;
  case 5: case 13: case 14: g_string_append_printf(v, "%" G_GINT64_FORMAT, t->failures); break;
  case 6: append_float(v, ai->has_time ? ai->time : t->time); break;
  case 7: g_string_append_printf(v, "%" G_GINT64_FORMAT, ai_bantime(ai)); break;
  case 8: g_string_append_printf(v, "%" G_GINT64_FORMAT, t->ban_count); break;
  case 9: case 11: case 12: {
    gsize len;
    g_autofree char *m = f2b_ticket_matches_joined(t, &len);
    g_string_append_len(v, m, len);
    break;
  }
  case 10: g_string_append(v, t->restored ? "1" : "0"); break;
  case 15: {
    g_autofree char *r = f2b_ticket_repr(t);
    g_string_append(v, r);
    break;
  }
  case 16: g_string_append_printf(v, "%u", ai->snap ? ai->banned : f2b_banmanager_size(ai->rt->bm)); break;
  case 17:
    g_string_append_printf(v, "%" G_GINT64_FORMAT,
                           ai->snap ? ai->banned_total : f2b_banmanager_get_ban_total(ai->rt->bm));
    break;
  case 18: g_string_append_printf(v, "%u", ai->snap ? ai->found : f2b_failmanager_size(ai->rt->fm)); break;
  case 19:
    g_string_append_printf(v, "%" G_GINT64_FORMAT,
                           ai->snap ? ai->found_total : f2b_failmanager_get_fail_total(ai->rt->fm));
    break;
  default: return FALSE;
  }
  return TRUE;
}

static gboolean
ai_lookup(const char *name, GString *value, gpointer data)
{
  AInfo *ai = data;
  for (guint i = 0; i < G_N_ELEMENTS(ai_names); i++)
    if (strcmp(ai_names[i], name) == 0) {
      ai->used |= 1u << i;
      return ai_value(ai, i, value);
    }
  return FALSE;
}

/* The ticket's data by option name (the <F-*> tags). */
static gboolean
ai_data_lookup(const char *name, GString *value, gpointer data)
{
  AInfo *ai = data;
  if (strcmp(name, "failures") == 0) {
    g_string_append_printf(value, "%" G_GINT64_FORMAT, ai->ticket->failures);
    return TRUE;
  }
  if (strcmp(name, "matches") == 0) {
    g_autoptr(F2bPyObj) l = f2b_py_list_new();
    for (guint i = 0; i < ai->ticket->matches->len; i++) {
      gsize len;
      const char *m = g_bytes_get_data(ai->ticket->matches->pdata[i], &len);
      f2b_py_append(l, f2b_py_str_len(m, len));
    }
    f2b_py_str_append(value, l);
    return TRUE;
  }
  if (strcmp(name, "ip") == 0 && ai->ticket->ip) {
    append_ip(value, ai->ticket->ip);
    return TRUE;
  }
  F2bPyObj *v = f2b_ticket_get_data(ai->ticket, name);
  if (v == NULL)
    return FALSE;
  f2b_py_str_append(value, v);
  return TRUE;
}

static gboolean
system_lookup(const char *name, GString *value, gpointer data)
{
  (void)data;
  const char *host = g_get_host_name();
  if (strcmp(name, "sh-hostname") == 0) {
    const char *dot = strchr(host, '.');
    g_string_append_len(value, host, dot ? dot - host : (gssize)strlen(host));
  } else {
    g_string_append(value, host);
  }
  return TRUE;
}

/* repr(aInfo) as fail2ban logs it: the values computed so far, and the
 * uncomputed fid/raw-ticket as the lambdas they are. */
static char *
ai_repr(AInfo *ai)
{
  GString *s = g_string_new("ActionInfo({");
  gboolean first = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS(ai_names); i++) {
    gboolean used = (ai->used >> i) & 1;
    if (!used && i != 4 && i != 15)
      continue;
    if (!first)
      g_string_append(s, ", ");
    first = FALSE;
    f2b_py_repr_str_append(s, ai_names[i], strlen(ai_names[i]));
    g_string_append(s, ": ");
    if (!used) {
      g_string_append_printf(s, "<function Actions.ActionInfo.<lambda> at %p>", (void *)ai);
      continue;
    }
    g_autoptr(GString) v = g_string_new(NULL);
    guint saved = ai->used;
    ai_value(ai, i, v);
    ai->used = saved;
    gboolean number = (i >= 5 && i <= 8) || i == 10 || i >= 13;
    if (number && i != 15)
      g_string_append_len(s, v->str, v->len);
    else
      f2b_py_repr_str_append(s, v->str, v->len);
  }
  g_string_append(s, "})");
  return g_string_free(s, FALSE);
}

/* ---- properties --------------------------------------------------------- */

/* CommandAction._properties: every attribute as str(). */
static F2bIniMap *
props_of(const F2bsAction *a)
{
  F2bIniMap *m = f2b_ini_map_new();
  f2b_ini_map_set(m, "banEpoch", "0");
  f2bs_action_props_into(a, m);
  return m;
}

static const F2bPyObj *
prop(const F2bsAction *a, const char *name)
{
  g_autoptr(F2bPyObj) key = f2b_py_str(name);
  return f2b_py_dict_lookup(a->props, key);
}

/* Python truthiness of a property (absent: FALSE). */
static gboolean
prop_true(const F2bsAction *a, const char *name)
{
  const F2bPyObj *v = prop(a, name);
  if (v == NULL)
    return FALSE;
  switch (f2b_py_kind(v)) {
  case F2B_PY_BOOL: return f2b_py_get_bool(v);
  case F2B_PY_INT: return f2b_py_get_int(v) != 0;
  case F2B_PY_FLOAT: return f2b_py_get_float(v) != 0;
  case F2B_PY_NONE: return FALSE;
  case F2B_PY_STR: case F2B_PY_LIST: case F2B_PY_TUPLE: case F2B_PY_DICT: return f2b_py_len(v) > 0;
  default: return TRUE;
  }
}

static double
action_timeout(const F2bsAction *a)
{
  const F2bPyObj *v = prop(a, "timeout");
  if (v == NULL)
    return 60;
  if (f2b_py_kind(v) == F2B_PY_INT)
    return (double)f2b_py_get_int(v);
  if (f2b_py_kind(v) == F2B_PY_FLOAT)
    return f2b_py_get_float(v);
  if (f2b_py_kind(v) == F2B_PY_STR) {
    g_autoptr(F2bPyObj) n = f2b_timeutil_str2sec(f2b_py_get_str(v, NULL), NULL);
    if (n && f2b_py_kind(n) == F2B_PY_INT)
      return (double)f2b_py_get_int(n);
    if (n && f2b_py_kind(n) == F2B_PY_FLOAT)
      return f2b_py_get_float(n);
  }
  return 60;
}

static gboolean
ipv6_allowed(void)
{
  g_autofree char *text = NULL;
  return g_file_get_contents("/proc/net/if_inet6", &text, NULL, NULL) && text[0] != '\0';
}

/* _startOnDemand: the property when set, else whether it has conditional sections. */
static gboolean
start_on_demand(const F2bsAction *a)
{
  if (prop(a, "actionstart_on_demand") != NULL)
    return prop_true(a, "actionstart_on_demand");
  g_autoptr(F2bIniMap) p = props_of(a);
  return f2b_cmdaction_has_cond_section(p);
}

static int
started_get(const F2bsAction *a, const char *family)
{
  return GPOINTER_TO_INT(g_hash_table_lookup(a->started, family));
}

static void
started_set(F2bsAction *a, const char *family, int v)
{
  if (!g_hash_table_contains(a->started, family))
    g_ptr_array_add(a->started_order, g_strdup(family));
  g_hash_table_insert(a->started, g_strdup(family), GINT_TO_POINTER(v));
}

static void
started_clear(F2bsAction *a)
{
  g_hash_table_remove_all(a->started);
  g_ptr_array_set_size(a->started_order, 0);
}

/* The families (in insertion order) whose bits satisfy (v & MASK) == WANT, v != 0. */
static void
started_collect(const F2bsAction *a, int mask, int want, GPtrArray *out)
{
  for (guint i = 0; i < a->started_order->len; i++) {
    int v = started_get(a, a->started_order->pdata[i]);
    if (v && (v & mask) == want)
      g_ptr_array_add(out, g_strdup(a->started_order->pdata[i]));
  }
}

/* _operationExecuted: the command last run successfully for TAG and FAMILY. */
static char *
exec_key(const char *tag, const char *family)
{
  return g_strconcat(tag, "\n", family, NULL);
}

static gboolean
executed_elsewhere(const F2bsAction *a, const char *tag, const char *family, const char *cmd)
{
  GHashTableIter it;
  gpointer k, v;
  gsize tl = strlen(tag);
  g_hash_table_iter_init(&it, a->executed);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    const char *key = k;
    if (strncmp(key, tag, tl) == 0 && key[tl] == '\n' && strcmp(key + tl + 1, family) != 0
        && strcmp(v, cmd) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
executed_set(F2bsAction *a, const char *tag, const char *family, const char *cmd)
{
  char *key = exec_key(tag, family);
  if (cmd && *cmd) {
    g_hash_table_insert(a->executed, key, g_strdup(cmd));
    return;
  }
  /* forget it, and every other family that ran the same command */
  char *old = g_hash_table_lookup(a->executed, key);
  if (old == NULL) {
    g_free(key);
    return;
  }
  g_autofree char *same = g_strdup(old);
  g_hash_table_remove(a->executed, key);
  g_free(key);
  gsize tl = strlen(tag);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, a->executed);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (strncmp(k, tag, tl) == 0 && ((char *)k)[tl] == '\n' && strcmp(v, same) == 0)
      g_hash_table_iter_remove(&it);
}

/* replaceTag(TAG, properties, family); NULL with the ValueError text. */
static char *
static_cmd(const F2bsAction *a, const char *tag, const char *family, char **err)
{
  g_autoptr(F2bIniMap) p = props_of(a);
  GError *error = NULL;
  char *cmd = f2b_cmdaction_replace_tag(tag, p, family, system_lookup, NULL, &error);
  if (cmd == NULL) {
    *err = g_strdup(error->message);
    g_error_free(error);
  }
  return cmd;
}

static F2bActionCommand *
dynamic_cmd(const char *cmd, AInfo *ai)
{
  F2bActionTagsSource src = { ai_lookup, ai_data_lookup, system_lookup, ai };
  return f2b_actiontags_replace_dynamic(cmd, strlen(cmd), &src);
}

static gboolean
family_only(const char *name, GString *value, gpointer data)
{
  if (strcmp(name, "family") != 0)
    return FALSE;
  g_string_append(value, data);
  return TRUE;
}

/* _getOperation: the static expansion, then <family> (F-* tags vanish). */
static char *
get_operation(const F2bsAction *a, const char *tag, const char *family, char **err)
{
  char *cmd = static_cmd(a, tag, family, err);
  if (cmd == NULL || !*family || strchr(cmd, '<') == NULL)
    return cmd;
  F2bActionTagsSource src = { family_only, NULL, system_lookup, (gpointer)family };
  g_autoptr(F2bActionCommand) c = f2b_actiontags_replace_dynamic(cmd, strlen(cmd), &src);
  g_free(cmd);
  return g_strndup(c->script->str, c->script->len);
}

/* ---- tasks: CommandAction's methods ------------------------------------- */

typedef struct Task Task;
typedef void (*TaskStep)(Task *t, gboolean ok);
/* A task's end: OK, the exception text on failure (borrowed), the
 * _invariantCheck result for those. */
typedef void (*TaskDone)(gboolean ok, const char *error, int ret, gpointer data);

typedef enum { AFTER_NONE, AFTER_STARTED, AFTER_STOPPED, AFTER_FLUSHED } AfterExec;
typedef enum { REPAIR_ALWAYS, REPAIR_NOT_ON_UNBAN, REPAIR_NOT_ON_STOP } BeforeRepair;

struct Task {
  F2bsActions *rt;
  F2bsAction *action;
  AInfo ai;
  TaskDone done;
  gpointer done_data;
  TaskStep next;
  /* the latest sub-task's result */
  char *sub_error;
  int sub_ret;
  /* _executeOperation */
  const char *tag, *opname;
  GPtrArray *fams;
  guint fi;
  gboolean res;
  char *op_error;
  AfterExec after;
  char *cur_cmd;
  /* ban / unban / _processCmd / _invariantCheck */
  char *family;
  const char *cmd_tag;
  int repcnt;
  BeforeRepair before;
  gboolean force;
  char *check;
  int ret;
};

static Task *
task_new(F2bsActions *rt, F2bsAction *action, const AInfo *ai, TaskDone done, gpointer data)
{
  Task *t = g_new0(Task, 1);
  t->rt = rt;
  t->action = f2bs_action_ref(action);
  if (ai)
    t->ai = *ai;
  t->ai.rt = rt;
  if (t->ai.ticket == NULL)
    t->ai.ticket = rt->empty;
  f2b_ticket_ref(t->ai.ticket);
  t->done = done;
  t->done_data = data;
  return t;
}

static void
task_end(Task *t, gboolean ok, const char *error, int ret)
{
  t->done(ok, error, ret, t->done_data);
  f2bs_action_unref(t->action);
  f2b_ticket_unref(t->ai.ticket);
  g_free(t->sub_error);
  if (t->fams)
    g_ptr_array_unref(t->fams);
  g_free(t->op_error);
  g_free(t->cur_cmd);
  g_free(t->family);
  g_free(t->check);
  g_free(t);
}

static void
on_cmd_done(gboolean ok, gpointer data)
{
  Task *t = data;
  t->next(t, ok);
}

static void
task_exec(Task *t, const F2bActionCommand *cmd, TaskStep then)
{
  t->next = then;
  f2bs_cmdrun(cmd, action_timeout(t->action), on_cmd_done, t);
}

static void
task_exec_text(Task *t, const char *text, TaskStep then)
{
  F2bActionCommand c = { g_string_new(text), g_ptr_array_new() };
  task_exec(t, &c, then);
  g_string_free(c.script, TRUE);
  g_ptr_array_unref(c.args);
}

static void
on_sub_done(gboolean ok, const char *error, int ret, gpointer data)
{
  Task *t = data;
  g_free(t->sub_error);
  t->sub_error = g_strdup(error);
  t->sub_ret = ret;
  t->next(t, ok);
}

static char *
jail_repr(const char *name)
{
  GString *s = g_string_new("Jail(");
  f2b_py_repr_str_append(s, name, strlen(name));
  g_string_append_c(s, ')');
  return g_string_free(s, FALSE);
}

/* -- _executeOperation -- */

static void eo_loop(Task *t);

static void
eo_after(Task *t, gboolean ret)
{
  const char *fam = t->fams->pdata[t->fi];
  F2bsAction *a = t->action;
  if (t->after == AFTER_STARTED && ret) {
    executed_set(a, "<actionstop>", fam, NULL);
    started_set(a, fam, STARTED);
  } else if (t->after == AFTER_STOPPED && ret) {
    executed_set(a, "<actionstart>", fam, NULL);
  } else if (t->after == AFTER_FLUSHED && ret && started_get(a, fam)) {
    started_set(a, fam, started_get(a, fam) & ~HAS_BANS);
  }
  executed_set(a, t->tag, fam, ret ? t->cur_cmd : NULL);
  t->fi++;
}

static void
eo_ran(Task *t, gboolean ok)
{
  t->res &= ok;
  eo_after(t, ok);
  eo_loop(t);
}

static void
eo_loop(Task *t)
{
  while (t->fi < t->fams->len) {
    const char *fam = t->fams->pdata[t->fi];
    char *err = NULL;
    g_free(t->cur_cmd);
    t->cur_cmd = get_operation(t->action, t->tag, fam, &err);
    if (t->cur_cmd == NULL) {
      t->res = FALSE;
      g_free(t->op_error);
      t->op_error = err;
      t->fi++;
      continue;
    }
    gboolean native_ok;
    if (*t->cur_cmd && !executed_elsewhere(t->action, t->tag, fam, t->cur_cmd) && !strcmp(t->tag, "<actionflush>")
        && f2bs_actnative_flush(t->action, t->rt->name, fam, &native_ok)) {
      t->res &= native_ok;
      eo_after(t, native_ok);
      continue;
    }
    if (*t->cur_cmd && !executed_elsewhere(t->action, t->tag, fam, t->cur_cmd)) {
      t->ai.has_time = TRUE;
      t->ai.time = (double)g_get_real_time() / G_USEC_PER_SEC;
      t->ai.family = fam;
      g_autoptr(F2bActionCommand) c = dynamic_cmd(t->cur_cmd, &t->ai);
      task_exec(t, c, eo_ran);
      return;
    }
    eo_after(t, TRUE);
  }
  if (t->res) {
    task_end(t, TRUE, NULL, 1);
    return;
  }
  g_autofree char *jr = jail_repr(t->rt->name);
  GString *m = g_string_new(NULL);
  g_string_append_printf(m, "Error %s action %s/%s: ", t->opname, jr, t->action->name);
  if (t->op_error) {
    g_string_append(m, "ValueError(");
    f2b_py_repr_str_append(m, t->op_error, strlen(t->op_error));
    g_string_append_c(m, ')');
  } else {
    g_string_append(m, "'Script error'");
  }
  task_end(t, FALSE, m->str, 0);
  g_string_free(m, TRUE);
}

static void
execute_operation(Task *t, const char *tag, const char *opname, GPtrArray *fams, AfterExec after)
{
  t->tag = tag;
  t->opname = opname;
  t->fams = fams;
  t->after = after;
  t->res = TRUE;
  eo_loop(t);
}

static GPtrArray *
fams_of(const char *family)
{
  GPtrArray *f = g_ptr_array_new_with_free_func(g_free);
  if (family)
    g_ptr_array_add(f, g_strdup(family));
  return f;
}

/* -- _start / _stop / flush -- */

static void
action_start(F2bsActions *rt, F2bsAction *a, const char *family, gboolean force, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  if (start_on_demand(a) ? !force : (!force && family && (started_get(a, family) & STARTED))) {
    task_end(t, TRUE, NULL, 1);
    return;
  }
  GPtrArray *fams = fams_of(family);
  if (family == NULL) {
    g_autoptr(F2bIniMap) p = props_of(a);
    for (const char *const *f = f2b_cmdaction_families(p, ipv6_allowed()); *f; f++)
      g_ptr_array_add(fams, g_strdup(*f));
  }
  execute_operation(t, "<actionstart>", "starting", fams, AFTER_STARTED);
}

static void
action_stop(F2bsActions *rt, F2bsAction *a, const char *family, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  GPtrArray *fams = fams_of(family);
  if (family == NULL) {
    started_collect(a, 0, 0, fams);
    started_clear(a);
  } else if (g_hash_table_contains(a->started, family)) {
    started_set(a, family, 0);
  } else {
    g_ptr_array_set_size(fams, 0);
  }
  if (fams->len == 0) {
    g_ptr_array_unref(fams);
    task_end(t, TRUE, NULL, 1);
    return;
  }
  execute_operation(t, "<actionstop>", "stopping", fams, AFTER_STOPPED);
}

static void
action_flush(F2bsActions *rt, F2bsAction *a, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  GPtrArray *fams = fams_of(NULL);
  started_collect(a, 3, 3, fams);
  if (fams->len == 0) {
    g_ptr_array_unref(fams);
    task_end(t, TRUE, NULL, 1);
    return;
  }
  execute_operation(t, "<actionflush>", "flushing", fams, AFTER_FLUSHED);
}

/* CommandAction.reload: actionreload for every started family. */
static void
action_reload(F2bsActions *rt, F2bsAction *a, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  GPtrArray *fams = fams_of(NULL);
  started_collect(a, 0, 0, fams);
  execute_operation(t, "<actionreload>", "reloading", fams, AFTER_NONE);
}

/* -- _invariantCheck -- */

static void ic_checked_again(Task *t, gboolean ok);

static void
ic_finish_restart(Task *t, gboolean ok)
{
  (void)ok;
  if (started_get(t->action, t->family)) {
    task_exec_text(t, t->check, ic_checked_again);
    return;
  }
  task_end(t, TRUE, NULL, 1);
}

static void
ic_checked_again(Task *t, gboolean ok)
{
  if (!ok) {
    f2bs_log(F2BS_LOG_CRITICAL, CA_LOGGER, "Unable to restore environment");
    task_end(t, FALSE, NULL, 0);
    return;
  }
  task_end(t, TRUE, NULL, 1);
}

static void
ic_repaired(Task *t, gboolean ok)
{
  if (!ok) {
    started_set(t->action, t->family, 0);
    f2bs_log(F2BS_LOG_CRITICAL, CA_LOGGER, "Unable to restore environment");
    task_end(t, FALSE, NULL, 0);
    return;
  }
  started_set(t->action, t->family, STARTED);
  ic_finish_restart(t, TRUE);
}

static void
ic_stopped(Task *t, gboolean ok)
{
  (void)ok; /* an error of the stop is bypassed */
  t->next = ic_finish_restart;
  action_start(t->rt, t->action, t->family, t->force || !start_on_demand(t->action), on_sub_done, t);
}

static void
ic_checked(Task *t, gboolean ok)
{
  if (ok) {
    task_end(t, TRUE, NULL, 1);
    return;
  }
  if (t->before != REPAIR_ALWAYS && !prop_true(t->action, "actionrepair_on_unban")) {
    f2bs_log(F2BS_LOG_ERROR, CA_LOGGER, t->before == REPAIR_NOT_ON_UNBAN
                                          ? "Invariant check failed. Unban is impossible."
                                          : "Invariant check failed. Flush is impossible.");
    task_end(t, FALSE, NULL, -1);
    return;
  }
  f2bs_log(F2BS_LOG_ERROR, CA_LOGGER, "Invariant check failed. Trying to restore a sane environment");
  /* invalidateBanEpoch: the tickets banned so far are banned again by this action when seen */
  t->rt->ban_epoch++;
  g_hash_table_insert(t->rt->action_epochs, t->action, GINT_TO_POINTER((int)t->rt->ban_epoch));
  char *err = NULL;
  g_autofree char *repair = get_operation(t->action, "<actionrepair>", t->family, &err);
  g_free(err);
  if (repair && *repair) {
    task_exec_text(t, repair, ic_repaired);
    return;
  }
  t->next = ic_stopped;
  action_stop(t->rt, t->action, t->family, on_sub_done, t);
}

static void
invariant_check(F2bsActions *rt, F2bsAction *a, const char *family, BeforeRepair before, gboolean force,
                TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  t->family = g_strdup(family);
  t->before = before;
  t->force = force;
  char *err = NULL;
  t->check = get_operation(a, "<actioncheck>", family, &err);
  g_free(err);
  if (t->check == NULL || !*t->check) {
    task_end(t, TRUE, NULL, 1);
    return;
  }
  task_exec_text(t, t->check, ic_checked);
}

/* -- _processCmd -- */

static void pc_loop(Task *t);

static void
pc_ran(Task *t, gboolean ok)
{
  t->repcnt++;
  if (ok || t->repcnt > 1) {
    task_end(t, ok, NULL, ok);
    return;
  }
  pc_loop(t);
}

static void
pc_checked(Task *t, gboolean ok)
{
  (void)ok;
  if (t->sub_ret != 1) {
    task_end(t, FALSE, NULL, 0);
    return;
  }
  t->ret = 1;
  pc_loop(t);
}

static gboolean pc_native(Task *t);

static void
pc_loop(Task *t)
{
  if (t->repcnt && !t->ret && prop_true(t->action, "actioncheck")) {
    gboolean unban = strcmp(t->cmd_tag, "<actionunban>") == 0;
    t->next = pc_checked;
    invariant_check(t->rt, t->action, t->family, unban ? REPAIR_NOT_ON_UNBAN : REPAIR_ALWAYS, !unban,
                    on_sub_done, t);
    return;
  }
  t->ret = 0;
  gboolean kept_ok;
  /* a batch applied it (its command expanded then: native_family_ready) */
  if (f2bs_actnative_take(t->action, t->ai.ticket, t->cmd_tag, t->rt->ban_epoch, &kept_ok)) {
    pc_ran(t, kept_ok);
    return;
  }
  char *err = NULL;
  g_autofree char *cmd = static_cmd(t->action, t->cmd_tag, t->family, &err);
  if (cmd == NULL) {
    GString *m = g_string_new(NULL);
    g_string_append(m, err);
    g_free(err);
    /* the ValueError propagates: ban/unban report its text */
    task_end(t, FALSE, m->str, -2);
    g_string_free(m, TRUE);
    return;
  }
  if (f2bs_actnative_serves(t->action, t->rt->name, t->cmd_tag, t->ai.ticket)) {
    pc_ran(t, pc_native(t));
    return;
  }
  g_autoptr(F2bActionCommand) c = dynamic_cmd(cmd, &t->ai);
  task_exec(t, c, pc_ran);
}

static void
process_cmd(F2bsActions *rt, F2bsAction *a, const char *tag, AInfo *ai, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, ai, done, data);
  const char *fam = ai_family(&t->ai);
  t->family = g_strdup(fam ? fam : "");
  t->cmd_tag = tag;
  pc_loop(t);
}

/* -- ban / unban -- */

static void
bu_processed(Task *t, gboolean ok)
{
  if (!ok) {
    if (t->sub_ret == -2) {
      task_end(t, FALSE, t->sub_error, 0);
      return;
    }
    GString *ip = g_string_new(NULL);
    append_ip(ip, f2b_ticket_get_ip(t->ai.ticket));
    g_autofree char *m = g_strdup_printf("Error %s %s", t->cmd_tag[7] == 'b' ? "banning" : "unbanning", ip->str);
    g_string_free(ip, TRUE);
    task_end(t, FALSE, m, 0);
    return;
  }
  if (t->cmd_tag[7] == 'b')
    started_set(t->action, t->family, started_get(t->action, t->family) | STARTED | HAS_BANS);
  task_end(t, TRUE, NULL, 1);
}

static void
ban_process(Task *t, gboolean ok)
{
  if (!ok) {
    task_end(t, FALSE, t->sub_error, 0);
    return;
  }
  t->next = bu_processed;
  process_cmd(t->rt, t->action, t->cmd_tag, &t->ai, on_sub_done, t);
}

/* CommandAction.ban(aInfo, TAG): TAG is <actionban>, or <actionreban> for a reban. */
static void
action_ban(F2bsActions *rt, F2bsAction *a, AInfo *ai, const char *tag, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, ai, done, data);
  const char *fam = ai_family(&t->ai);
  t->family = g_strdup(fam ? fam : "");
  t->cmd_tag = tag;
  if (!started_get(a, t->family) && start_on_demand(a)) {
    t->next = ban_process;
    action_start(rt, a, t->family, TRUE, on_sub_done, t);
    return;
  }
  ban_process(t, TRUE);
}

static void
action_unban(F2bsActions *rt, F2bsAction *a, AInfo *ai, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, ai, done, data);
  const char *fam = ai_family(&t->ai);
  t->family = g_strdup(fam ? fam : "");
  t->cmd_tag = "<actionunban>";
  if (!(started_get(a, t->family) & HAS_BANS)) {
    task_end(t, TRUE, NULL, 1);
    return;
  }
  t->next = bu_processed;
  process_cmd(rt, a, t->cmd_tag, &t->ai, on_sub_done, t);
}

/* -- consistencyCheck (after a failed flush) -- */

static void cc_loop(Task *t);

static void
cc_checked(Task *t, gboolean ok)
{
  (void)ok;
  if (t->sub_ret == 0) {
    const char *fam = t->fams->pdata[t->fi];
    started_set(t->action, fam, 0);
    executed_set(t->action, "<actionstart>", fam, NULL);
  }
  t->fi++;
  cc_loop(t);
}

static void
cc_loop(Task *t)
{
  while (t->fi < t->fams->len) {
    const char *fam = t->fams->pdata[t->fi];
    if (started_get(t->action, fam)) {
      t->next = cc_checked;
      invariant_check(t->rt, t->action, fam, t->before, TRUE, on_sub_done, t);
      return;
    }
    t->fi++;
  }
  task_end(t, TRUE, NULL, 1);
}

static void
consistency_check(F2bsActions *rt, F2bsAction *a, BeforeRepair before, TaskDone done, gpointer data)
{
  Task *t = task_new(rt, a, NULL, done, data);
  t->before = before;
  t->fams = fams_of(NULL);
  if (prop_true(a, "actioncheck"))
    for (guint i = 0; i < a->started_order->len; i++)
      g_ptr_array_add(t->fams, g_strdup(a->started_order->pdata[i]));
  cc_loop(t);
}

/* ---- the per-jail queue -------------------------------------------------- */

typedef enum { W_START, W_BAN, W_UNBAN, W_FLUSH, W_STOP, W_RELOAD, W_REBAN, W_CHECK } WorkKind;

typedef struct Work {
  F2bsActions *rt;
  WorkKind kind;
  F2bTicket *ticket;   /* BAN, UNBAN */
  GPtrArray *tickets;  /* FLUSH: the flushed tickets */
  gboolean stop;       /* FLUSH: on the way to stopping */
  gboolean quiet;      /* FLUSH: removed actions only, no "[jail] Unban x" lines */
  guint64 seq;         /* its number in push order (f2bs_actions_wait) */
  int needs_host;      /* an action mentions ip-host (-1: not yet looked) */
  F2bsWaitFunc stopped;  /* STOP: called when it is done */
  gpointer stopped_data;
  GPtrArray *acts;     /* the actions to call, in call order (references) */
  GPtrArray *unbacts;  /* FLUSH: the actions that unban ticket by ticket */
  guint idx;           /* next action of ACTS */
  guint tidx, uidx;    /* FLUSH: ticket, and action of UNBACTS, being unbanned */
  gboolean unbanning;  /* FLUSH: the per-ticket phase */
  gboolean checking;   /* FLUSH: the consistency check of a failed flush runs */
  F2bsAction *cur;     /* the action called */
  AInfo snap;          /* the jail's counters when the work was decided (fail2ban ran it then) */
  gboolean in_loop;    /* the loop runs: a synchronous end only marks */
  gboolean resumed;
  AInfo ai;            /* the tags of the ticket of the call */
  GPtrArray *notes;    /* BAN: the observer's lines, logged after the "Ban" line (level byte + text) */
} Work;

static void rt_kick(F2bsActions *rt);
static void work_loop(Work *w);

static void
work_free(Work *w)
{
  if (w->ticket)
    f2b_ticket_unref(w->ticket);
  if (w->tickets)
    g_ptr_array_unref(w->tickets);
  g_ptr_array_unref(w->acts);
  g_ptr_array_unref(w->unbacts);
  if (w->notes)
    g_ptr_array_unref(w->notes);
  g_free(w);
}

static Work *
work_new(F2bsActions *rt, WorkKind kind, F2bTicket *ticket, GPtrArray *tickets)
{
  Work *w = g_new0(Work, 1);
  w->rt = rt;
  w->kind = kind;
  w->ticket = ticket ? f2b_ticket_ref(ticket) : NULL;
  w->tickets = tickets;
  w->acts = g_ptr_array_new_with_free_func((GDestroyNotify)f2bs_action_unref);
  for (guint i = 0; i < rt->actions->len; i++) {
    guint j = kind == W_STOP ? rt->actions->len - 1 - i : i;
    g_ptr_array_add(w->acts, f2bs_action_ref(rt->actions->pdata[j]));
  }
  w->unbacts = g_ptr_array_new_with_free_func((GDestroyNotify)f2bs_action_unref);
  w->needs_host = -1;
  w->snap = (AInfo){ .rt = rt, .snap = TRUE, .banned = f2b_banmanager_size(rt->bm),
                     .banned_total = f2b_banmanager_get_ban_total(rt->bm), .found = f2b_failmanager_size(rt->fm),
                     .found_total = f2b_failmanager_get_fail_total(rt->fm) };
  return w;
}

/* ---- native batches ------------------------------------------------------
 * A native action's ban (unban) of the ticket whose turn it is takes along
 * the same operation of every ticket queued right behind it that will reach
 * the same call: one kernel transaction for them all.  Each ticket's own turn
 * then takes its result (actnative.h), so everything else (order, replies,
 * checks and repairs on failure) stays as for one ticket at a time. */

/* Whether the action's ban (unban) call for a ticket of FAMILY would reach
 * the command now, as action_ban/action_unban and pc_loop decide. */
static gboolean
native_family_ready(F2bsAction *a, const char *tag, const char *family, gboolean ban)
{
  if (ban ? start_on_demand(a) && !started_get(a, family) : !(started_get(a, family) & HAS_BANS))
    return FALSE;
  char *err = NULL;
  g_autofree char *cmd = static_cmd(a, tag, family, &err);
  g_free(err);
  return cmd != NULL;
}

static gboolean
work_calls(const Work *w, const F2bsAction *a)
{
  for (guint i = 0; i < w->acts->len; i++)
    if (w->acts->pdata[i] == a)
      return TRUE;
  return FALSE;
}

/* The tickets queued behind T's that this call takes along. */
static void
native_followers(Task *t, gboolean ban, GPtrArray *out)
{
  F2bsActions *rt = t->rt;
  F2bsAction *a = t->action;
  gboolean ready[2];
  ready[0] = native_family_ready(a, t->cmd_tag, "inet4", ban);
  ready[1] = native_family_ready(a, t->cmd_tag, "inet6", ban);
  Work *cur = rt->current;
  if (!ban && cur && cur->kind == W_FLUSH && cur->unbanning && work_calls(cur, a))
    for (guint i = cur->tidx + 1; i < cur->tickets->len; i++) {
      F2bTicket *f = cur->tickets->pdata[i];
      if (ready[f2b_ipaddr_is_ipv6(f2b_ticket_get_ip(f))])
        g_ptr_array_add(out, f);
    }
  for (GList *l = rt->queue.head; l; l = l->next) {
    Work *w = l->data;
    if (w->kind != (ban ? W_BAN : W_UNBAN))
      break;
    if (!work_calls(w, a) || (ban && w->ticket->restored && prop_true(a, "norestored")))
      continue;
    const F2bIPAddr *ip = f2b_ticket_get_ip(w->ticket);
    if (f2b_ipaddr_is_valid(ip) && ready[f2b_ipaddr_is_ipv6(ip)])
      g_ptr_array_add(out, w->ticket);
  }
}

/* pc_loop's command, natively: the result a batch kept for T's ticket, or a
 * new batch from it. */
static gboolean
pc_native(Task *t)
{
  gboolean ok = FALSE;
  F2bsActions *rt = t->rt;
  if (f2bs_actnative_take(t->action, t->ai.ticket, t->cmd_tag, rt->ban_epoch, &ok))
    return ok;
  gboolean ban = strcmp(t->cmd_tag, "<actionban>") == 0;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new();
  g_ptr_array_add(tickets, t->ai.ticket);
  native_followers(t, ban, tickets);
  f2bs_actnative_apply_batch(t->action, rt->name, t->cmd_tag, (F2bTicket *const *)tickets->pdata, tickets->len,
                             rt->ban_epoch, f2b_banmanager_get_ban_time(rt->bm));
  if (!f2bs_actnative_take(t->action, t->ai.ticket, t->cmd_tag, rt->ban_epoch, &ok))
    ok = FALSE;
  return ok;
}

/* ---- waiting for work ------------------------------------------------------
 * fail2ban runs a manual ban, unban, flush or jail stop in the thread of the
 * command, so its reply (and what it logs next) follows the actions.  Ours
 * queue; a command that wants fail2ban's order parks until the work pushed
 * so far is done (f2bs_actions_wait), without blocking the loop. */

typedef struct {
  guint64 upto;
  F2bsWaitFunc fn;
  gpointer data;
} Waiter;

static guint64 work_pushed_seq;
static GHashTable *work_outstanding; /* the seqs (as pointers) of the works not yet finished */
static guint64 work_lowest;          /* no seq below it is outstanding */
static GArray *work_waiters;     /* Waiter */
static guint waiters_idle;

/* The lowest outstanding seq only grows, so finding it is amortised O(1)
 * however many bans a restore queues. */
static gboolean
outstanding_upto(guint64 upto)
{
  if (work_outstanding == NULL)
    return FALSE;
  while (work_lowest <= work_pushed_seq
         && !g_hash_table_contains(work_outstanding, GSIZE_TO_POINTER((gsize)work_lowest)))
    work_lowest++;
  return work_lowest <= work_pushed_seq && work_lowest <= upto;
}

/* Calls the satisfied waiters from an idle source: never from inside a
 * runner's loop, which the callers may re-enter. */
static gboolean
waiters_dispatch(gpointer data)
{
  waiters_idle = 0;
  for (guint i = 0; work_waiters && i < work_waiters->len;) {
    Waiter w = g_array_index(work_waiters, Waiter, i);
    if (outstanding_upto(w.upto)) {
      i++;
      continue;
    }
    g_array_remove_index(work_waiters, i);
    w.fn(w.data);
    i = 0; /* the callback may have added or cancelled waiters */
  }
  return G_SOURCE_REMOVE;
}

static void
work_done_seq(guint64 seq)
{
  g_hash_table_remove(work_outstanding, GSIZE_TO_POINTER((gsize)seq));
  if (work_waiters && work_waiters->len && !waiters_idle)
    waiters_idle = g_idle_add(waiters_dispatch, NULL);
}

guint64
f2bs_actions_seq(void)
{
  return work_pushed_seq;
}

gboolean
f2bs_actions_wait(guint64 upto, F2bsWaitFunc fn, gpointer data)
{
  if (!outstanding_upto(upto))
    return FALSE;
  if (work_waiters == NULL)
    work_waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
  Waiter w = { upto, fn, data };
  g_array_append_val(work_waiters, w);
  return TRUE;
}

void
f2bs_actions_wait_cancel(gpointer data)
{
  for (guint i = 0; work_waiters && i < work_waiters->len;)
    if (g_array_index(work_waiters, Waiter, i).data == data)
      g_array_remove_index(work_waiters, i);
    else
      i++;
}

static gboolean
rt_has_native(F2bsActions *rt)
{
  for (guint i = 0; i < rt->actions->len; i++)
    if (f2bs_actnative_backend(rt->actions->pdata[i], rt->name))
      return TRUE;
  return FALSE;
}

static gboolean
on_kick(gpointer data)
{
  F2bsActions *rt = data;
  rt->kick_source = 0;
  rt_kick(rt);
  return G_SOURCE_REMOVE;
}

static void turn_batch_close(F2bsActions *rt);

static void
rt_push(F2bsActions *rt, Work *w)
{
  turn_batch_close(rt);
  if (work_outstanding == NULL)
    work_outstanding = g_hash_table_new(NULL, NULL);
  w->seq = ++work_pushed_seq;
  g_hash_table_add(work_outstanding, GSIZE_TO_POINTER((gsize)w->seq));
  g_queue_push_tail(&rt->queue, w);
  /* the bans (unbans) of one main-loop turn wait for its end, so that a
   * native action applies them in one batch (pc_native) */
  if ((w->kind == W_BAN || w->kind == W_UNBAN) && rt_has_native(rt)) {
    if (!rt->kick_source)
      rt->kick_source = g_idle_add_full(G_PRIORITY_DEFAULT, on_kick, rt, NULL);
    return;
  }
  rt_kick(rt);
}

static void
log_failure(Work *w, const char *error)
{
  F2bsActions *rt = w->rt;
  const char *name = w->cur->name;
  const char *e = error ? error : "";
  if (w->kind == W_START) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to start jail '%s' action '%s': %s", rt->name, name, e);
  } else if (w->kind == W_STOP) {
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to stop jail '%s' action '%s': %s", rt->name, name, e);
  } else if (w->kind == W_RELOAD) {
    /* fail2ban lets this exception end the reload command; logged here */
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to reload jail '%s' action '%s': %s", rt->name, name, e);
  } else {
    g_autofree char *info = ai_repr(&w->ai);
    f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to execute %s jail '%s' action '%s' info '%s': %s",
             w->kind == W_BAN ? "ban" : w->kind == W_REBAN ? "reban" : "unban", rt->name, name, info, e);
  }
}

static void
action_step_done(gboolean ok, const char *error, int ret, gpointer data)
{
  Work *w = data;
  (void)ret;
  if (w->kind == W_FLUSH && !w->unbanning) {
    if (w->checking) {
      w->checking = FALSE;
    } else if (!ok) {
      f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to flush bans in jail '%s' action '%s': %s", w->rt->name,
               w->cur->name, error ? error : "");
      f2bs_log(F2BS_LOG_INFO, LOGGER, "No flush occurred, do consistency check");
      w->checking = TRUE;
      consistency_check(w->rt, w->cur, w->stop ? REPAIR_NOT_ON_STOP : REPAIR_ALWAYS, action_step_done, w);
      return;
    }
    w->idx++;
  } else if (w->kind == W_FLUSH) {
    if (!ok)
      log_failure(w, error);
    w->uidx++;
  } else {
    if (!ok)
      log_failure(w, error);
    if (w->kind == W_STOP)
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "%s: action %s terminated", w->rt->name, w->cur->name);
    w->idx++;
  }
  if (w->in_loop) {
    w->resumed = TRUE;
    return;
  }
  work_loop(w);
}

static void
work_finish(Work *w)
{
  F2bsActions *rt = w->rt;
  if (w->kind == W_BAN || w->kind == W_REBAN) {
    w->ticket->banned = TRUE;
    if (rt->ban_epoch) /* the epoch after the actions ran (a repair in them raised it) */
      w->ticket->ban_epoch = rt->ban_epoch;
  }
  if (w->kind == W_FLUSH)
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "  Unbanned %u, %u ticket(s) in '%s'", w->tickets->len,
             f2b_banmanager_size(rt->bm), rt->name);
  work_done_seq(w->seq);
  if (rt->current == w)
    rt->current = NULL;
  if (w->stopped)
    w->stopped(w->stopped_data);
  work_free(w);
  rt->busy = FALSE;
  rt_kick(rt);
}

static void
unban_call(Work *w, F2bTicket *t, F2bsAction *a)
{
  F2bsActions *rt = w->rt;
  w->cur = a;
  w->ai = w->snap;
  w->ai.ticket = t;
  if (f2bs_log_enabled(F2BS_LOG_DEBUG)) {
    gsize len;
    g_autofree char *ip = f2b_ipaddr_to_string(t->id, &len);
    GString *n = g_string_new(NULL);
    f2b_py_repr_str_append(n, a->name, strlen(a->name));
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "[%s] action %s: unban %s", rt->name, n->str, ip);
    g_string_free(n, TRUE);
  }
  action_unban(rt, a, &w->ai, action_step_done, w);
}

static gboolean
work_needs_host(Work *w)
{
  if (w->needs_host >= 0)
    return w->needs_host;
  w->needs_host = 0;
  for (guint i = 0; i < w->acts->len && !w->needs_host; i++) {
    const F2bPyObj *props = ((F2bsAction *)w->acts->pdata[i])->props;
    for (gsize k = 0; k < f2b_py_len(props) && !w->needs_host; k++) {
      F2bPyObj *key, *value;
      f2b_py_dict_pair(props, k, &key, &value);
      gsize len;
      const char *v = f2b_py_kind(value) == F2B_PY_STR ? f2b_py_get_str(value, &len) : NULL;
      w->needs_host = v && g_strstr_len(v, len, "ip-host") != NULL;
    }
  }
  return w->needs_host;
}

typedef struct {
  Work *w;
  char *ip;
} HostLookup;

static void
on_host(GObject *src, GAsyncResult *res, gpointer data)
{
  HostLookup *l = data;
  GError *error = NULL;
  char *name = g_resolver_lookup_by_address_finish(G_RESOLVER(src), res, &error);
  if (name == NULL) {
    f2bs_log(F2BS_LOG_DEBUG, "fail2ban.ipdns", "Unable to find a name for the IP %s: %s", l->ip, error->message);
    g_error_free(error);
  }
  host_store(l->ip, name);
  g_free(name);
  Work *w = l->w;
  g_free(l->ip);
  g_free(l);
  work_loop(w);
}

/* TRUE when the name of T's address is being looked up for <ip-host>: the
 * work goes on when it comes. */
static gboolean
host_pending(Work *w, F2bTicket *t)
{
  if (!work_needs_host(w))
    return FALSE;
  g_autofree char *ip = f2b_ipaddr_to_string(f2b_ticket_get_ip(t), NULL);
  const char *name;
  if (host_cached(ip, &name))
    return FALSE;
  GInetAddress *addr = g_inet_address_new_from_string(ip);
  if (addr == NULL) {
    host_store(ip, NULL);
    return FALSE;
  }
  HostLookup *l = g_new0(HostLookup, 1);
  l->w = w;
  l->ip = g_steal_pointer(&ip);
  GResolver *resolver = g_resolver_get_default();
  g_resolver_lookup_by_address_async(resolver, addr, NULL, on_host, l);
  g_object_unref(resolver);
  g_object_unref(addr);
  return TRUE;
}

/* FLUSH after the actions' flush: every ticket unbanned by the actions
 * without an actionflush ("[jail] Unban x" for each). */
static gboolean
flush_next(Work *w)
{
  w->unbanning = TRUE;
  while (w->tidx < w->tickets->len) {
    F2bTicket *t = w->tickets->pdata[w->tidx];
    if (w->uidx == 0 && w->unbacts->len && host_pending(w, t))
      return TRUE;
    if (w->uidx == 0 && !w->quiet) {
      gsize len;
      g_autofree char *ip = f2b_ipaddr_to_string(t->id, &len);
      f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Unban %s", w->rt->name, ip);
    }
    if (w->uidx < w->unbacts->len) {
      unban_call(w, t, w->unbacts->pdata[w->uidx]);
      return TRUE;
    }
    w->tidx++;
    w->uidx = 0;
  }
  return FALSE;
}

static void
work_call(Work *w, F2bsAction *a)
{
  F2bsActions *rt = w->rt;
  w->cur = a;
  switch (w->kind) {
  case W_START:
    (void)f2bs_actnative_backend(a, rt->name); /* the log says which backend serves it */
    action_start(rt, a, NULL, FALSE, action_step_done, w);
    break;
  case W_STOP:
    action_stop(rt, a, NULL, action_step_done, w);
    break;
  case W_RELOAD:
    action_reload(rt, a, action_step_done, w);
    break;
  case W_CHECK:
    consistency_check(rt, a, REPAIR_ALWAYS, action_step_done, w);
    break;
  case W_BAN:
    if (w->ticket->restored && prop_true(a, "norestored")) {
      action_step_done(TRUE, NULL, 1, w);
      break;
    }
    w->ai = w->snap;
    w->ai.ticket = w->ticket;
    action_ban(rt, a, &w->ai, "<actionban>", action_step_done, w);
    break;
  case W_REBAN:
    if (f2bs_log_enabled(F2BS_LOG_DEBUG)) {
      gsize len;
      g_autofree char *ip = f2b_ipaddr_to_string(w->ticket->id, &len);
      GString *n = g_string_new(NULL);
      f2b_py_repr_str_append(n, a->name, strlen(a->name));
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "[%s] action %s: reban %s", rt->name, n->str, ip);
      g_string_free(n, TRUE);
    }
    w->ai = w->snap;
    w->ai.ticket = w->ticket;
    action_ban(rt, a, &w->ai, prop_true(a, "actionreban") ? "<actionreban>" : "<actionban>", action_step_done, w);
    break;
  case W_UNBAN:
    unban_call(w, w->ticket, a);
    break;
  case W_FLUSH:
    if (prop_true(a, "actionflush")) {
      f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Flush ticket(s) with %s", rt->name, a->name);
      action_flush(rt, a, action_step_done, w);
    } else {
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "  Unban tickets each individualy");
      g_ptr_array_add(w->unbacts, f2bs_action_ref(a));
      action_step_done(TRUE, NULL, 1, w);
    }
    break;
  }
}

static void
work_loop(Work *w)
{
  for (;;) {
    w->in_loop = TRUE;
    w->resumed = FALSE;
    if (w->idx < w->acts->len) {
      if (w->ticket && (w->kind == W_BAN || w->kind == W_UNBAN || w->kind == W_REBAN) && host_pending(w, w->ticket)) {
        w->in_loop = FALSE;
        return;
      }
      work_call(w, w->acts->pdata[w->idx]);
    } else if (w->kind != W_FLUSH || !flush_next(w)) {
      w->in_loop = FALSE;
      work_finish(w);
      return;
    }
    w->in_loop = FALSE;
    if (!w->resumed)
      return; /* a command runs: its end resumes the loop */
  }
}

static void
rt_free(F2bsActions *rt)
{
  if (rt->kick_source)
    g_source_remove(rt->kick_source);
  g_free(rt->name);
  if (rt->reload_keep)
    g_ptr_array_unref(rt->reload_keep);
  g_ptr_array_unref(rt->held);
  g_hash_table_unref(rt->action_epochs);
  g_ptr_array_unref(rt->actions);
  f2b_banmanager_free(rt->bm);
  f2b_failmanager_free(rt->fm);
  f2b_ticket_unref(rt->empty);
  f2b_bantime_incr_free(rt->incr);
  g_free(rt);
  live_runners--;
}

/* Runs the next queued item unless one runs; a released runner with nothing
 * left frees itself. */
static void
rt_kick(F2bsActions *rt)
{
  if (rt->busy || rt->kicking)
    return;
  rt->kicking = TRUE;
  Work *w;
  while (!rt->busy && (w = g_queue_pop_head(&rt->queue)) != NULL) {
    rt->busy = TRUE;
    rt->current = w;
    work_loop(w);
  }
  rt->kicking = FALSE;
  if (!rt->busy && rt->released)
    rt_free(rt);
}

/* ---- ban decisions ------------------------------------------------------ */

static double
now_s(void)
{
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static void rt_arm(F2bsActions *rt);

static void
unban_ticket(F2bsActions *rt, F2bTicket *t)
{
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(t->id, &len);
  f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Unban %s", rt->name, ip);
  rt_push(rt, work_new(rt, W_UNBAN, t, NULL));
}

static gboolean
on_unban_timer(gpointer data)
{
  F2bsActions *rt = data;
  rt->unban_timer = 0;
  g_autoptr(GPtrArray) due = f2b_banmanager_unban_list(rt->bm, now_s(), 0);
  for (guint i = 0; i < due->len; i++)
    unban_ticket(rt, due->pdata[i]);
  if (due->len)
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Unbanned %u, %u ticket(s) in '%s'", due->len, f2b_banmanager_size(rt->bm),
             rt->name);
  rt_arm(rt);
  return G_SOURCE_REMOVE;
}

/* One timer for the earliest end of ban (a ticket is due strictly after it). */
static void
rt_arm(F2bsActions *rt)
{
  double when;
  if (rt->idle || !f2b_banmanager_next_unban_time(rt->bm, &when) || when >= F2B_TICKET_MAX_TIME) {
    if (rt->unban_timer)
      g_source_remove(rt->unban_timer);
    rt->unban_timer = 0;
    return;
  }
  if (rt->unban_timer && rt->unban_at == when)
    return;
  if (rt->unban_timer)
    g_source_remove(rt->unban_timer);
  double delay = when - now_s();
  guint ms = delay <= 0 ? 0 : (guint)MIN(delay * 1000 + 1, (double)G_MAXUINT / 2);
  rt->unban_at = when;
  rt->unban_timer = g_timeout_add(ms, on_unban_timer, rt);
}

/* A new ban is told (log line, actions) only once the database holds it. */
static void
report_ban(F2bsActions *rt, Work *w)
{
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(w->ticket->id, &len);
  f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] %sBan %s", rt->name, w->ticket->restored ? "Restore " : "", ip);
  for (guint i = 0; w->notes && i < w->notes->len; i++) {
    const char *note = w->notes->pdata[i];
    f2bs_log((int)(guchar)note[0], "fail2ban.observer", "%s", note + 1);
  }
  rt_push(rt, w);
}

/* The observer's database part of banFound: a ban not restored from the
 * database is written there (fail2ban writes ticket.getBanTime(jail's)). */
static void
store_ban(F2bsActions *rt, F2bTicket *ticket)
{
  if (rt->db == NULL || ticket->restored)
    return;
  g_autoptr(GError) error = NULL;
  F2bPyNum bt = f2b_ticket_get_ban_time(ticket, f2b_pynum_int(f2b_banmanager_get_ban_time(rt->bm)));
  if (!f2b_db_add_ban(rt->db, rt->name, ticket, bt, &error))
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.database", "%s", error->message);
}

static void turn_batch_close(F2bsActions *rt);

static void
batch_begin(F2bsActions *rt)
{
  turn_batch_close(rt);
  g_autoptr(GError) error = NULL;
  if (rt->db && !f2b_db_begin(rt->db, &error))
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.database", "%s", error->message);
  rt->batch = g_ptr_array_new(); /* Work*, each pushed at the end */
}

/* One commit for the batch, then the bans are told. */
static void
batch_end(F2bsActions *rt)
{
  g_autoptr(GError) error = NULL;
  if (rt->db && !f2b_db_commit(rt->db, &error))
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.database", "%s", error->message);
  g_autoptr(GPtrArray) batch = g_steal_pointer(&rt->batch);
  for (guint i = 0; i < batch->len; i++)
    report_ban(rt, batch->pdata[i]);
}

/* A native jail bans thousands of addresses a second from its log: one
 * database commit per main-loop turn instead of one per ban (the "Ban"
 * lines and the actions follow the commit, at the end of the turn). */
static gboolean
on_turn_batch_end(gpointer data)
{
  F2bsActions *rt = data;
  rt->turn_source = 0;
  batch_end(rt);
  return G_SOURCE_REMOVE;
}

static void
turn_batch_open(F2bsActions *rt)
{
  if (rt->batch || rt->db == NULL || !rt_has_native(rt))
    return;
  batch_begin(rt);
  rt->turn_source = g_idle_add_full(G_PRIORITY_DEFAULT, on_turn_batch_end, rt, NULL);
}

/* Anything else queued for the jail goes after the bans decided so far. */
static void
turn_batch_close(F2bsActions *rt)
{
  if (rt->turn_source == 0)
    return;
  g_source_remove(rt->turn_source);
  rt->turn_source = 0;
  batch_end(rt);
}

static gboolean
is_permanent(F2bPyNum n)
{
  return f2b_pynum_as_double(n) == -1;
}

/* The observer's incrBanTime: the ban time of a known bad id grows with the
 * number of its earlier bans in the database. */
static F2bPyNum
incr_ban_time(F2bsActions *rt, F2bPyNum ban_time, F2bTicket *ticket, const char *ip, GPtrArray *notes)
{
  if (rt->db == NULL || rt->incr == NULL || f2b_pynum_as_double(ban_time) <= 0)
    return ban_time;
  g_autoptr(GError) error = NULL;
  gboolean found;
  gint64 count = 0, last = 0;
  F2bPyNum last_bt;
  if (!f2b_db_get_ban(rt->db, ip, rt->name, rt->overalljails, -1, -1, now_s(), &found, &count, &last, &last_bt,
                      &error)) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.observer", "%s", error->message);
    return ban_time;
  }
  if (!found)
    return ban_time;
  if (count >= ticket->ban_count)
    f2b_ticket_set_ban_count(ticket, count + 1, FALSE);
  F2bPyNum org = ban_time;
  if (count > 0 && !f2b_bantime_incr_calc(rt->incr, ban_time, count, g_random_double(), &ban_time, &error)) {
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.observer", "%s", error->message);
    return ban_time;
  }
  f2b_ticket_set_ban_time(ticket, ban_time);
  if (ticket->time > (double)last) {
    g_autofree char *when = f2b_timeutil_time2str((double)last);
    g_autofree char *from = f2b_timeutil_seconds2str(org), *to = f2b_timeutil_seconds2str(ban_time);
    g_ptr_array_add(notes, g_strdup_printf("%c[%s] IP %s is bad: %" G_GINT64_FORMAT " # last %s - incr %s to %s",
                                           F2BS_LOG_INFO, rt->name, ip, count, when, from, to));
  } else {
    ticket->restored = TRUE; /* a failure read again after a restart */
  }
  return ban_time;
}

/* The observer's banFound before the database write: FALSE when the
 * (increased) ban is over already and is not to be stored. */
static gboolean
ban_found(F2bsActions *rt, F2bTicket *ticket, F2bPyNum btime, const char *ip, GPtrArray *notes)
{
  if (ticket->restored)
    return TRUE;
  F2bPyNum old = btime;
  if (!is_permanent(btime) && !ticket->has_ban_time) {
    btime = incr_ban_time(rt, btime, ticket, ip, notes);
    if (is_permanent(btime) || f2b_pynum_as_double(btime) > f2b_pynum_as_double(old)) {
      f2b_ticket_set_ban_time(ticket, btime);
      f2b_banmanager_reschedule(rt->bm, ticket);
    }
  }
  g_autofree char *span = NULL, *end = NULL;
  if (!is_permanent(btime)) {
    double bend = ticket->time + f2b_pynum_as_double(btime);
    end = f2b_timeutil_time2str(bend);
    if (bend < now_s()) {
      f2bs_log(F2BS_LOG_DEBUG, "fail2ban.observer", "Ignore old bantime %s", end);
      return FALSE;
    }
    span = f2b_timeutil_seconds2str(btime);
  } else {
    span = g_strdup("permanent");
    end = g_strdup("infinite");
  }
  if (f2b_pynum_as_double(btime) != f2b_pynum_as_double(old))
    g_ptr_array_add(notes, g_strdup_printf("%c[%s] Increase Ban %s (%" G_GINT64_FORMAT " # %s -> %s)",
                                           F2BS_LOG_NOTICE, rt->name, ip, ticket->ban_count, span, end));
  return TRUE;
}

/* Actions.__checkBan for one ticket: TRUE when it is a new ban. */
/* Actions.__reBan: the ticket banned again by ACTS (NULL: every action). */
static gboolean
reban(F2bsActions *rt, F2bTicket *ticket, GPtrArray *acts)
{
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(ticket->id, &len);
  Work *w = work_new(rt, W_REBAN, ticket, NULL);
  if (acts) {
    g_ptr_array_set_size(w->acts, 0);
    for (guint i = 0; i < acts->len; i++)
      g_ptr_array_add(w->acts, f2bs_action_ref(acts->pdata[i]));
  }
  if (w->acts->len == 1) {
    GString *n = g_string_new(NULL);
    f2b_py_repr_str_append(n, ((F2bsAction *)w->acts->pdata[0])->name,
                           strlen(((F2bsAction *)w->acts->pdata[0])->name));
    f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Reban %s, action %s", rt->name, ip, n->str);
    g_string_free(n, TRUE);
  } else {
    f2bs_log(F2BS_LOG_NOTICE, LOGGER, "[%s] Reban %s", rt->name, ip);
  }
  ticket->banned = TRUE;
  rt_push(rt, w);
  return TRUE;
}

/* Actions.__checkBan for one ticket: TRUE when it is a new ban (or a reban). */
static gboolean
check_ban(F2bsActions *rt, F2bTicket *ticket)
{
  f2b_ticket_wrap(ticket, F2B_TICKET_BAN);
  gsize len;
  g_autofree char *ip = f2b_ipaddr_to_string(ticket->id, &len);
  F2bBanReason reason = { 0 };
  F2bPyNum btime = f2b_ticket_get_ban_time(ticket, f2b_pynum_int(f2b_banmanager_get_ban_time(rt->bm)));
  if (f2b_banmanager_add_ban_ticket(rt->bm, ticket, now_s(), &reason)) {
    ticket->banned = TRUE; /* its actions are queued: later tickets see it banned */
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    if (ban_found(rt, ticket, btime, ip, notes))
      store_ban(rt, ticket);
    /* the work item takes its snapshot of the counters now, as the decision */
    Work *w = work_new(rt, W_BAN, ticket, NULL);
    if (notes->len)
      w->notes = g_steal_pointer(&notes);
    if (rt->batch)
      g_ptr_array_add(rt->batch, w);
    else
      report_ban(rt, w); /* a write outside a batch committed by itself */
    return TRUE;
  }
  if (reason.expired) {
    f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Ignore %s, expired bantime", rt->name, ip);
    return FALSE;
  }
  F2bTicket *old = reason.ticket ? reason.ticket : ticket;
  if (!old->banned)
    return reban(rt, old, NULL);
  double diff = ticket->time - old->time;
  int level = diff < 3 ? F2BS_LOG_DEBUG : diff < 60 ? F2BS_LOG_NOTICE : F2BS_LOG_WARNING;
  f2bs_log(level, LOGGER, "[%s] %s already banned", rt->name, ip);
  /* long after its ban: something may be wrong, check the actions (not too often) */
  if (old->ban_epoch == rt->ban_epoch && diff > 3 && now_s() > rt->last_check + 3) {
    rt->last_check = now_s();
    rt_push(rt, work_new(rt, W_CHECK, NULL, NULL));
  }
  if (old->ban_epoch < rt->ban_epoch) {
    g_autoptr(GPtrArray) acts = g_ptr_array_new();
    for (guint i = 0; i < rt->actions->len; i++)
      if (GPOINTER_TO_INT(g_hash_table_lookup(rt->action_epochs, rt->actions->pdata[i])) > old->ban_epoch)
        g_ptr_array_add(acts, rt->actions->pdata[i]);
    return reban(rt, old, acts);
  }
  return FALSE;
}

gboolean
f2bs_actions_ban(F2bsActions *rt, const char *const *ids, guint n_ids, gint64 *count, GError **error)
{
  gint64 cnt = 0;
  double now = now_s();
  gboolean ok = TRUE;
  batch_begin(rt);
  for (guint i = 0; ok && i < n_ids; i++) {
    GError *local = NULL;
    g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ids[i], -1, F2B_IPADDR_CIDR_UNSPEC, &local);
    if (id == NULL) {
      /* the tickets before it are banned, as fail2ban's generator did */
      ok = f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
      g_error_free(local);
      break;
    }
    g_autoptr(F2bTicket) t = f2b_ticket_new(F2B_TICKET_BAN, id, now);
    cnt += check_ban(rt, t);
  }
  batch_end(rt);
  *count = cnt;
  if (cnt)
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Banned %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT ", %u ticket(s) in '%s'",
             cnt, f2b_banmanager_get_ban_total(rt->bm), f2b_banmanager_size(rt->bm), rt->name);
  rt_arm(rt);
  return ok;
}

/* Actions.__flushBan(db): the list emptied now, the actions' work queued. */
static gint64
flush_bans(F2bsActions *rt, gboolean stop)
{
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, "  Flush ban list");
  GPtrArray *lst = f2b_banmanager_flush(rt->bm);
  gint64 n = lst->len;
  Work *w = work_new(rt, W_FLUSH, NULL, lst);
  w->stop = stop;
  rt_push(rt, w);
  rt_arm(rt);
  return n;
}

static void
forget_ban(F2bsActions *rt, const char *ip)
{
  g_autoptr(GError) error = NULL;
  if (rt->db && !f2b_db_del_ban(rt->db, rt->name, ip, &error))
    f2bs_log(F2BS_LOG_ERROR, "fail2ban.database", "%s", error->message);
}

/* removeBannedIP for one id: 1, or 0 when absent (*MISSED set). */
static gint64
unban_one(F2bsActions *rt, const char *text, gboolean *missed)
{
  forget_ban(rt, text); /* fail2ban deletes it from the database even when not banned */
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(text, -1, F2B_IPADDR_CIDR_UNSPEC, NULL);
  F2bTicket *t = id ? f2b_banmanager_get_ticket_by_id(rt->bm, id) : NULL;
  if (t != NULL) {
    unban_ticket(rt, t);
    f2b_ticket_unref(t);
    return 1;
  }
  if (id && !f2b_ipaddr_is_single(id) && f2b_ipaddr_is_valid(id)) {
    g_autoptr(GPtrArray) ids = f2b_banmanager_ids_in(rt->bm, id);
    if (ids->len) {
      gint64 cnt = 0;
      g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ipaddr_free);
      for (guint i = 0; i < ids->len; i++)
        g_ptr_array_add(copies, f2b_ipaddr_copy(ids->pdata[i]));
      for (guint i = 0; i < copies->len; i++) {
        F2bTicket *s = f2b_banmanager_get_ticket_by_id(rt->bm, copies->pdata[i]);
        if (s) {
          unban_ticket(rt, s);
          f2b_ticket_unref(s);
          cnt++;
        }
      }
      return cnt;
    }
  }
  f2bs_log(F2BS_LOG_MSG, LOGGER, "%s is not banned", text);
  *missed = TRUE;
  return 0;
}

gboolean
f2bs_actions_unban(F2bsActions *rt, const char *const *ids, guint n_ids, gboolean ifexists, gint64 *count,
                   GError **error)
{
  *count = 0;
  if (ids == NULL) {
    forget_ban(rt, NULL);
    *count = flush_bans(rt, FALSE);
    return TRUE;
  }
  g_autoptr(F2bPyObj) missed = f2b_py_list_new();
  for (guint i = 0; i < n_ids; i++) {
    gboolean miss = FALSE;
    *count += unban_one(rt, ids[i], &miss);
    if (miss && !ifexists)
      f2b_py_append(missed, f2b_py_str(ids[i]));
  }
  rt_arm(rt);
  if (f2b_py_len(missed)) {
    g_autofree char *r = f2b_py_repr(missed);
    return f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "not banned: %s", r);
  }
  return TRUE;
}

gboolean
f2bs_actions_attempt(F2bsActions *rt, const char *ip, const char *const *matches, guint n_matches, GError **error)
{
  GError *local = NULL;
  g_autoptr(F2bIPAddr) id = f2b_ipaddr_new(ip, -1, F2B_IPADDR_CIDR_UNSPEC, &local);
  if (id == NULL) {
    f2bs_pyexc_set(error, F2BS_PYEXC_VALUE_ERROR, "%s", local->message);
    g_error_free(local);
    return FALSE;
  }
  double now = now_s();
  g_autoptr(F2bTicket) t = f2b_ticket_new(F2B_TICKET_FAIL, id, now);
  for (guint i = 0; i < n_matches; i++)
    f2b_ticket_add_match(t, matches[i], strlen(matches[i]));
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local((gint64)now);
  g_autofree char *when = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
  gsize len;
  g_autofree char *ips = f2b_ipaddr_to_string(id, &len);
  f2bs_log(F2BS_LOG_INFO, "fail2ban.filter", "[%s] Attempt %s - %s", rt->name, ips, when);
  gint64 attempts = f2b_failmanager_add_failure(rt->fm, t, n_matches ? (gint64)n_matches : 1, FALSE);
  if (attempts >= f2b_failmanager_get_max_retry(rt->fm))
    f2bs_actions_perform_ban(rt, id);
  return TRUE;
}

void
f2bs_actions_perform_svc(F2bsActions *rt, gboolean force)
{
  double now = now_s();
  if (force || now >= rt->next_svc) {
    rt->next_svc = now + 5;
    f2b_failmanager_cleanup(rt->fm, now);
  }
}

void
f2bs_actions_perform_ban(F2bsActions *rt, const F2bIPAddr *id)
{
  gint64 cnt = 0;
  for (;;) {
    g_autoptr(F2bTicket) ready = f2b_failmanager_to_ban(rt->fm, id);
    if (ready == NULL)
      break;
    if (rt->idle) /* the jail's queue waits for its thread (f2bs_actions_set_idle) */
      g_ptr_array_add(rt->held, g_steal_pointer(&ready));
    else {
      turn_batch_open(rt);
      cnt += check_ban(rt, ready);
    }
    if (id)
      break;
  }
  if (cnt) {
    g_autoptr(GString) name = g_string_new(NULL);
    f2b_py_repr_str_append(name, rt->name, strlen(rt->name));
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Banned %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT ", %u ticket(s) in %s",
             cnt, f2b_banmanager_get_ban_total(rt->bm), f2b_banmanager_size(rt->bm), name->str);
  }
  rt_arm(rt);
  f2bs_actions_perform_svc(rt, FALSE);
}

F2bActionCommand *
f2bs_actions_replace_dynamic(F2bsActions *rt, F2bTicket *ticket, const char *text)
{
  AInfo ai = { .rt = rt, .ticket = ticket };
  return dynamic_cmd(text, &ai);
}

/* ---- life --------------------------------------------------------------- */

F2bsActions *
f2bs_actions_new(const char *name, GPtrArray *actions)
{
  F2bsActions *rt = g_new0(F2bsActions, 1);
  rt->name = g_strdup(name);
  rt->actions = g_ptr_array_ref(actions);
  rt->bm = f2b_banmanager_new();
  rt->fm = f2b_failmanager_new();
  rt->held = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  rt->action_epochs = g_hash_table_new(NULL, NULL);
  g_queue_init(&rt->queue);
  g_autoptr(F2bIPAddr) none = f2b_ipaddr_new("", 0, F2B_IPADDR_CIDR_UNSPEC, NULL);
  rt->empty = f2b_ticket_new(F2B_TICKET_BAN, none, 0);
  live_runners++;
  return rt;
}

void
f2bs_actions_release(F2bsActions *rt)
{
  if (rt == NULL)
    return;
  turn_batch_close(rt);
  rt->released = TRUE;
  if (rt->unban_timer)
    g_source_remove(rt->unban_timer);
  rt->unban_timer = 0;
  rt->db = NULL;
  rt_kick(rt);
}

void
f2bs_actions_set_database(F2bsActions *rt, F2bDb *db)
{
  rt->db = db;
}

void
f2bs_actions_set_increment(F2bsActions *rt, F2bBanTimeIncr *incr, gboolean overalljails)
{
  f2b_bantime_incr_free(rt->incr);
  rt->incr = incr;
  rt->overalljails = overalljails;
}

guint
f2bs_actions_restore(F2bsActions *rt, GPtrArray *tickets)
{
  guint n = 0;
  batch_begin(rt);
  for (guint i = 0; i < tickets->len; i++) {
    F2bTicket *t = tickets->pdata[i];
    t->restored = TRUE;
    n += check_ban(rt, t);
  }
  batch_end(rt);
  rt_arm(rt);
  return n;
}

F2bBanManager *
f2bs_actions_banmanager(F2bsActions *rt)
{
  return rt->bm;
}

F2bFailManager *
f2bs_actions_failmanager(F2bsActions *rt)
{
  return rt->fm;
}

void
f2bs_actions_start(F2bsActions *rt)
{
  rt_push(rt, work_new(rt, W_START, NULL, NULL));
}

void
f2bs_actions_stop(F2bsActions *rt)
{
  f2bs_actions_stop_full(rt, NULL, NULL);
}

void
f2bs_actions_stop_full(F2bsActions *rt, F2bsWaitFunc stopped, gpointer data)
{
  flush_bans(rt, TRUE);
  Work *w = work_new(rt, W_STOP, NULL, NULL);
  w->stopped = stopped;
  w->stopped_data = data;
  rt_push(rt, w);
}

/* ---- idle ------------------------------------------------------------- */

void
f2bs_actions_set_idle(F2bsActions *rt, gboolean idle)
{
  if (rt->idle == idle)
    return;
  rt->idle = idle;
  f2bs_log(F2BS_LOG_DEBUG, LOGGER, idle ? "Actions: enter idle mode" : "Actions: leave idle mode");
  if (!idle && rt->held->len) {
    g_autoptr(GPtrArray) held = g_steal_pointer(&rt->held);
    rt->held = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
    for (guint i = 0; i < held->len; i++)
      check_ban(rt, held->pdata[i]);
  }
  rt_arm(rt); /* bans that ended meanwhile end now */
}

/* ---- reload (fail2ban's Actions.reload) -------------------------------- */

void
f2bs_actions_reload_begin(F2bsActions *rt)
{
  if (rt->reload_keep)
    g_ptr_array_unref(rt->reload_keep);
  rt->reload_keep = g_ptr_array_new_with_free_func(g_free);
}

gboolean
f2bs_actions_reload_keep(F2bsActions *rt, const char *name)
{
  if (rt->reload_keep == NULL)
    return FALSE;
  if (!g_ptr_array_find_with_equal_func(rt->reload_keep, name, g_str_equal, NULL))
    g_ptr_array_add(rt->reload_keep, g_strdup(name));
  return TRUE;
}

static F2bsAction *
action_named(F2bsActions *rt, const char *name)
{
  for (guint i = 0; i < rt->actions->len; i++)
    if (strcmp(((F2bsAction *)rt->actions->pdata[i])->name, name) == 0)
      return rt->actions->pdata[i];
  return NULL;
}

/* The removed actions unban every ticket (flush where they can; the ban
 * list stays, without "[jail] Unban" lines), stop in reverse order and
 * leave the jail. */
static void
reload_drop(F2bsActions *rt, GPtrArray *gone)
{
  g_autoptr(GPtrArray) borrowed = f2b_banmanager_tickets(rt->bm);
  GPtrArray *tickets = g_ptr_array_new_with_free_func((GDestroyNotify)f2b_ticket_unref);
  for (guint i = 0; i < borrowed->len; i++)
    g_ptr_array_add(tickets, f2b_ticket_ref(borrowed->pdata[i]));
  Work *w = work_new(rt, W_FLUSH, NULL, tickets);
  w->stop = TRUE;
  w->quiet = TRUE;
  g_ptr_array_set_size(w->acts, 0);
  for (guint i = 0; i < gone->len; i++)
    g_ptr_array_add(w->acts, f2bs_action_ref(gone->pdata[i]));
  rt_push(rt, w);
  w = work_new(rt, W_STOP, NULL, NULL);
  g_ptr_array_set_size(w->acts, 0);
  for (guint i = gone->len; i-- > 0;)
    g_ptr_array_add(w->acts, f2bs_action_ref(gone->pdata[i]));
  rt_push(rt, w);
  for (guint i = 0; i < gone->len; i++) {
    g_hash_table_remove(rt->action_epochs, gone->pdata[i]);
    g_ptr_array_remove(rt->actions, gone->pdata[i]);
  }
}

void
f2bs_actions_reload_end(F2bsActions *rt)
{
  if (rt->reload_keep == NULL)
    return;
  g_autoptr(GPtrArray) keep = g_steal_pointer(&rt->reload_keep);
  Work *w = work_new(rt, W_RELOAD, NULL, NULL);
  g_ptr_array_set_size(w->acts, 0);
  for (guint i = 0; i < keep->len; i++) {
    F2bsAction *a = action_named(rt, keep->pdata[i]);
    if (a)
      g_ptr_array_add(w->acts, f2bs_action_ref(a));
  }
  rt_push(rt, w);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func((GDestroyNotify)f2bs_action_unref);
  for (guint i = 0; i < rt->actions->len; i++) {
    F2bsAction *a = rt->actions->pdata[i];
    if (!g_ptr_array_find_with_equal_func(keep, a->name, g_str_equal, NULL))
      g_ptr_array_add(gone, f2bs_action_ref(a));
  }
  if (gone->len)
    reload_drop(rt, gone);
}

F2bPyObj *
f2bs_actions_filter_status(F2bsActions *rt)
{
  F2bPyObj *l = f2b_py_list_new();
  f2b_py_append(l, f2b_py_tuple_of(f2b_py_str("Currently failed"), f2b_py_int(f2b_failmanager_size(rt->fm)), NULL));
  f2b_py_append(l, f2b_py_tuple_of(f2b_py_str("Total failed"), f2b_py_int(f2b_failmanager_get_fail_total(rt->fm)),
                                   NULL));
  return l;
}

F2bPyObj *
f2bs_actions_status(F2bsActions *rt, gboolean short_flavor)
{
  return f2b_banmanager_status(rt->bm, short_flavor);
}

guint
f2bs_actions_pending(void)
{
  return live_runners + f2bs_cmdrun_running();
}
