/* pipeline.c - a jail's failures from the filter to a ban (see pipeline.h).
 *
 * Each failure becomes an Item at the tail of the jail's queue; drain() takes
 * items from the head for as long as each can be decided now.  An item that
 * needs an answer (DNS, the ignorecommand) stays at the head and the queue
 * waits; the answer's arrival drains again, and the item's checks run again
 * from the start, finding in the caches what they waited for. */
#include "pipeline.h"

#include <math.h>
#include <string.h>

#include "actions.h"
#include "cmdrun.h"
#include "dnscache.h"
#include "serverlog.h"
#include "timeutil.h"
#include "ttlcache.h"

#define LOGGER "fail2ban.filter"
#define IGNORE_COMMAND_TIMEOUT 60 /* CommandAction.executeCmd's default */
#define MAX_PENDING 100000        /* failures waiting behind a slow answer, whatever feeds them */
#define ERRORS_TO_IDLE 100

typedef enum { CMD_NOT_RUN, CMD_RUNNING, CMD_DONE } CmdState;

typedef struct {
  F2bFailure *failure; /* fid, time, the filter's dict */
  double now;          /* MyTime.time() when the line was read */
  char *dns_name;      /* a host name the filter could not resolve yet, else NULL */
  F2bTicket *ticket;   /* the FailTicket, once the id is an address */
  CmdState cmd;
  gboolean cmd_ignore;
} Item;

/* An ignorecommand in flight; P is cleared when the pipeline goes first. */
typedef struct {
  F2bsPipeline *p;
} CmdCall;

typedef struct {
  F2bIPAddr *addr; /* borrowed: identity only */
  char *name;
} Placeholder;

struct F2bsPipeline {
  F2bsJail *jail;
  GQueue queue;            /* Item* */
  gboolean draining;
  guint dns_listener;
  F2bTtlCache *ignore_cache; /* values: GINT_TO_POINTER(1 + ignored) */
  CmdCall *cmd_call;
  guint expiry_timer;
  double expiry_at;
  guint64 proc_lines;
  int errors;
  double next_sim_warn, next_ign_warn, next_nodate_warn; /* _logWarnOnce */
  GArray *placeholders;    /* Placeholder, during one filter call */
  double line_now;
  double found_second;     /* the whole second FOUND_TEXT shows, or NAN */
  char *found_text;        /* time2str of a failure's time, kept for the next ones */
  gboolean busy;           /* PAUSE_AT reached, RESUME_AT not yet again */
  GSourceFunc resume_func;
  gpointer resume_data;
};

static double
now_s(void)
{
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static void
item_free(Item *it)
{
  f2b_failure_free(it->failure);
  g_free(it->dns_name);
  if (it->ticket)
    f2b_ticket_unref(it->ticket);
  g_free(it);
}

static void drain(F2bsPipeline *p);

static void
on_dns_answer(gpointer data)
{
  drain(data);
}

/* ---- the filter's resolver: the DNS cache, or a placeholder ------------- */

static void
append_addr_set(GString *out, GPtrArray *addrs)
{
  g_string_append_c(out, '{');
  for (guint i = 0; i < addrs->len; i++) {
    gsize len;
    g_autofree char *s = f2b_ipaddr_to_string(addrs->pdata[i], &len);
    if (i)
      g_string_append(out, ", ");
    f2b_py_repr_str_append(out, s, len);
  }
  g_string_append_c(out, '}');
}

/* textToIp's warning under usedns = warn. */
static void
warn_determined(const char *name, GPtrArray *addrs)
{
  g_autoptr(GString) set = g_string_new(NULL);
  append_addr_set(set, addrs);
  f2bs_log(F2BS_LOG_WARNING, "fail2ban.ipdns", "Determined IP using DNS Lookup: %s = %s", name, set->str);
}

static void
resolve_for_filter(const char *host, gsize len, F2bFilterUseDns mode, GPtrArray *addrs, gpointer data)
{
  F2bsPipeline *p = data;
  g_autofree char *name = g_strndup(host, len);
  GPtrArray *known;
  if (f2bs_dns_to_ip(name, &known)) {
    for (guint i = 0; i < known->len; i++)
      g_ptr_array_add(addrs, f2b_ipaddr_copy(known->pdata[i]));
    if (known->len && mode == F2B_FILTER_USEDNS_WARN)
      warn_determined(name, known);
    g_ptr_array_unref(known);
    return;
  }
  Placeholder ph = { f2b_ipaddr_new(host, (gssize)len, F2B_IPADDR_CIDR_RAW, NULL), g_steal_pointer(&name) };
  g_ptr_array_add(addrs, ph.addr);
  g_array_append_val(p->placeholders, ph);
}

static const char *
placeholder_name(F2bsPipeline *p, const F2bIPAddr *fid)
{
  for (guint i = 0; i < p->placeholders->len; i++) {
    Placeholder *ph = &g_array_index(p->placeholders, Placeholder, i);
    if (ph->addr == fid && fid->family == F2B_IPADDR_FAMILY_RAW && fid->raw_len == strlen(ph->name) &&
        memcmp(fid->raw, ph->name, fid->raw_len) == 0)
      return ph->name;
  }
  return NULL;
}

static void
placeholders_clear(F2bsPipeline *p)
{
  for (guint i = 0; i < p->placeholders->len; i++)
    g_free(g_array_index(p->placeholders, Placeholder, i).name);
  g_array_set_size(p->placeholders, 0);
}

/* ---- _logWarnOnce -------------------------------------------------------- */

/* _logWarnOnce: the first text at level 7 within a day of the last warning,
 * else every text as a warning; SECOND is followed by LINE. */
static void
warn_once(F2bsPipeline *p, double *next, const char *first, const char *second, const char *line, gsize len,
          gboolean date_hint)
{
  if (p->line_now < *next) {
    f2bs_log(F2BS_LOG_TRACEDEBUG, LOGGER, "%s", first);
    return;
  }
  *next = p->line_now + 24 * 60 * 60;
  f2bs_log(F2BS_LOG_WARNING, LOGGER, "[%s] %s", p->jail->name, first);
  g_autofree char *text = g_utf8_make_valid(line, (gssize)len);
  f2bs_log(F2BS_LOG_WARNING, LOGGER, "[%s] %s%s", p->jail->name, second, text);
  if (date_hint)
    f2bs_log(F2BS_LOG_WARNING, LOGGER, "[%s] Please try setting a custom date pattern (see man page jail.conf(5)).",
             p->jail->name);
}

/* FALSE when warn_once would write nothing: the text need not be made
 * (a log of old lines meets this on every line). */
static gboolean
warn_once_due(const F2bsPipeline *p, double next)
{
  return p->line_now >= next || f2bs_log_enabled(F2BS_LOG_TRACEDEBUG);
}

static double *
time_event_next(F2bsPipeline *p, F2bFilterTimeEvent event)
{
  switch (event) {
  case F2B_FILTER_TIME_SIMULATED:
    return &p->next_sim_warn;
  case F2B_FILTER_TIME_OBSOLETE:
    return &p->next_ign_warn;
  default:
    return &p->next_nodate_warn;
  }
}

static void
on_time_event(const F2bFilterTimeInfo *info, gpointer data)
{
  F2bsPipeline *p = data;
  if (!warn_once_due(p, *time_event_next(p, info->event)))
    return;
  g_autoptr(GString) msg = g_string_new(NULL);
  gint64 delta = info->delta;
  switch (info->event) {
  case F2B_FILTER_TIME_SIMULATED: {
    g_autofree char *span = f2b_timeutil_seconds2str((F2bPyNum){ .i = delta < 0 ? -delta : delta });
    g_string_printf(msg, "Detected a log entry %s %s the current time in operation mode. This looks like a %s "
                    "problem. Treating such entries as if they just happened.", span,
                    delta < 0 ? "before" : "after", delta >= -3300 && delta < 0 ? "latency" : "timezone");
    warn_once(p, &p->next_sim_warn, msg->str, "Please check a jail for a timing issue. Line with odd timestamp: ",
              info->line, info->line_len, FALSE);
    break;
  }
  case F2B_FILTER_TIME_OBSOLETE:
    g_string_append(msg, "Ignoring all log entries older than ");
    f2b_py_str_append(msg, p->jail->findtime);
    g_string_append(msg, "s; these are probably messages generated while fail2ban was not running.");
    warn_once(p, &p->next_ign_warn, msg->str, "Please check a jail for a timing issue. Line with odd timestamp: ",
              info->line, info->line_len, FALSE);
    break;
  case F2B_FILTER_TIME_NO_DATE:
    g_string_append(msg, "Found a match but no valid date/time found for ");
    f2b_py_repr_str_append(msg, info->date, info->date_len);
    g_string_append_c(msg, '.');
    warn_once(p, &p->next_nodate_warn, msg->str, "Match without a timestamp: ", info->line, info->line_len,
              TRUE);
    break;
  }
}

/* ---- life ---------------------------------------------------------------- */

F2bsPipeline *
f2bs_pipeline_new(F2bsJail *jail)
{
  F2bsPipeline *p = g_new0(F2bsPipeline, 1);
  p->jail = jail;
  g_queue_init(&p->queue);
  p->placeholders = g_array_new(FALSE, FALSE, sizeof(Placeholder));
  p->found_second = NAN;
  p->dns_listener = f2bs_dns_add_listener(on_dns_answer, p);
  f2b_filter_set_resolver(jail->filter, resolve_for_filter, p);
  f2b_filter_set_time_callback(jail->filter, on_time_event, p);
  return p;
}

void
f2bs_pipeline_free(F2bsPipeline *p)
{
  if (p == NULL)
    return;
  f2bs_dns_remove_listener(p->dns_listener);
  if (p->cmd_call)
    p->cmd_call->p = NULL;
  if (p->expiry_timer)
    g_source_remove(p->expiry_timer);
  Item *it;
  while ((it = g_queue_pop_head(&p->queue)) != NULL)
    item_free(it);
  placeholders_clear(p);
  g_array_unref(p->placeholders);
  f2b_ttlcache_free(p->ignore_cache);
  g_free(p->found_text);
  g_free(p);
}

guint
f2bs_pipeline_pending(const F2bsPipeline *p)
{
  return p->queue.length;
}

gboolean
f2bs_pipeline_is_busy(const F2bsPipeline *p)
{
  return p->busy;
}

void
f2bs_pipeline_set_resume_func(F2bsPipeline *p, GSourceFunc func, gpointer user_data)
{
  p->resume_func = func;
  p->resume_data = user_data;
}

/* The busy state after the queue grew or shrank. */
static void
update_busy(F2bsPipeline *p)
{
  if (!p->busy && p->queue.length >= F2BS_PIPELINE_PAUSE_AT) {
    p->busy = TRUE;
  } else if (p->busy && p->queue.length <= F2BS_PIPELINE_RESUME_AT) {
    p->busy = FALSE;
    if (p->resume_func)
      p->resume_func(p->resume_data);
  }
}

void
f2bs_pipeline_reset_ignorecache(F2bsPipeline *p)
{
  g_clear_pointer(&p->ignore_cache, f2b_ttlcache_free);
  const F2bPyObj *opt = p->jail->ignorecache;
  if (f2b_py_kind(opt) != F2B_PY_LIST || f2b_py_len(opt) < 3)
    return;
  const F2bPyObj *t = f2b_py_item(opt, 2);
  double max_time = f2b_py_kind(t) == F2B_PY_FLOAT ? f2b_py_get_float(t) : (double)f2b_py_get_int(t);
  gint64 count = f2b_py_get_int(f2b_py_item(opt, 1));
  p->ignore_cache = f2b_ttlcache_new(count < 0 ? 0 : (guint)MIN(count, G_MAXUINT), max_time, NULL);
}

/* ---- failure ageing by timer -------------------------------------------- */

static gboolean
on_expiry(gpointer data)
{
  F2bsPipeline *p = data;
  p->expiry_timer = 0;
  f2b_failmanager_cleanup(f2bs_actions_failmanager(p->jail->rt), now_s());
  f2bs_pipeline_rearm(p);
  return G_SOURCE_REMOVE;
}

void
f2bs_pipeline_rearm(F2bsPipeline *p)
{
  double when;
  if (!f2b_failmanager_next_expiry(f2bs_actions_failmanager(p->jail->rt), &when)) {
    if (p->expiry_timer)
      g_source_remove(p->expiry_timer);
    p->expiry_timer = 0;
    return;
  }
  if (p->expiry_timer && p->expiry_at <= when)
    return; /* the armed timer comes first; it re-arms when it fires */
  if (p->expiry_timer)
    g_source_remove(p->expiry_timer);
  double delay = when - now_s();
  guint ms = delay <= 0 ? 0 : (guint)MIN(delay * 1000 + 1, (double)G_MAXUINT / 2);
  p->expiry_at = when;
  p->expiry_timer = g_timeout_add(ms, on_expiry, p);
}

/* ---- the FailTicket of a failure ----------------------------------------- */

static void
add_matches(F2bTicket *t, const F2bPyObj *matches)
{
  if (f2b_py_kind(matches) != F2B_PY_LIST)
    return;
  g_autoptr(GString) joined = g_string_new(NULL);
  for (gsize i = 0; i < f2b_py_len(matches); i++) {
    const F2bPyObj *m = f2b_py_item(matches, i);
    g_string_truncate(joined, 0);
    if (f2b_py_kind(m) == F2B_PY_STR) {
      gsize len;
      const char *s = f2b_py_get_str(m, &len);
      g_string_append_len(joined, s, (gssize)len);
    } else {
      for (gsize k = 0; k < f2b_py_len(m); k++) {
        gsize len;
        const char *s = f2b_py_get_str(f2b_py_item(m, k), &len);
        g_string_append_len(joined, s, (gssize)len);
      }
    }
    f2b_ticket_add_match(t, joined->str, joined->len);
  }
}

/* FailTicket(fid, time, data=fail): None values are dropped, the matched lines
 * become the ticket's matches, "ip" its address. */
static F2bTicket *
ticket_of(const F2bFailure *f, double time)
{
  F2bTicket *t = f2b_ticket_new(F2B_TICKET_FAIL, f->fid, time);
  if (f->data == NULL)
    return t;
  for (gsize i = 0; i < f2b_py_len(f->data); i++) {
    F2bPyObj *k, *v;
    f2b_py_dict_pair(f->data, i, &k, &v);
    if (f2b_py_kind(k) != F2B_PY_STR || f2b_py_kind(v) == F2B_PY_NONE)
      continue;
    const char *key = f2b_py_get_str(k, NULL);
    if (strcmp(key, "matches") == 0) {
      add_matches(t, v);
    } else if (strcmp(key, "ip") == 0 && f2b_py_kind(v) == F2B_PY_STR) {
      gsize len;
      const char *s = f2b_py_get_str(v, &len);
      g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(s, (gssize)len, F2B_IPADDR_CIDR_UNSPEC, NULL);
      if (ip)
        f2b_ticket_set_ip(t, ip);
    } else if (strcmp(key, "failures") != 0) {
      f2b_ticket_set_data(t, key, f2b_py_copy(v));
    }
  }
  return t;
}

static char *
id_text(const F2bIPAddr *id)
{
  return f2b_ipaddr_to_string(id, NULL);
}

/* ---- inIgnoreIPList ------------------------------------------------------ */

typedef enum { PASS, IGNORED, WAIT } Verdict;

static Verdict
log_ignore(F2bsPipeline *p, Item *it, const char *by)
{
  g_autofree char *ip = id_text(it->ticket->id);
  f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Ignore %s by %s", p->jail->name, ip, by);
  return IGNORED;
}

static void
cache_set(F2bsPipeline *p, const char *key, gboolean ignored)
{
  if (p->ignore_cache && key)
    f2b_ttlcache_set(p->ignore_cache, key, GINT_TO_POINTER(1 + ignored), now_s());
}

static gboolean
addr_in(const F2bIPAddr *ip, GPtrArray *addrs)
{
  for (guint i = 0; i < addrs->len; i++)
    if (f2b_ipaddr_equal(addrs->pdata[i], ip))
      return TRUE;
  return FALSE;
}

/* The subnets and host names of ignoreip (fail2ban's list), in order. */
static Verdict
check_nets(F2bsPipeline *p, Item *it, const char *key)
{
  const F2bIPAddr *ip = it->ticket->id;
  GPtrArray *nets = p->jail->ignoreip;
  for (guint i = 0; i < nets->len; i++) {
    const F2bIPAddr *net = nets->pdata[i];
    if (f2b_ipaddr_is_single(net))
      continue;
    gboolean in;
    if (f2b_ipaddr_is_valid(net)) {
      in = f2b_ipaddr_is_in_net(ip, net);
    } else {
      if (net->raw_len == 0)
        continue; /* fail2ban resolves the name even for an id that is no address */
      g_autofree char *name = g_strndup(net->raw, net->raw_len);
      GPtrArray *addrs;
      if (!f2bs_dns_to_ip(name, &addrs))
        return WAIT;
      in = addr_in(ip, addrs);
      g_ptr_array_unref(addrs);
    }
    if (in) {
      cache_set(p, key, TRUE);
      return log_ignore(p, it, f2b_ipaddr_is_valid(net) ? "ip" : "dns");
    }
  }
  return PASS;
}

static void
on_ignore_command(gboolean ok, int exit_code, gpointer data)
{
  CmdCall *call = data;
  F2bsPipeline *p = call->p;
  g_free(call);
  if (p == NULL)
    return;
  p->cmd_call = NULL;
  Item *it = g_queue_peek_head(&p->queue);
  if (it && it->cmd == CMD_RUNNING) {
    it->cmd = CMD_DONE;
    it->cmd_ignore = ok && exit_code == 0;
  }
  drain(p);
}

static Verdict
check_command(F2bsPipeline *p, Item *it, const char *key)
{
  if (it->cmd == CMD_RUNNING)
    return WAIT;
  if (it->cmd == CMD_NOT_RUN) {
    const char *text = f2b_py_get_str(p->jail->ignorecommand, NULL);
    g_autoptr(F2bActionCommand) cmd = f2bs_actions_replace_dynamic(p->jail->rt, it->ticket, text);
    if (f2bs_log_enabled(F2BS_LOG_DEBUG)) {
      g_autofree char *shown = f2bs_cmdrun_describe(cmd);
      f2bs_log(F2BS_LOG_DEBUG, LOGGER, "ignore command: %s", shown);
    }
    it->cmd = CMD_RUNNING;
    p->cmd_call = g_new0(CmdCall, 1);
    p->cmd_call->p = p;
    f2bs_cmdrun_zero_one(cmd, IGNORE_COMMAND_TIMEOUT, on_ignore_command, p->cmd_call);
    return WAIT;
  }
  if (it->cmd_ignore)
    log_ignore(p, it, "command");
  cache_set(p, key, it->cmd_ignore);
  return it->cmd_ignore ? IGNORED : PASS;
}

static gboolean
has_ignore_command(const F2bsJail *jail)
{
  gsize len = 0;
  return f2b_py_kind(jail->ignorecommand) == F2B_PY_STR && (f2b_py_get_str(jail->ignorecommand, &len), len > 0);
}

/* The ignorecache key: replaceDynamicTags(key, ActionInfo(ticket)). */
static char *
cache_key(F2bsPipeline *p, Item *it)
{
  const char *key = f2b_py_get_str(f2b_py_item(p->jail->ignorecache, 0), NULL);
  g_autoptr(F2bActionCommand) cmd = f2bs_actions_replace_dynamic(p->jail->rt, it->ticket, key);
  return f2bs_cmdrun_describe(cmd);
}

static Verdict
check_ignore(F2bsPipeline *p, Item *it)
{
  F2bsJail *jail = p->jail;
  g_autofree char *key = NULL;
  if (p->ignore_cache) {
    key = cache_key(p, it);
    gpointer v;
    if (f2b_ttlcache_get(p->ignore_cache, key, now_s(), &v))
      return GPOINTER_TO_INT(v) == 2 ? IGNORED : PASS;
  }
  const F2bIPAddr *ip = it->ticket->id;
  if (jail->ignoreself) {
    gboolean mine;
    if (!f2bs_dns_is_self(ip, &mine))
      return WAIT;
    if (mine) {
      cache_set(p, key, TRUE);
      return log_ignore(p, it, "ignoreself rule");
    }
  }
  for (guint i = 0; i < jail->ignoreip->len; i++) {
    const F2bIPAddr *single = jail->ignoreip->pdata[i];
    if (f2b_ipaddr_is_single(single) && f2b_ipaddr_equal(single, ip))
      return log_ignore(p, it, "ip"); /* fail2ban caches no verdict here */
  }
  Verdict v = check_nets(p, it, key);
  if (v != PASS)
    return v;
  if (has_ignore_command(jail))
    return check_command(p, it, key);
  cache_set(p, key, FALSE);
  return PASS;
}

/* ---- a failure's way ----------------------------------------------------- */

static void
append_time(GString *out, const F2bFailure *f)
{
  if (f->has_time)
    f2b_py_repr_float_append(out, f->time);
  else
    g_string_append(out, "None");
}

/* processLineAndAdd's loop body from the debug line to FailTicket. */
static void
item_prepare(Item *it)
{
  F2bFailure *f = it->failure;
  if (f2bs_log_enabled(F2BS_LOG_DEBUG)) {
    g_autoptr(GString) t = g_string_new(NULL);
    append_time(t, f);
    g_autofree char *ip = id_text(f->fid);
    f2bs_log(F2BS_LOG_DEBUG, LOGGER, "Processing line with time:%s and ip:%s", t->str, ip);
  }
  double time = f->has_time ? f->time : it->now;
  /* checkFindTime: a failure is never in the future */
  if (time > it->now)
    time = it->now;
  it->ticket = ticket_of(f, time);
}

/* FailManager.addFailure's summary at DEBUG (as costly as fail2ban's: debug only). */
static void
log_failures(F2bFailManager *fm)
{
  g_autoptr(GPtrArray) tickets = f2b_failmanager_tickets(fm);
  g_autoptr(GString) summary = g_string_new(NULL);
  for (guint i = 0; i < tickets->len; i++) {
    F2bTicket *t = tickets->pdata[i];
    g_autofree char *id = id_text(t->id);
    g_string_append_printf(summary, "%s%s:%" G_GINT64_FORMAT, i ? ", " : "", id, t->retry);
  }
  f2bs_log(F2BS_LOG_DEBUG, "fail2ban.failmanager",
           "Total # of detected failures: %" G_GINT64_FORMAT ". Current failures from %u IPs (IP:count): %s",
           f2b_failmanager_get_fail_total(fm), tickets->len, summary->str);
}

/* time2str(T): failures come many a second, and a second's text is made once. */
static const char *
found_time(F2bsPipeline *p, double t)
{
  double whole = floor(t);
  gboolean plain = t - whole < 0.999999; /* no rounding up to the next second */
  if (plain && whole == p->found_second)
    return p->found_text;
  g_free(p->found_text);
  p->found_text = f2b_timeutil_time2str(t);
  p->found_second = plain ? whole : NAN;
  return p->found_text;
}

static void
item_count(F2bsPipeline *p, Item *it)
{
  F2bsJail *jail = p->jail;
  F2bTicket *t = it->ticket;
  if (f2bs_log_enabled(F2BS_LOG_INFO)) {
    g_autofree char *ip = id_text(t->id);
    f2bs_log(F2BS_LOG_INFO, LOGGER, "[%s] Found %s - %s", jail->name, ip, found_time(p, t->time));
  }
  F2bFailManager *fm = f2bs_actions_failmanager(jail->rt);
  gint64 attempts = f2b_failmanager_add_failure(fm, t, 1, FALSE);
  if (f2bs_log_enabled(F2BS_LOG_DEBUG))
    log_failures(fm);
  if (attempts >= f2b_failmanager_get_max_retry(fm))
    f2bs_actions_perform_ban(jail->rt, t->id);
  f2bs_pipeline_rearm(p);
}

static Item *
item_new(F2bFailure *failure, double now)
{
  Item *it = g_new0(Item, 1);
  it->failure = failure;
  it->now = now;
  return it;
}

/* The head item's name resolved: one item per address replaces it. */
static void
expand_head(F2bsPipeline *p, Item *it, GPtrArray *addrs)
{
  g_queue_pop_head(&p->queue);
  if (addrs->len && f2b_filter_get_usedns(p->jail->filter) == F2B_FILTER_USEDNS_WARN)
    warn_determined(it->dns_name, addrs);
  for (guint i = addrs->len; i-- > 0;) {
    F2bFailure *f = g_new0(F2bFailure, 1);
    *f = *it->failure;
    f->fid = f2b_ipaddr_copy(addrs->pdata[i]);
    f->data = it->failure->data ? f2b_py_copy(it->failure->data) : NULL;
    g_queue_push_head(&p->queue, item_new(f, it->now));
  }
  item_free(it);
}

/* Decides the head item: FALSE when it waits for an answer. */
static gboolean
step_head(F2bsPipeline *p)
{
  Item *it = g_queue_peek_head(&p->queue);
  if (it->dns_name) {
    GPtrArray *addrs;
    if (!f2bs_dns_to_ip(it->dns_name, &addrs))
      return FALSE;
    expand_head(p, it, addrs);
    g_ptr_array_unref(addrs);
    return TRUE;
  }
  if (it->ticket == NULL)
    item_prepare(it);
  Verdict v = check_ignore(p, it);
  if (v == WAIT)
    return FALSE;
  g_queue_pop_head(&p->queue);
  if (v == PASS)
    item_count(p, it);
  item_free(it);
  return TRUE;
}

static void
drain(F2bsPipeline *p)
{
  if (p->draining)
    return;
  p->draining = TRUE;
  while (p->queue.head && step_head(p))
    ;
  p->draining = FALSE;
  update_busy(p);
}

/* ---- lines --------------------------------------------------------------- */

static void
enqueue(F2bsPipeline *p, GPtrArray *fails)
{
  for (guint i = 0; i < fails->len; i++) {
    F2bFailure *f = g_steal_pointer(&fails->pdata[i]);
    const char *name = f->fid ? placeholder_name(p, f->fid) : NULL;
    if (f->fid == NULL || p->queue.length >= MAX_PENDING) {
      if (f->fid)
        f2bs_log(F2BS_LOG_ERROR, LOGGER, "[%s] Too many failures wait for DNS or the ignorecommand: one dropped",
                 p->jail->name);
      f2b_failure_free(f);
      continue;
    }
    Item *it = item_new(f, p->line_now);
    it->dns_name = g_strdup(name);
    g_queue_push_tail(&p->queue, it);
  }
}

/* Filter.commonError: after 100 errors in a row the jail goes idle. */
static void
common_error(F2bsPipeline *p)
{
  if (++p->errors >= ERRORS_TO_IDLE) {
    f2bs_log(F2BS_LOG_CRITICAL, LOGGER, "Too many errors at once (%d), going idle", p->errors);
    p->errors /= 2;
    p->jail->idle = TRUE;
  }
}

/* repr() of the exception behind a filter error: "IndexError: text" names
 * its class, other texts are int()'s ValueError. */
static void
append_exception(GString *out, const char *message)
{
  const char *colon = strstr(message, ": ");
  gboolean named = colon && colon > message;
  for (const char *c = message; named && c < colon; c++)
    named = g_ascii_isalnum(*c);
  const char *text = named ? colon + 2 : message;
  g_string_append_len(out, named ? message : "ValueError", named ? colon - message : -1);
  g_string_append_c(out, '(');
  f2b_py_repr_str_append(out, text, strlen(text));
  g_string_append_c(out, ')');
}

static void
line_failed(F2bsPipeline *p, const char *line, gsize len, const GError *error)
{
  g_autofree char *text = f2b_filter_decode_line(line, len, f2b_filter_get_logencoding(p->jail->filter), &len,
                                                 NULL);
  g_autoptr(GString) r = g_string_new(NULL);
  f2b_py_repr_str_append(r, text, len);
  g_autoptr(GString) e = g_string_new(NULL);
  append_exception(e, error->message);
  f2bs_log(F2BS_LOG_ERROR, LOGGER, "Failed to process line: %s, caught exception: %s", r->str, e->str);
  common_error(p);
}

/* What follows the filter for one line (either kind). */
static void
after_filter(F2bsPipeline *p, GPtrArray *fails, GError *error, const char *line, gsize len)
{
  if (fails == NULL) {
    line_failed(p, line, len, error);
  } else {
    if (error)
      f2bs_log(F2BS_LOG_WARNING, LOGGER, "[%s] %s", p->jail->name, error->message);
    enqueue(p, fails);
    g_ptr_array_unref(fails);
    drain(p);
    if (++p->proc_lines % 100 == 0)
      f2bs_actions_perform_svc(p->jail->rt, FALSE);
    p->errors /= 2;
  }
  placeholders_clear(p);
  g_clear_error(&error);
}

static gboolean
line_begin(F2bsPipeline *p, gboolean in_operation)
{
  if (p->jail->idle)
    return FALSE;
  p->line_now = now_s();
  f2b_filter_set_now(p->jail->filter, p->line_now);
  f2b_filter_set_in_operation(p->jail->filter, in_operation);
  return TRUE;
}

void
f2bs_pipeline_line(F2bsPipeline *p, const char *line, gsize len, gboolean in_operation)
{
  if (!line_begin(p, in_operation))
    return;
  if (f2bs_log_enabled(F2BS_LOG_TRACEDEBUG)) {
    gsize dlen;
    g_autofree char *text = f2b_filter_decode_line(line, len, f2b_filter_get_logencoding(p->jail->filter),
                                                   &dlen, NULL);
    g_autoptr(GString) r = g_string_new(NULL);
    f2b_py_repr_str_append(r, text, dlen);
    f2bs_log(F2BS_LOG_TRACEDEBUG, LOGGER, "Working on line %s", r->str);
  }
  GError *error = NULL;
  GPtrArray *fails = f2b_filter_process_line(p->jail->filter, line, len, &error);
  after_filter(p, fails, error, line, len);
}

void
f2bs_pipeline_tuple(F2bsPipeline *p, const F2bRegexLine *tuple, double date, gboolean in_operation)
{
  if (!line_begin(p, in_operation))
    return;
  GError *error = NULL;
  GPtrArray *fails = f2b_filter_process_tuple(p->jail->filter, tuple, date, &error);
  g_autoptr(GString) joined = g_string_new(NULL);
  if (fails == NULL) {
    g_string_append_len(joined, tuple->prefix, (gssize)tuple->prefix_len);
    g_string_append_len(joined, tuple->date, (gssize)tuple->date_len);
    g_string_append_len(joined, tuple->rest, (gssize)tuple->rest_len);
  }
  after_filter(p, fails, error, joined->str, joined->len);
}
