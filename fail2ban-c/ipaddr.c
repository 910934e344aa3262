/* ipaddr.c - parse, print and compare addresses the way fail2ban's IPAddr does.
 *
 * Parsing and printing go through the C library's inet_pton/inet_ntop, which is
 * what Python's socket module calls, so the accepted spellings ("1.2.3.04" is not
 * an address, zone ids are not accepted) and the compressed IPv6 form are the
 * same by construction. Addresses are kept as 16 network-order bytes; masks are
 * computed on them as fail2ban computes them on Python integers, which have no
 * width: a prefix longer than the address masks nothing. */
#include "ipaddr.h"

#include <arpa/inet.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include <sys/socket.h>

#include "pyobj.h"
#include "pystr.h"

G_DEFINE_QUARK(f2b-ipaddr-error-quark, f2b_ipaddr_error)

/* Clears the host bits past PLEN (no-op when PLEN covers the whole address). */
static void
mask_addr(guint8 *addr, gsize nbytes, gint64 plen)
{
  for (gsize i = 0; i < nbytes; i++) {
    gint64 bit0 = (gint64)i * 8;
    if (plen >= bit0 + 8)
      continue;
    addr[i] = plen <= bit0 ? 0 : (guint8)(addr[i] & (0xff << (8 - (plen - bit0))));
  }
}

static gboolean
is_v4_mapped(const guint8 *a)
{
  static const guint8 prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, prefix, sizeof prefix) == 0;
}

/* The dotted quad in S (NUL-terminated, LEN bytes before the NUL) as
 * inet_pton(AF_INET) reads it, for the common spelling only: four parts of one to
 * three digits, no leading zero, none above 255.  TRUE means inet_pton accepts S
 * and gives these bytes; FALSE means "ask inet_pton" (which may still accept: it
 * decides every other case).  A NUL inside S stops the walk short of LEN. */
static gboolean
quad_fast(const char *s, gsize len, guint8 *out)
{
  const char *end = s + len;
  for (guint part = 0;; part++) {
    guint v = (guint) (guchar) *s - '0';
    if (v > 9)
      return FALSE;
    s++;
    guint d = (guint) (guchar) *s - '0';
    if (d <= 9) {
      if (v == 0)
        return FALSE; /* a leading zero */
      v = v * 10 + d;
      s++;
      d = (guint) (guchar) *s - '0';
      if (d <= 9) {
        v = v * 10 + d;
        s++;
        if (v > 255)
          return FALSE;
      }
    }
    out[part] = (guint8) v;
    if (part == 3)
      return s == end;
    if (*s++ != '.')
      return FALSE;
  }
}

static inline int
hex_value(guchar c)
{
  if ((guint) (c - '0') <= 9)
    return c - '0';
  guint l = (guint) ((c | 0x20) - 'a');
  return l < 6 ? (int) l + 10 : -1;
}

/* The IPv6 address in S (LEN bytes) as inet_pton(AF_INET6) reads it, for the
 * usual spellings only: groups of one to four hex digits between single colons,
 * one "::" at most standing for one zero group or more.  TRUE means inet_pton
 * accepts S and gives these bytes; FALSE means "ask inet_pton" (a dotted IPv4
 * tail, for one, is left to it). */
static gboolean
hex6_fast(const char *s, gsize len, guint8 *out)
{
  guint16 groups[8];
  guint n = 0;
  gint gap = -1; /* the group index where "::" stands */
  gsize i = 0;
  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  }
  while (i < len) {
    guint v = 0, digits = 0;
    int h;
    while (i < len && (h = hex_value((guchar) s[i])) >= 0) {
      if (++digits > 4)
        return FALSE;
      v = v << 4 | (guint) h;
      i++;
    }
    if (digits == 0 || n == 8)
      return FALSE;
    groups[n++] = (guint16) v;
    if (i == len)
      break;
    if (s[i++] != ':' || i == len)
      return FALSE; /* not a colon, or one that ends the text */
    if (s[i] == ':') {
      if (gap >= 0)
        return FALSE;
      gap = (gint) n;
      i++;
    }
  }
  /* a "::" must stand for one group at least */
  if (gap < 0 ? n != 8 : n >= 8)
    return FALSE;
  guint tail = gap < 0 ? 0 : n - (guint) gap, headn = n - tail;
  memset(out, 0, 16);
  for (guint k = 0; k < headn; k++) {
    out[2 * k] = (guint8) (groups[k] >> 8);
    out[2 * k + 1] = (guint8) groups[k];
  }
  for (guint k = 0; k < tail; k++) {
    guint at = 8 - tail + k;
    out[2 * at] = (guint8) (groups[headn + k] >> 8);
    out[2 * at + 1] = (guint8) groups[headn + k];
  }
  return TRUE;
}

/* fail2ban's IPAddr.__init: RAW keeps the text, otherwise inet_pton decides.
 * IP->raw has room for LEN + 1 bytes; every field of IP is set here. */
static gboolean
init_addr(F2bIPAddr *ip, const char *s, gsize len, gint64 cidr, GError **error)
{
  memcpy(ip->raw, s, len);
  ip->raw[len] = '\0';
  ip->raw_len = len;
  memset(ip->addr, 0, sizeof ip->addr);
  ip->plen = 0;
  if (cidr == F2B_IPADDR_CIDR_RAW) {
    ip->family = F2B_IPADDR_FAMILY_RAW;
    return TRUE;
  }
  ip->family = F2B_IPADDR_FAMILY_UNSPEC;
  gboolean try4 = cidr >= F2B_IPADDR_CIDR_UNSPEC || cidr == F2B_IPADDR_FAM_INET4;
  gboolean try6 = cidr >= F2B_IPADDR_CIDR_UNSPEC || cidr == F2B_IPADDR_FAM_INET6;
  /* the fast readers stop at a NUL, so what they accept has none */
  gboolean v4 = try4 && quad_fast(ip->raw, len, ip->addr);
  gboolean v6 = !v4 && try6 && hex6_fast(ip->raw, len, ip->addr);
  if (!v4 && !v6) {
    if (memchr(s, '\0', len)) {
      g_set_error(error, F2B_IPADDR_ERROR, F2B_IPADDR_ERROR_INVALID, "embedded null character");
      return FALSE;
    }
    v4 = try4 && inet_pton(AF_INET, ip->raw, ip->addr) == 1;
    v6 = !v4 && try6 && inet_pton(AF_INET6, ip->raw, ip->addr) == 1;
  }
  if (v4) {
    ip->family = F2B_IPADDR_FAMILY_INET4;
    ip->plen = 32;
    if (cidr >= 0) {
      mask_addr(ip->addr, 4, cidr);
      ip->plen = cidr;
    }
  } else if (v6) {
    ip->family = F2B_IPADDR_FAMILY_INET6;
    ip->plen = 128;
    if (cidr >= 0) {
      mask_addr(ip->addr, 16, cidr);
      ip->plen = cidr;
    } else if (is_v4_mapped(ip->addr)) {
      memmove(ip->addr, ip->addr + 12, 4);
      memset(ip->addr + 4, 0, 12);
      ip->family = F2B_IPADDR_FAMILY_INET4;
      ip->plen = 32;
    }
  } else {
    memset(ip->addr, 0, sizeof ip->addr);
  }
  return TRUE;
}

/* fail2ban's __wrap_ipstr: "[addr]" loses its brackets, "addr/N" and "addr/mask"
 * give the cidr. Sets *addr_len and *cidr. */
static gboolean
split_suffix(const char *s, gsize len, gsize *start, gsize *addr_len, gint64 *cidr,
             GError **error)
{
  *start = 0;
  if (len > 2 && s[0] == '[' && s[len - 1] == ']') {
    *start = 1;
    len -= 2;
  }
  s += *start;
  *addr_len = len;
  *cidr = F2B_IPADDR_CIDR_UNSPEC;
  const char *slash = memchr(s, '/', len);
  if (!slash)
    return TRUE;
  *addr_len = (gsize)(slash - s);
  const char *m = slash + 1;
  gsize mlen = len - *addr_len - 1;
  if (memchr(m, '.', mlen) || memchr(m, ':', mlen)) {
    g_autoptr(F2bIPAddr) mask = f2b_ipaddr_new(m, (gssize)mlen, F2B_IPADDR_CIDR_UNSPEC, error);
    if (!mask)
      return FALSE;
    *cidr = f2b_ipaddr_maskplen(mask, error);
    return *cidr >= 0;
  }
  if (!f2b_pystr_to_int(m, mlen, cidr, NULL)) { /* a huge prefix masks nothing anyway */
    g_autoptr(GString) r = g_string_new(NULL);
    f2b_py_repr_str_append_cut(r, m, mlen, 200); /* int()'s "%.200R" */
    g_set_error(error, F2B_IPADDR_ERROR, F2B_IPADDR_ERROR_INVALID,
                "invalid literal for int() with base 10: %s", r->str);
    return FALSE;
  }
  return TRUE;
}

F2bIPAddr *
f2b_ipaddr_new(const char *text, gssize len, gint64 cidr, GError **error)
{
  g_return_val_if_fail(text != NULL, NULL);
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  gsize start = 0, addr_len = n;
  if (cidr == F2B_IPADDR_CIDR_UNSPEC &&
      !split_suffix(text, n, &start, &addr_len, &cidr, error))
    return NULL;
  /* one block: the text lives right after the struct (see f2b_ipaddr_free);
   * init_addr sets every field, so the block needs no zeroing */
  g_autoptr(F2bIPAddr) ip = g_malloc(sizeof(F2bIPAddr) + addr_len + 1);
  ip->raw = (char *)(ip + 1);
  if (!init_addr(ip, text + start, addr_len, cidr, error))
    return NULL;
  return g_steal_pointer(&ip);
}

F2bIPAddr *
f2b_ipaddr_copy(const F2bIPAddr *ip)
{
  F2bIPAddr *c = g_malloc(sizeof *c + ip->raw_len + 1);
  *c = *ip;
  c->raw = (char *)(c + 1);
  memcpy(c->raw, ip->raw, ip->raw_len + 1);
  return c;
}

void
f2b_ipaddr_free(F2bIPAddr *ip)
{
  if (!ip)
    return;
  if (ip->raw != (char *)(ip + 1))
    g_free(ip->raw); /* not made here: its text has a block of its own */
  g_free(ip);
}

gboolean
f2b_ipaddr_is_ipv4(const F2bIPAddr *ip)
{
  return ip->family == F2B_IPADDR_FAMILY_INET4;
}

gboolean
f2b_ipaddr_is_ipv6(const F2bIPAddr *ip)
{
  return ip->family == F2B_IPADDR_FAMILY_INET6;
}

gboolean
f2b_ipaddr_is_valid(const F2bIPAddr *ip)
{
  return ip->family != F2B_IPADDR_FAMILY_UNSPEC;
}

gboolean
f2b_ipaddr_is_single(const F2bIPAddr *ip)
{
  return (f2b_ipaddr_is_ipv4(ip) && ip->plen == 32) ||
         (f2b_ipaddr_is_ipv6(ip) && ip->plen == 128);
}

const char *
f2b_ipaddr_family_str(const F2bIPAddr *ip)
{
  if (f2b_ipaddr_is_ipv4(ip))
    return "inet4";
  if (f2b_ipaddr_is_ipv6(ip))
    return "inet6";
  return NULL;
}

char *
f2b_ipaddr_to_string(const F2bIPAddr *ip, gsize *len)
{
  char buf[INET6_ADDRSTRLEN + 32];
  gint64 full;
  if (f2b_ipaddr_is_ipv4(ip))
    full = 32;
  else if (f2b_ipaddr_is_ipv6(ip))
    full = 128;
  else {
    if (len)
      *len = ip->raw_len;
    return g_memdup2(ip->raw, ip->raw_len + 1);
  }
  inet_ntop(full == 32 ? AF_INET : AF_INET6, ip->addr, buf, sizeof buf);
  char *s = (ip->plen && ip->plen < full)
                ? g_strdup_printf("%s/%" G_GINT64_FORMAT, buf, ip->plen)
                : g_strdup(buf);
  if (len)
    *len = strlen(s);
  return s;
}

char *
f2b_ipaddr_hexdump(const F2bIPAddr *ip)
{
  gsize n = f2b_ipaddr_is_ipv4(ip) ? 4 : f2b_ipaddr_is_ipv6(ip) ? 16 : 0;
  GString *out = g_string_sized_new(33);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(out, "%02x", ip->addr[i]);
  return g_string_free(out, FALSE);
}

char *
f2b_ipaddr_ptr(const F2bIPAddr *ip, const char *suffix)
{
  GString *out = g_string_new(NULL);
  if (f2b_ipaddr_is_ipv4(ip)) {
    g_autofree char *text = f2b_ipaddr_to_string(ip, NULL);
    g_auto(GStrv) parts = g_strsplit(text, ".", -1);
    for (gint i = (gint)g_strv_length(parts) - 1; i >= 0; i--)
      g_string_append_printf(out, "%s.", parts[i]);
    g_string_append(out, suffix ? suffix : "in-addr.arpa.");
  } else if (f2b_ipaddr_is_ipv6(ip)) {
    g_autofree char *hex = f2b_ipaddr_hexdump(ip);
    for (gint i = (gint)strlen(hex) - 1; i >= 0; i--)
      g_string_append_printf(out, "%c.", hex[i]);
    g_string_append(out, suffix ? suffix : "ip6.arpa.");
  }
  return g_string_free(out, FALSE);
}

/* Leading one bits of a WIDTH-bit value given as 16 bytes (value in the low bytes),
 * or -1 when the value is not ones followed by zeros. */
static gint64
contiguous_mask_len(const guint8 *v, int width)
{
  int first = 16 - width / 8;
  for (int i = 0; i < first; i++)
    if (v[i])
      return -1;
  gint64 ones = 0;
  gboolean zeros = FALSE;
  for (int bit = 0; bit < width; bit++) {
    gboolean set = (v[first + bit / 8] >> (7 - bit % 8)) & 1;
    if (set && zeros)
      return -1;
    if (set)
      ones++;
    else
      zeros = TRUE;
  }
  return ones;
}

gint64
f2b_ipaddr_maskplen(const F2bIPAddr *ip, GError **error)
{
  /* fail2ban looks the address up as one integer in a table of IPv4 (32-bit) and
   * IPv6 (128-bit) masks, whatever the family, so "::ffff:ffff" is /32 too. */
  guint8 v[16] = {0};
  if (f2b_ipaddr_is_ipv4(ip))
    memcpy(v + 12, ip->addr, 4);
  else if (f2b_ipaddr_is_ipv6(ip))
    memcpy(v, ip->addr, 16);
  gint64 plen = contiguous_mask_len(v, 32);
  gboolean zero = TRUE;
  for (int i = 0; i < 16; i++)
    zero = zero && v[i] == 0;
  if (zero)
    return 0;
  if (plen > 0)
    return plen;
  plen = contiguous_mask_len(v, 128);
  if (plen > 0)
    return plen;
  g_autofree char *text = f2b_ipaddr_to_string(ip, NULL);
  g_autofree char *r = f2b_py_repr_str(text);
  g_set_error(error, F2B_IPADDR_ERROR, F2B_IPADDR_ERROR_INVALID, "invalid mask %s, no plen representation", r);
  return -1;
}

gboolean
f2b_ipaddr_equal(const F2bIPAddr *a, const F2bIPAddr *b)
{
  if (a->family != b->family)
    return FALSE;
  if (a->family == F2B_IPADDR_FAMILY_UNSPEC)
    return a->raw_len == b->raw_len && memcmp(a->raw, b->raw, a->raw_len) == 0;
  return memcmp(a->addr, b->addr, 16) == 0 && a->plen == b->plen;
}

gboolean
f2b_ipaddr_less(const F2bIPAddr *a, const F2bIPAddr *b)
{
  /* Addresses compare as integers: IPv4 values are small, so they sort by the
   * first four bytes only when both are IPv4. */
  guint8 va[16] = {0}, vb[16] = {0};
  memcpy(f2b_ipaddr_is_ipv4(a) ? va + 12 : va, a->addr, f2b_ipaddr_is_ipv4(a) ? 4 : 16);
  memcpy(f2b_ipaddr_is_ipv4(b) ? vb + 12 : vb, b->addr, f2b_ipaddr_is_ipv4(b) ? 4 : 16);
  return a->family < b->family || memcmp(va, vb, 16) < 0;
}

/* splitmix64's finaliser: every input bit reaches every output bit, which
 * the addresses' few varying bytes need (a byte-wise h*33+c collides). */
static guint64
mix64(guint64 x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

guint
f2b_ipaddr_hash_func(gconstpointer p)
{
  const F2bIPAddr *id = p;
  guint64 h = (guint64) (id->family + 16) << 56;
  if (id->family == F2B_IPADDR_FAMILY_INET4 || id->family == F2B_IPADDR_FAMILY_INET6) {
    guint64 hi, lo;
    memcpy(&hi, id->addr, 8);
    memcpy(&lo, id->addr + 8, 8);
    h = mix64(h ^ mix64(hi) ^ (guint64) id->plen) ^ lo;
    return (guint) mix64(h);
  }
  for (gsize i = 0; i < id->raw_len; i++)
    h = (h ^ (guchar) id->raw[i]) * 0x100000001b3ULL; /* FNV-1a */
  return (guint) mix64(h);
}

gboolean
f2b_ipaddr_equal_func(gconstpointer pa, gconstpointer pb)
{
  const F2bIPAddr *a = pa, *b = pb;
  if (a->family == F2B_IPADDR_FAMILY_RAW && b->family == F2B_IPADDR_FAMILY_RAW)
    return a->raw_len == b->raw_len && (a->raw_len == 0 || memcmp(a->raw, b->raw, a->raw_len) == 0);
  return f2b_ipaddr_equal(a, b);
}

gboolean
f2b_ipaddr_is_in_net(const F2bIPAddr *ip, const F2bIPAddr *net)
{
  if (net->family == F2B_IPADDR_FAMILY_UNSPEC && net->raw_len)
    return FALSE; /* a name: the caller resolves it */
  if (ip->family != net->family)
    return FALSE;
  gsize n = f2b_ipaddr_is_ipv4(ip) ? 4 : f2b_ipaddr_is_ipv6(ip) ? 16 : 0;
  if (!n)
    return FALSE;
  guint8 masked[16];
  memcpy(masked, ip->addr, 16);
  mask_addr(masked, n, net->plen);
  return memcmp(masked, net->addr, n) == 0;
}

gboolean
f2b_ipaddr_contains(const F2bIPAddr *net, const F2bIPAddr *ip)
{
  return f2b_ipaddr_equal(ip, net) || f2b_ipaddr_is_in_net(ip, net);
}

/* The same IPv4/IPv6 shapes fail2ban's <ADDR> tag uses, anchored. */
#define SEARCH_IP_RE                                                                    \
  "^(?:((?:\\d{1,3}\\.){3}\\d{1,3})|\\[?((?:[0-9a-fA-F]{1,4}::?|::){1,7}"              \
  "(?:[0-9a-fA-F]{1,4}|(?<=:):))\\]?)$"

char *
f2b_ipaddr_search_ip(const char *text, gssize len)
{
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)SEARCH_IP_RE, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &errcode,
                                 &erroff, NULL);
  g_assert(re != NULL);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  char *found = NULL;
  if (pcre2_match(re, (PCRE2_SPTR)text, n, 0, 0, md, NULL) > 1) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    /* fail2ban returns the IPv6 group only if the IPv4 one matched "": never. */
    if (ov[2] != PCRE2_UNSET)
      found = g_strndup(text + ov[2], ov[3] - ov[2]);
  }
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return found;
}
