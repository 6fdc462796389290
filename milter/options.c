/*
 * options - the command line of portcullis
 *
 * Short options for the daemon (as OpenDKIM and Postfix's tools spell
 * them), long-only options for the test mode. -p, -u and -P do not set
 * fields of their own: they become "name=value" overrides applied by
 * pcl_conf_load after the file, so -d shows them and a reload keeps
 * them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "options.h"
#include "util.h"

/* Long-only options of the test mode. */
enum {
	OPT_CLIENT_IP = 256,
	OPT_CLIENT_NAME,
	OPT_CLIENT_PORT,
	OPT_HELO,
	OPT_FROM,
	OPT_RCPT,
	OPT_AUTH,
	OPT_DAEMON_NAME,
	OPT_MESSAGE,
	OPT_QUEUE_ID,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"socket", required_argument, NULL, 'p'},
    {"user", required_argument, NULL, 'u'},
    {"pid-file", required_argument, NULL, 'P'},
    {"foreground", no_argument, NULL, 'f'},
    {"check", no_argument, NULL, 'n'},
    {"dump", no_argument, NULL, 'd'},
    {"test", no_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"client-ip", required_argument, NULL, OPT_CLIENT_IP},
    {"client-name", required_argument, NULL, OPT_CLIENT_NAME},
    {"client-port", required_argument, NULL, OPT_CLIENT_PORT},
    {"helo", required_argument, NULL, OPT_HELO},
    {"from", required_argument, NULL, OPT_FROM},
    {"rcpt", required_argument, NULL, OPT_RCPT},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"daemon-name", required_argument, NULL, OPT_DAEMON_NAME},
    {"message", required_argument, NULL, OPT_MESSAGE},
    {"queue-id", required_argument, NULL, OPT_QUEUE_ID},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: " PCL_IDENT " [-f] [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]\n"
    "       " PCL_IDENT " -n [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]\n"
    "       " PCL_IDENT " -d [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]\n"
    "       " PCL_IDENT " -t [-c FILE] --client-ip IP --rcpt ADDR [...]\n"
    "       " PCL_IDENT " -h | -V\n"
    "\n"
    "  -c, --config FILE     configuration file (default " PCL_CONF_DEFAULT_PATH
    ";\n"
    "                        built-in defaults when it does not exist)\n"
    "  -p, --socket SOCKET   milter socket, overrides milter_socket:\n"
    "                        unix:/path, inet:port@host, inet6:port@host\n"
    "  -u, --user USER       run as USER, overrides user\n"
    "  -P, --pid-file FILE   pid file of the daemon, overrides pid_file\n"
    "  -f, --foreground      do not detach; log to stderr as well\n"
    "  -n, --check           check the configuration: silent and exit 0\n"
    "                        when good, else the errors and exit 1\n"
    "  -d, --dump            print every setting in force and exit\n"
    "  -t, --test            test mode: run one SMTP transaction through\n"
    "                        the checks offline and print the trace\n"
    "  -h, --help            this text\n"
    "  -V, --version         the version\n"
    "\n"
    "Test mode (-t):\n"
    "  --client-ip IP        client address (required)\n"
    "  --client-name NAME    verified client name (default: none)\n"
    "  --client-port N       client port (default 25; 0 = sendmail(1),\n"
    "                        Postfix's non_smtpd_milters)\n"
    "  --helo NAME           HELO/EHLO name (default: no HELO)\n"
    "  --from ADDR           sender (default: the null sender)\n"
    "  --rcpt ADDR           recipient (required; may be repeated)\n"
    "  --auth USER           SASL login name ({auth_authen})\n"
    "  --daemon-name NAME    Postfix's {daemon_name}\n"
    "  --message FILE        message (LF or CRLF lines; default: empty)\n"
    "  --queue-id ID         Postfix's queue ID\n"
    "\n"
    "Signals: SIGHUP or SIGUSR1 reloads the configuration; SIGTERM or\n"
    "SIGINT stops the daemon.\n"
    "Exit status: 0 ok, 1 configuration error, 2 usage error; test mode:\n"
    "0 accept or tag, 3 quarantine, 4 tempfail, 5 reject, 6 discard.\n";

/* pcl_options_usage - write the help text to fp */
void
pcl_options_usage(FILE *fp)
{
	fputs(usage_text, fp);
}

/* override_add - remember "key=value" for pcl_conf_load */
static int
override_add(struct pcl_options *o, const char *key, const char *value)
{
	size_t len;
	char *text;

	if (value == NULL)
		return 0;
	if (o->noverrides >= PCL_OPTIONS_MAX_OVERRIDES)
		return -1;
	len = strlen(key) + 1 + strlen(value) + 1;
	text = malloc(len);
	if (text == NULL)
		return -1;
	if (!pcl_format(text, len, "%s=%s", key, value)) {
		free(text);
		return -1;
	}
	o->owned[o->noverrides] = text;
	o->overrides[o->noverrides] = text;
	o->noverrides++;
	return 0;
}

/* mode_set - record -n, -d or -t; false when another was given */
static bool
mode_set(struct pcl_options *o, enum pcl_mode m)
{
	if (o->mode != PCL_MODE_DAEMON && o->mode != m)
		return false;
	o->mode = m;
	return true;
}

/* address_canonical - the address as the milter would see it (IPv6 in
 * inet_ntop's form); false when text is not an address */
static bool
address_canonical(const char *text, char *buf, size_t len)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1)
		return inet_ntop(AF_INET, &a4, buf, (socklen_t)len) != NULL;
	if (inet_pton(AF_INET6, text, &a6) == 1)
		return inet_ntop(AF_INET6, &a6, buf, (socklen_t)len) != NULL;
	return false;
}

/* port_parse - a port number 0..65535; -1 when bad */
static int
port_parse(const char *text)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

/* test_args_check - the test mode's own requirements */
static int
test_args_check(struct pcl_options *o, const char *ip, const char *port,
                char *err, size_t errlen)
{
	struct pcl_test_args *t = &o->test;

	if (ip == NULL) {
		pcl_format(err, errlen, "test mode needs --client-ip");
		return -1;
	}
	if (!address_canonical(ip, t->client_addr, sizeof(t->client_addr))) {
		pcl_format(err, errlen,
		           "--client-ip %s: not an IPv4 or IPv6 address", ip);
		return -1;
	}
	if (port != NULL && (t->client_port = port_parse(port)) < 0) {
		pcl_format(err, errlen,
		           "--client-port %s: not a port number (0-65535)",
		           port);
		return -1;
	}
	if (t->nrcpts == 0) {
		pcl_format(err, errlen, "test mode needs at least one --rcpt");
		return -1;
	}
	return 0;
}

/* pcl_options_parse - read argv into o; 0, or -1 with a usage error */
int
pcl_options_parse(struct pcl_options *o, int argc, char **argv, char *err,
                  size_t errlen)
{
	const char *sock = NULL, *user = NULL, *pid_file = NULL;
	const char *ip = NULL, *port = NULL, *test_opt = NULL;
	bool help = false, version = false;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->test.client_port = 25;
	o->test.from = "";
	err[0] = '\0';
	/* Every --rcpt takes two argv slots, so argc bounds the count. */
	o->test.rcpts = calloc((size_t)argc + 1, sizeof(*o->test.rcpts));
	if (o->test.rcpts == NULL) {
		pcl_format(err, errlen, "out of memory");
		return -1;
	}

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:p:u:P:fndthV", long_options,
	                        &idx)) != -1) {
		if (c >= OPT_CLIENT_IP)
			test_opt = long_options[idx].name;
		switch (c) {
		case 'c':
			o->conf_path = optarg;
			break;
		case 'p':
			sock = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'P':
			pid_file = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
		case 'd':
		case 't':
			if (!mode_set(o, c == 'n'   ? PCL_MODE_CHECK
			                 : c == 'd' ? PCL_MODE_DUMP
			                            : PCL_MODE_TEST)) {
				pcl_format(err, errlen,
				           "-n, -d and -t exclude each other");
				return -1;
			}
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case OPT_CLIENT_IP:
			ip = optarg;
			break;
		case OPT_CLIENT_NAME:
			o->test.client_name = optarg;
			break;
		case OPT_CLIENT_PORT:
			port = optarg;
			break;
		case OPT_HELO:
			o->test.helo = optarg;
			break;
		case OPT_FROM:
			o->test.from = optarg;
			break;
		case OPT_RCPT:
			o->test.rcpts[o->test.nrcpts++] = optarg;
			break;
		case OPT_AUTH:
			o->test.auth = optarg;
			break;
		case OPT_DAEMON_NAME:
			o->test.daemon_name = optarg;
			break;
		case OPT_MESSAGE:
			o->test.message = optarg;
			break;
		case OPT_QUEUE_ID:
			o->test.queue_id = optarg;
			break;
		default:
			pcl_option_error(err, errlen, c,
			                 optopt < OPT_CLIENT_IP ? optopt : 0,
			                 argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		pcl_format(err, errlen, "unexpected argument \"%s\"",
		           argv[optind]);
		return -1;
	}
	if (help || version) {
		o->mode = help ? PCL_MODE_HELP : PCL_MODE_VERSION;
		return 0;
	}
	if (test_opt != NULL && o->mode != PCL_MODE_TEST) {
		pcl_format(err, errlen, "--%s is a test mode option: add -t",
		           test_opt);
		return -1;
	}
	if (o->mode == PCL_MODE_TEST &&
	    test_args_check(o, ip, port, err, errlen) != 0)
		return -1;
	if (override_add(o, "milter_socket", sock) != 0 ||
	    override_add(o, "user", user) != 0 ||
	    override_add(o, "pid_file", pid_file) != 0) {
		pcl_format(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* pcl_options_free - release what pcl_options_parse allocated */
void
pcl_options_free(struct pcl_options *o)
{
	for (size_t i = 0; i < o->noverrides; i++)
		free(o->owned[i]);
	o->noverrides = 0;
	free(o->test.rcpts);
	o->test.rcpts = NULL;
}
