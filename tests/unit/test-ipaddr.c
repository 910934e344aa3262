/* test-ipaddr.c - addresses parse, print and compare as fail2ban's IPAddr does.
 * Expected values were taken from fail2ban 1.0.2 (IPAddr) on Python 3.11. */
#include "check-main.h"
#include <arpa/inet.h>
#include <string.h>

#include "ipaddr.h"

static F2bIPAddr *
parse(const char *text, gint64 cidr)
{
  GError *error = NULL;
  F2bIPAddr *ip = f2b_ipaddr_new(text, -1, cidr, &error);
  ck_assert_msg(ip != NULL, "%s: %s", text, error ? error->message : "");
  return ip;
}

/* Parses TEXT with cidr UNSPEC and checks printed form, family and plen. */
static void
check_parse(const char *text, const char *printed, F2bIPFamily family, gint64 plen,
            const char *raw)
{
  g_autoptr(F2bIPAddr) ip = parse(text, F2B_IPADDR_CIDR_UNSPEC);
  g_autofree char *s = f2b_ipaddr_to_string(ip, NULL);
  ck_assert_str_eq(s, printed);
  ck_assert_int_eq(ip->family, family);
  ck_assert_int_eq(ip->plen, plen);
  ck_assert_str_eq(ip->raw, raw);
}

START_TEST(test_parse_and_print)
{
  check_parse("1.2.3.4", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "1.2.3.4");
  check_parse("1.2.3.0/24", "1.2.3.0/24", F2B_IPADDR_FAMILY_INET4, 24, "1.2.3.0");
  check_parse("1.2.3.4/255.255.255.0", "1.2.3.0/24", F2B_IPADDR_FAMILY_INET4, 24, "1.2.3.4");
  check_parse("1.2.3.4/ +2_4 ", "1.2.3.0/24", F2B_IPADDR_FAMILY_INET4, 24, "1.2.3.4");
  check_parse("1.2.3.4/\xd9\xa2\xd9\xa4", "1.2.3.0/24", F2B_IPADDR_FAMILY_INET4, 24, "1.2.3.4");
  check_parse("1.2.3.4/33", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 33, "1.2.3.4");
  check_parse("1.2.3.4/255.255.255.255", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "1.2.3.4");
  check_parse("2001:DB8::1/32", "2001:db8::/32", F2B_IPADDR_FAMILY_INET6, 32, "2001:DB8::1");
  check_parse("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", F2B_IPADDR_FAMILY_INET6,
              128, "2001:0db8:0000:0000:0000:0000:0000:0001");
  check_parse("::/0", "::", F2B_IPADDR_FAMILY_INET6, 0, "::");
  check_parse("::/::ffff:ffff", "::/32", F2B_IPADDR_FAMILY_INET6, 32, "::");
  check_parse("::/ffff:ffff::", "::/32", F2B_IPADDR_FAMILY_INET6, 32, "::");
  /* IPv4-mapped IPv6 becomes IPv4; the deprecated IPv4-compatible form does not. */
  check_parse("[::ffff:1.2.3.4]", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "::ffff:1.2.3.4");
  check_parse("::ffff:102:304", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "::ffff:102:304");
  check_parse("::1.2.3.4", "::1.2.3.4", F2B_IPADDR_FAMILY_INET6, 128, "::1.2.3.4");
  check_parse("[1.2.3.4]", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "1.2.3.4");
  /* Not addresses: kept as raw text (zone ids, leading zeros, names). */
  check_parse("fe80::1%eth0", "fe80::1%eth0", F2B_IPADDR_FAMILY_UNSPEC, 0, "fe80::1%eth0");
  check_parse("1.2.3.04", "1.2.3.04", F2B_IPADDR_FAMILY_UNSPEC, 0, "1.2.3.04");
  check_parse("example.com", "example.com", F2B_IPADDR_FAMILY_UNSPEC, 0, "example.com");
  check_parse("[::1]/64", "[::1]", F2B_IPADDR_FAMILY_UNSPEC, 0, "[::1]");
  /* fail2ban's odd suffix cases. */
  check_parse("1.2.3.4/-1", "1.2.3.4", F2B_IPADDR_FAMILY_INET4, 32, "1.2.3.4");
  check_parse("1.2.3.4/-2", "1.2.3.4", F2B_IPADDR_FAMILY_RAW, 0, "1.2.3.4");
  check_parse("1.2.3.4/a.b", "0.0.0.0", F2B_IPADDR_FAMILY_INET4, 0, "1.2.3.4");
}
END_TEST

START_TEST(test_explicit_cidr)
{
  g_autoptr(F2bIPAddr) a = parse("::ffff:1.2.3.4", F2B_IPADDR_FAM_INET6);
  g_autofree char *as = f2b_ipaddr_to_string(a, NULL);
  ck_assert_str_eq(as, "1.2.3.4");
  g_autoptr(F2bIPAddr) b = parse("::ffff:1.2.3.4", F2B_IPADDR_FAM_INET4);
  ck_assert_int_eq(b->family, F2B_IPADDR_FAMILY_UNSPEC);
  g_autoptr(F2bIPAddr) c = parse("::ffff:1.2.3.4", 96);
  g_autofree char *cs = f2b_ipaddr_to_string(c, NULL);
  ck_assert_str_eq(cs, "::ffff:0.0.0.0/96");
  /* An explicit cidr skips the bracket and suffix handling. */
  g_autoptr(F2bIPAddr) d = parse("[1.2.3.4]", F2B_IPADDR_FAM_INET4);
  ck_assert_int_eq(d->family, F2B_IPADDR_FAMILY_UNSPEC);
  g_autoptr(F2bIPAddr) e = parse("1.2.3.4", -3);
  ck_assert_int_eq(e->family, F2B_IPADDR_FAMILY_UNSPEC);
  g_autoptr(F2bIPAddr) f = parse("10.20.30.40", 8);
  g_autofree char *fs = f2b_ipaddr_to_string(f, NULL);
  ck_assert_str_eq(fs, "10.0.0.0/8");
}
END_TEST

START_TEST(test_raw_keeps_nul_bytes)
{
  GError *error = NULL;
  g_autoptr(F2bIPAddr) raw = f2b_ipaddr_new("a\0b", 3, F2B_IPADDR_CIDR_RAW, &error);
  ck_assert_ptr_nonnull(raw);
  ck_assert_int_eq(raw->family, F2B_IPADDR_FAMILY_RAW);
  ck_assert(f2b_ipaddr_is_valid(raw));
  ck_assert(!f2b_ipaddr_is_single(raw));
  ck_assert_ptr_null(f2b_ipaddr_family_str(raw));
  gsize len;
  g_autofree char *s = f2b_ipaddr_to_string(raw, &len);
  ck_assert_uint_eq(len, 3);
  ck_assert(memcmp(s, "a\0b", 3) == 0);
  g_autoptr(F2bIPAddr) copy = f2b_ipaddr_copy(raw);
  ck_assert_uint_eq(copy->raw_len, 3);
  ck_assert(memcmp(copy->raw, "a\0b", 3) == 0);
  /* a copy outlives its original (its text is its own) */
  F2bIPAddr *net = f2b_ipaddr_new("192.0.2.7/24", -1, F2B_IPADDR_CIDR_UNSPEC, &error);
  g_autoptr(F2bIPAddr) net_copy = f2b_ipaddr_copy(net);
  f2b_ipaddr_free(net);
  g_autofree char *net_text = f2b_ipaddr_to_string(net_copy, NULL);
  ck_assert_str_eq(net_text, "192.0.2.0/24");
  ck_assert_str_eq(net_copy->raw, "192.0.2.7");
  /* Not raw: an embedded NUL is an error, as in Python's inet_pton. */
  ck_assert_ptr_null(f2b_ipaddr_new("a\0b", 3, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "embedded null character");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_errors)
{
  GError *error = NULL;
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/255.0.255.0", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "invalid mask '255.0.255.0', no plen representation");
  ck_assert(g_error_matches(error, F2B_IPADDR_ERROR, F2B_IPADDR_ERROR_INVALID));
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/x", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "invalid literal for int() with base 10: 'x'");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "invalid literal for int() with base 10: ''");
  g_clear_error(&error);
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/2__4", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  g_clear_error(&error);
}
END_TEST

START_TEST(test_family_ptr_hexdump)
{
  g_autoptr(F2bIPAddr) v4 = parse("1.2.3.4", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) v6 = parse("2001:db8::1", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) net = parse("1.2.3.0/24", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) name = parse("example.com", F2B_IPADDR_CIDR_UNSPEC);
  ck_assert_str_eq(f2b_ipaddr_family_str(v4), "inet4");
  ck_assert_str_eq(f2b_ipaddr_family_str(v6), "inet6");
  ck_assert_ptr_null(f2b_ipaddr_family_str(name));
  ck_assert(f2b_ipaddr_is_single(v4) && f2b_ipaddr_is_single(v6));
  ck_assert(!f2b_ipaddr_is_single(net) && !f2b_ipaddr_is_single(name));
  ck_assert(!f2b_ipaddr_is_valid(name));
  g_autofree char *p1 = f2b_ipaddr_ptr(v4, "");
  ck_assert_str_eq(p1, "4.3.2.1.");
  g_autofree char *p2 = f2b_ipaddr_ptr(v4, NULL);
  ck_assert_str_eq(p2, "4.3.2.1.in-addr.arpa.");
  g_autofree char *p3 = f2b_ipaddr_ptr(v6, NULL);
  ck_assert_str_eq(p3, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  g_autofree char *p4 = f2b_ipaddr_ptr(net, "");
  ck_assert_str_eq(p4, "0/24.3.2.1.");
  g_autofree char *p5 = f2b_ipaddr_ptr(name, "");
  ck_assert_str_eq(p5, "");
  g_autofree char *h4 = f2b_ipaddr_hexdump(v4);
  ck_assert_str_eq(h4, "01020304");
  g_autofree char *h6 = f2b_ipaddr_hexdump(v6);
  ck_assert_str_eq(h6, "20010db8000000000000000000000001");
  g_autofree char *hn = f2b_ipaddr_hexdump(name);
  ck_assert_str_eq(hn, "");
}
END_TEST

START_TEST(test_maskplen)
{
  GError *error = NULL;
  const struct {
    const char *mask;
    gint64 plen;
  } cases[] = {{"255.255.0.0", 16}, {"0.0.0.0", 0}, {"255.255.255.255", 32},
               {"::ffff:ffff", 32}, {"ffff:ffff::", 32}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128},
               {"128.0.0.0", 1}, {"ffff:fe00::", 23}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(F2bIPAddr) m = parse(cases[i].mask, F2B_IPADDR_CIDR_UNSPEC);
    ck_assert_int_eq(f2b_ipaddr_maskplen(m, &error), cases[i].plen);
    ck_assert_ptr_null(error);
  }
  g_autoptr(F2bIPAddr) bad = parse("1.2.3.4", F2B_IPADDR_CIDR_UNSPEC);
  ck_assert_int_eq(f2b_ipaddr_maskplen(bad, &error), -1);
  ck_assert_str_eq(error->message, "invalid mask '1.2.3.4', no plen representation");
  g_clear_error(&error);
}
END_TEST

START_TEST(test_compare_and_contain)
{
  g_autoptr(F2bIPAddr) a = parse("1.2.3.4", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) a2 = parse("::ffff:1.2.3.4", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) b = parse("1.2.3.5", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) net = parse("1.2.0.0/16", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) net40 = parse("1.2.3.4/40", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) net6 = parse("2001:db8::/32", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) v6 = parse("2001:db8:1::5", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) name = parse("example.com", F2B_IPADDR_CIDR_UNSPEC);
  g_autoptr(F2bIPAddr) raw1 = parse("1.2.3.4", F2B_IPADDR_CIDR_RAW);
  g_autoptr(F2bIPAddr) raw2 = parse("x", F2B_IPADDR_CIDR_RAW);
  ck_assert(f2b_ipaddr_equal(a, a2));
  ck_assert(!f2b_ipaddr_equal(a, b));
  ck_assert(!f2b_ipaddr_equal(a, raw1));
  ck_assert(f2b_ipaddr_equal(raw1, raw2)); /* fail2ban's quirk */
  ck_assert(f2b_ipaddr_less(a, b) && !f2b_ipaddr_less(b, a));
  ck_assert(f2b_ipaddr_less(a, v6));
  ck_assert(f2b_ipaddr_is_in_net(a, net));
  ck_assert(f2b_ipaddr_contains(net, a));
  ck_assert(f2b_ipaddr_contains(a, a));
  ck_assert(!f2b_ipaddr_contains(a, b));
  ck_assert(f2b_ipaddr_is_in_net(a, net40));
  ck_assert(f2b_ipaddr_is_in_net(v6, net6));
  ck_assert(!f2b_ipaddr_is_in_net(a, net6));
  ck_assert(!f2b_ipaddr_is_in_net(a, name)); /* a name: the caller resolves */
  ck_assert_uint_eq(f2b_ipaddr_hash_func(a), f2b_ipaddr_hash_func(a2));
  g_autoptr(GHashTable) set = g_hash_table_new(f2b_ipaddr_hash_func, f2b_ipaddr_equal_func);
  g_hash_table_add(set, a);
  ck_assert(g_hash_table_contains(set, a2));
  ck_assert(!g_hash_table_contains(set, b));
}
END_TEST

START_TEST(test_search_ip)
{
  g_autofree char *a = f2b_ipaddr_search_ip("1.2.3.4", -1);
  ck_assert_str_eq(a, "1.2.3.4");
  g_autofree char *b = f2b_ipaddr_search_ip("1.2.3.4\n", -1);
  ck_assert_str_eq(b, "1.2.3.4");
  g_autofree char *c = f2b_ipaddr_search_ip("999.2.3.4", -1);
  ck_assert_str_eq(c, "999.2.3.4");
  ck_assert_ptr_null(f2b_ipaddr_search_ip("::1", -1)); /* as fail2ban: never IPv6 */
  ck_assert_ptr_null(f2b_ipaddr_search_ip("host.example", -1));
  ck_assert_ptr_null(f2b_ipaddr_search_ip("1.2.3.4 x", -1));
  ck_assert_ptr_null(f2b_ipaddr_search_ip("1.2.3.4\0", 8));
  ck_assert_ptr_null(f2b_ipaddr_search_ip("\xff\xfe", 2));
}
END_TEST

/* int()'s message quotes the text as CPython's "%.200R" does: repr() escapes,
 * cut to 200 characters (losing the closing quote). */
START_TEST(test_int_error_repr)
{
  GError *error = NULL;
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/\xc3\xa9\xe2\x80\x8b", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "invalid literal for int() with base 10: '\xc3\xa9\\u200b'");
  g_clear_error(&error);
  g_autofree char *xs = g_strnfill(300, 'x');
  g_autofree char *addr = g_strconcat("1.2.3.4/", xs, NULL);
  ck_assert_ptr_null(f2b_ipaddr_new(addr, -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  g_autofree char *want = g_strdup_printf("invalid literal for int() with base 10: '%.199s", xs);
  ck_assert_str_eq(error->message, want);
  g_clear_error(&error);
  /* int()'s white space: U+0085 and \v are, U+001C is not (Python 3.11) */
  g_autoptr(F2bIPAddr) nel = f2b_ipaddr_new("1.2.3.4/\xc2\x85" "24", -1, F2B_IPADDR_CIDR_UNSPEC, &error);
  ck_assert_ptr_nonnull(nel);
  g_autofree char *nel_text = f2b_ipaddr_to_string(nel, NULL);
  ck_assert_str_eq(nel_text, "1.2.3.0/24");
  g_autoptr(F2bIPAddr) vt = f2b_ipaddr_new("1.2.3.4/\x0b" "24", -1, F2B_IPADDR_CIDR_UNSPEC, &error);
  ck_assert_ptr_nonnull(vt);
  ck_assert_ptr_null(f2b_ipaddr_new("1.2.3.4/\x1c" "24", -1, F2B_IPADDR_CIDR_UNSPEC, &error));
  ck_assert_str_eq(error->message, "invalid literal for int() with base 10: '\\x1c24'");
  g_clear_error(&error);
}
END_TEST

/* Dotted quads are read as inet_pton reads them (the parser has a fast path for the
 * common spelling): random texts of digits and dots, and the edges. */
START_TEST(test_ipv4_as_inet_pton)
{
  static const char *edges[] = {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.04",
                                "01.2.3.4", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3",
                                "1.2.3.4.5", "1234.1.1.1", "1.2.3.255", "1.2.3.256",
                                "10.0.0.1", "0.0.0.00", "1.2.3.4 ", " 1.2.3.4", ""};
  static const char alphabet[] = "0123456789..25";
  GRand *rand = g_rand_new_with_seed(7);
  for (guint n = 0; n < 200000 + G_N_ELEMENTS(edges); n++) {
    char text[20];
    if (n < G_N_ELEMENTS(edges)) {
      g_strlcpy(text, edges[n], sizeof text);
    } else {
      gsize len = (gsize) g_rand_int_range(rand, 0, 16);
      for (gsize k = 0; k < len; k++)
        text[k] = alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 1)];
      text[len] = '\0';
    }
    guint8 want[16] = {0};
    gboolean v4 = inet_pton(AF_INET, text, want) == 1;
    g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(text, -1, F2B_IPADDR_FAM_INET4, NULL);
    ck_assert_ptr_nonnull(ip);
    ck_assert_msg(f2b_ipaddr_is_ipv4(ip) == v4, "'%s'", text);
    if (v4)
      ck_assert_msg(memcmp(ip->addr, want, sizeof want) == 0, "'%s'", text);
  }
  g_rand_free(rand);
}
END_TEST

/* What inet_pton(AF_INET6) makes of TEXT, as f2b_ipaddr_new with FAM_INET6 must
 * give it (an IPv4-mapped address becomes IPv4), compared. */
static void
check_ipv6_as_inet_pton(const char *text)
{
  guint8 want[16] = {0};
  gboolean v6 = inet_pton(AF_INET6, text, want) == 1;
  g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(text, -1, F2B_IPADDR_FAM_INET6, NULL);
  ck_assert_ptr_nonnull(ip);
  static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v6 && memcmp(want, mapped, 12) == 0) {
    ck_assert_msg(f2b_ipaddr_is_ipv4(ip), "'%s'", text);
    ck_assert_msg(memcmp(ip->addr, want + 12, 4) == 0, "'%s'", text);
    return;
  }
  ck_assert_msg(f2b_ipaddr_is_ipv6(ip) == v6, "'%s': inet_pton says %d", text, v6);
  ck_assert_int_eq(ip->plen, v6 ? 128 : 0);
  if (v6)
    ck_assert_msg(memcmp(ip->addr, want, sizeof want) == 0, "'%s'", text);
  else
    ck_assert_int_eq(ip->family, F2B_IPADDR_FAMILY_UNSPEC);
}

/* A text shaped like an IPv6 address: N groups (8 mostly) of 1 to 4 hex digits
 * (now and then 0 or 5), mixed case, a run of them now and then written "::",
 * now and then a colon too many or too few, or a dotted tail. */
static void
random_ipv6_text(GRand *rand, GString *out)
{
  static const char hex[] = "0123456789abcdefABCDEF";
  g_string_truncate(out, 0);
  guint n = g_rand_int_range(rand, 0, 4) ? 8 : (guint) g_rand_int_range(rand, 0, 10);
  gint gap_from = g_rand_int_range(rand, 0, 3) ? -1 : g_rand_int_range(rand, 0, (gint) n + 1);
  gint gap_to = gap_from < 0 ? -1 : g_rand_int_range(rand, gap_from, (gint) n + 1);
  for (guint k = 0; k < n; k++) {
    if ((gint) k == gap_from)
      g_string_append(out, k == 0 ? "::" : ":");
    if ((gint) k >= gap_from && (gint) k < gap_to)
      continue;
    if (k && (gint) k != gap_from)
      g_string_append_c(out, ':');
    gint digits = g_rand_int_range(rand, 0, 16) ? g_rand_int_range(rand, 1, 5)
                                                 : g_rand_int_range(rand, 0, 6);
    for (gint d = 0; d < digits; d++)
      g_string_append_c(out, hex[g_rand_int_range(rand, 0, sizeof hex - 1)]);
  }
  if (gap_from == (gint) n)
    g_string_append(out, n == 0 ? "::" : ":");
  switch (g_rand_int_range(rand, 0, 24)) {
  case 0: g_string_append_c(out, ':'); break;
  case 1: g_string_prepend_c(out, ':'); break;
  case 2: g_string_append(out, ".1.2.3"); break;
  case 3: g_string_append(out, ":1.2.3.4"); break;
  case 4: if (out->len) g_string_erase(out, g_rand_int_range(rand, 0, (gint) out->len), 1); break;
  case 5: g_string_append_c(out, 'g'); break;
  default: break;
  }
}

/* IPv6 texts are read as inet_pton reads them (the parser has a fast path for
 * the usual spellings): the edges, texts shaped like addresses, random texts. */
START_TEST(test_ipv6_as_inet_pton)
{
  static const char *edges[] = {
    "::", ":", ":::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
    "1::2::3", "1:::2", ":1::2", "1::2:", "1:2:", "12345::", "ffff::FFFF", "0000::00000",
    "2001:db8:2b6e:549a::77ff", "2001:DB8::1", "fe80::1%eth0", "::ffff:1.2.3.4",
    "::ffff:102:304", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "[::1]", " ::1", "::1 ", "",
    "g::", "::g", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8", "0:0:0:0:0:0:0:0", "1::2:3:4:5:6:7",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(edges); i++)
    check_ipv6_as_inet_pton(edges[i]);
  GRand *rand = g_rand_new_with_seed(11);
  g_autoptr(GString) text = g_string_new(NULL);
  guint accepted = 0;
  for (guint n = 0; n < 200000; n++) {
    random_ipv6_text(rand, text);
    guint8 any[16];
    accepted += inet_pton(AF_INET6, text->str, any) == 1;
    check_ipv6_as_inet_pton(text->str);
  }
  ck_assert_uint_gt(accepted, 50000); /* most shapes are addresses */
  static const char alphabet[] = "0123456789abcdefABCDEF::::..g";
  for (guint n = 0; n < 200000; n++) {
    gsize len = (gsize) g_rand_int_range(rand, 0, 24);
    g_string_truncate(text, 0);
    for (gsize k = 0; k < len; k++)
      g_string_append_c(text, alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 1)]);
    check_ipv6_as_inet_pton(text->str);
  }
  g_rand_free(rand);
}
END_TEST

/* Every field is set whatever the text is (the block is not zeroed), and a NUL
 * anywhere in an address is refused by the fast readers too. */
START_TEST(test_fields_and_nul)
{
  static const struct { const char *text; gsize len; } nul[] = {
    {"1.2.3.4\0", 8}, {"1.2.3\0.4", 8}, {"1\0.2.3.4", 8}, {"::1\0", 4}, {"::\0", 3},
    {"1::\0:2", 6}, {"\0::1", 4},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(nul); i++) {
    GError *error = NULL;
    ck_assert_ptr_null(f2b_ipaddr_new(nul[i].text, (gssize) nul[i].len,
                                      F2B_IPADDR_CIDR_UNSPEC, &error));
    ck_assert_str_eq(error->message, "embedded null character");
    g_clear_error(&error);
  }
  static const guint8 zero[16] = {0};
  static const struct { const char *text; gint64 cidr; F2bIPFamily family; gint64 plen; } cases[] = {
    {"host.example", F2B_IPADDR_CIDR_UNSPEC, F2B_IPADDR_FAMILY_UNSPEC, 0},
    {"1.2.3.4", F2B_IPADDR_CIDR_RAW, F2B_IPADDR_FAMILY_RAW, 0},
    {"1.2.3.4", F2B_IPADDR_FAM_INET6, F2B_IPADDR_FAMILY_UNSPEC, 0},
    {"1.2.3", F2B_IPADDR_FAM_INET4, F2B_IPADDR_FAMILY_UNSPEC, 0},
    {"::1", F2B_IPADDR_FAM_INET4, F2B_IPADDR_FAMILY_UNSPEC, 0},
    {"1.2.3.4", F2B_IPADDR_FAM_INET4, F2B_IPADDR_FAMILY_INET4, 32},
    {"1:2::", F2B_IPADDR_FAM_INET6, F2B_IPADDR_FAMILY_INET6, 128},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    /* a block the allocator hands out again holds the last address's bytes */
    g_autoptr(F2bIPAddr) before = f2b_ipaddr_new("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", -1,
                                                  F2B_IPADDR_CIDR_UNSPEC, NULL);
    g_clear_pointer(&before, f2b_ipaddr_free);
    g_autoptr(F2bIPAddr) ip = f2b_ipaddr_new(cases[i].text, -1, cases[i].cidr, NULL);
    ck_assert_ptr_nonnull(ip);
    ck_assert_int_eq(ip->family, cases[i].family);
    ck_assert_int_eq(ip->plen, cases[i].plen);
    ck_assert_str_eq(ip->raw, cases[i].text);
    ck_assert_uint_eq(ip->raw_len, strlen(cases[i].text));
    guint8 want[16] = {0};
    if (cases[i].family == F2B_IPADDR_FAMILY_INET4)
      memcpy(want, (const guint8[]){1, 2, 3, 4}, 4);
    else if (cases[i].family == F2B_IPADDR_FAMILY_INET6)
      memcpy(want, (const guint8[]){0, 1, 0, 2}, 4);
    ck_assert(memcmp(ip->addr, cases[i].family == F2B_IPADDR_FAMILY_INET4 ||
                                   cases[i].family == F2B_IPADDR_FAMILY_INET6 ? want : zero,
                     16) == 0);
  }
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("ipaddr");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_parse_and_print);
  tcase_add_test(tc, test_explicit_cidr);
  tcase_add_test(tc, test_raw_keeps_nul_bytes);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_family_ptr_hexdump);
  tcase_add_test(tc, test_maskplen);
  tcase_add_test(tc, test_compare_and_contain);
  tcase_add_test(tc, test_search_ip);
  tcase_add_test(tc, test_int_error_repr);
  tcase_add_test(tc, test_ipv4_as_inet_pton);
  tcase_add_test(tc, test_ipv6_as_inet_pton);
  tcase_add_test(tc, test_fields_and_nul);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
