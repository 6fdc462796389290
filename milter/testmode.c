/*
 * testmode - one SMTP transaction through the session, offline
 *
 * The steps and their inputs mirror what Postfix gives the milter:
 *
 *   connect   address in inet_ntop form, name or none, port, daemon name
 *   helo      only with --helo
 *   mail      sender without angle brackets, {auth_authen}
 *   rcpt      each recipient; a tempfail/reject refuses that recipient
 *             only, as at Postfix's RCPT; the queue ID becomes known
 *             after the first accepted one
 *   message   only when a recipient was accepted: headers unfolded into
 *             name and value (value verbatim after the colon, leading
 *             space kept, folds as bare LF, as with SMFIP_HDR_LEADSPC),
 *             end of headers, body with CRLF line ends in 64 KiB chunks
 *   eom       the verdict, and the headers to add
 *
 * A verdict of tempfail, reject or discard before end of message ends
 * the transaction, as the milter's return code would.
 *
 * Output, to stdout:
 *   rcpt <ADDR>: ACTION CODE ENH TEXT     per refused recipient
 *   trace:
 *     STAGE CHECK RESULT DETAIL           per trace entry
 *   headers:
 *     Name:value                          per added header; folds are
 *                                         printed as indented lines
 *   quarantine: REASON                    for a quarantine verdict
 *   verdict: ACTION [CODE ENH TEXT]
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "policy.h"
#include "session.h"
#include "testmode.h"
#include "util.h"

/* Body chunk size, as libmilter's largest. */
#define BODY_CHUNK 65536
/* A test message larger than this is refused, not read. */
#define MESSAGE_MAX (64L * 1024 * 1024)

/* A growable NUL-terminated string. */
struct strbuf {
	char *p;
	size_t len, cap;
};

/* strbuf_put - append n bytes of s; false on out-of-memory */
static bool
strbuf_put(struct strbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return false;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/* read_message - the whole file into *buf; 0 or -1 with err */
static int
read_message(const char *path, char **buf, size_t *len, char *err,
             size_t errlen)
{
	struct strbuf b = {NULL, 0, 0};
	char chunk[8192];
	size_t n;
	FILE *fp;
	int rc = -1;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		pcl_format(err, errlen, "--message %s: %s", path,
		           strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > (size_t)MESSAGE_MAX) {
			pcl_format(err, errlen,
			           "--message %s: larger than %ld bytes", path,
			           MESSAGE_MAX);
			goto out;
		}
		if (!strbuf_put(&b, chunk, n)) {
			pcl_format(err, errlen, "--message %s: out of memory",
			           path);
			goto out;
		}
	}
	if (ferror(fp)) {
		pcl_format(err, errlen, "--message %s: read error", path);
		goto out;
	}
	*buf = b.p;
	*len = b.len;
	b.p = NULL;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(b.p);
	return rc;
}

/* header_name_len - length of the name of a "Name:value" line, 0 when
 * the line is not a header (a name is printable ASCII, no space) */
static size_t
header_name_len(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] > ' ' && line[i] <= '~' && line[i] != ':')
		i++;
	return i > 0 && i < len && line[i] == ':' ? i : 0;
}

/* next_line - the line at p (without LF or CRLF) and where the next
 * one starts */
static size_t
next_line(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = (size_t)((nl != NULL ? nl : end) - p);

	*next = nl != NULL ? nl + 1 : end;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

/* body_put - add bytes to the chunk, passing full chunks on */
static void
body_put(struct pcl_session *s, unsigned char *chunk, size_t *used,
         const char *data, size_t n)
{
	size_t take;

	while (n > 0) {
		take = BODY_CHUNK - *used;
		if (take > n)
			take = n;
		memcpy(chunk + *used, data, take);
		*used += take;
		data += take;
		n -= take;
		if (*used == BODY_CHUNK) {
			pcl_session_body(s, chunk, *used);
			*used = 0;
		}
	}
}

/* feed_body - the lines from p to end with CRLF line ends; false on
 * out-of-memory */
static bool
feed_body(struct pcl_session *s, const char *p, const char *end)
{
	unsigned char *chunk;
	const char *next;
	size_t used = 0, len;

	if (p >= end)
		return true; /* no body: Postfix sends no body event */
	chunk = malloc(BODY_CHUNK);
	if (chunk == NULL)
		return false;
	for (; p < end; p = next) {
		len = next_line(p, end, &next);
		body_put(s, chunk, &used, p, len);
		body_put(s, chunk, &used, "\r\n", 2);
	}
	if (used > 0)
		pcl_session_body(s, chunk, used);
	free(chunk);
	return true;
}

/* What feeding a message came to. */
enum feed {
	FEED_DONE,    /* every header and the body were given */
	FEED_REFUSED, /* refused before the end, as the milter would */
	FEED_OOM,     /* out of memory */
};

/* header - give one header; true when the message is refused at once
 * (d filled), as the milter would refuse it there */
static bool
header(struct pcl_session *s, const char *name, const char *value,
       struct pcl_decision *d)
{
	pcl_session_header(s, name, value);
	return pcl_session_refused_early(s, d);
}

/* feed_message - headers, end of headers and body of msg */
static enum feed
feed_message(struct pcl_session *s, const char *msg, size_t msglen,
             struct pcl_decision *d)
{
	struct strbuf name = {NULL, 0, 0}, value = {NULL, 0, 0};
	const char *p = msg, *end = msg + msglen, *next;
	enum feed outcome = FEED_OOM;
	bool have = false;
	size_t len, n;

	while (p < end) {
		len = next_line(p, end, &next);
		if (len == 0) {
			p = next; /* the empty line ends the headers */
			break;
		}
		if (have && (p[0] == ' ' || p[0] == '\t')) {
			if (!strbuf_put(&value, "\n", 1) ||
			    !strbuf_put(&value, p, len))
				goto out;
			p = next;
			continue;
		}
		/* Not a header and not a continuation: like Postfix,
		 * the body starts with this line. */
		if ((n = header_name_len(p, len)) == 0)
			break;
		if (have && header(s, name.p, value.p, d)) {
			outcome = FEED_REFUSED;
			goto out;
		}
		name.len = value.len = 0;
		if (!strbuf_put(&name, p, n) ||
		    !strbuf_put(&value, p + n + 1, len - n - 1))
			goto out;
		have = true;
		p = next;
	}
	if (have && header(s, name.p, value.p, d)) {
		outcome = FEED_REFUSED;
		goto out;
	}
	pcl_session_eoh(s);
	outcome = feed_body(s, p, end) ? FEED_DONE : FEED_OOM;
out:
	free(name.p);
	free(value.p);
	return outcome;
}

/* check_error - as the milter: an internal error in the session turns
 * "go on" into on_error */
static void
check_error(const struct pcl_session *s, enum pcl_on_error e,
            struct pcl_decision *d)
{
	if (d->action != PCL_ACT_ACCEPT || !pcl_session_had_error(s))
		return;
	fprintf(stderr, "%s: internal error (out of memory): on_error=%s\n",
	        PCL_IDENT, pcl_on_error_name(e));
	d->action = pcl_on_error_action(e);
	pcl_reply_set(&d->reply, d->action, 0, NULL, NULL);
}

/* ends_transaction - does the milter's return code for d end it */
static bool
ends_transaction(const struct pcl_decision *d)
{
	return d->action == PCL_ACT_TEMPFAIL || d->action == PCL_ACT_REJECT ||
	       d->action == PCL_ACT_DISCARD;
}

/* decision_text - "reject 550 5.7.1 text" or "accept" */
static void
decision_text(const struct pcl_decision *d, char *buf, size_t len)
{
	char reply[PCL_REPLY_TEXT_MAX + 32];

	if (d->action == PCL_ACT_TEMPFAIL || d->action == PCL_ACT_REJECT) {
		pcl_reply_format(&d->reply, reply, sizeof(reply));
		pcl_format(buf, len, "%s %s", pcl_action_name(d->action),
		           reply);
	} else {
		pcl_format(buf, len, "%s", pcl_action_name(d->action));
	}
}

/* print_visible - text with control bytes shown as \xNN, since trace
 * details may hold what a client sent */
static void
print_visible(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
}

/* print_trace - the session's trace, oldest first */
static void
print_trace(const struct pcl_session *s)
{
	const struct pcl_trace_entry *e;
	size_t n = pcl_session_trace_count(s);

	printf("trace:\n");
	for (size_t i = 0; i < n; i++) {
		if ((e = pcl_session_trace_get(s, i)) == NULL)
			continue;
		printf("  %s %s %s%s", pcl_stage_name(e->stage), e->check,
		       e->result, e->detail[0] != '\0' ? " " : "");
		print_visible(e->detail);
		putchar('\n');
	}
}

/* print_headers - the headers to add, folds as indented lines */
static void
print_headers(const struct pcl_session *s, bool message_done)
{
	const struct pcl_add_header *h;
	size_t n = message_done ? pcl_session_header_count(s) : 0;

	printf("headers:\n");
	for (size_t i = 0; message_done && i < pcl_session_delete_count(s);
	     i++) {
		const struct pcl_del_header *d = pcl_session_delete_get(s, i);

		printf("  (delete %s #%d)\n", d->name, d->occurrence);
	}
	for (size_t i = 0; i < n; i++) {
		if ((h = pcl_session_header_get(s, i)) == NULL)
			continue;
		printf("  %s:", h->name);
		for (const char *v = h->value; *v != '\0'; v++) {
			if (*v == '\n')
				fputs("\n  ", stdout);
			else
				putchar(*v);
		}
		putchar('\n');
	}
}

/* exit_status - the test mode's exit status for a verdict */
static int
exit_status(enum pcl_action a)
{
	switch (a) {
	case PCL_ACT_QUARANTINE:
		return PCL_EXIT_QUARANTINE;
	case PCL_ACT_TEMPFAIL:
		return PCL_EXIT_TEMPFAIL;
	case PCL_ACT_REJECT:
		return PCL_EXIT_REJECT;
	case PCL_ACT_DISCARD:
		return PCL_EXIT_DISCARD;
	case PCL_ACT_ACCEPT:
	case PCL_ACT_TAG:
	default:
		return PCL_EXIT_OK;
	}
}

/* run_envelope - connect, helo, mail, rcpt; true when the message is
 * to be sent, else *verdict holds the end of the transaction */
static bool
run_envelope(struct pcl_session *s, const struct pcl_conf *conf,
             const struct pcl_test_args *t, struct pcl_decision *verdict)
{
	char addr[PCL_ADDRESS_MAX + 1], line[PCL_REPLY_TEXT_MAX + 64];
	const char *name = t->client_name;
	struct pcl_decision d;
	size_t accepted = 0;

	/* As the milter: Postfix's "[192.0.2.1]" means no name. */
	if (name != NULL && (name[0] == '\0' || name[0] == '['))
		name = NULL;
	pcl_session_connect(s, t->client_addr, name, t->client_port,
	                    t->daemon_name, &d);
	check_error(s, conf->on_error, &d);
	if (ends_transaction(&d))
		goto refused;
	if (t->helo != NULL) {
		pcl_session_helo(s, t->helo, &d);
		check_error(s, conf->on_error, &d);
		if (ends_transaction(&d))
			goto refused;
	}
	pcl_session_mail(s, t->from, t->auth, &d);
	check_error(s, conf->on_error, &d);
	if (ends_transaction(&d))
		goto refused;

	for (size_t i = 0; i < t->nrcpts; i++) {
		/* shown as given when too long to be an address */
		bool fits = pcl_strip_brackets(addr, sizeof(addr), t->rcpts[i]);

		pcl_session_rcpt(s, t->rcpts[i], &d);
		check_error(s, conf->on_error, &d);
		if (d.action == PCL_ACT_DISCARD)
			goto refused; /* discards the whole message */
		if (ends_transaction(&d)) {
			decision_text(&d, line, sizeof(line));
			printf("rcpt <%s>: %s\n", fits ? addr : t->rcpts[i],
			       line);
			*verdict = d; /* the last refusal, if all are */
			continue;
		}
		if (++accepted == 1 && t->queue_id != NULL)
			pcl_session_set_queue_id(s, t->queue_id);
	}
	return accepted > 0;
refused:
	*verdict = d;
	return false;
}

/* pcl_testmode_run - run t against conf, print to stdout */
int
pcl_testmode_run(struct pcl_conf *conf, const struct pcl_test_args *t)
{
	char err[PCL_ERR_MAX], line[PCL_REPLY_TEXT_MAX + 64];
	struct pcl_session *s = NULL;
	struct pcl_decision verdict;
	const char *reason;
	char *msg = NULL;
	size_t msglen = 0;
	bool message_done = false;
	int rc = PCL_EXIT_CONFIG;

	memset(&verdict, 0, sizeof(verdict));
	verdict.action = PCL_ACT_ACCEPT;
	if (t->message != NULL &&
	    read_message(t->message, &msg, &msglen, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PCL_IDENT, err);
		rc = PCL_EXIT_USAGE;
		goto out;
	}
	s = pcl_session_new(conf);
	if (s == NULL) {
		fprintf(stderr, "%s: out of memory\n", PCL_IDENT);
		goto out;
	}
	pcl_session_set_log(s, false);

	if (run_envelope(s, conf, t, &verdict)) {
		switch (
		    feed_message(s, msg != NULL ? msg : "", msglen, &verdict)) {
		case FEED_OOM:
			fprintf(stderr, "%s: out of memory\n", PCL_IDENT);
			goto out;
		case FEED_REFUSED:
			break;
		case FEED_DONE:
			pcl_session_eom(s, &verdict);
			check_error(s, conf->on_error, &verdict);
			message_done = true;
			break;
		}
	}

	print_trace(s);
	print_headers(s, message_done);
	if (verdict.action == PCL_ACT_QUARANTINE) {
		reason = pcl_session_quarantine_reason(s);
		printf("quarantine: %s\n", reason != NULL ? reason : "");
	}
	decision_text(&verdict, line, sizeof(line));
	printf("verdict: %s\n", line);
	rc = exit_status(verdict.action);
	if (message_done)
		pcl_session_reset(s);
out:
	pcl_session_free(s);
	free(msg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write output\n", PCL_IDENT);
		rc = PCL_EXIT_CONFIG;
	}
	return rc;
}
