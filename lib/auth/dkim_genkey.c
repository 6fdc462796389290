/*
 * dkim_genkey - new DKIM key pairs and the DNS records that publish them
 *
 * pcl_dkim_genkey makes an RSA key (RFC 8301: at least 1024 bits, 2048
 * by default) or an Ed25519 key (RFC 8463) with OpenSSL 3's EVP
 * interface and writes it as unencrypted PKCS#8 PEM, what `openssl
 * genpkey` writes and pcl_dkim_key_load reads.
 *
 * The file: always written first as a temporary file beside its name
 * (mkostemp: O_EXCL, never through a symlink), mode 0600 from the
 * start, given to its owner before a key byte is in it, fsynced, and
 * read back as the daemon reads keys. Only then does it get its name:
 * link(2) for a new key, which fails rather than replace anything, or
 * rename(2) over the old key, so a daemon reloading meanwhile reads the
 * old key or the new, never half of one. On any failure the temporary
 * file is removed and an old key is left as it was.
 *
 * The public half comes back as DNS wants it: for RSA the base64 of the
 * DER SubjectPublicKeyInfo (RFC 6376 3.6.1), for Ed25519 the base64 of
 * the raw 32-byte key (RFC 8463 4.2). pcl_dkim_record_zone writes the
 * zone-file record, its text cut into strings a TXT record can hold.
 *
 * With dkim_sign_key.c, the DKIM module is the only user of libcrypto.
 * The PEM text goes through a secure-memory BIO and is wiped; the
 * OpenSSL key object wipes itself when freed. The error queue is left
 * empty, and no error text quotes key material.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "util.h"

#define ED25519_PUBLIC_LEN 32 /* RFC 8032 */
/* A TXT character-string holds 255 bytes; 250 leaves a margin, as
 * opendkim-genkey and most DNS panels do. */
#define ZONE_STRING_MAX 250

/* ssl_error - "what: OpenSSL's reason" into err; the reason names what
 * failed, never key material */
static void
ssl_error(char *err, size_t errlen, const char *path, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	pcl_format(err, errlen, "key file %s: %s (OpenSSL: %s)", path, what,
	           reason != NULL ? reason : "no reason given");
}

/* key_make - a new key of the asked type and size; NULL with err */
static EVP_PKEY *
key_make(enum pcl_dkim_keytype type, unsigned bits, const char *path, char *err,
         size_t errlen)
{
	EVP_PKEY *pkey;

	if (type == PCL_DKIM_RSA)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		ssl_error(err, errlen, path, "cannot generate the key");
	return pkey;
}

/* pubkey_encode - the p= value of pkey into out; false with err */
static bool
pubkey_encode(EVP_PKEY *pkey, enum pcl_dkim_keytype type, const char *path,
              char *out, size_t len, char *err, size_t errlen)
{
	unsigned char raw[ED25519_PUBLIC_LEN];
	unsigned char *der = NULL;
	const unsigned char *in;
	size_t n = sizeof(raw);
	bool ok = false;

	if (type == PCL_DKIM_RSA) {
		int dlen = i2d_PUBKEY(pkey, &der);

		if (dlen <= 0) {
			ssl_error(err, errlen, path,
			          "cannot encode the public key");
			goto out;
		}
		in = der;
		n = (size_t)dlen;
	} else {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 ||
		    n != sizeof(raw)) {
			ssl_error(err, errlen, path,
			          "cannot read the public key");
			goto out;
		}
		in = raw;
	}
	/* EVP_EncodeBlock: 4 characters per 3 bytes, padded, and a NUL */
	if (len < 4 * ((n + 2) / 3) + 1) {
		pcl_format(err, errlen,
		           "key file %s: no room for the public key "
		           "(%zu bytes)",
		           path, n);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	ok = true;
out:
	OPENSSL_free(der);
	return ok;
}

/* write_all - all of buf to fd; false with errno set */
static bool
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

/* pem_write - pkey as unencrypted PKCS#8 PEM to fd; false with err */
static bool
pem_write(int fd, EVP_PKEY *pkey, const char *path, char *err, size_t errlen)
{
	/* secure memory: the buffer is wiped when it grows and when freed,
	 * whether or not a secure heap was set up */
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long n = 0;
	bool ok = false;

	if (bio == NULL) {
		pcl_format(err, errlen, "key file %s: out of memory", path);
		return false;
	}
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) !=
	    1) {
		ssl_error(err, errlen, path, "cannot encode the private key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || data == NULL) {
		pcl_format(err, errlen, "key file %s: empty PEM text", path);
		goto out;
	}
	if (!write_all(fd, data, (size_t)n)) {
		pcl_format(err, errlen, "key file %s: cannot write: %s", path,
		           strerror(errno));
		goto out;
	}
	ok = true;
out:
	if (data != NULL && n > 0)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return ok;
}

/* dir_sync - fsync the directory holding path, so that a new name
 * survives a crash. Best effort: the key is in place whatever this
 * says, and some file systems refuse fsync on a directory (EINVAL). */
static void
dir_sync(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (!pcl_copy(dir, sizeof(dir), path))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		pcl_copy(dir, sizeof(dir), ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* temp_create - a new, empty file beside path (mkostemp: O_EXCL, mode
 * 0600, a name nobody guessed first), its name into tmp; the
 * descriptor, or -1 with err */
static int
temp_create(const char *path, char *tmp, size_t tmplen, char *err,
            size_t errlen)
{
	int fd;

	if (!pcl_format(tmp, tmplen, "%s.XXXXXX", path)) {
		pcl_format(err, errlen, "key file %s: path too long", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		pcl_format(err, errlen,
		           "key file %s: cannot create a temporary file "
		           "beside it: %s",
		           path, strerror(errno));
	return fd;
}

/* read_back - the written file loads as the daemon will load it, with
 * the type and size asked for; false with err */
static bool
read_back(const char *tmp, const char *path, enum pcl_dkim_keytype type,
          unsigned bits, char *err, size_t errlen)
{
	struct pcl_dkim_key *key = pcl_dkim_key_load(tmp, err, errlen);
	const char *want =
	    type == PCL_DKIM_ED25519 ? "ed25519-sha256" : "rsa-sha256";
	bool ok;

	if (key == NULL)
		return false;
	ok = strcmp(pcl_dkim_key_algorithm(key), want) == 0 &&
	     (type == PCL_DKIM_ED25519 || pcl_dkim_key_bits(key) == bits);
	if (!ok)
		pcl_format(err, errlen,
		           "key file %s: read back as %s of %u bits, want %s",
		           path, pcl_dkim_key_algorithm(key),
		           pcl_dkim_key_bits(key), want);
	pcl_dkim_key_free(key);
	return ok;
}

/* publish - give the finished temporary file its name: rename over an
 * old key (replace), else link, which never replaces anything */
static bool
publish(const char *tmp, const char *path, bool replace, char *err,
        size_t errlen)
{
	if (replace) {
		if (rename(tmp, path) == 0)
			return true;
		pcl_format(err, errlen, "key file %s: cannot replace it: %s",
		           path, strerror(errno));
		return false;
	}
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return true;
	}
	if (errno == EEXIST)
		pcl_format(err, errlen,
		           "key file %s already exists; it was left alone",
		           path);
	else
		pcl_format(err, errlen, "key file %s: cannot create: %s", path,
		           strerror(errno));
	return false;
}

/* key_store - write pkey to path as pcl_dkim_genkey promises: always
 * into a temporary file first, read back, then named; false with err
 * and nothing left behind (an old key untouched) */
static bool
key_store(const char *path, const struct pcl_dkim_genkey_opts *o, unsigned bits,
          EVP_PKEY *pkey, char *err, size_t errlen)
{
	char tmp[PATH_MAX] = "";
	bool ok = false;
	int fd;

	fd = temp_create(path, tmp, sizeof(tmp), err, errlen);
	if (fd < 0)
		return false;
	/* umask can only take bits away; say 0600 outright all the same */
	if (fchmod(fd, 0600) != 0) {
		pcl_format(err, errlen, "key file %s: cannot chmod: %s", path,
		           strerror(errno));
		goto out;
	}
	if (o->set_owner && fchown(fd, o->uid, o->gid) != 0) {
		pcl_format(err, errlen,
		           "key file %s: cannot give it to uid %ld gid %ld: %s",
		           path, (long)o->uid, (long)o->gid, strerror(errno));
		goto out;
	}
	if (!pem_write(fd, pkey, path, err, errlen))
		goto out;
	if (fsync(fd) != 0) {
		pcl_format(err, errlen, "key file %s: cannot fsync: %s", path,
		           strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		pcl_format(err, errlen, "key file %s: cannot close: %s", path,
		           strerror(errno));
		goto out;
	}
	fd = -1;
	if (!read_back(tmp, path, o->type, bits, err, errlen) ||
	    !publish(tmp, path, o->replace, err, errlen))
		goto out;
	*tmp = '\0';
	dir_sync(path);
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (*tmp)
		unlink(tmp);
	return ok;
}

/* opts_check - the options make sense; the RSA size to use in *bits;
 * false with err */
static bool
opts_check(const char *path, const struct pcl_dkim_genkey_opts *o,
           unsigned *bits, char *err, size_t errlen)
{
	if (path == NULL || *path == '\0' || o == NULL) {
		pcl_format(err, errlen, "key file: no path or options given");
		return false;
	}
	switch (o->type) {
	case PCL_DKIM_RSA:
		*bits = o->bits != 0 ? o->bits : PCL_DKIM_RSA_BITS_DEFAULT;
		if (*bits < PCL_DKIM_RSA_BITS_MIN ||
		    *bits > PCL_DKIM_RSA_BITS_MAX) {
			pcl_format(err, errlen,
			           "key file %s: RSA keys of %u bits are not "
			           "made: %d to %d (RFC 8301: at least %d)",
			           path, *bits, PCL_DKIM_RSA_BITS_MIN,
			           PCL_DKIM_RSA_BITS_MAX,
			           PCL_DKIM_RSA_BITS_MIN);
			return false;
		}
		return true;
	case PCL_DKIM_ED25519:
		*bits = 0;
		if (o->bits != 0) {
			pcl_format(err, errlen,
			           "key file %s: Ed25519 keys have no size to "
			           "choose (%u bits asked)",
			           path, o->bits);
			return false;
		}
		return true;
	}
	pcl_format(err, errlen,
	           "key file %s: key type not supported (want RSA or "
	           "Ed25519)",
	           path);
	return false;
}

/* pcl_dkim_genkey - make a key pair, store the private key at path */
bool
pcl_dkim_genkey(const char *path, const struct pcl_dkim_genkey_opts *opts,
                char *pubkey, size_t publen, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	unsigned bits = 0;
	bool ok = false;

	if (pubkey != NULL && publen > 0)
		pubkey[0] = '\0';
	if (!opts_check(path, opts, &bits, err, errlen))
		return false;
	if (pubkey == NULL || publen == 0) {
		pcl_format(err, errlen,
		           "key file %s: no room for the public "
		           "key",
		           path);
		return false;
	}
	pkey = key_make(opts->type, bits, path, err, errlen);
	if (pkey == NULL)
		goto out;
	/* the public half first: a failure there leaves no file */
	if (!pubkey_encode(pkey, opts->type, path, pubkey, publen, err,
	                   errlen) ||
	    !key_store(path, opts, bits, pkey, err, errlen))
		goto out;
	ok = true;
out:
	if (!ok && pubkey != NULL && publen > 0)
		pubkey[0] = '\0';
	EVP_PKEY_free(pkey);
	/* the error queue is per thread; leave it empty for the next user */
	ERR_clear_error();
	return ok;
}

/* pcl_dkim_keytype_parse - "rsa" or "ed25519" */
bool
pcl_dkim_keytype_parse(const char *text, enum pcl_dkim_keytype *type)
{
	if (text != NULL && strcasecmp(text, "rsa") == 0)
		*type = PCL_DKIM_RSA;
	else if (text != NULL && strcasecmp(text, "ed25519") == 0)
		*type = PCL_DKIM_ED25519;
	else
		return false;
	return true;
}

/* pcl_dkim_keytype_name - the k= value of a key type */
const char *
pcl_dkim_keytype_name(enum pcl_dkim_keytype type)
{
	switch (type) {
	case PCL_DKIM_RSA:
		return "rsa";
	case PCL_DKIM_ED25519:
		return "ed25519";
	}
	return "unknown";
}

/* ldh_labels - how many dot-separated labels name has, each of 1 to 63
 * letters, digits and hyphens, no hyphen first or last (RFC 5321
 * sub-domain); 0 when it is not such a name */
static size_t
ldh_labels(const char *name)
{
	size_t labels = 0, label = 0;

	if (strlen(name) > PCL_DOMAIN_MAX)
		return 0;
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > PCL_LABEL_MAX || p[-1] == '-')
				return 0;
			labels++;
			if (*p == '\0')
				return labels;
			label = 0;
		} else if (isalnum((unsigned char)*p) ||
		           (*p == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
}

/* pcl_dkim_genkey_names_check - a domain and selector to name a key */
bool
pcl_dkim_genkey_names_check(const char *domain, const char *selector, char *err,
                            size_t errlen)
{
	if (domain == NULL || ldh_labels(domain) < 2) {
		pcl_format(err, errlen,
		           "bad domain \"%s\": want a domain name such as "
		           "example.com (letters, digits and hyphens; an "
		           "international name in its xn-- form)",
		           domain != NULL ? domain : "");
		return false;
	}
	if (selector == NULL || ldh_labels(selector) == 0) {
		pcl_format(err, errlen,
		           "bad selector \"%s\": want letters, digits and "
		           "hyphens, in labels separated by dots",
		           selector != NULL ? selector : "");
		return false;
	}
	if (strlen(selector) + strlen("._domainkey.") + strlen(domain) >
	    PCL_DOMAIN_MAX) {
		pcl_format(err, errlen,
		           "selector \"%s\" and domain \"%s\": the record name "
		           "would be longer than %d bytes",
		           selector, domain, PCL_DOMAIN_MAX);
		return false;
	}
	return true;
}

/* pcl_dkim_record_value - the TXT record's text */
bool
pcl_dkim_record_value(char *out, size_t len, enum pcl_dkim_keytype type,
                      const char *pubkey, bool testing)
{
	return pcl_format(out, len, "v=DKIM1; k=%s; %sp=%s",
	                  pcl_dkim_keytype_name(type), testing ? "t=y; " : "",
	                  pubkey != NULL ? pubkey : "");
}

/* base64_ok - text is non-empty base64, so safe inside quotes */
static bool
base64_ok(const char *text)
{
	if (text == NULL || *text == '\0')
		return false;
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/' &&
		    *p != '=')
			return false;
	return true;
}

/* pcl_dkim_record_zone - the record as a zone-file line */
bool
pcl_dkim_record_zone(char *out, size_t len, const char *domain,
                     const char *selector, enum pcl_dkim_keytype type,
                     const char *pubkey, bool testing, char *err, size_t errlen)
{
	const char *rest = pubkey;
	bool first = true;

	if (len > 0)
		out[0] = '\0';
	if (!pcl_dkim_genkey_names_check(domain, selector, err, errlen))
		return false;
	if (type != PCL_DKIM_RSA && type != PCL_DKIM_ED25519) {
		pcl_format(err, errlen, "key type not supported");
		return false;
	}
	if (!base64_ok(pubkey)) {
		pcl_format(err, errlen, "the public key is not base64 text");
		return false;
	}
	if (!pcl_format(out, len,
	                "%s._domainkey.%s. IN TXT ( \"v=DKIM1; "
	                "k=%s; %s\"",
	                selector, domain, pcl_dkim_keytype_name(type),
	                testing ? "t=y; " : ""))
		goto cut;
	/* "p=" and the key, ZONE_STRING_MAX bytes a string */
	while (first || *rest != '\0') {
		size_t room = ZONE_STRING_MAX - (first ? 2 : 0);
		size_t n = strlen(rest) < room ? strlen(rest) : room;

		if (!pcl_append(out, len, "\n\t\"%s%.*s\"", first ? "p=" : "",
		                (int)n, rest))
			goto cut;
		rest += n;
		first = false;
	}
	if (pcl_append(out, len, " )"))
		return true;
cut:
	pcl_format(err, errlen, "the record does not fit in %zu bytes", len);
	if (len > 0)
		out[0] = '\0';
	return false;
}
