/* fuzz-ipaddr.c - addresses and subnets as failregex groups and ignoreip give
 * them.
 *
 * Input: a byte choosing the cidr argument (parse the suffix, raw, IPv4 or
 * IPv6 only, or a prefix length from 0 to 129), then the text.  What
 * parses must print, and an address or subnet printed must parse back to
 * an equal one with the same hash (except where fail2ban's own str() does
 * not round-trip, see check_round_trip); it lies in its own network. */
#include <stdlib.h>

#include "fuzz.h"
#include "ipaddr.h"

static gint64
cidr_of(guint8 b)
{
  switch (b % 8) {
  case 0: return F2B_IPADDR_CIDR_UNSPEC;
  case 1: return F2B_IPADDR_CIDR_RAW;
  case 2: return F2B_IPADDR_FAM_INET4;
  case 3: return F2B_IPADDR_FAM_INET6;
  default: return (b >> 1) % 130;
  }
}

static void
check_round_trip(const F2bIPAddr *ip)
{
  gsize len;
  g_autofree char *text = f2b_ipaddr_to_string(ip, &len);
  /* as fail2ban's str(): a prefix of 0 or past the family's width prints as the
   * bare address, which reads back as another (single) address */
  gint64 width = f2b_ipaddr_is_ipv4(ip) ? 32 : f2b_ipaddr_is_ipv6(ip) ? 128 : 0;
  if (ip->plen < 1 || ip->plen > width)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bIPAddr) back = f2b_ipaddr_new(text, len, F2B_IPADDR_CIDR_UNSPEC, &error);
  if (back == NULL || !f2b_ipaddr_equal(ip, back) || !f2b_ipaddr_equal_func(ip, back) ||
      f2b_ipaddr_hash_func(ip) != f2b_ipaddr_hash_func(back))
    abort();
  if (!f2b_ipaddr_is_in_net(ip, ip) || !f2b_ipaddr_contains(ip, ip))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *text = (const char *)data + 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(text, size - 1, cidr_of(data[0]), &error);
  g_free(f2b_ipaddr_search_ip(text, size - 1));
  if (ip == NULL) {
    if (error == NULL || error->domain != F2B_IPADDR_ERROR)
      abort();
    return 0;
  }
  f2b_ipaddr_is_valid(ip);
  f2b_ipaddr_is_single(ip);
  f2b_ipaddr_family_str(ip);
  g_free(f2b_ipaddr_hexdump(ip));
  g_free(f2b_ipaddr_ptr(ip, NULL));
  g_free(f2b_ipaddr_ptr(ip, ""));
  gint64 plen = f2b_ipaddr_maskplen(ip, &error);
  if (plen < 0 && error == NULL)
    abort();
  check_round_trip(ip);
  return 0;
}
