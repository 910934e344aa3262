/* fwiptc.c - the libiptc/libip6tc backend (legacy iptables) of fw.h.
 *
 * A batch is one iptc_init .. iptc_commit of the filter table, under the
 * xtables lock that iptables-legacy takes too.  A rule is the one
 * `-I CHAIN 1 -s ADDR -j BLOCKTYPE` builds: no match, a source address with
 * its mask, and a standard verdict, a jump to a chain, or REJECT. */
#include "fwbackend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define XT_LOCK_PATH "/run/xtables.lock"

typedef struct {
  const char *name;
  guint with;
} RejectName;

static const RejectName reject4[] = {
  { "icmp-net-unreachable", IPT_ICMP_NET_UNREACHABLE }, { "net-unreach", IPT_ICMP_NET_UNREACHABLE },
  { "icmp-host-unreachable", IPT_ICMP_HOST_UNREACHABLE }, { "host-unreach", IPT_ICMP_HOST_UNREACHABLE },
  { "icmp-proto-unreachable", IPT_ICMP_PROT_UNREACHABLE }, { "proto-unreach", IPT_ICMP_PROT_UNREACHABLE },
  { "icmp-port-unreachable", IPT_ICMP_PORT_UNREACHABLE }, { "port-unreach", IPT_ICMP_PORT_UNREACHABLE },
  { "icmp-net-prohibited", IPT_ICMP_NET_PROHIBITED }, { "net-prohib", IPT_ICMP_NET_PROHIBITED },
  { "icmp-host-prohibited", IPT_ICMP_HOST_PROHIBITED }, { "host-prohib", IPT_ICMP_HOST_PROHIBITED },
  { "tcp-reset", IPT_TCP_RESET },
  { "icmp-admin-prohibited", IPT_ICMP_ADMIN_PROHIBITED }, { "admin-prohib", IPT_ICMP_ADMIN_PROHIBITED },
};

static const RejectName reject6[] = {
  { "icmp6-no-route", IP6T_ICMP6_NO_ROUTE }, { "no-route", IP6T_ICMP6_NO_ROUTE },
  { "icmp6-adm-prohibited", IP6T_ICMP6_ADM_PROHIBITED }, { "adm-prohibited", IP6T_ICMP6_ADM_PROHIBITED },
  { "icmp6-addr-unreachable", IP6T_ICMP6_ADDR_UNREACH }, { "addr-unreach", IP6T_ICMP6_ADDR_UNREACH },
  { "icmp6-port-unreachable", IP6T_ICMP6_PORT_UNREACH }, { "port-unreach", IP6T_ICMP6_PORT_UNREACH },
  { "tcp-reset", IP6T_TCP_RESET },
  { "icmp6-policy-fail", IP6T_ICMP6_POLICY_FAIL }, { "policy-fail", IP6T_ICMP6_POLICY_FAIL },
  { "icmp6-reject-route", IP6T_ICMP6_REJECT_ROUTE }, { "reject-route", IP6T_ICMP6_REJECT_ROUTE },
};

/* The target a blocktype names: NAME (a verdict or a chain), or REJECT with WITH. */
typedef struct {
  char name[XT_EXTENSION_MAXNAMELEN];
  gboolean reject;
  guint with;
} Target;

static gboolean
unsupported(const char *blocktype, GError **error)
{
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "libiptc cannot express blocktype '%s'", blocktype);
  return FALSE;
}

static gboolean
parse_target(const char *blocktype, int family, Target *t, GError **error)
{
  g_auto(GStrv) w = g_strsplit(blocktype, " ", -1);
  guint n = g_strv_length(w);
  memset(t, 0, sizeof *t);
  if (n == 0 || strlen(w[0]) >= sizeof t->name)
    return unsupported(blocktype, error);
  g_strlcpy(t->name, w[0], sizeof t->name);
  if (strcmp(w[0], "REJECT") != 0)
    return n == 1 ? TRUE : unsupported(blocktype, error);
  t->reject = TRUE;
  t->with = family == F2B_FW_INET6 ? IP6T_ICMP6_PORT_UNREACH : IPT_ICMP_PORT_UNREACHABLE;
  if (n == 1)
    return TRUE;
  if (n != 3 || strcmp(w[1], "--reject-with") != 0)
    return unsupported(blocktype, error);
  const RejectName *names = family == F2B_FW_INET6 ? reject6 : reject4;
  guint count = family == F2B_FW_INET6 ? G_N_ELEMENTS(reject6) : G_N_ELEMENTS(reject4);
  for (guint i = 0; i < count; i++)
    if (strcmp(names[i].name, w[2]) == 0) {
      t->with = names[i].with;
      return TRUE;
    }
  return unsupported(blocktype, error);
}

static gboolean
iptc_supports(const F2bFwSpec *spec, GError **error)
{
  if (spec->kind != F2B_FW_KIND_IPTABLES) {
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "libiptc serves iptables actions, not %s",
                f2b_fwspec_kind_name(spec->kind));
    return FALSE;
  }
  for (int fam = 0; fam < 2; fam++) {
    Target t;
    if (!f2bs_fw_tool_is_legacy(spec->family[fam].tool)) {
      g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_UNSUPPORTED, "%s is not the legacy iptables",
                  spec->family[fam].tool);
      return FALSE;
    }
    if (!parse_target(spec->family[fam].blocktype, fam, &t, error))
      return FALSE;
  }
  return TRUE;
}

/* The xtables lock, held for one batch (iptables-legacy -w waits for it too). */
static int
xt_lock(GError **error)
{
  int fd = open(XT_LOCK_PATH, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "%s: %s", XT_LOCK_PATH, g_strerror(e));
    return -1;
  }
  return fd;
}

static void
xt_unlock(int fd)
{
  if (fd >= 0)
    close(fd); /* releases the flock */
}

/* ADDR ("a.b.c.d" or "a.b.c.d/len") into address and mask bytes (LEN bytes each). */
static gboolean
parse_addr(const char *text, int af, guint8 *addr, guint8 *mask, gsize len)
{
  g_autofree char *host = g_strdup(text);
  char *slash = strchr(host, '/');
  guint64 plen = len * 8;
  if (slash) {
    *slash = '\0';
    if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, len * 8, &plen, NULL))
      return FALSE;
  }
  if (inet_pton(af, host, addr) != 1)
    return FALSE;
  memset(mask, 0, len);
  for (guint i = 0; i < plen; i++)
    mask[i / 8] |= 0x80 >> (i % 8);
  for (gsize i = 0; i < len; i++)
    addr[i] &= mask[i];
  return TRUE;
}

/* The target part shared by both families, written at T. */
static gsize
target_size(const Target *t)
{
  gsize data = t->reject ? sizeof(struct ipt_reject_info) : sizeof(int);
  return XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(data);
}

static void
fill_target(struct xt_entry_target *et, const Target *t, int family)
{
  et->u.target_size = target_size(t);
  g_strlcpy(et->u.user.name, t->name, sizeof et->u.user.name);
  if (!t->reject)
    return;
  if (family == F2B_FW_INET6)
    ((struct ip6t_reject_info *)et->data)->with = t->with;
  else
    ((struct ipt_reject_info *)et->data)->with = t->with;
}

/* A new rule (g_free) for ADDR, or NULL when ADDR is not of the family. */
static gpointer
build_entry4(const char *addr, const Target *t, gsize *size)
{
  struct in_addr a, m;
  if (!parse_addr(addr, AF_INET, (guint8 *)&a, (guint8 *)&m, sizeof a))
    return NULL;
  *size = sizeof(struct ipt_entry) + target_size(t);
  struct ipt_entry *e = g_malloc0(*size);
  e->ip.src = a;
  e->ip.smsk = m;
  e->target_offset = sizeof(struct ipt_entry);
  e->next_offset = *size;
  fill_target((struct xt_entry_target *)e->elems, t, F2B_FW_INET4);
  return e;
}

static gpointer
build_entry6(const char *addr, const Target *t, gsize *size)
{
  struct in6_addr a, m;
  if (!parse_addr(addr, AF_INET6, a.s6_addr, m.s6_addr, sizeof a.s6_addr))
    return NULL;
  *size = sizeof(struct ip6t_entry) + target_size(t);
  struct ip6t_entry *e = g_malloc0(*size);
  e->ipv6.src = a;
  e->ipv6.smsk = m;
  e->target_offset = sizeof(struct ip6t_entry);
  e->next_offset = *size;
  fill_target((struct xt_entry_target *)e->elems, t, F2B_FW_INET6);
  return e;
}

/* The two libraries have the same shape under two prefixes. */
typedef struct {
  struct xtc_handle *(*init)(const char *table);
  int (*insert)(const xt_chainlabel chain, gpointer e, unsigned int num, struct xtc_handle *h);
  int (*delete)(const xt_chainlabel chain, gpointer e, unsigned char *mask, struct xtc_handle *h);
  int (*flush)(const xt_chainlabel chain, struct xtc_handle *h);
  int (*is_chain)(const char *chain, struct xtc_handle *const h);
  int (*commit)(struct xtc_handle *h);
  void (*free)(struct xtc_handle *h);
  const char *(*strerror)(int err);
  gpointer (*build)(const char *addr, const Target *t, gsize *size);
} Lib;

static int
insert4(const xt_chainlabel c, gpointer e, unsigned int n, struct xtc_handle *h)
{
  return iptc_insert_entry(c, e, n, h);
}

static int
delete4(const xt_chainlabel c, gpointer e, unsigned char *m, struct xtc_handle *h)
{
  return iptc_delete_entry(c, e, m, h);
}

static int
insert6(const xt_chainlabel c, gpointer e, unsigned int n, struct xtc_handle *h)
{
  return ip6tc_insert_entry(c, e, n, h);
}

static int
delete6(const xt_chainlabel c, gpointer e, unsigned char *m, struct xtc_handle *h)
{
  return ip6tc_delete_entry(c, e, m, h);
}

static const Lib libs[2] = {
  { iptc_init, insert4, delete4, iptc_flush_entries, iptc_is_chain, iptc_commit, iptc_free, iptc_strerror,
    build_entry4 },
  { ip6tc_init, insert6, delete6, ip6tc_flush_entries, ip6tc_is_chain, ip6tc_commit, ip6tc_free, ip6tc_strerror,
    build_entry6 },
};

static gboolean
lib_error(const Lib *lib, const char *what, const char *arg, GError **error)
{
  int e = errno;
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "libiptc: %s%s%s: %s", what, arg ? " " : "",
              arg ? arg : "", lib->strerror(e));
  return FALSE;
}

typedef gboolean (*TableEdit)(const Lib *lib, struct xtc_handle *h, const F2bFwFamilySpec *f, int family,
                              gpointer data, GError **error);

/* Lock, read the filter table, EDIT it, commit. */
static gboolean
with_table(const F2bFwFamilySpec *f, int family, gboolean write, TableEdit edit, gpointer data, GError **error)
{
  const Lib *lib = &libs[family];
  int lock = xt_lock(error);
  if (lock < 0)
    return FALSE;
  gboolean ok = FALSE;
  struct xtc_handle *h = lib->init("filter");
  if (h == NULL)
    lib_error(lib, "init", "filter", error);
  else if (edit(lib, h, f, family, data, error))
    ok = !write || lib->commit(h) || lib_error(lib, "commit", NULL, error);
  if (h)
    lib->free(h);
  xt_unlock(lock);
  return ok;
}

static gboolean
edit_apply(const Lib *lib, struct xtc_handle *h, const F2bFwFamilySpec *f, int family, gpointer data,
           GError **error)
{
  GPtrArray *addrs = ((gpointer *)data)[0];
  gboolean ban = GPOINTER_TO_INT(((gpointer *)data)[1]);
  Target t;
  if (!parse_target(f->blocktype, family, &t, error))
    return FALSE;
  for (guint i = 0; i < addrs->len; i++) {
    gsize size = 0;
    g_autofree gpointer e = lib->build(addrs->pdata[i], &t, &size);
    if (e == NULL) {
      g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "libiptc: bad address %s",
                  (const char *)addrs->pdata[i]);
      return FALSE;
    }
    if (ban && !lib->insert(f->chain, e, 0, h))
      return lib_error(lib, "insert into", f->chain, error);
    if (!ban) {
      g_autofree unsigned char *mask = g_malloc(size);
      memset(mask, 0xff, size);
      if (!lib->delete(f->chain, e, mask, h))
        return lib_error(lib, "delete from", f->chain, error);
    }
  }
  return TRUE;
}

static gboolean
iptc_apply(F2bsFw *fw, gboolean ban, int family, GPtrArray *addrs, GError **error)
{
  gpointer data[2] = { addrs, GINT_TO_POINTER(ban) };
  return with_table(&fw->spec->family[family], family, TRUE, edit_apply, data, error);
}

static gboolean
edit_flush(const Lib *lib, struct xtc_handle *h, const F2bFwFamilySpec *f, int family, gpointer data,
           GError **error)
{
  return lib->flush(f->chain, h) || lib_error(lib, "flush", f->chain, error);
}

static gboolean
iptc_flush(F2bsFw *fw, int family, GError **error)
{
  return with_table(&fw->spec->family[family], family, TRUE, edit_flush, NULL, error);
}

static gboolean
edit_check(const Lib *lib, struct xtc_handle *h, const F2bFwFamilySpec *f, int family, gpointer data,
           GError **error)
{
  if (lib->is_chain(f->chain, h))
    return TRUE;
  g_set_error(error, F2BS_FW_ERROR, F2BS_FW_ERROR_FAILED, "libiptc: no chain %s", f->chain);
  return FALSE;
}

static gboolean
iptc_check(F2bsFw *fw, int family, GError **error)
{
  return with_table(&fw->spec->family[family], family, FALSE, edit_check, NULL, error);
}

const F2bsFwOps f2bs_fw_iptc_ops = {
  .name = "libiptc",
  .supports = iptc_supports,
  .apply = iptc_apply,
  .flush = iptc_flush,
  .check = iptc_check,
};
