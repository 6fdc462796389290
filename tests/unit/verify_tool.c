/*
 * verify_tool - lib/auth/dkim_verify*.c on message files, for
 * dkim_interop_judge.py to hold against python3-dkim
 *
 *   verify_tool ZONE MESSAGE...
 *
 * ZONE is master-file text (with $ORIGIN and an SOA) that fakedns
 * serves on loopback; the verifier's DNS module asks it. Each MESSAGE
 * is a file with LF line ends, fed the way Postfix's milter gives a
 * message: header values with the leading space kept and folds as bare
 * LF, the body with CRLF line ends in chunks of odd sizes. Every
 * message is verified twice, in chunks and in one piece, on one library
 * handle (so the second pass takes its keys from the key cache); the
 * two must agree. Output, one line per signature, tab-separated:
 *
 *   FILE INDEX RESULT D S A KEY_BITS REASON
 *
 * and one line per message "FILE - unexamined N". Exit 0; 1 when the
 * passes disagree; 2 on a usage, file or fakedns error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dns.h"
#include "fakedns.h"
#include "util.h"

#define TOOL_FIELDS_MAX 4096
#define TOOL_LINE_MAX 1024 /* one output line, reason included */

/* A message split the way Postfix's milter hands it over. */
struct msg {
	char *text; /* the file, cut up in place */
	char *names[TOOL_FIELDS_MAX];
	char *values[TOOL_FIELDS_MAX]; /* leading space kept, folds bare LF */
	size_t nfields;
	char *body; /* CRLF line ends */
	size_t bodylen;
};

/* slurp - a whole file, NUL-terminated; NULL on error */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

/* msg_split - cut text into fields and a CRLF body; false when the
 * header is malformed (a line without a colon, a fold first, too many
 * fields) or memory is short */
static bool
msg_split(struct msg *m)
{
	char *p = m->text, *hend, *b, *at;
	size_t lines = 0, n = 0;

	if (*p == '\n') { /* no header at all */
		hend = p;
		b = p + 1;
	} else if ((at = strstr(p, "\n\n")) != NULL) {
		hend = at + 1;
		b = at + 2;
	} else { /* a header without a body */
		hend = b = p + strlen(p);
	}
	while (p < hend) {
		char *nl = memchr(p, '\n', (size_t)(hend - p)), *colon;

		if (nl == NULL)
			nl = hend;
		if (*p == ' ' || *p == '\t') {
			if (m->nfields == 0)
				return false;
			p = nl + 1; /* a fold: the LF before it stays */
			continue;
		}
		if (m->nfields == TOOL_FIELDS_MAX ||
		    (colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			return false;
		if (p != m->text)
			p[-1] = '\0'; /* end the previous field's value */
		*colon = '\0';
		m->names[m->nfields] = p;
		m->values[m->nfields++] = colon + 1;
		p = nl + 1;
	}
	if (hend > m->text && hend[-1] == '\n')
		hend[-1] = '\0'; /* the last field's line end */
	for (p = b; *p; p++)
		lines += *p == '\n';
	if ((m->body = malloc(strlen(b) + lines + 1)) == NULL)
		return false;
	for (p = b; *p; p++) {
		if (*p == '\n')
			m->body[n++] = '\r';
		m->body[n++] = *p;
	}
	m->bodylen = n;
	return true;
}

/* feed - one message through a verifier: fields, eoh, body in chunks
 * of the sizes in chunks (cycled, 0-terminated), eom */
static void
feed(struct pcl_dkim_verify *v, const struct msg *m, const size_t *chunks)
{
	size_t off = 0, k = 0;

	for (size_t i = 0; i < m->nfields; i++)
		pcl_dkim_verify_header(v, m->names[i], m->values[i]);
	pcl_dkim_verify_eoh(v);
	while (off < m->bodylen) {
		size_t n = chunks[k];

		if (chunks[++k] == 0)
			k = 0;
		if (n > m->bodylen - off)
			n = m->bodylen - off;
		pcl_dkim_verify_body(v, (const unsigned char *)m->body + off,
		                     n);
		off += n;
	}
	pcl_dkim_verify_eom(v);
}

/* report - the verdict lines of v for file, into out (len bytes) */
static void
report(const struct pcl_dkim_verify *v, const char *file, char *out, size_t len)
{
	size_t used = 0;

	*out = '\0';
	for (size_t i = 0; i < pcl_dkim_verify_count(v); i++) {
		const struct pcl_dkim_sig *s = pcl_dkim_verify_sig(v, i);
		int n = snprintf(
		    out + used, len - used, "%s\t%zu\t%s\t%s\t%s\t%s\t%u\t%s\n",
		    file, i, pcl_dkim_result_name(s->result), s->domain,
		    s->selector, s->algorithm, s->key_bits, s->reason);

		if (n < 0 || (size_t)n >= len - used)
			break; /* the rest would not fit: cut, visibly */
		used += (size_t)n;
	}
	(void)snprintf(out + used, len - used, "%s\t-\tunexamined %zu\n", file,
	               pcl_dkim_verify_unexamined(v));
}

/* verify_file - both passes over one file; 0, 1 (disagree) or 2 */
static int
verify_file(struct pcl_dkim_lib *lib, const char *file)
{
	static const size_t odd[] = {1, 7, 64, 333, 2, 1000, 3, 0};
	static const size_t whole[] = {(size_t)1 << 30, 0};
	const size_t *passes[] = {odd, whole};
	static char out[2][TOOL_FIELDS_MAX * 64];
	struct msg *m = calloc(1, sizeof(*m));
	size_t len = 0;
	int rc = 0;

	if (m == NULL || (m->text = slurp(file, &len)) == NULL ||
	    !msg_split(m)) {
		fprintf(stderr, "verify_tool: %s: cannot read a message\n",
		        file);
		rc = 2;
		goto out;
	}
	for (int p = 0; p < 2; p++) {
		struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");

		if (v == NULL) {
			rc = 2;
			goto out;
		}
		feed(v, m, passes[p]);
		report(v, file, out[p], sizeof(out[p]));
		pcl_dkim_verify_free(v);
	}
	fputs(out[0], stdout);
	if (strcmp(out[0], out[1]) != 0) {
		fprintf(stderr,
		        "verify_tool: %s: one chunk gave another verdict:\n%s",
		        file, out[1]);
		rc = 1;
	}
out:
	if (m != NULL) {
		free(m->text);
		free(m->body);
	}
	free(m);
	return rc;
}

int
main(int argc, char **argv)
{
	struct pcl_dns_conf conf = {0};
	struct pcl_dkim_lib *lib = NULL;
	struct pcl_dns *dns = NULL;
	struct fakedns *fk;
	char err[PCL_ERR_MAX] = "";
	size_t len;
	char *zone;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: verify_tool ZONE MESSAGE...\n");
		return 2;
	}
	if ((zone = slurp(argv[1], &len)) == NULL ||
	    (fk = fakedns_start(zone)) == NULL) {
		fprintf(stderr, "verify_tool: %s: cannot serve the zone\n",
		        argv[1]);
		free(zone);
		return 2;
	}
	free(zone);
	conf.servers = fk->servers;
	conf.timeout_ms = 10000; /* a loaded machine: generous */
	conf.cache_max_entries = 1000;
	if ((dns = pcl_dns_new(&conf, err, sizeof(err))) == NULL ||
	    (lib = pcl_dkim_lib_new(dns, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "verify_tool: %s\n", err);
		rc = 2;
		goto out;
	}
	for (int i = 2; i < argc; i++) {
		int r = verify_file(lib, argv[i]);

		if (r > rc)
			rc = r;
	}
out:
	pcl_dkim_lib_free(lib);
	pcl_dns_free(dns);
	fakedns_stop();
	return rc;
}
