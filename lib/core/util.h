/*
 * util - bounded string helpers shared by every module, and one socket
 * helper
 *
 * The project never uses strcpy/strcat/sprintf/strncpy/strncat. These
 * helpers copy and format into fixed buffers and say whether the result
 * was truncated, so a caller can turn truncation into an error.
 */
#ifndef PCL_UTIL_H
#define PCL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* RFC limits used for buffer sizes. */
#define PCL_DOMAIN_MAX 253  /* RFC 1035, without the trailing dot */
#define PCL_LABEL_MAX 63    /* RFC 1035 */
#define PCL_LOCAL_MAX 64    /* RFC 5321 local-part */
#define PCL_ADDRESS_MAX 320 /* local@domain, with room for brackets */
#define PCL_LINE_MAX 1000   /* RFC 5321 text line */
#define PCL_ERR_MAX 512     /* size of an error buffer */

/* pcl_copy - copy src into dst of size len; false when truncated */
bool pcl_copy(char *dst, size_t len, const char *src);

/* pcl_format - snprintf into dst; false when truncated or on error */
bool pcl_format(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pcl_append - append formatted text at dst+strlen(dst); false if cut */
bool pcl_append(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pcl_lower - lowercase an ASCII string in place; returns it */
char *pcl_lower(char *s);

/* pcl_trim - strip leading and trailing white space in place */
char *pcl_trim(char *s);

/* pcl_xstrdup - strdup that returns NULL only for NULL input; aborts
 * on out-of-memory is not allowed, so callers must check NULL when
 * input is non-NULL. */
char *pcl_strdup(const char *s);

/* pcl_strip_brackets - copy "<a@b>" as "a@b" (and "<>" as ""); false if
 * the result does not fit */
bool pcl_strip_brackets(char *dst, size_t len, const char *src);

/* pcl_header_address - the address of a From:-style value ("Name"
 * <a@b> or a@b (comment)) into out; false when there is none with an
 * '@' or it does not fit */
bool pcl_header_address(const char *value, char *out, size_t len);

/* pcl_option_error - the message for what getopt_long returned (c:
 * ':' for a missing argument, else an unknown option) about arg
 * (argv[optind - 1]); short_opt is optopt for a short option, 0 for a
 * long one */
void pcl_option_error(char *err, size_t errlen, int c, int short_opt,
                      const char *arg);

/* pcl_tcp_nodelay_listeners - set TCP_NODELAY on the process's
 * listening TCP sockets; how many were set (the one socket helper) */
int pcl_tcp_nodelay_listeners(void);

#endif
