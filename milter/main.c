/*
 * portcullis - a Postfix milter that enforces SMTP policy
 *
 * Usage:
 *   portcullis [-f] [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]
 *   portcullis -n [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]
 *   portcullis -d [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]
 *   portcullis -t [-c FILE] --client-ip IP [--client-name NAME]
 *              [--client-port N] [--helo NAME] [--from ADDR]
 *              --rcpt ADDR [--rcpt ADDR ...] [--auth USER]
 *              [--daemon-name NAME] [--message FILE] [--queue-id ID]
 *   portcullis -h | -V
 *
 * Options:
 *   -c FILE     the configuration (default PCL_CONF_DEFAULT_PATH). When
 *               -c is not given and the default file does not exist,
 *               the built-in defaults are used, and the daemon logs so.
 *   -p SOCKET   milter socket; overrides milter_socket
 *   -u USER     service user; overrides user
 *   -P PIDFILE  pid file; overrides pid_file
 *   -f          stay in the foreground, log to stderr as well as syslog
 *   -n          check the configuration: print nothing and exit 0 when
 *               it is good, else print every error ("file:line:
 *               message") to stderr and exit 1
 *   -d          print every setting in force ("name = value", secrets
 *               as <redacted>) and exit 0
 *   -t          test mode: run one SMTP transaction through the checks
 *               offline; print the trace, the headers that would be
 *               added and the verdict (see milter/testmode.c)
 *   -h          help;  -V  version
 *
 * The daemon: without -f it detaches, and the command returns 0 once
 * the milter socket is open, 1 when startup failed. The process left
 * running (the pid in the pid file, systemd's MainPID) is a supervisor
 * with one milter worker process:
 *   SIGHUP      reload the configuration (SIGUSR1 to the worker); a bad
 *               configuration is logged and the running one is kept
 *   SIGUSR1     the same (to either process, as OpenDKIM)
 *   SIGTERM, SIGINT  stop: the worker finishes, the socket file and the
 *               pid file are removed (when the directories allow)
 *   If the worker dies, the supervisor logs how and exits 1.
 * Started as root with user set, both processes run as that user.
 *
 * Exit status:
 *   0  success (test mode: the message is accepted or tagged)
 *   1  configuration error, or the daemon failed (startup, worker died)
 *   2  usage error (bad option, bad --client-ip, unreadable --message)
 *   test mode only:
 *   3  quarantine   4  tempfail   5  reject   6  discard
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "options.h"
#include "supervise.h"
#include "testmode.h"
#include "util.h"

/* print_lines - write text to fp, ending with a newline */
static void
print_lines(FILE *fp, const char *text)
{
	size_t n = strlen(text);

	fputs(text, fp);
	if (n > 0 && text[n - 1] != '\n')
		fputc('\n', fp);
}

/* absolute_path - path made absolute against the current directory,
 * so that a reload after chdir("/") reads the same file; NULL on
 * out-of-memory (caller frees) */
static char *
absolute_path(const char *path)
{
	char *cwd = NULL, *abs = NULL;
	size_t len;

	if (path[0] == '/')
		return pcl_strdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		goto out;
	len = strlen(cwd) + 1 + strlen(path) + 1;
	abs = malloc(len);
	if (abs != NULL && !pcl_format(abs, len, "%s/%s", cwd, path)) {
		free(abs);
		abs = NULL;
	}
out:
	free(cwd);
	return abs;
}

/* config_path - -c, or the default file, or NULL (built-in defaults)
 * when -c was not given and the default file does not exist */
static const char *
config_path(const struct pcl_options *o, bool *builtin)
{
	*builtin = false;
	if (o->conf_path != NULL)
		return o->conf_path;
	if (access(PCL_CONF_DEFAULT_PATH, F_OK) != 0 && errno == ENOENT) {
		*builtin = true;
		return NULL;
	}
	return PCL_CONF_DEFAULT_PATH;
}

/* config_errors - report a failed load: to stderr, and for the daemon
 * to syslog as well */
static void
config_errors(bool daemon, const char *errors)
{
	if (errors == NULL || *errors == '\0')
		errors = "cannot load the configuration";
	if (daemon)
		pcl_supervise_log_lines(LOG_ERR, errors); /* stderr too */
	else
		print_lines(stderr, errors);
}

/* run_daemon - start the daemon on conf (ownership passes) */
static int
run_daemon(const struct pcl_options *o, struct pcl_conf *conf, const char *path,
           bool builtin, int facility)
{
	struct pcl_daemon_args args;
	char *abs = NULL;
	int rc;

	pcl_log_open(PCL_IDENT, facility, o->foreground, true);
	if (builtin)
		pcl_log(LOG_NOTICE,
		        "%s does not exist: running on built-in "
		        "defaults",
		        PCL_CONF_DEFAULT_PATH);
	if (path != NULL && (abs = absolute_path(path)) == NULL) {
		pcl_log(LOG_ERR, "out of memory");
		pcl_conf_free(conf);
		return PCL_EXIT_CONFIG;
	}
	memset(&args, 0, sizeof(args));
	args.conf_path = abs;
	args.overrides = o->overrides;
	args.noverrides = o->noverrides;
	args.foreground = o->foreground;
	args.facility = facility;
	rc = pcl_supervise_run(conf, &args);
	free(abs);
	return rc;
}

/* main - parse the command line, load the configuration, run a mode */
int
main(int argc, char **argv)
{
	struct pcl_options opts;
	struct pcl_conf *conf = NULL;
	char err[PCL_ERR_MAX];
	char *errors = NULL, *dump = NULL;
	const char *path;
	bool builtin, daemon;
	int facility = -1, rc = PCL_EXIT_CONFIG;

	if (pcl_options_parse(&opts, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\nTry '%s -h' for help.\n", PCL_IDENT,
		        err, PCL_IDENT);
		rc = PCL_EXIT_USAGE;
		goto out;
	}
	if (opts.mode == PCL_MODE_HELP) {
		pcl_options_usage(stdout);
		rc = PCL_EXIT_OK;
		goto out;
	}
	if (opts.mode == PCL_MODE_VERSION) {
		printf("%s %s\n", PCL_IDENT, PACKAGE_VERSION);
		rc = PCL_EXIT_OK;
		goto out;
	}

	daemon = opts.mode == PCL_MODE_DAEMON;
	path = config_path(&opts, &builtin);
	/* Until the configuration names a facility: mail, and stderr so
	 * that a failed start is seen by whoever started it. */
	pcl_log_open(PCL_IDENT, LOG_MAIL, true, daemon);
	conf = pcl_conf_load(path, opts.overrides, opts.noverrides, &errors);
	if (conf == NULL) {
		config_errors(daemon, errors);
		goto out;
	}
	facility = pcl_log_facility_parse(conf->syslog_facility);
	if (facility < 0) {
		pcl_format(err, sizeof(err),
		           "%s: syslog_facility: unknown facility \"%s\"",
		           path != NULL ? path : "built-in",
		           conf->syslog_facility);
		config_errors(daemon, err);
		goto out;
	}

	switch (opts.mode) {
	case PCL_MODE_CHECK:
		rc = PCL_EXIT_OK;
		break;
	case PCL_MODE_DUMP:
		dump = pcl_conf_dump(conf);
		if (dump == NULL) {
			fprintf(stderr, "%s: out of memory\n", PCL_IDENT);
			break;
		}
		fputs(dump, stdout);
		rc = fflush(stdout) == 0 ? PCL_EXIT_OK : PCL_EXIT_CONFIG;
		break;
	case PCL_MODE_TEST:
		/* Stray library warnings go to stderr, not into the
		 * output or the mail log. */
		pcl_log_open(PCL_IDENT, facility, true, false);
		rc = pcl_testmode_run(conf, &opts.test);
		break;
	default:
		rc = run_daemon(&opts, conf, path, builtin, facility);
		conf = NULL;
		break;
	}
out:
	pcl_conf_free(conf);
	free(errors);
	free(dump);
	pcl_options_free(&opts);
	return rc;
}
