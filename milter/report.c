/*
 * portcullis-report - DMARC aggregate reports (RFC 9990) from the data
 * the daemon records, one file per UTC day (lib/auth/dmarc_report.h)
 *
 * Usage:
 *   portcullis-report dmarc [--day YYYY-MM-DD] [--domain DOMAIN]
 *                     [--dir DIR] [--out DIR] [--receiver DOMAIN]
 *                     [--org-name NAME] [--email ADDRESS] [--rfc7489]
 *                     [-v]
 *   portcullis-report -h | -V
 *
 * Reads DIR/YYYY-MM-DD.log (DIR: /var/lib/portcullis/dmarc; the day:
 * yesterday, UTC) and writes one XML report per policy domain into the
 * --out directory (default: the current one), named as the "Email"
 * section of RFC 9990 says: RECEIVER!DOMAIN!BEGIN!END.xml, BEGIN and
 * END the day's first and last second. A report made again for the
 * same day has the same name and Report-ID, as a report sent again
 * must; it replaces the file (written to a temporary name, then
 * renamed). For each report, one line on standard output: the file's
 * path, a tab, and the rua= URIs of the domain's record (as last seen
 * that day), comma-separated ("" when it has none): what a script
 * needs to send it. Sending is left to the administrator
 * (contrib/examples/dmarc-reports.cron).
 *
 * Lines that do not parse are counted and reported on standard error
 * (the first one's reason); a last line cut short by a crash is
 * skipped. The data file is our own, so it is parsed strictly but not
 * treated as hostile beyond that: every value is escaped for XML.
 *
 * Exit status: 0 reports written; 1 error (the directory or the file
 * cannot be read, a report cannot be written); 2 usage error; 3 no
 * data: no file for the day, or no row (of --domain).
 * Errors go to standard error as "portcullis-report: ...".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "util.h"

#define IDENT "portcullis-report"

#define REPORT_EXIT_OK 0
#define REPORT_EXIT_ERROR 1
#define REPORT_EXIT_USAGE 2
#define REPORT_EXIT_NODATA 3

struct args {
	time_t day; /* its first second */
	char day_text[16];
	char domain[PCL_DOMAIN_MAX + 1]; /* "" for every domain */
	const char *dir, *out;
	char receiver[PCL_DOMAIN_MAX + 1];
	const char *org_name;
	char email[PCL_ADDRESS_MAX + 1];
	enum report_format format;
	bool verbose, help, version;
};

static const struct option long_options[] = {
    {"day", required_argument, NULL, 'd'},
    {"domain", required_argument, NULL, 'D'},
    {"dir", required_argument, NULL, 'i'},
    {"out", required_argument, NULL, 'o'},
    {"receiver", required_argument, NULL, 'r'},
    {"org-name", required_argument, NULL, 'n'},
    {"email", required_argument, NULL, 'e'},
    {"rfc7489", no_argument, NULL, '7'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: " IDENT " dmarc [--day YYYY-MM-DD] [--domain DOMAIN]\n"
    "                         [--dir DIR] [--out DIR] [--receiver DOMAIN]\n"
    "                         [--org-name NAME] [--email ADDRESS]\n"
    "                         [--rfc7489] [-v]\n"
    "       " IDENT " -h | -V\n"
    "\n"
    "Write the DMARC aggregate reports (RFC 9990) of one day, one XML\n"
    "file per policy domain; print each file's path and the domain's\n"
    "rua= URIs, separated by a tab.\n"
    "\n"
    "  --day YYYY-MM-DD     the UTC day (default: yesterday)\n"
    "  --domain DOMAIN      only the report of this policy domain\n"
    "  --dir DIR            the daemon's data (dmarc_report_dir;\n"
    "                       default " PCL_DMARC_REPORT_DIR ")\n"
    "  --out DIR            where the reports go (default: .)\n"
    "  --receiver DOMAIN    this receiver's domain, in file names and\n"
    "                       Report-IDs (default: the host name)\n"
    "  --org-name NAME      the reporting organization (default: the\n"
    "                       receiver)\n"
    "  --email ADDRESS      its contact address (default:\n"
    "                       postmaster@RECEIVER)\n"
    "  --rfc7489            RFC 7489's format instead of RFC 9990's\n"
    "  -v, --verbose        say what was read and left out\n"
    "  -h, --help           this text\n"
    "  -V, --version        the version\n"
    "\n"
    "Exit status: 0 reports written, 1 error, 2 usage error, 3 no data.\n";

/* domain_arg - a domain option, lower case, without a final dot */
static bool
domain_arg(const char *text, char *out, size_t len)
{
	size_t n;

	if (!pcl_copy(out, len, text))
		return false;
	pcl_lower(out);
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return report_name_ok(out);
}

/* defaults - the day, receiver, org name and email not given */
static int
defaults(struct args *a, bool day_given, const char *email, char *err,
         size_t errlen)
{
	char host[PCL_DOMAIN_MAX + 2] = "";

	if (!day_given) {
		a->day = (time(NULL) / 86400 - 1) * 86400;
		pcl_dmarc_report_day_name(a->day, a->day_text,
		                          sizeof(a->day_text));
		a->day_text[10] = '\0';
	}
	if (*a->receiver == '\0') {
		if (gethostname(host, sizeof(host) - 1) != 0 ||
		    !domain_arg(host, a->receiver, sizeof(a->receiver))) {
			pcl_format(err, errlen,
			           "the host name \"%s\" is not a domain: "
			           "give --receiver",
			           host);
			return -1;
		}
	}
	if (a->org_name == NULL)
		a->org_name = a->receiver;
	if (email != NULL) {
		if (!pcl_copy(a->email, sizeof(a->email), email) ||
		    strchr(email, '@') == NULL) {
			pcl_format(err, errlen, "--email %s: not an address",
			           email);
			return -1;
		}
	} else {
		pcl_format(a->email, sizeof(a->email), "postmaster@%s",
		           a->receiver);
	}
	return 0;
}

/* args_parse - argv into a; 0, or -1 with a usage error in err */
static int
args_parse(struct args *a, int argc, char **argv, char *err, size_t errlen)
{
	const char *email = NULL;
	bool day_given = false;
	int c;

	memset(a, 0, sizeof(*a));
	a->dir = PCL_DMARC_REPORT_DIR;
	a->out = ".";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vhV", long_options, NULL)) !=
	       -1) {
		switch (c) {
		case 'd':
			if (!pcl_dmarc_report_day_parse(optarg, strlen(optarg),
			                                &a->day)) {
				pcl_format(err, errlen,
				           "--day %s: want YYYY-MM-DD", optarg);
				return -1;
			}
			pcl_copy(a->day_text, sizeof(a->day_text), optarg);
			day_given = true;
			break;
		case 'D':
			if (!domain_arg(optarg, a->domain, sizeof(a->domain))) {
				pcl_format(err, errlen,
				           "--domain %s: not a domain name",
				           optarg);
				return -1;
			}
			break;
		case 'i':
			a->dir = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'r':
			if (!domain_arg(optarg, a->receiver,
			                sizeof(a->receiver))) {
				pcl_format(err, errlen,
				           "--receiver %s: not a domain name",
				           optarg);
				return -1;
			}
			break;
		case 'n':
			a->org_name = optarg;
			break;
		case 'e':
			email = optarg;
			break;
		case '7':
			a->format = REPORT_RFC7489;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			a->help = true;
			break;
		case 'V':
			a->version = true;
			break;
		default:
			pcl_option_error(err, errlen, c, optopt,
			                 argv[optind - 1]);
			return -1;
		}
	}
	if (a->help || a->version)
		return 0;
	if (optind >= argc) {
		pcl_format(err, errlen, "a command is needed: dmarc");
		return -1;
	}
	if (strcmp(argv[optind], "dmarc") != 0) {
		pcl_format(err, errlen, "unknown command \"%s\"", argv[optind]);
		return -1;
	}
	if (optind + 1 < argc) {
		pcl_format(err, errlen, "unexpected argument \"%s\"",
		           argv[optind + 1]);
		return -1;
	}
	return defaults(a, day_given, email, err, errlen);
}

/* read_day - the day's rows into agg; an exit status */
static int
read_day(const struct args *a, struct report_agg *agg, char *err, size_t errlen)
{
	struct pcl_dmarc_report_stats st;
	char path[PATH_MAX];
	struct stat sb;
	FILE *fp;
	int rc;

	if (!pcl_format(path, sizeof(path), "%s/%s.log", a->dir, a->day_text)) {
		pcl_format(err, errlen, "%s: path too long", a->dir);
		return REPORT_EXIT_ERROR;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && stat(a->dir, &sb) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			if (a->verbose)
				fprintf(stderr, "%s: %s: no data for %s\n",
				        IDENT, path, a->day_text);
			return REPORT_EXIT_NODATA;
		}
		pcl_format(err, errlen, "%s: %s", path, strerror(errno));
		return REPORT_EXIT_ERROR;
	}
	rc = pcl_dmarc_report_read(fp, agg_add, agg, &st);
	fclose(fp);
	if (agg->oom) {
		pcl_format(err, errlen, "%s: out of memory", path);
		return REPORT_EXIT_ERROR;
	}
	if (rc != 0) {
		pcl_format(err, errlen, "%s: %s", path, strerror(errno));
		return REPORT_EXIT_ERROR;
	}
	if (st.bad > 0)
		fprintf(stderr, "%s: %s: %lu line%s refused (line %lu: %s)\n",
		        IDENT, path, st.bad, st.bad == 1 ? "" : "s",
		        st.first_bad_line, st.first_bad);
	if (agg->unnamed > 0)
		fprintf(stderr,
		        "%s: %s: %lu row%s of a policy domain that cannot "
		        "name a file left out\n",
		        IDENT, path, agg->unnamed,
		        agg->unnamed == 1 ? "" : "s");
	if (st.version > 0)
		fprintf(stderr,
		        "%s: %s: %lu line%s of another version skipped\n",
		        IDENT, path, st.version, st.version == 1 ? "" : "s");
	if (a->verbose)
		fprintf(stderr,
		        "%s: %s: %lu lines, %lu rows, %lu of other domains, "
		        "%lu deferred (left out)%s; %zu domains, %zu records\n",
		        IDENT, path, st.lines, st.rows, agg->other,
		        agg->deferred,
		        st.torn ? ", an incomplete last line (ignored)" : "",
		        agg->ndomains, agg->nrecords);
	return agg->ndomains == 0 ? REPORT_EXIT_NODATA : REPORT_EXIT_OK;
}

/* write_file - text into dir/name, through a temporary file renamed
 * over it; false with err */
static bool
write_file(const char *dir, const char *name, const struct buf *text,
           char *path, size_t pathlen, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	mode_t mask = umask(0);
	size_t done = 0;
	int fd;

	umask(mask);
	if (!pcl_format(path, pathlen, "%s/%s", dir, name) ||
	    !pcl_format(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name)) {
		pcl_format(err, errlen, "%s: path too long", dir);
		return false;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		pcl_format(err, errlen, "%s: %s", tmp, strerror(errno));
		return false;
	}
	(void)fchmod(fd, 0666 & ~mask);
	while (done < text->len) {
		ssize_t w = write(fd, text->p + done, text->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done != text->len || close(fd) != 0) {
		pcl_format(err, errlen, "%s: %s", tmp, strerror(errno));
		if (done != text->len)
			close(fd);
		unlink(tmp);
		return false;
	}
	if (rename(tmp, path) != 0) {
		pcl_format(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

/* by_name - qsort order of domain indexes */
static const struct report_agg *sort_agg;
static int
by_name(const void *x, const void *y)
{
	return strcmp(sort_agg->domains[*(const size_t *)x].name,
	              sort_agg->domains[*(const size_t *)y].name);
}

/* write_reports - one file per domain, its line on stdout; an exit
 * status */
static int
write_reports(const struct args *a, struct report_agg *agg, char *err,
              size_t errlen)
{
	size_t *order = calloc(agg->ndomains, sizeof(*order));
	char name[PATH_MAX], path[PATH_MAX], id[2 * PCL_DOMAIN_MAX + 16];
	struct report_meta m = {
	    .org_name = a->org_name,
	    .email = a->email,
	    .receiver = a->receiver,
	    .report_id = id,
	    .begin = a->day,
	    .end = a->day + 86399,
	};
	int rc = REPORT_EXIT_OK;

	if (order == NULL) {
		pcl_format(err, errlen, "out of memory");
		return REPORT_EXIT_ERROR;
	}
	for (size_t i = 0; i < agg->ndomains; i++)
		order[i] = i;
	sort_agg = agg;
	qsort(order, agg->ndomains, sizeof(*order), by_name);
	for (size_t i = 0; i < agg->ndomains; i++) {
		const struct report_domain *d = &agg->domains[order[i]];
		struct buf xml = {0};

		/* RFC 9990, "Report-ID" and "Email": the same on
		 * every run */
		pcl_format(id, sizeof(id), "%s_%s@%s", a->day_text, d->name,
		           a->receiver);
		pcl_format(name, sizeof(name), "%s!%s!%lld!%lld.xml",
		           a->receiver, d->name, (long long)m.begin,
		           (long long)m.end);
		xml_report(agg, order[i], &m, &xml);
		if (xml.oom) {
			pcl_format(err, errlen, "out of memory");
			rc = REPORT_EXIT_ERROR;
		} else if (!write_file(a->out, name, &xml, path, sizeof(path),
		                       err, errlen)) {
			rc = REPORT_EXIT_ERROR;
		} else {
			printf("%s\t%s\n", path, d->policy.rua);
		}
		buf_free(&xml);
		if (rc == REPORT_EXIT_ERROR && *err) {
			fprintf(stderr, "%s: %s\n", IDENT, err);
			*err = '\0';
		}
	}
	free(order);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pcl_format(err, errlen, "cannot write the output: %s",
		           strerror(errno));
		return REPORT_EXIT_ERROR;
	}
	return rc;
}

/* main - parse the command line, read the day, write the reports */
int
main(int argc, char **argv)
{
	struct report_agg agg = {0};
	char err[PCL_ERR_MAX] = "";
	struct args a;
	int rc;

	if (args_parse(&a, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\nTry '%s -h' for help.\n", IDENT, err,
		        IDENT);
		return REPORT_EXIT_USAGE;
	}
	if (a.help) {
		fputs(usage_text, stdout);
		return REPORT_EXIT_OK;
	}
	if (a.version) {
		printf("%s %s\n", IDENT, PACKAGE_VERSION);
		return REPORT_EXIT_OK;
	}
	agg.format = a.format;
	agg.only = *a.domain ? a.domain : NULL;
	rc = read_day(&a, &agg, err, sizeof(err));
	if (rc == REPORT_EXIT_OK)
		rc = write_reports(&a, &agg, err, sizeof(err));
	if (*err)
		fprintf(stderr, "%s: %s\n", IDENT, err);
	agg_free(&agg);
	return rc;
}
