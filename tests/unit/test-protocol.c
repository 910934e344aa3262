/* test-protocol.c - fail2ban's socket framing: messages split at the end
 * marker however the bytes arrive, the close command, the size bound, and
 * the writer's exact bytes. */
#include "check-main.h"
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define END F2B_PROTOCOL_END
#define CLOSE F2B_PROTOCOL_CLOSE

static void
assert_message(F2bProtocolReader *r, const char *expected, gboolean close)
{
  gboolean is_close = !close;
  g_autoptr(GBytes) m = f2b_protocol_reader_next(r, &is_close);
  ck_assert_msg(m != NULL, "no message, wanted '%s'", expected);
  gsize len;
  const char *data = g_bytes_get_data(m, &len);
  ck_assert_uint_eq(len, strlen(expected));
  ck_assert(len == 0 || memcmp(data, expected, len) == 0);
  ck_assert_int_eq(is_close, close);
}

static void
assert_no_message(F2bProtocolReader *r)
{
  gboolean is_close = TRUE;
  ck_assert_ptr_null(f2b_protocol_reader_next(r, &is_close));
  ck_assert(!is_close);
}

static void
feed(F2bProtocolReader *r, const char *s)
{
  g_autoptr(GError) error = NULL;
  ck_assert(f2b_protocol_reader_feed(r, s, strlen(s), &error));
  ck_assert_ptr_null(error);
}

START_TEST(test_messages_in_one_read)
{
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(1024);
  feed(r, "abc" END "" END "x<F2B_END" END CLOSE END "tail");
  assert_message(r, "abc", FALSE);
  assert_message(r, "", FALSE);
  assert_message(r, "x<F2B_END", FALSE);
  assert_message(r, CLOSE, TRUE);
  assert_no_message(r);
  ck_assert_uint_eq(f2b_protocol_reader_pending(r), 4);
  feed(r, END);
  assert_message(r, "tail", FALSE);
  ck_assert_uint_eq(f2b_protocol_reader_pending(r), 0);
}
END_TEST

/* The marker split between two reads at every possible point. */
START_TEST(test_split_everywhere)
{
  const char *stream = "first" END "<F2B_END_COMMAND" END CLOSE END;
  gsize n = strlen(stream);
  for (gsize cut = 0; cut <= n; cut++) {
    g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(100);
    ck_assert(f2b_protocol_reader_feed(r, stream, cut, NULL));
    ck_assert(f2b_protocol_reader_feed(r, stream + cut, n - cut, NULL));
    assert_message(r, "first", FALSE);
    assert_message(r, "<F2B_END_COMMAND", FALSE);
    assert_message(r, CLOSE, TRUE);
    assert_no_message(r);
  }
  /* one byte at a time */
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(100);
  for (gsize i = 0; i < n; i++)
    ck_assert(f2b_protocol_reader_feed(r, stream + i, 1, NULL));
  assert_message(r, "first", FALSE);
  assert_message(r, "<F2B_END_COMMAND", FALSE);
  assert_message(r, CLOSE, TRUE);
}
END_TEST

START_TEST(test_close_detection)
{
  ck_assert(f2b_protocol_is_close(CLOSE, strlen(CLOSE)));
  ck_assert(!f2b_protocol_is_close(CLOSE "x", strlen(CLOSE) + 1));
  ck_assert(!f2b_protocol_is_close("<F2B_CLOSE_COMMAND", strlen(CLOSE) - 1));
  ck_assert(!f2b_protocol_is_close("", 0));
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(100);
  feed(r, " " CLOSE END);
  assert_message(r, " " CLOSE, FALSE);
  ck_assert_ptr_null(f2b_protocol_reader_next(r, NULL));
}
END_TEST

START_TEST(test_size_bound)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(5);
  feed(r, "12345" END "1234");
  assert_message(r, "12345", FALSE);
  /* a sixth byte, with or without the marker yet, is too much */
  ck_assert(!f2b_protocol_reader_feed(r, "56" END, 2 + strlen(END), &error));
  ck_assert(g_error_matches(error, F2B_PROTOCOL_ERROR, F2B_PROTOCOL_ERROR_TOO_BIG));
  g_clear_error(&error);
  ck_assert(!f2b_protocol_reader_feed(r, "x", 1, &error));
  ck_assert(g_error_matches(error, F2B_PROTOCOL_ERROR, F2B_PROTOCOL_ERROR_TOO_BIG));
  assert_no_message(r);
  /* a marker-less stream is refused while small, whatever the read sizes */
  g_autoptr(F2bProtocolReader) r2 = f2b_protocol_reader_new(1000);
  g_autofree char *big = g_strnfill(100000, 'a');
  g_clear_error(&error);
  ck_assert(!f2b_protocol_reader_feed(r2, big, 100000, &error));
  ck_assert_ptr_nonnull(error);
  ck_assert_uint_le(f2b_protocol_reader_pending(r2), 2 * (1000 + strlen(END)));
  /* the unfinished message may end with part of a marker */
  g_autoptr(F2bProtocolReader) r3 = f2b_protocol_reader_new(5);
  feed(r3, "12345<F2B_END_COMMAND");
  feed(r3, ">");
  assert_message(r3, "12345", FALSE);
}
END_TEST

/* A long message arriving in small reads: every byte is searched a bounded
 * number of times (the search resumes where it stopped). */
START_TEST(test_long_message_small_reads)
{
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(1 << 20);
  GString *expected = g_string_new(NULL);
  for (int i = 0; i < 200000; i++) {
    char c = "<F2B_END_COMMAND"[i % 16];
    g_string_append_c(expected, c);
    ck_assert(f2b_protocol_reader_feed(r, &c, 1, NULL));
  }
  assert_no_message(r);
  ck_assert_uint_eq(f2b_protocol_reader_pending(r), expected->len);
  feed(r, END);
  assert_message(r, expected->str, FALSE);
  g_string_free(expected, TRUE);
}
END_TEST

START_TEST(test_writer)
{
  static const char ping[] = "\x80\x05\x95\x0b\0\0\0\0\0\0\0]\x94\x8c\x04ping\x94" "a.";
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autoptr(F2bPyObj) request = f2b_py_list_of_strs("ping", NULL);
  ck_assert(f2b_protocol_append_value(out, request, NULL));
  f2b_protocol_append_close(out);
  f2b_protocol_append_message(out, "xy", 2);
  const char expected[] = "\x80\x05\x95\x0b\0\0\0\0\0\0\0]\x94\x8c\x04ping\x94" "a." END CLOSE END "xy" END;
  ck_assert_uint_eq(out->len, sizeof expected - 1);
  ck_assert(memcmp(out->data, expected, out->len) == 0);
  /* and back through the reader */
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(1024);
  ck_assert(f2b_protocol_reader_feed(r, out->data, out->len, NULL));
  g_autoptr(GBytes) m = f2b_protocol_reader_next(r, NULL);
  ck_assert_uint_eq(g_bytes_get_size(m), sizeof ping - 1);
  g_autoptr(F2bPyObj) back = f2b_protocol_decode(m, NULL, NULL);
  ck_assert(f2b_py_equal(back, request));
  assert_message(r, CLOSE, TRUE);
  assert_message(r, "xy", FALSE);
}
END_TEST

/* As in fail2ban, the marker is not escaped: a string holding it cuts the
 * request, whose pickle then fails to load. */
START_TEST(test_marker_inside_pickle)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autoptr(F2bPyObj) request = f2b_py_list_of_strs("echo", "a" END "b", NULL);
  ck_assert(f2b_protocol_append_value(out, request, NULL));
  g_autoptr(F2bProtocolReader) r = f2b_protocol_reader_new(1024);
  ck_assert(f2b_protocol_reader_feed(r, out->data, out->len, NULL));
  g_autoptr(GBytes) first = f2b_protocol_reader_next(r, NULL);
  g_autoptr(GBytes) second = f2b_protocol_reader_next(r, NULL);
  ck_assert_ptr_nonnull(first);
  ck_assert_ptr_nonnull(second);
  g_autoptr(GError) error = NULL;
  ck_assert_ptr_null(f2b_protocol_decode(first, NULL, &error));
  ck_assert(g_error_matches(error, F2B_PICKLE_ERROR, F2B_PICKLE_ERROR_TRUNCATED));
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("protocol");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_messages_in_one_read);
  tcase_add_test(tc, test_split_everywhere);
  tcase_add_test(tc, test_close_detection);
  tcase_add_test(tc, test_size_bound);
  tcase_add_test(tc, test_long_message_small_reads);
  tcase_add_test(tc, test_writer);
  tcase_add_test(tc, test_marker_inside_pickle);
  suite_add_tcase(s, tc);
  return f2b_check_run(s);
}
