/*
 * fakedns_main - the unit tests' fakedns (tests/unit/fakedns.c) as a
 * standalone delaying DNS server, for the DNS list benchmark
 *
 *	fakedns_main --zone FILE [--listen ADDR:PORT] [--delay-ms D]
 *	             [--delay NAME=MS]... [--control]
 *
 * Serves the zone in FILE (master-file format with a $ORIGIN and an
 * SOA, as fakedns_start takes it) over UDP and TCP on ADDR:PORT (IPv4;
 * default 127.0.0.1 and a port the kernel picks). --delay-ms D delays
 * every answer by D ms (fakedns_set_delay("*", D)); --delay NAME=MS one
 * name. Delayed answers overlap: each is due at its receipt + delay.
 *
 * Prints one line "listening ADDR:PORT" on stdout once it serves, then
 * runs until SIGTERM or SIGINT. With --control it also reads commands,
 * one a line, on stdin and answers each with one line on stdout, and it
 * exits on end of input or when its parent dies:
 *
 *	count           queries received so far, all names
 *	count NAME      queries received for NAME
 *	delay NAME MS   delay NAME ("*": every name without its own knob)
 *	drop NAME       never answer NAME ("*.ZONE": every name under ZONE)
 *	quit            exit
 *
 * Exit status 0 on a signal, "quit" or end of input; 1 when it cannot
 * start; 2 on a usage error.
 *
 * Build (from the top of the tree, as bench/dnsbl/run.sh does):
 *	gcc -O2 -pthread -I. -Itests/unit bench/dnsbl/fakedns_main.c \
 *	    tests/unit/fakedns.c tests/unit/fakedns_knobs.c \
 *	    tests/unit/fakedns_zone.c $(pkg-config --cflags --libs ldns) \
 *	    -o fakedns_main
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fakedns.h"

#define MAX_DELAYS 64

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr,
	        "usage: fakedns_main --zone FILE [--listen ADDR:PORT] "
	        "[--delay-ms D] [--delay NAME=MS]... [--control]\n");
	exit(2);
}

/* read_file - the whole of path, NUL-terminated; NULL on error */
static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536);

			if (grown == NULL) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

/* parse_ms - a delay in ms, 0..600000; -1 when not a number */
static long
parse_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > 600000)
		return -1;
	return v;
}

/* command - run one control line; false on "quit" */
static bool
command(char *line)
{
	char *argv[4] = {0};
	int argc = 0;
	long ms;

	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 4;
	     tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
	if (argc == 0) {
		printf("error empty command\n");
	} else if (strcmp(argv[0], "count") == 0 && argc <= 2) {
		printf("%u\n", fakedns_queries(argc == 2 ? argv[1] : NULL));
	} else if (strcmp(argv[0], "delay") == 0 && argc == 3 &&
	           (ms = parse_ms(argv[2])) >= 0) {
		fakedns_set_delay(argv[1], (unsigned)ms);
		printf("ok\n");
	} else if (strcmp(argv[0], "drop") == 0 && argc == 2) {
		fakedns_set_drop(argv[1]);
		printf("ok\n");
	} else if (strcmp(argv[0], "quit") == 0) {
		printf("ok\n");
		return false;
	} else {
		printf("error unknown command\n");
	}
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"zone", required_argument, NULL, 'z'},
	    {"listen", required_argument, NULL, 'l'},
	    {"delay-ms", required_argument, NULL, 'd'},
	    {"delay", required_argument, NULL, 'n'},
	    {"control", no_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *zone_path = NULL, *listen_at = NULL;
	char *delays[MAX_DELAYS];
	size_t ndelays = 0;
	long delay_all = 0;
	bool control = false;
	struct fakedns *fk;
	char *zone, addr[64] = "";
	int port = 0, opt, sfd;
	sigset_t sigs;
	char line[512];
	size_t got = 0;
	bool run = true;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'z':
			zone_path = optarg;
			break;
		case 'l':
			listen_at = optarg;
			break;
		case 'd':
			if ((delay_all = parse_ms(optarg)) < 0)
				usage();
			break;
		case 'n':
			if (ndelays == MAX_DELAYS || strchr(optarg, '=') == NULL)
				usage();
			delays[ndelays++] = optarg;
			break;
		case 'c':
			control = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || zone_path == NULL)
		usage();
	if (listen_at != NULL) {
		const char *colon = strrchr(listen_at, ':');
		char *end;

		if (colon == NULL || (size_t)(colon - listen_at) >= sizeof(addr))
			usage();
		memcpy(addr, listen_at, (size_t)(colon - listen_at));
		addr[colon - listen_at] = '\0';
		errno = 0;
		port = (int)strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
			usage();
	}
	if (control)
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	zone = read_file(zone_path);
	if (zone == NULL) {
		fprintf(stderr, "fakedns_main: %s: %s\n", zone_path,
		        strerror(errno));
		return 1;
	}

	/* Blocked before the server thread starts, so that it inherits
	 * the mask and the signals reach the signalfd only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("fakedns_main: signalfd");
		return 1;
	}

	fk = (listen_at == NULL || (strcmp(addr, "127.0.0.1") == 0 && port == 0))
	         ? fakedns_start(zone)
	         : fakedns_start_at(zone, addr, port);
	free(zone);
	if (fk == NULL)
		return 1;
	if (delay_all > 0)
		fakedns_set_delay("*", (unsigned)delay_all);
	for (size_t i = 0; i < ndelays; i++) {
		char *eq = strchr(delays[i], '=');
		long ms = parse_ms(eq + 1);

		*eq = '\0';
		if (ms < 0) {
			fakedns_stop();
			usage();
		}
		fakedns_set_delay(delays[i], (unsigned)ms);
	}
	printf("listening %s\n", fk->servers);
	fflush(stdout);

	while (run) {
		struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {0, POLLIN, 0}};
		ssize_t n;

		if (poll(pfd, control ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (!control || !pfd[1].revents)
			continue;
		n = read(0, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break; /* end of input: the controller is gone */
		got += (size_t)n;
		line[got] = '\0';
		for (char *nl; run && (nl = strchr(line, '\n')) != NULL;) {
			size_t used = (size_t)(nl - line) + 1;

			*nl = '\0';
			run = command(line);
			fflush(stdout);
			memmove(line, line + used, got - used + 1);
			got -= used;
		}
		if (got == sizeof(line) - 1)
			got = 0; /* an overlong line: dropped */
	}
	fakedns_stop();
	return 0;
}
