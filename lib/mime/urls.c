/*
 * urls - the domains a message's body points at
 *
 * pcl_urls_extract() parses the message with GMime from a memory
 * stream and walks the tree depth first: multiparts in order,
 * message/rfc822 (and /global) attachments down to URLS_MESSAGE_MAX
 * levels, containers down to URLS_NEST_MAX levels. Each text/plain and
 * text/html part, attachment or not, is decoded (base64,
 * quoted-printable, uuencode) and converted from its charset to UTF-8
 * through GMime filter streams, reading no more than the budget left:
 * URLS_SCAN_MAX bytes of decoded text per message in all. Then
 * urls_scan.c looks for hosts in it. Other parts are never decoded.
 *
 * Broken MIME is scanned as well as it can be: a multipart without a
 * boundary (or whose boundary never occurs) has no parts, and GMime
 * keeps its whole body as the prologue, which is then scanned as
 * plain text, raw. Input GMime cannot read as a message at all (no
 * header block, empty input) is scanned as plain text, raw.
 *
 * truncated says some text was left unscanned: the budget ran out, or
 * nesting went deeper than the limits. capped says a domain was found
 * when the list already held max_domains; scanning stops there, as
 * nothing more could change the list.
 *
 * GMime (and through it GLib) is used in this file only. GMime aborts
 * the process when GLib cannot allocate; our own allocations return -1.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "urls.h"
#include "urls_int.h"
#include "util.h"

#define URLS_SCAN_MAX ((size_t)1 << 20) /* decoded text per message */
#define URLS_NEST_MAX 16                /* multipart/message levels */
#define URLS_MESSAGE_MAX 3              /* attached messages in messages */
#define URLS_READ_CHUNK ((size_t)64 << 10)

/* One walk over a message. */
struct urls_walk {
	struct urls_ctx *ctx;
	char *buf; /* decoded text of the part at hand */
	size_t cap;
	size_t budget; /* bytes of text still to scan */
	bool truncated;
};

static pthread_once_t urls_once = PTHREAD_ONCE_INIT;

/* urls_setup - the process-wide setup, run once */
static void
urls_setup(void)
{
	g_mime_init();
	urls_host_init();
}

/* pcl_urls_init - once per process, before threads */
void
pcl_urls_init(void)
{
	pthread_once(&urls_once, urls_setup);
}

/* urls_stopped - nothing more can change the list */
bool
urls_stopped(const struct urls_ctx *ctx)
{
	return ctx->oom || ctx->out->capped;
}

/* name_hash - FNV-1a of a name */
static size_t
name_hash(const char *name)
{
	uint64_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (size_t)h;
}

/* slots_grow - double the name set (64 slots at first) and rehash */
static int
slots_grow(struct urls_ctx *ctx)
{
	size_t n = ctx->nslots ? ctx->nslots * 2 : 64;
	size_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < ctx->out->count; i++) {
		size_t s = name_hash(ctx->out->items[i]) & (n - 1);

		while (slots[s] != 0)
			s = (s + 1) & (n - 1);
		slots[s] = i + 1;
	}
	free(ctx->slots);
	ctx->slots = slots;
	ctx->nslots = n;
	return 0;
}

/* items_grow - make room for one more item */
static int
items_grow(struct urls_ctx *ctx)
{
	struct pcl_url_domains *d = ctx->out;
	size_t n = ctx->items_cap ? ctx->items_cap * 2 : 16;
	char **items;

	if (d->count < ctx->items_cap)
		return 0;
	if (n > SIZE_MAX / sizeof(*items))
		return -1;
	if ((items = realloc(d->items, n * sizeof(*items))) == NULL)
		return -1;
	d->items = items;
	ctx->items_cap = n;
	return 0;
}

/* urls_list_add - add name unless listed; sets capped when full */
int
urls_list_add(struct urls_ctx *ctx, const char *name)
{
	struct pcl_url_domains *d = ctx->out;
	char *copy = NULL;
	size_t s = 0;
	int rc = -1;

	if (ctx->nslots > 0) {
		s = name_hash(name) & (ctx->nslots - 1);
		for (; ctx->slots[s] != 0; s = (s + 1) & (ctx->nslots - 1))
			if (strcmp(d->items[ctx->slots[s] - 1], name) == 0)
				return 0;
	}
	if (d->count >= ctx->max) {
		d->capped = true;
		return 0;
	}
	/* Keep the set at most half full, so probes stay short. */
	if ((d->count + 1) * 2 > ctx->nslots) {
		if (slots_grow(ctx) != 0)
			goto out;
		s = name_hash(name) & (ctx->nslots - 1);
		while (ctx->slots[s] != 0)
			s = (s + 1) & (ctx->nslots - 1);
	}
	if (items_grow(ctx) != 0 || (copy = pcl_strdup(name)) == NULL)
		goto out;
	d->items[d->count++] = copy;
	ctx->slots[s] = d->count;
	rc = 0;
out:
	if (rc != 0)
		ctx->oom = true;
	return rc;
}

/* walk_reserve - room for want bytes of text in w->buf */
static int
walk_reserve(struct urls_walk *w, size_t want)
{
	size_t n = w->cap ? w->cap : URLS_READ_CHUNK;
	char *buf;

	if (want <= w->cap)
		return 0;
	while (n < want)
		n *= 2;
	if ((buf = realloc(w->buf, n)) == NULL) {
		w->ctx->oom = true;
		return -1;
	}
	w->buf = buf;
	w->cap = n;
	return 0;
}

/* walk_text - scan len bytes of raw text, as much as the budget lets */
static void
walk_text(struct urls_walk *w, const char *text, size_t len)
{
	if (len > w->budget) {
		len = w->budget;
		w->truncated = true;
	}
	if (len == 0 || walk_reserve(w, len) != 0)
		return;
	memcpy(w->buf, text, len);
	w->budget -= len;
	urls_scan_text(w->ctx, w->buf, len, false);
}

/* charset_is_utf8 - text in this charset needs no conversion (ASCII
 * that is really 8-bit is taken as UTF-8, the likeliest guess) */
static bool
charset_is_utf8(const char *charset)
{
	return charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
	       g_ascii_strcasecmp(charset, "utf8") == 0 ||
	       g_ascii_strcasecmp(charset, "us-ascii") == 0 ||
	       g_ascii_strcasecmp(charset, "ascii") == 0;
}

/* part_decoder - a stream of the part's text: transfer encoding undone,
 * in UTF-8 when the charset is known to iconv (else as it is) */
static GMimeStream *
part_decoder(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *raw;
	GMimeStream *stream;
	GMimeFilter *filter;
	const char *charset;

	if (content == NULL ||
	    (raw = g_mime_data_wrapper_get_stream(content)) == NULL)
		return NULL;
	g_mime_stream_reset(raw);
	stream = g_mime_stream_filter_new(raw);
	switch (g_mime_data_wrapper_get_encoding(content)) {
	case GMIME_CONTENT_ENCODING_BASE64:
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
	case GMIME_CONTENT_ENCODING_UUENCODE:
		filter = g_mime_filter_basic_new(
		    g_mime_data_wrapper_get_encoding(content), FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(stream), filter);
		g_object_unref(filter);
		break;
	default:
		break;
	}
	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	                                                   "charset");
	if (!charset_is_utf8(charset) &&
	    (filter = g_mime_filter_charset_new(charset, "UTF-8")) != NULL) {
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(stream), filter);
		g_object_unref(filter);
	}
	return stream;
}

/* walk_part - decode and scan one text part within the budget */
static void
walk_part(struct urls_walk *w, GMimePart *part, bool html)
{
	GMimeStream *stream = part_decoder(part);
	size_t len = 0;
	char probe;

	if (stream == NULL)
		return;
	while (len < w->budget) {
		size_t want = w->budget - len;
		ssize_t got;

		if (want > URLS_READ_CHUNK)
			want = URLS_READ_CHUNK;
		if (walk_reserve(w, len + want) != 0)
			goto out;
		if ((got = g_mime_stream_read(stream, w->buf + len, want)) <= 0)
			break;
		len += (size_t)got;
	}
	/* Budget spent: one more byte says whether text was left over. */
	if (len == w->budget && g_mime_stream_read(stream, &probe, 1) > 0)
		w->truncated = true;
	w->budget -= len;
	urls_scan_text(w->ctx, w->buf, len, html);
out:
	g_object_unref(stream);
}

/* walk - scan the text parts under obj, depth first, in order */
static void
walk(struct urls_walk *w, GMimeObject *obj, int depth, int messages)
{
	if (obj == NULL || urls_stopped(w->ctx))
		return;
	if (depth > URLS_NEST_MAX) {
		w->truncated = true;
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (messages >= URLS_MESSAGE_MAX)
			w->truncated = true;
		else if (m != NULL)
			walk(w, g_mime_message_get_mime_part(m), depth + 1,
			     messages + 1);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		const char *face;

		if (n == 0 &&
		    (face = g_mime_multipart_get_prologue(mp)) != NULL)
			walk_text(w, face, strlen(face));
		for (int i = 0; i < n; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1,
			     messages);
	} else if (GMIME_IS_PART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (g_mime_content_type_is_type(ct, "text", "plain"))
			walk_part(w, GMIME_PART(obj), false);
		else if (g_mime_content_type_is_type(ct, "text", "html"))
			walk_part(w, GMIME_PART(obj), true);
	}
}

/* pcl_urls_extract - the domains of the URLs and addresses in a message */
int
pcl_urls_extract(const char *msg, size_t len, size_t max_domains,
                 struct pcl_url_domains *out, char *err, size_t errlen)
{
	struct urls_ctx ctx = {.out = out, .max = max_domains};
	struct urls_walk w = {.ctx = &ctx, .budget = URLS_SCAN_MAX};
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *message = NULL;
	GMimeObject *body = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pcl_urls_init();
	if (msg == NULL)
		len = 0;
	if (len > 0) {
		stream = g_mime_stream_mem_new_with_buffer(msg, len);
		parser = g_mime_parser_new_with_stream(stream);
		message = g_mime_parser_construct_message(parser, NULL);
	}
	if (message != NULL)
		body = g_mime_message_get_mime_part(message);
	if (body != NULL)
		walk(&w, body, 0, 0);
	else
		walk_text(&w, msg, len);
	if (ctx.oom) {
		if (err != NULL)
			pcl_format(err, errlen, "urls: %s", strerror(ENOMEM));
		pcl_url_domains_clear(out);
		goto out;
	}
	out->truncated = w.truncated;
	rc = 0;
out:
	if (message != NULL)
		g_object_unref(message);
	if (parser != NULL)
		g_object_unref(parser);
	if (stream != NULL)
		g_object_unref(stream);
	free(w.buf);
	free(ctx.slots);
	return rc;
}

/* pcl_url_domains_clear - free the list and empty it; NULL is fine */
void
pcl_url_domains_clear(struct pcl_url_domains *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		free(d->items[i]);
	free(d->items);
	memset(d, 0, sizeof(*d));
}
