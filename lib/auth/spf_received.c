/*
 * spf_received - the Received-SPF header field (RFC 7208 section 9.1)
 *
 *	Received-SPF: pass (mx.example.org: domain of a@example.net
 *		designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;
 *		envelope-from="a@example.net"; helo=mail.example.net;
 *		receiver=mx.example.org; identity=mailfrom;
 *
 * The value is built word by word and folded with LF TAB before a word
 * that would pass column 78. Key-value pairs come in the order of the
 * ABNF; a value that is not a dot-atom is a quoted-string. Every byte
 * outside printable ASCII becomes "?", so nothing a client sent (a
 * HELO name, a sender) can add a line to the header.
 */
#include "config.h"

#include <string.h>

#include "spf_int.h"

#define FOLD_AT 78      /* RFC 5322 2.1.1: lines SHOULD stay under 78 */
#define NAME_COLUMNS 13 /* "Received-SPF:" before the value */
#define WORD_MAX 1024   /* one comment word or key=value pair */

struct hdr {
	char *buf;
	size_t cap;
	size_t len;
	size_t col; /* characters on the current line */
	bool over;
};

/* hdr_raw - append n bytes as they are */
static void
hdr_raw(struct hdr *h, const char *s, size_t n)
{
	if (h->over || h->len + n >= h->cap) {
		h->over = true;
		return;
	}
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
	h->col += n;
}

/* hdr_word - a space (or a fold) and a word */
static void
hdr_word(struct hdr *h, const char *word)
{
	size_t n = strlen(word);

	if (h->col + 1 + n > FOLD_AT && h->col > 1) {
		hdr_raw(h, "\n\t", 2);
		h->col = 1;
	} else {
		hdr_raw(h, " ", 1);
	}
	hdr_raw(h, word, n);
}

/* printable - a byte fit for a header, or '?' */
static char
printable(char ch)
{
	return ch >= 0x20 && ch <= 0x7e ? ch : '?';
}

/* is_atext - RFC 5322 atext */
static bool
is_atext(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* is_dot_atom - 1*atext *("." 1*atext) */
static bool
is_dot_atom(const char *s)
{
	bool after_dot = true;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (after_dot)
				return false;
			after_dot = true;
		} else if (is_atext(*s)) {
			after_dot = false;
		} else {
			return false;
		}
	}
	return !after_dot;
}

/* hdr_pair - key=value; with the value quoted unless a dot-atom */
static void
hdr_pair(struct hdr *h, const char *key, const char *value)
{
	char word[WORD_MAX];
	size_t n = 0;
	bool quote;

	if (value == NULL)
		return;
	quote = !is_dot_atom(value);
	if (!pcl_format(word, sizeof(word), "%s=%s", key, quote ? "\"" : "")) {
		h->over = true;
		return;
	}
	n = strlen(word);
	for (const char *p = value; *p; p++) {
		char ch = printable(*p);

		if (n + 4 >= sizeof(word)) {
			h->over = true;
			return;
		}
		if (quote && (ch == '"' || ch == '\\'))
			word[n++] = '\\';
		word[n++] = ch;
	}
	if (quote)
		word[n++] = '"';
	word[n++] = ';';
	word[n] = '\0';
	hdr_word(h, word);
}

/* hdr_comment - "(" text ")" word by word; parentheses and
 * backslashes in the text are quoted (RFC 5322 ccontent) */
static void
hdr_comment(struct hdr *h, const char *text)
{
	char word[WORD_MAX];
	size_t n = 0;
	const char *p = text;

	word[n++] = '(';
	for (;; p++) {
		char ch = *p ? printable(*p) : '\0';

		if (ch == ' ' || ch == '\0') {
			if (ch == '\0')
				word[n++] = ')';
			word[n] = '\0';
			if (n > 0)
				hdr_word(h, word);
			n = 0;
			if (ch == '\0')
				return;
			continue;
		}
		if (n + 4 >= sizeof(word)) {
			h->over = true;
			return;
		}
		if (ch == '(' || ch == ')' || ch == '\\')
			word[n++] = '\\';
		word[n++] = ch;
	}
}

/* pcl_spf_received - the Received-SPF value for a response */
bool
pcl_spf_received(const struct pcl_spf_request *req,
                 const struct pcl_spf_response *resp, const char *identity,
                 char *buf, size_t len)
{
	struct hdr h = {buf, len, 0, NAME_COLUMNS, false};
	char ip[PCL_ADDR_TEXT_MAX];
	char comment[PCL_LINE_MAX];
	const char *who;
	bool fits = true;

	if (buf == NULL || len == 0 || req == NULL || resp == NULL)
		return false;
	buf[0] = '\0';
	pcl_addr_format(&req->ip, ip, sizeof(ip));
	who = req->sender && *req->sender ? req->sender
	      : req->domain               ? req->domain
	                                  : "";
	comment[0] = '\0';
	if (req->receiver && *req->receiver)
		fits =
		    pcl_format(comment, sizeof(comment), "%s: ", req->receiver);
	switch (resp->result) {
	case PCL_SPF_PASS:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "domain of %s designates %s as "
		                          "permitted sender",
		                          who, ip);
		break;
	case PCL_SPF_FAIL:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "domain of %s does not designate %s "
		                          "as permitted sender",
		                          who, ip);
		break;
	case PCL_SPF_SOFTFAIL:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "domain of transitioning %s does not "
		                          "designate %s as permitted sender",
		                          who, ip);
		break;
	case PCL_SPF_NEUTRAL:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "%s is neither permitted nor denied "
		                          "by domain of %s",
		                          ip, who);
		break;
	case PCL_SPF_NONE:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "domain of %s does not designate "
		                          "permitted sender hosts",
		                          who);
		break;
	case PCL_SPF_TEMPERROR:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "temporary error in processing "
		                          "during lookup of %s",
		                          who);
		break;
	case PCL_SPF_PERMERROR:
		fits = fits && pcl_append(comment, sizeof(comment),
		                          "permanent error in processing "
		                          "domain of %s",
		                          who);
		break;
	}
	if (!fits)
		return false;
	hdr_word(&h, pcl_spf_result_name(resp->result));
	hdr_comment(&h, comment);
	hdr_pair(&h, "client-ip", ip);
	hdr_pair(&h, "envelope-from", req->sender);
	hdr_pair(&h, "helo", req->helo);
	if ((resp->result == PCL_SPF_TEMPERROR ||
	     resp->result == PCL_SPF_PERMERROR) &&
	    resp->problem[0] != '\0')
		hdr_pair(&h, "problem", resp->problem);
	if (req->receiver && *req->receiver)
		hdr_pair(&h, "receiver", req->receiver);
	hdr_pair(&h, "identity", identity);
	if (resp->mechanism[0] != '\0')
		hdr_pair(&h, "mechanism", resp->mechanism);
	return !h.over;
}
