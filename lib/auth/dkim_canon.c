/*
 * dkim_canon - DKIM canonicalization (RFC 6376 section 3.4), streaming
 *
 * Header fields (3.4.1, 3.4.2):
 *   simple   the field as it is, folds as CRLF;
 *   relaxed  the name lower-cased, folds removed, each run of white
 *            space one SP, white space around the colon and at the end
 *            of the value removed.
 * Body (3.4.3, 3.4.4):
 *   simple   as it is, but the empty lines at the end; an empty body is
 *            one CRLF;
 *   relaxed  each run of white space in a line one SP, white space at
 *            the end of a line removed, the empty lines at the end
 *            removed; an empty body is empty.
 * Both end an unfinished last line with CRLF. Empty lines are held back
 * as a count until content follows, so nothing but that count, and a
 * few flags, is kept between chunks. With l= the output stops at that
 * many bytes.
 *
 * Output is batched through a small stack buffer per call, so the emit
 * function (a hash update) is called once per few hundred bytes, not
 * per byte.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "dkim_canon.h"

/* A batch of canonical bytes on its way to emit. */
struct out {
	char buf[512];
	size_t n;
	pcl_dkim_emit_fn emit;
	void *ctx;
};

/* flush - hand the batch over */
static void
flush(struct out *o)
{
	if (o->n > 0)
		o->emit(o->ctx, o->buf, o->n);
	o->n = 0;
}

/* put - one byte into the batch */
static void
put(struct out *o, char c)
{
	if (o->n == sizeof(o->buf))
		flush(o);
	o->buf[o->n++] = c;
}

/* put_crlf - a line end */
static void
put_crlf(struct out *o)
{
	put(o, '\r');
	put(o, '\n');
}

/* is_wsp - RFC 5234 WSP: SP or HTAB */
static bool
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* pcl_dkim_canon_header - one field, simple or relaxed */
void
pcl_dkim_canon_header(enum pcl_canon_mode c, const char *name,
                      const char *value, bool crlf, pcl_dkim_emit_fn emit,
                      void *ctx)
{
	struct out o = {.emit = emit, .ctx = ctx};
	size_t nlen = strlen(name);
	bool space = false, started = false;

	if (c == PCL_CANON_SIMPLE) {
		for (const char *p = name; *p; p++)
			put(&o, *p);
		put(&o, ':');
		for (const char *p = value; *p; p++) {
			if (*p == '\n' && (p == value || p[-1] != '\r'))
				put(&o, '\r'); /* Postfix's bare LF fold */
			put(&o, *p);
		}
	} else {
		while (nlen > 0 && is_wsp((unsigned char)name[nlen - 1]))
			nlen--;
		for (size_t i = 0; i < nlen; i++)
			put(&o, (char)tolower((unsigned char)name[i]));
		put(&o, ':');
		for (const char *p = value; *p; p++) {
			if (*p == '\r' || *p == '\n')
				continue; /* unfolded */
			if (is_wsp((unsigned char)*p)) {
				space = true;
				continue;
			}
			/* a run of white space is one SP, but none at the
			 * start of the value (after the colon) */
			if (space && started)
				put(&o, ' ');
			space = false;
			started = true;
			put(&o, *p);
		}
	}
	if (crlf)
		put_crlf(&o);
	flush(&o);
}

/* pcl_dkim_body_init - start a body */
void
pcl_dkim_body_init(struct pcl_dkim_body *b, enum pcl_canon_mode c,
                   uint64_t limit, pcl_dkim_emit_fn emit, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->limit = limit;
	b->emit = emit;
	b->ctx = ctx;
}

/* limited - the emit of a body: counts, and stops at l= */
static void
limited(void *ctx, const char *p, size_t n)
{
	struct pcl_dkim_body *b = ctx;
	uint64_t room = b->limit - b->emitted;

	if (n > room)
		n = (size_t)room;
	if (n == 0)
		return;
	b->emit(b->ctx, p, n);
	b->emitted += n;
}

/* content - a byte of a line: the empty lines held back come first */
static void
content(struct pcl_dkim_body *b, struct out *o, char c)
{
	for (; b->empty > 0; b->empty--)
		put_crlf(o);
	if (b->wsp) {
		put(o, ' ');
		b->wsp = false;
	}
	put(o, c);
	b->in_line = true;
}

/* line_end - a CRLF: ended at once after content, held back when the
 * line is empty (trailing white space of a relaxed line is dropped, so
 * such a line is empty too) */
static void
line_end(struct pcl_dkim_body *b, struct out *o)
{
	b->wsp = false;
	if (b->in_line)
		put_crlf(o);
	else
		b->empty++;
	b->in_line = false;
}

/* pcl_dkim_body_update - a chunk */
void
pcl_dkim_body_update(struct pcl_dkim_body *b, const unsigned char *p, size_t n)
{
	struct out o = {.emit = limited, .ctx = b};

	for (size_t i = 0; i < n && b->emitted < b->limit; i++) {
		unsigned char c = p[i];

		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				line_end(b, &o);
				continue;
			}
			content(b, &o, '\r'); /* a CR alone is content */
		}
		if (c == '\r') {
			b->cr = true;
		} else if (c == '\n') {
			line_end(b, &o); /* a bare LF ends a line too */
		} else if (b->c == PCL_CANON_RELAXED && is_wsp(c)) {
			b->wsp = true;
		} else {
			content(b, &o, (char)c);
		}
		if (o.n >= sizeof(o.buf) - 4)
			flush(&o);
	}
	flush(&o);
}

/* pcl_dkim_body_final - the end of the body */
void
pcl_dkim_body_final(struct pcl_dkim_body *b)
{
	struct out o = {.emit = limited, .ctx = b};

	if (b->cr) {
		b->cr = false;
		content(b, &o, '\r');
	}
	/* White space on an unfinished last line is not at the end of a
	 * line (no CRLF follows it): one SP, as python3-dkim has it. SMTP
	 * never delivers such a body; other transports may. */
	if (b->wsp) {
		for (; b->empty > 0; b->empty--)
			put_crlf(&o);
		put(&o, ' ');
		b->wsp = false;
		b->in_line = true;
	}
	if (b->in_line)
		put_crlf(&o); /* an unfinished last line */
	b->in_line = false;
	b->empty = 0; /* the empty lines at the end */
	if (b->c == PCL_CANON_SIMPLE && b->emitted == 0 && o.n == 0)
		put_crlf(&o); /* an empty body */
	flush(&o);
}
