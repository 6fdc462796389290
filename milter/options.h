/*
 * options - the command line of portcullis
 *
 * pcl_options_parse reads argv into a struct pcl_options: the mode (run
 * the daemon, check or dump the configuration, test mode, help,
 * version), the configuration file, the "name=value" overrides that -p,
 * -u and -P stand for, and the test-mode transaction. Every mistake is
 * a usage error (exit status 2) reported through err; nothing here
 * prints or exits.
 */
#ifndef PCL_OPTIONS_H
#define PCL_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The program's name in logs and messages. */
#define PCL_IDENT "portcullis"

/* Exit status of the program (documented in main.c). */
#define PCL_EXIT_OK 0
#define PCL_EXIT_CONFIG 1 /* bad configuration, or a fatal error */
#define PCL_EXIT_USAGE 2
#define PCL_EXIT_QUARANTINE 3 /* test mode verdicts */
#define PCL_EXIT_TEMPFAIL 4
#define PCL_EXIT_REJECT 5
#define PCL_EXIT_DISCARD 6

enum pcl_mode {
	PCL_MODE_DAEMON = 0,
	PCL_MODE_CHECK,   /* -n */
	PCL_MODE_DUMP,    /* -d */
	PCL_MODE_TEST,    /* -t */
	PCL_MODE_HELP,    /* -h */
	PCL_MODE_VERSION, /* -V */
};

/* One SMTP transaction for the test mode. Strings point into argv. */
struct pcl_test_args {
	char client_addr[INET6_ADDRSTRLEN]; /* canonical, as inet_ntop */
	const char *client_name;            /* NULL: none */
	int client_port;                    /* 25 unless given */
	const char *helo;                   /* NULL: no HELO command */
	const char *from;                   /* "" = null sender */
	const char **rcpts;
	size_t nrcpts;
	const char *auth;        /* NULL: not authenticated */
	const char *daemon_name; /* NULL: none */
	const char *message;     /* file, or NULL for an empty one */
	const char *queue_id;    /* NULL: none */
};

#define PCL_OPTIONS_MAX_OVERRIDES 3

struct pcl_options {
	enum pcl_mode mode;
	const char *conf_path; /* -c, or NULL when not given */
	bool foreground;       /* -f */
	/* "milter_socket=...", "user=...", "pid_file=..." for
	 * pcl_conf_load; overrides[i] aliases owned[i]. */
	const char *overrides[PCL_OPTIONS_MAX_OVERRIDES];
	char *owned[PCL_OPTIONS_MAX_OVERRIDES];
	size_t noverrides;
	struct pcl_test_args test;
};

/* pcl_options_parse - read argv into o; 0, or -1 with a usage error in
 * err. Call pcl_options_free in both cases. */
int pcl_options_parse(struct pcl_options *o, int argc, char **argv, char *err,
                      size_t errlen);

/* pcl_options_free - release what pcl_options_parse allocated */
void pcl_options_free(struct pcl_options *o);

/* pcl_options_usage - write the help text to fp */
void pcl_options_usage(FILE *fp);

#endif
