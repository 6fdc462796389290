/*
 * fuzz_session - the milter-facing paths: a whole SMTP transaction
 * through the session (lib/session) and every check (lib/checks), with
 * the HELO name, the sender, the header fields and the body from the
 * fuzzer
 *
 * Fields (split at NUL): HELO name, sender, recipient, the header block
 * ("Name: value" lines, folds as lines that start with white space, as
 * Postfix hands them over), then body chunks. DNS goes to a loopback
 * port where nothing listens, so every lookup fails at once: the
 * target fuzzes the parsing of what a client sends (From: and
 * Reply-To: addresses, Authentication-Results, DKIM-Signature fields,
 * MIME bodies and their URLs, the budgets), not the network.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz_util.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pcl_conf *conf;

static const char conf_text[] = "internal_networks = 127.0.0.0/8\n"
                                "dns_servers = 127.0.0.1:9\n"
                                "dns_timeout = 100ms\n"
                                "dns_attempts = 1\n"
                                "spf_verify = no\n"
                                "authserv_id = mx.example\n"
                                "dbl_sites = dbl.example:from+reply_to+body\n"
                                "dbl_on_error = accept\n"
                                "header_count_limit = 200\n"
                                "header_bytes_limit = 65536\n"
                                "authres_delete_limit = 5\n";

/* LLVMFuzzerInitialize - one configuration for every run */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[512], *errors = NULL;

	(void)argc;
	(void)argv;
	if (!pcl_format(path, sizeof(path), "%s/session.conf", fuzz_tmpdir()))
		abort();
	fuzz_write_file(path, conf_text, sizeof(conf_text) - 1);
	if ((conf = pcl_conf_load(path, NULL, 0, &errors)) == NULL) {
		fprintf(stderr, "fuzz_session: %s\n", errors ? errors : "");
		abort();
	}
	return 0;
}

/* feed_header - the header block, one field at a time as Postfix
 * gives them: name, then the value with its leading space and folds as
 * bare LF */
static void
feed_header(struct pcl_session *s, char *block)
{
	char *field = NULL, *line, *next;

	for (line = block; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((*line == ' ' || *line == '\t') && field != NULL) {
			line[-1] = '\n'; /* a fold stays in the value */
			continue;
		}
		if (field != NULL) {
			char *colon = strchr(field, ':');

			if (colon != NULL) {
				*colon = '\0';
				pcl_session_header(s, field, colon + 1);
			}
		}
		field = line;
	}
	if (field != NULL) {
		char *colon = strchr(field, ':');

		if (colon != NULL) {
			*colon = '\0';
			pcl_session_header(s, field, colon + 1);
		}
	}
}

/* LLVMFuzzerTestOneInput - one transaction */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct pcl_session *s;
	struct pcl_decision d;

	if (size > 262144 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	s = pcl_session_new(conf);
	if (s == NULL) {
		fuzz_fields_free(&ff);
		return 0;
	}
	pcl_session_set_log(s, false);
	pcl_session_connect(s, "192.0.2.1", "client.example", 25, NULL, &d);
	pcl_session_helo(s, ff.f[0], &d);
	pcl_session_mail(s, ff.f[1], NULL, &d);
	pcl_session_rcpt(s, ff.f[2], &d);
	pcl_session_set_queue_id(s, "4XyZ1");
	/* the block is cut into lines in place: it is the fuzzer's copy */
	feed_header(s, (char *)ff.f[3]);
	if (!pcl_session_refused_early(s, &d)) {
		pcl_session_eoh(s);
		for (size_t i = 4; i < ff.n; i++)
			pcl_session_body(s, (const unsigned char *)ff.f[i],
			                 ff.len[i]);
		pcl_session_eom(s, &d);
	}
	pcl_session_reset(s);
	pcl_session_free(s);
	fuzz_fields_free(&ff);
	return 0;
}
