/* ipaddr.h - IPv4/IPv6 addresses, subnets and raw failure ids as fail2ban sees them.
 *
 * This mirrors fail2ban's IPAddr value: parsing (inet_pton rules, "[v6]" brackets,
 * "/plen" and "/mask" suffixes, IPv4-mapped IPv6 turned into IPv4), printing
 * (inet_ntop plus "/plen" for subnets), the action tags `family` and `ip-rev`, and
 * subnet containment. A text that is not an address is kept as is (family UNSPEC:
 * a host name the caller may resolve); a failure id that must never be parsed is
 * created with cidr F2B_IPADDR_CIDR_RAW. No DNS here: the server resolves names
 * asynchronously and builds addresses from the results.
 *
 * Quirks kept on purpose because fail2ban has them:
 *  - "1.2.3.4/24" prints "1.2.3.0/24", but "/0" and "/32" (or more) print no suffix;
 *  - a mask that is not an address ("1.2.3.4/a.b") counts as prefix length 0;
 *  - a negative "/N" is taken as the cidr argument itself ("/-2" makes a raw id);
 *  - the PTR form of a subnet reverses its printed text ("0/24.3.2.1.");
 *  - two raw ids always compare equal (their hashes differ, so hash tables keep
 *    them apart as Python dicts do);
 *  - f2b_ipaddr_search_ip() never returns an IPv6 address.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define F2B_IPADDR_ERROR (f2b_ipaddr_error_quark())
GQuark f2b_ipaddr_error_quark(void);

typedef enum {
  F2B_IPADDR_ERROR_INVALID, /* a bad "/plen" or mask, or a NUL byte in an address */
} F2bIPAddrError;

/* Values of the family, in the order fail2ban's comparisons see them
 * (raw < unspec < inet4 < inet6). */
typedef enum {
  F2B_IPADDR_FAMILY_RAW = -2,   /* a failure id kept as text, never parsed */
  F2B_IPADDR_FAMILY_UNSPEC = 0, /* not an address (e.g. a host name): only raw */
  F2B_IPADDR_FAMILY_INET4 = 2,
  F2B_IPADDR_FAMILY_INET6 = 10,
} F2bIPFamily;

/* The cidr argument of f2b_ipaddr_new(): a prefix length >= 0, or one of these. */
#define F2B_IPADDR_CIDR_UNSPEC (-1) /* parse "[...]", "/plen" and "/mask" in the text */
#define F2B_IPADDR_CIDR_RAW (-2)    /* keep the text as a raw failure id */
#define F2B_IPADDR_FAM_INET4 (-4)   /* only try IPv4, no suffix parsing */
#define F2B_IPADDR_FAM_INET6 (-12)  /* only try IPv6, no suffix parsing */

typedef struct {
  F2bIPFamily family;
  guint8 addr[16]; /* network byte order; IPv4 uses addr[0..3], rest zero */
  gint64 plen;     /* prefix length; 32/128 for a single address, 0 if not an IP */
  char *raw;       /* the text as given (after bracket and suffix removal) */
  gsize raw_len;   /* raw may hold NUL bytes when family is RAW */
} F2bIPAddr;

/* Parses TEXT (LEN bytes, or -1 for NUL-terminated) as fail2ban's IPAddr(text, cidr).
 * Returns a new address (transfer full), or NULL with ERROR for a suffix fail2ban
 * rejects ("invalid literal for int() ...", "invalid mask ..."). A text that is not an
 * address is not an error: it gives family UNSPEC. */
F2bIPAddr *f2b_ipaddr_new(const char *text, gssize len, gint64 cidr, GError **error);
F2bIPAddr *f2b_ipaddr_copy(const F2bIPAddr *ip);
void f2b_ipaddr_free(F2bIPAddr *ip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(F2bIPAddr, f2b_ipaddr_free)

/* The printed form (fail2ban's ntoa/str): "1.2.3.4", "2001:db8::/32", or raw.
 * Transfer full; *LEN (may be NULL) receives the length (raw may hold NULs). */
char *f2b_ipaddr_to_string(const F2bIPAddr *ip, gsize *len);

/* TRUE unless the text was not an address (raw ids count as valid, as in fail2ban). */
gboolean f2b_ipaddr_is_valid(const F2bIPAddr *ip);
/* TRUE for a single address (plen 32 or 128), FALSE for subnets, names and raw ids. */
gboolean f2b_ipaddr_is_single(const F2bIPAddr *ip);
gboolean f2b_ipaddr_is_ipv4(const F2bIPAddr *ip);
gboolean f2b_ipaddr_is_ipv6(const F2bIPAddr *ip);

/* The `family` action tag: "inet4", "inet6", or NULL for anything else. */
const char *f2b_ipaddr_family_str(const F2bIPAddr *ip);

/* 8 or 32 lower-case hex digits of the address, "" when not an IP. Transfer full. */
char *f2b_ipaddr_hexdump(const F2bIPAddr *ip);

/* The reverse-DNS name: SUFFIX NULL gives "4.3.2.1.in-addr.arpa." resp.
 * "...ip6.arpa."; the `ip-rev` action tag is SUFFIX "" ("4.3.2.1."). "" when not
 * an IP. Transfer full. */
char *f2b_ipaddr_ptr(const F2bIPAddr *ip, const char *suffix);

/* The prefix length the address stands for as a netmask (255.255.255.0 -> 24), or -1
 * with ERROR ("invalid mask '...', no plen representation"). */
gint64 f2b_ipaddr_maskplen(const F2bIPAddr *ip, GError **error);

/* fail2ban's ==: same family and same address and prefix; names compare raw text. */
gboolean f2b_ipaddr_equal(const F2bIPAddr *a, const F2bIPAddr *b);
/* fail2ban's <: family(a) < family(b) or addr(a) < addr(b) (not a total order). */
gboolean f2b_ipaddr_less(const F2bIPAddr *a, const F2bIPAddr *b);
/* For GHashTable keys (the fail and ban managers' ids): fail2ban's IPAddr ==,
 * except that raw ids compare by their text (fail2ban calls any two raw ids
 * equal and relies on their hashes differing); the hash allocates nothing. */
guint f2b_ipaddr_hash_func(gconstpointer ip);
gboolean f2b_ipaddr_equal_func(gconstpointer a, gconstpointer b);

/* TRUE when IP lies in NET (same family, IP masked by NET's prefix equals NET).
 * When NET is not an address but a name (family UNSPEC, raw not empty), fail2ban
 * resolves the name; this function cannot and returns FALSE: the caller resolves
 * net->raw and tests each address. */
gboolean f2b_ipaddr_is_in_net(const F2bIPAddr *ip, const F2bIPAddr *net);
/* TRUE when NET equals IP or contains it. */
gboolean f2b_ipaddr_contains(const F2bIPAddr *net, const F2bIPAddr *ip);

/* fail2ban's IPAddr.searchIP: when the whole TEXT looks like an IPv4 address returns
 * it (transfer full), else NULL. Like fail2ban, an IPv6 text also gives NULL. */
char *f2b_ipaddr_search_ip(const char *text, gssize len);

G_END_DECLS
