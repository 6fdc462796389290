/*
 * dmarc_from - the Author Domain: the domain of the From: field's
 * address (RFC 5322 3.6.2, 3.4; RFC 9989 5.3.1)
 *
 * One pass over the value with a small tokenizer: quoted strings and
 * domain literals (backslash escapes), comments (nested, at most
 * COMMENT_DEPTH deep), the specials < > , : ; @ . and atoms; white
 * space between. A mailbox is what lies between commas: inside angle
 * brackets when it has them (an obsolete route "@a,@b:" before the
 * address is skipped), else all of it; its domain is what follows its
 * last '@': a dot-atom (comments and white space between the parts
 * tolerated, RFC 5322 obs-domain). Groups ("name: a@b, c@d;") are
 * read through; a group with no address adds none.
 *
 * Refused (BAD), so that the caller's multi_from action applies: an
 * unclosed quote, comment, literal or angle bracket; '>' or ';' with
 * nothing open; a group inside a group; a domain that is not a valid
 * DNS name (labels of letters, digits, hyphens and underscores, at
 * most 63 bytes each, 253 in all) or a domain literal; more than
 * PCL_DMARC_FROM_MAX addresses. An 8-bit domain (RFC 6532) is taken
 * to its A-label with libidn2 (RFC 9989 5.3.1).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <idn2.h>

#include "dmarc.h"

#define COMMENT_DEPTH 16

enum tok {
	TOK_END = 0,
	TOK_WORD,    /* atom or quoted string */
	TOK_LITERAL, /* [domain literal] */
	TOK_SPECIAL, /* one of <>,:;@. (t->c) */
	TOK_BAD,
};

struct token {
	enum tok type;
	const char *p; /* an atom's text */
	size_t n;
	char c;
};

/* The mailbox being read. */
struct box {
	size_t words;          /* words and literals so far */
	const char *at_domain; /* the atoms after the last '@' */
	char domain[PCL_DOMAIN_MAX + 1];
	size_t dlen;
	bool after_at, domain_bad, literal;
	bool word_last; /* the domain so far ends with a word */
};

/* skip_delimited - past a quoted string, literal or comment that
 * starts at *pp; false when it is not closed (or nests too deep) */
static bool
skip_delimited(const char **pp, char open, char close)
{
	const char *p = *pp + 1;
	int depth = 1;

	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (open == '(' && *p == '(') {
			if (++depth > COMMENT_DEPTH)
				return false;
		} else if (*p == close && --depth == 0) {
			*pp = p + 1;
			return true;
		}
	}
	return false;
}

/* next - the token at *pp, white space and comments skipped */
static void
next(const char **pp, struct token *t)
{
	const char *p = *pp;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			break;
		if (!skip_delimited(&p, '(', ')')) {
			t->type = TOK_BAD;
			return;
		}
	}
	t->p = p;
	t->n = 0;
	if (*p == '\0') {
		t->type = TOK_END;
	} else if (*p == '"' || *p == '[') {
		t->type = skip_delimited(&p, *p, *p == '"' ? '"' : ']')
		              ? (*t->p == '"' ? TOK_WORD : TOK_LITERAL)
		              : TOK_BAD;
		t->n = (size_t)(p - t->p);
	} else if (strchr("<>,:;@.", *p) != NULL) {
		t->type = TOK_SPECIAL;
		t->c = *p++;
	} else if (*p == ')' || *p == ']' || *p == '\\') {
		t->type = TOK_BAD;
	} else {
		while (*p && strchr(" \t\r\n()<>,:;@.\"[]\\", *p) == NULL)
			p++;
		t->type = TOK_WORD;
		t->n = (size_t)(p - t->p);
	}
	*pp = p;
}

/* label_ok - a DNS label of the A-label form */
static bool
label_ok(const char *p, size_t n)
{
	if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_')
			return false;
	return true;
}

/* domain_ok - every label good, 253 bytes at most; an 8-bit name is
 * made its A-label first (in place) */
static bool
domain_ok(char *d, size_t cap)
{
	bool ascii = true;
	const char *label = d;

	for (const char *p = d; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	if (!ascii) {
		char *alabel = NULL;
		bool fits;

		if (idn2_to_ascii_8z(d, &alabel, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK)
			return false;
		fits = pcl_copy(d, cap, alabel);
		idn2_free(alabel);
		if (!fits)
			return false;
	}
	if (*d == '\0' || strlen(d) > PCL_DOMAIN_MAX)
		return false;
	for (const char *p = d;; p++) {
		if (*p != '.' && *p != '\0')
			continue;
		if (!label_ok(label, (size_t)(p - label)))
			return false;
		if (*p == '\0')
			return true;
		label = p + 1;
	}
}

/* box_token - one token of a mailbox's address part */
static void
box_token(struct box *b, const struct token *t)
{
	if (t->type == TOK_SPECIAL && t->c == '@') {
		b->after_at = true;
		b->dlen = 0;
		b->domain_bad = b->literal = b->word_last = false;
		return;
	}
	if (t->type != TOK_SPECIAL)
		b->words++;
	if (!b->after_at)
		return;
	if (t->type == TOK_LITERAL) {
		b->literal = true;
		return;
	}
	if (t->type == TOK_WORD && *t->p == '"') {
		b->domain_bad = true;
		return;
	}
	if (b->dlen + t->n + 1 >= sizeof(b->domain)) {
		b->domain_bad = true;
		return;
	}
	/* two words with no dot between: not a domain */
	if (t->type == TOK_WORD && b->word_last)
		b->domain_bad = true;
	b->word_last = t->type == TOK_WORD;
	if (t->type == TOK_SPECIAL) {
		b->domain[b->dlen++] = t->c;
	} else {
		memcpy(b->domain + b->dlen, t->p, t->n);
		b->dlen += t->n;
	}
	b->domain[b->dlen] = '\0';
}

/* The whole field's state. */
struct from {
	struct box box;
	size_t addresses;
	char first[PCL_DOMAIN_MAX + 1];
	bool many;
	const char *why; /* set: BAD */
};

/* box_end - a mailbox ends: count its domain */
static void
box_end(struct from *f)
{
	struct box *b = &f->box;

	if (b->after_at && !f->why) {
		if (b->literal || b->domain_bad || b->dlen == 0 ||
		    !domain_ok(b->domain, sizeof(b->domain)))
			f->why = "bad domain in From: address";
		else if (++f->addresses > PCL_DMARC_FROM_MAX)
			f->why = "too many From: addresses";
		else if (*f->first == '\0')
			pcl_copy(f->first, sizeof(f->first),
			         pcl_lower(b->domain));
		else if (strcmp(f->first, pcl_lower(b->domain)) != 0)
			f->many = true;
	}
	memset(b, 0, sizeof(*b));
}

/* special - a special character outside quotes and comments */
static void
special(struct from *f, char c, bool *angle, bool *group)
{
	switch (c) {
	case '<':
		if (*angle)
			f->why = "'<' inside '<>' in From:";
		*angle = true;
		memset(&f->box, 0, sizeof(f->box));
		break;
	case '>':
		if (!*angle)
			f->why = "'>' without '<' in From:";
		*angle = false;
		break;
	case ':':
		/* in angle brackets, the end of an obsolete route */
		if (!*angle && *group)
			f->why = "a group inside a group in From:";
		if (!*angle)
			*group = true;
		memset(&f->box, 0, sizeof(f->box));
		break;
	case ',':
		if (!*angle)
			box_end(f);
		break;
	case ';':
		if (*angle || !*group)
			f->why = "';' outside a group in From:";
		box_end(f);
		*group = false;
		break;
	}
}

/* pcl_dmarc_from_domain - the Author Domain of a From: value */
enum pcl_dmarc_from
pcl_dmarc_from_domain(const char *value, char *out, char *err, size_t errlen)
{
	struct from f;
	struct token t;
	bool angle = false, group = false, closed = false;
	const char *p = value;

	memset(&f, 0, sizeof(f));
	*out = '\0';
	for (next(&p, &t); t.type != TOK_END && !f.why; next(&p, &t)) {
		if (t.type == TOK_BAD)
			f.why = "unclosed quote, comment or literal in From:";
		else if (t.type == TOK_SPECIAL && (t.c != '@' && t.c != '.'))
			special(&f, t.c, &angle, &group);
		else if (!closed)
			box_token(&f.box, &t);
		/* after '>', the rest of the mailbox is not its address */
		if (t.type == TOK_SPECIAL && t.c != '@' && t.c != '.')
			closed = t.c == '>';
	}
	if (!f.why && angle)
		f.why = "unclosed '<' in From:";
	if (!f.why)
		box_end(&f);
	if (f.why) {
		pcl_copy(err, errlen, f.why);
		return PCL_DMARC_FROM_BAD;
	}
	if (f.addresses == 0) {
		pcl_copy(err, errlen, "no address in From:");
		return PCL_DMARC_FROM_NONE;
	}
	if (f.many) {
		pcl_copy(err, errlen, "From: addresses in several domains");
		return PCL_DMARC_FROM_MANY;
	}
	pcl_copy(out, PCL_DOMAIN_MAX + 1, f.first);
	return PCL_DMARC_FROM_ONE;
}
