/*
 * spf_testmode - one test of the RFC 7208 suite through "portcullis -t"
 *
 * The configuration lets every verdict through, so that the message
 * reaches its end and the headers are printed whatever the result: SPF
 * and HELO actions at accept, spf_on_error and on_error at accept; the
 * HELO identity is evaluated only where the suite asks for it (the null
 * sender, whose MAIL FROM identity is postmaster@HELO, RFC 7208 2.4);
 * no DKIM, no cache (a fresh process per test has none anyway).
 *
 * From the output it reads the Received-SPF header (its result, the
 * first word, and its identity=) and the spf= result of
 * Authentication-Results, and requires the verdict line to say accept.
 * The explanation of a fail is not compared: neither header carries
 * it (the suite's explanation cases are compared on their result).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spf_testmode.h"
#include "util.h"

#define OUTPUT_MAX 65536 /* the test mode prints a few hundred bytes */
#define RUN_MAX_MS 30000 /* a run that takes longer has hung */

extern char **environ;

/* spf_testmode_conf - write the configuration for a DNS server */
bool
spf_testmode_conf(const char *path, const char *servers, unsigned timeout_ms,
                  char *why, size_t whylen)
{
	static const char *const accept[] = {
	    "spf_mailfrom_fail",      "spf_mailfrom_softfail",
	    "spf_mailfrom_neutral",   "spf_mailfrom_none",
	    "spf_mailfrom_permerror", "spf_helo_fail",
	    "spf_helo_softfail",      "spf_helo_permerror",
	    "helo_required",          "helo_invalid",
	    "helo_non_fqdn",          "helo_bare_ip",
	    "helo_literal_mismatch",  "helo_impersonation",
	};
	FILE *fp = fopen(path, "w");
	bool ok;

	if (fp == NULL) {
		pcl_format(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	fprintf(fp,
	        "myhostname = mx.example.org\n"
	        "dns_servers = %s\n"
	        "dns_timeout = %ums\n"
	        "dns_attempts = 1\n"
	        "dns_cache_size = 0\n"
	        "spf_verify = yes\n"
	        "spf_helo = no\n"
	        "spf_received_header = yes\n"
	        "auth_results = yes\n"
	        "dkim_verify = no\n"
	        "dmarc_verify = no\n"
	        "on_error = accept\n"
	        "spf_on_error = accept\n",
	        servers, timeout_ms);
	for (size_t i = 0; i < sizeof(accept) / sizeof(accept[0]); i++)
		fprintf(fp, "%s_action = accept\n", accept[i]);
	ok = fflush(fp) == 0 && !ferror(fp);
	if (fclose(fp) != 0 || !ok) {
		pcl_format(why, whylen, "%s: cannot write", path);
		return false;
	}
	return true;
}

/* now_ms - the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run - argv[0] with its stdout in buf (NUL-terminated, cut at len - 1
 * bytes); the wait status, or -1 with why */
static int
run(char *const argv[], char *buf, size_t len, char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	long long deadline = now_ms() + RUN_MAX_MS;
	size_t used = 0;
	int pfd[2], status = -1, rc;
	pid_t pid;

	buf[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		pcl_format(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		pcl_format(why, whylen, "%s: %s", argv[0], strerror(rc));
		close(pfd[0]);
		return -1;
	}
	for (;;) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		long long left = deadline - now_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			pcl_format(why, whylen, "no end after %d ms",
			           RUN_MAX_MS);
			break;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
		n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (used + (size_t)n >= len)
			n = (ssize_t)(len - 1 - used);
		memcpy(buf + used, chunk, (size_t)n);
		used += (size_t)n;
		buf[used] = '\0';
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return why[0] != '\0' ? -1 : status;
}

/* header_value - the value of the first header name among the
 * "headers:" of the output, folds joined by one space; false if none */
static bool
header_value(const char *output, const char *name, char *value, size_t len)
{
	const char *p = strstr(output, "\nheaders:\n");
	size_t n = strlen(name);
	bool in = false;

	value[0] = '\0';
	if (p == NULL)
		return false;
	for (p += 10; *p == ' ' && p[1] == ' '; p = strchr(p, '\n') + 1) {
		const char *eol = strchr(p, '\n');
		int width;

		if (eol == NULL)
			break;
		if (p[2] != ' ' && p[2] != '\t') { /* a header starts */
			if (in)
				return true;
			in = strncmp(p + 2, name, n) == 0 && p[2 + n] == ':';
			if (in)
				pcl_format(value, len, "%.*s",
				           (int)(eol - p - 3 - (int)n),
				           p + 3 + n);
			continue;
		}
		width = (int)(eol - p - 3);
		if (in)
			pcl_append(value, len, " %.*s", width, p + 3);
	}
	return in;
}

/* word_after - the word after key in text (up to a space or ';') */
static void
word_after(const char *text, const char *key, char *word, size_t len)
{
	const char *p = strstr(text, key);
	size_t n;

	word[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(key);
	n = strcspn(p, " ;");
	pcl_format(word, len, "%.*s", (int)n, p);
}

/* spf_testmode_run - one test through the test mode */
bool
spf_testmode_run(const char *portcullis, const char *conf, const char *host,
                 const char *mailfrom, const char *helo,
                 struct spf_testmode_out *out, char *why, size_t whylen)
{
	char *argv[16];
	char *output = malloc(OUTPUT_MAX);
	char authres[1024];
	const char *verdict;
	int argc = 0, status;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (output == NULL) {
		pcl_format(why, whylen, "out of memory");
		return false;
	}
	argv[argc++] = (char *)portcullis;
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)conf;
	argv[argc++] = (char *)"-t";
	argv[argc++] = (char *)"--client-ip";
	argv[argc++] = (char *)host;
	if (*helo != '\0') {
		argv[argc++] = (char *)"--helo";
		argv[argc++] = (char *)helo;
	}
	argv[argc++] = (char *)"--from";
	argv[argc++] = (char *)mailfrom;
	argv[argc++] = (char *)"--rcpt";
	argv[argc++] = (char *)"user@example.org";
	argv[argc] = NULL;
	status = run(argv, output, OUTPUT_MAX, why, whylen);
	if (status < 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pcl_format(why, whylen, "portcullis -t: %s %d",
		           WIFEXITED(status) ? "exit status" : "signal",
		           WIFEXITED(status) ? WEXITSTATUS(status)
		                             : WTERMSIG(status));
		goto out;
	}
	verdict = strstr(output, "\nverdict: ");
	if (verdict == NULL || strncmp(verdict, "\nverdict: accept\n", 17)) {
		pcl_format(why, whylen, "verdict: %.60s",
		           verdict ? verdict + 10 : "(none)");
		goto out;
	}
	if (!header_value(output, "Received-SPF", out->header,
	                  sizeof(out->header))) {
		pcl_format(why, whylen, "no Received-SPF header");
		goto out;
	}
	word_after(out->header, " ", out->result, sizeof(out->result));
	word_after(out->header, " identity=", out->identity,
	           sizeof(out->identity));
	if (header_value(output, "Authentication-Results", authres,
	                 sizeof(authres)))
		word_after(authres, " spf=", out->authres,
		           sizeof(out->authres));
	ok = true;
out:
	free(output);
	return ok;
}
