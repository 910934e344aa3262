/* test-fwspec.c - recognition of the stock firewall actions from their expanded commands:
 * the parameters read back per family, and every way a command can differ from the stock one. */
#include "check-main.h"
#include <string.h>
#include "fwspec.h"

static F2bIniMap *
props(const char *const *pairs)
{
  F2bIniMap *m = f2b_ini_map_new();
  for (; *pairs; pairs += 2)
    f2b_ini_map_set(m, pairs[0], pairs[1]);
  return m;
}

/* An iptables action written in this test's own words, with the stock command shapes. */
static const char *const ipt[] = {
  "actionban", "<iptables> -I f2b-<name> 1 -s <ip> -j <blocktype>",
  "actionunban", "<iptables> -D f2b-<name> -s <ip> -j <blocktype>",
  "actionflush", "<iptables> -F f2b-<name>",
  "name", "web", "lockingopt", "-w", "iptables", "iptables <lockingopt>",
  "iptables?family=inet6", "ip6tables <lockingopt>",
  "blocktype", "REJECT --reject-with icmp-port-unreachable",
  "blocktype?family=inet6", "REJECT --reject-with icmp6-port-unreachable", NULL,
};

static F2bFwSpec *
recognize(const char *const *pairs, const char *const *extra, GError **error)
{
  g_autoptr(F2bIniMap) p = props(pairs);
  for (; extra && *extra; extra += 2)
    f2b_ini_map_set(p, extra[0], extra[1]);
  return f2b_fwspec_recognize(p, error);
}

START_TEST(test_iptables)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bFwSpec) s = recognize(ipt, NULL, &error);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(s->kind, F2B_FW_KIND_IPTABLES);
  ck_assert(s->flush_native);
  ck_assert_str_eq(s->family[F2B_FW_INET4].tool, "iptables");
  ck_assert_str_eq(s->family[F2B_FW_INET4].lockopt, "-w");
  ck_assert_str_eq(s->family[F2B_FW_INET4].chain, "f2b-web");
  ck_assert_str_eq(s->family[F2B_FW_INET4].blocktype, "REJECT --reject-with icmp-port-unreachable");
  ck_assert_str_eq(s->family[F2B_FW_INET6].tool, "ip6tables");
  ck_assert_str_eq(s->family[F2B_FW_INET6].blocktype, "REJECT --reject-with icmp6-port-unreachable");
  ck_assert_ptr_null(s->family[F2B_FW_INET4].set);
  ck_assert_str_eq(f2b_fwspec_kind_name(s->kind), "iptables");
}
END_TEST

START_TEST(test_iptables_parameters)
{
  static const char *const legacy[] = { "iptables", "/usr/sbin/iptables-legacy <lockingopt>",
                                        "iptables?family=inet6", "ip6tables-nft <lockingopt>",
                                        "lockingopt", "-w 5", "blocktype", "DROP", "name", "a.b_c", NULL };
  g_autoptr(F2bFwSpec) s = recognize(ipt, legacy, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->family[0].tool, "/usr/sbin/iptables-legacy");
  ck_assert_str_eq(s->family[0].lockopt, "-w 5");
  ck_assert_str_eq(s->family[0].blocktype, "DROP");
  ck_assert_str_eq(s->family[1].tool, "ip6tables-nft");
  ck_assert_str_eq(s->family[1].chain, "f2b-a.b_c");
  static const char *const nolock[] = { "lockingopt", "", NULL };
  g_autoptr(F2bFwSpec) n = recognize(ipt, nolock, NULL);
  ck_assert_ptr_nonnull(n);
  ck_assert_str_eq(n->family[0].lockopt, "");
}
END_TEST

static void
assert_not_stock(const char *const *pairs, const char *const *extra, const char *needle)
{
  GError *error = NULL;
  F2bFwSpec *s = recognize(pairs, extra, &error);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(error);
  ck_assert(g_error_matches(error, F2B_FWSPEC_ERROR, F2B_FWSPEC_ERROR_NOT_STOCK));
  if (strstr(error->message, needle) == NULL)
    ck_abort_msg("'%s' not in '%s'", needle, error->message);
  g_error_free(error);
}

START_TEST(test_iptables_changed)
{
  static const char *const unban[] = { "actionunban", "<iptables> -D f2b-<name> -s <ip> -j DROP", NULL };
  assert_not_stock(ipt, unban, "actionunban (inet4)");
  static const char *const ban[] = { "actionban", "<iptables> -I f2b-<name> 1 -s <ip> -j <blocktype> -m comment",
                                     NULL };
  assert_not_stock(ipt, ban, "is not a stock firewall command");
  static const char *const pos[] = { "actionban", "<iptables> -I f2b-<name> 2 -s <ip> -j <blocktype>", NULL };
  assert_not_stock(ipt, pos, "actionban");
  /* values the shell would interpret are not read back */
  static const char *const quoted[] = { "blocktype", "REJECT --reject-with 'icmp-port-unreachable'", NULL };
  assert_not_stock(ipt, quoted, "actionban");
  static const char *const dollar[] = { "name", "$(id)", NULL };
  assert_not_stock(ipt, dollar, "actionban");
  static const char *const two[] = { "actionban", "<iptables> -I f2b-<name> 1 -s <ip> -j <blocktype>\ntrue", NULL };
  assert_not_stock(ipt, two, "actionban");
  /* an IPv6 rule through iptables fails in the shell: not native either */
  static const char *const v6tool[] = { "iptables?family=inet6", "iptables <lockingopt>", NULL };
  assert_not_stock(ipt, v6tool, "actionban (inet6) uses iptables");
  static const char *const none[] = { NULL };
  assert_not_stock(none, NULL, "actionban (inet4)");
}
END_TEST

START_TEST(test_iptables_flush_changed)
{
  static const char *const flush[] = { "actionflush", "<iptables> -F f2b-<name>; echo flushed", NULL };
  g_autoptr(F2bFwSpec) s = recognize(ipt, flush, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert(!s->flush_native);
}
END_TEST

static const char *const ipset[] = {
  "actionban", "ipset -exist add <ipmset> <ip> timeout <ipsettime>",
  "actionunban", "ipset -exist del <ipmset> <ip>",
  "actionflush", "ipset flush <ipmset>",
  "ipmset", "f2b-<name>", "ipmset?family=inet6", "f2b-<name>6", "name", "ssh", "ipsettime", "0", NULL,
};

START_TEST(test_ipset)
{
  g_autoptr(F2bFwSpec) s = recognize(ipset, NULL, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(s->kind, F2B_FW_KIND_IPSET);
  ck_assert_str_eq(s->family[0].set, "f2b-ssh");
  ck_assert_str_eq(s->family[1].set, "f2b-ssh6");
  ck_assert_str_eq(s->family[0].timeout, "0");
  ck_assert_str_eq(s->family[0].tool, "ipset");
  ck_assert(s->flush_native);
  /* a timeout computed by the shell at ban time cannot be read back */
  static const char *const shell_time[] = { "ipsettime", "$([ 600 -le 2147483 ] && echo 600 || echo 0)", NULL };
  assert_not_stock(ipset, shell_time, "actionban");
}
END_TEST

static const char *const nft[] = {
  "actionban", "<nftables> add element <table_family> <table> <addr_set> \\{ <ip> \\}",
  "actionunban", "<nftables> delete element <table_family> <table> <addr_set> \\{ <ip> \\}",
  "actionflush", "{ <nftables> flush set <table_family> <table> <addr_set> 2> /dev/null; } || {\nrebuild\n}",
  "nftables", "nft", "table_family", "inet", "table", "f2b-table", "addr_set", "addr-set-<name>",
  "addr_set?family=inet6", "addr6-set-<name>", "name", "nf", NULL,
};

START_TEST(test_nft)
{
  g_autoptr(F2bFwSpec) s = recognize(nft, NULL, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(s->kind, F2B_FW_KIND_NFT);
  ck_assert_str_eq(s->family[0].table_family, "inet");
  ck_assert_str_eq(s->family[0].table, "f2b-table");
  ck_assert_str_eq(s->family[0].set, "addr-set-nf");
  ck_assert_str_eq(s->family[1].set, "addr6-set-nf");
  ck_assert(s->flush_native);
  static const char *const flush[] = { "actionflush", "nft flush set inet f2b-table <addr_set>", NULL };
  g_autoptr(F2bFwSpec) f = recognize(nft, flush, NULL);
  ck_assert_ptr_nonnull(f);
  ck_assert(!f->flush_native);
  static const char *const unban[] = { "actionunban", "nft delete element inet f2b-table addr-set-x \\{ <ip> \\}",
                                       NULL };
  assert_not_stock(nft, unban, "actionunban (inet4)");
}
END_TEST

START_TEST(test_nft_element_timeout)
{
  /* the project's action.d/nftables-timeout.conf: timed elements, a tolerant unban */
  static const char *const timed[] = {
    "actionban", "<nftables> add element <table_family> <table> <addr_set> \\{ <ip> timeout <bantime>s \\}",
    "actionunban", "<nftables> delete element <table_family> <table> <addr_set> \\{ <ip> \\} 2> /dev/null || :",
    NULL,
  };
  g_autoptr(F2bFwSpec) s = recognize(nft, timed, NULL);
  ck_assert_ptr_nonnull(s);
  for (int fam = 0; fam < 2; fam++) {
    ck_assert(s->family[fam].element_timeout);
    ck_assert(s->family[fam].unban_missing_ok);
  }
  ck_assert(s->flush_native);
  /* the stock action: neither */
  g_autoptr(F2bFwSpec) plain = recognize(nft, NULL, NULL);
  ck_assert(!plain->family[0].element_timeout && !plain->family[0].unban_missing_ok);
  /* timed elements with the stock unban: still recognised, the unban strict */
  static const char *const strict[] = {
    "actionban", "nft add element inet f2b-table <addr_set> \\{ <ip> timeout <bantime>s \\}", NULL,
  };
  g_autoptr(F2bFwSpec) st = recognize(nft, strict, NULL);
  ck_assert_ptr_nonnull(st);
  ck_assert(st->family[0].element_timeout && !st->family[0].unban_missing_ok);
  /* a tolerant unban without timed elements, or another tail, or a fixed timeout: not stock */
  static const char *const tolerant[] = {
    "actionunban", "nft delete element inet f2b-table <addr_set> \\{ <ip> \\} 2> /dev/null || :", NULL,
  };
  assert_not_stock(nft, tolerant, "actionunban (inet4)");
  static const char *const tail[] = {
    "actionban", "nft add element inet f2b-table <addr_set> \\{ <ip> timeout <bantime>s \\}",
    "actionunban", "nft delete element inet f2b-table <addr_set> \\{ <ip> \\} 2> /dev/null || true", NULL,
  };
  assert_not_stock(nft, tail, "actionunban (inet4)");
  static const char *const fixed[] = {
    "actionban", "nft add element inet f2b-table <addr_set> \\{ <ip> timeout 600s \\}", NULL,
  };
  assert_not_stock(nft, fixed, "actionban (inet4)");
}
END_TEST

START_TEST(test_mixed_kinds)
{
  /* IPv4 through iptables, IPv6 through nft: two kinds, not one stock action */
  static const char *const mixed[] = {
    "actionban?family=inet6", "nft add element inet t s6 \\{ <ip> \\}",
    "actionunban?family=inet6", "nft delete element inet t s6 \\{ <ip> \\}", NULL,
  };
  assert_not_stock(ipt, mixed, "actionban (inet6)");
}
END_TEST

START_TEST(test_tag_error)
{
  static const char *const loop[] = { "actionban", "<a>", "a", "<b>", "b", "<a>", NULL };
  GError *error = NULL;
  F2bFwSpec *s = recognize(loop, NULL, &error);
  ck_assert_ptr_null(s);
  ck_assert(g_error_matches(error, F2B_FWSPEC_ERROR, F2B_FWSPEC_ERROR_TAGS));
  g_error_free(error);
}
END_TEST

START_TEST(test_from_commands)
{
  const char *ban[2] = { "iptables -I c 1 -s <ip> -j DROP", "ip6tables -I c 1 -s <ip> -j DROP" };
  const char *unban[2] = { "iptables -D c -s <ip> -j DROP", "ip6tables -D c -s <ip> -j DROP" };
  g_autoptr(F2bFwSpec) s = f2b_fwspec_from_commands(ban, unban, NULL, NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert(!s->flush_native);
  const char *nounban[2] = { NULL, NULL };
  GError *error = NULL;
  ck_assert_ptr_null(f2b_fwspec_from_commands(ban, nounban, NULL, &error));
  ck_assert_str_eq(error->message, "actionunban (inet4) is not a stock firewall command: (none)");
  g_error_free(error);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("fwspec");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_iptables);
  tcase_add_test(tc, test_iptables_parameters);
  tcase_add_test(tc, test_iptables_changed);
  tcase_add_test(tc, test_iptables_flush_changed);
  tcase_add_test(tc, test_ipset);
  tcase_add_test(tc, test_nft);
  tcase_add_test(tc, test_nft_element_timeout);
  tcase_add_test(tc, test_mixed_kinds);
  tcase_add_test(tc, test_tag_error);
  tcase_add_test(tc, test_from_commands);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
