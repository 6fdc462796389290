/*
 * util - bounded string helpers
 */
#include "config.h"

#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* pcl_copy - copy src into dst of size len; false when truncated */
bool
pcl_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return false;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

/* pcl_format - snprintf into dst; false when truncated or on error */
bool
pcl_format(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len == 0)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(dst, len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len;
}

/* pcl_append - append formatted text; false when truncated */
bool
pcl_append(char *dst, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(dst, len);
	va_list ap;
	int n;

	if (used >= len)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(dst + used, len - used, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len - used;
}

/* pcl_lower - lowercase an ASCII string in place */
char *
pcl_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* pcl_trim - strip leading and trailing white space in place */
char *
pcl_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* pcl_strdup - strdup that passes NULL through */
char *
pcl_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* pcl_strip_brackets - "<a@b>" to "a@b" */
bool
pcl_strip_brackets(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= 2 && src[0] == '<' && src[n - 1] == '>') {
		src++;
		n -= 2;
	}
	if (n >= len) {
		if (len > 0)
			dst[0] = '\0';
		return false;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* pcl_tcp_nodelay_listeners - TCP_NODELAY on every listening TCP socket
 * of the process; libmilter does not hand out its socket, and
 * connections accepted on it inherit the option (Linux) */
int
pcl_tcp_nodelay_listeners(void)
{
	const int on = 1;
	long max = sysconf(_SC_OPEN_MAX);
	int n = 0;

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 0; fd < max; fd++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int listening = 0;
		socklen_t len = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		               &len) != 0 ||
		    !listening ||
		    getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) ==
		    0)
			n++;
	}
	return n;
}

/* pcl_option_error - getopt_long's complaint as an error message */
void
pcl_option_error(char *err, size_t errlen, int c, int short_opt,
                 const char *arg)
{
	if (c == ':')
		pcl_format(err, errlen, "option %s needs an argument", arg);
	else if (short_opt != 0)
		pcl_format(err, errlen, "unknown option -%c", short_opt);
	else
		pcl_format(err, errlen, "unknown option %s", arg);
}

/* pcl_header_address - the address of a From:-style value */
bool
pcl_header_address(const char *value, char *out, size_t len)
{
	const char *lt = strchr(value, '<'), *p, *end;
	size_t n;

	if (lt && (end = strchr(lt, '>')) != NULL) {
		p = lt + 1;
	} else {
		p = value;
		while (isspace((unsigned char)*p))
			p++;
		end = p;
		while (*end && !isspace((unsigned char)*end) && *end != '(')
			end++;
	}
	n = (size_t)(end - p);
	if (n == 0 || n >= len || memchr(p, '@', n) == NULL)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}
