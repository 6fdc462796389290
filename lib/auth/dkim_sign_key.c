/*
 * dkim_sign_key - private keys for DKIM signing
 *
 * pcl_dkim_key_load reads a PEM file and checks it before any message
 * needs it: a regular file, no permission bits for group or others
 * (a DKIM key lets anyone sign as the domain), at most 64 KiB, a
 * private key OpenSSL can parse, RSA of at least 1024 bits (RFC 8301)
 * or Ed25519 (RFC 8463). The key is parsed here once, and the EVP_PKEY
 * kept for every signature (dkim_signer.c): parsing costs more than an
 * RSA-2048 signature (LIBRARIES.md 8), so it is never done per message.
 * An encrypted key is refused without a prompt: a passphrase callback
 * says no, where OpenSSL's default one would read the terminal.
 *
 * This, dkim_signer.c and dkim_genkey.c are portcullis's users of
 * libcrypto. The file's text is wiped as soon as it is parsed, and no
 * error text quotes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim_int.h"
#include "util.h"

#define KEY_FILE_MAX (64 * 1024)
#define KEY_RSA_MIN_BITS 1024
#define KEY_ED25519_BITS 256

/* Why OpenSSL's PEM reader failed, as far as the callback saw. */
struct pem_probe {
	bool asked_passphrase;
};

/* no_passphrase - OpenSSL's passphrase callback: never prompt, note
 * that the key is encrypted, and make the read fail */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	struct pem_probe *probe = u;

	(void)buf;
	(void)size;
	(void)rwflag;
	if (probe != NULL)
		probe->asked_passphrase = true;
	return -1;
}

/* key_read - the whole file at fd into a new NUL-terminated buffer;
 * NULL with err */
static char *
key_read(int fd, const char *path, size_t size, size_t *lenp, char *err,
         size_t errlen)
{
	char *buf = malloc(size + 1);
	size_t n = 0;

	if (buf == NULL) {
		pcl_format(err, errlen, "key file %s: out of memory", path);
		return NULL;
	}
	while (n < size) {
		ssize_t r = read(fd, buf + n, size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pcl_format(err, errlen, "key file %s: cannot read: %s",
			           path, strerror(errno));
			explicit_bzero(buf, n);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break; /* shrank since fstat: take what is there */
		n += (size_t)r;
	}
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

/* key_open - open path and check what it is and who may read it; the
 * descriptor and its size, or -1 with err */
static int
key_open(const char *path, size_t *sizep, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO in place of the key must not hang the load */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		pcl_format(err, errlen, "key file %s: cannot open: %s", path,
		           strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		pcl_format(err, errlen, "key file %s: cannot stat: %s", path,
		           strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		pcl_format(err, errlen, "key file %s: not a regular file",
		           path);
	} else if ((st.st_mode & 044) != 0) {
		pcl_format(err, errlen,
		           "key file %s is readable by others (mode %04o): "
		           "make it 0600 or 0400",
		           path, (unsigned)(st.st_mode & 07777));
	} else if ((st.st_mode & 033) != 0) {
		pcl_format(err, errlen,
		           "key file %s is writable or executable by others "
		           "(mode %04o): make it 0600 or 0400",
		           path, (unsigned)(st.st_mode & 07777));
	} else if (st.st_size > KEY_FILE_MAX) {
		pcl_format(err, errlen, "key file %s: larger than %d bytes",
		           path, KEY_FILE_MAX);
	} else {
		*sizep = (size_t)st.st_size;
		return fd;
	}
	close(fd);
	return -1;
}

/* key_parse - parse the PEM text with OpenSSL into key->pkey and fill
 * in the type and size; false with err */
static bool
key_parse(struct pcl_dkim_key *key, const char *pem, size_t pemlen,
          const char *path, char *err, size_t errlen)
{
	struct pem_probe probe = {false};
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	bool ok = false;

	if (strlen(pem) != pemlen) {
		pcl_format(err, errlen,
		           "key file %s: not a PEM private key "
		           "(NUL byte)",
		           path);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)pemlen);
	if (bio == NULL) {
		pcl_format(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &probe);
	if (pkey == NULL && probe.asked_passphrase) {
		pcl_format(err, errlen,
		           "key file %s: the key is encrypted; "
		           "portcullis needs it unencrypted",
		           path);
		goto out;
	}
	if (pkey == NULL) {
		pcl_format(err, errlen, "key file %s: not a PEM private key",
		           path);
		goto out;
	}
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		key->type = DKIM_KEY_RSA;
		key->bits = (unsigned)EVP_PKEY_get_bits(pkey);
		if (key->bits < KEY_RSA_MIN_BITS) {
			pcl_format(err, errlen,
			           "key file %s: RSA key of %u bits; at least "
			           "%d needed (RFC 8301)",
			           path, key->bits, KEY_RSA_MIN_BITS);
			goto out;
		}
		break;
	case EVP_PKEY_ED25519:
		key->type = DKIM_KEY_ED25519;
		key->bits = KEY_ED25519_BITS;
		break;
	default:
		pcl_format(err, errlen,
		           "key file %s: key type not supported "
		           "(want RSA or Ed25519)",
		           path);
		goto out;
	}
	key->pkey = pkey;
	pkey = NULL;
	ok = true;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	/* the error queue is per thread; leave it empty for the next user */
	ERR_clear_error();
	return ok;
}

/* pcl_dkim_key_load - read and check a PEM private key file */
struct pcl_dkim_key *
pcl_dkim_key_load(const char *path, char *err, size_t errlen)
{
	struct pcl_dkim_key *key = NULL;
	struct pcl_dkim_key *ret = NULL;
	char *pem = NULL;
	size_t size = 0, pemlen = 0;
	int fd = -1;

	if (path == NULL || *path == '\0') {
		pcl_format(err, errlen, "key file: no path given");
		goto out;
	}
	fd = key_open(path, &size, err, errlen);
	if (fd < 0)
		goto out;
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		pcl_format(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	key->path = strdup(path);
	if (key->path == NULL) {
		pcl_format(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	pem = key_read(fd, path, size, &pemlen, err, errlen);
	if (pem == NULL || !key_parse(key, pem, pemlen, path, err, errlen))
		goto out;
	ret = key;
	key = NULL;
out:
	if (pem != NULL) {
		explicit_bzero(pem, pemlen);
		free(pem);
	}
	if (fd >= 0)
		close(fd);
	pcl_dkim_key_free(key);
	return ret;
}

/* pcl_dkim_key_free - free (OpenSSL wipes the key's secrets); NULL is
 * safe */
void
pcl_dkim_key_free(struct pcl_dkim_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->path);
	free(key);
}

/* pcl_dkim_key_algorithm - the a= value the key signs with */
const char *
pcl_dkim_key_algorithm(const struct pcl_dkim_key *key)
{
	if (key == NULL)
		return "unknown";
	return key->type == DKIM_KEY_ED25519 ? "ed25519-sha256" : "rsa-sha256";
}

/* pcl_dkim_key_bits - RSA modulus bits; 256 for Ed25519 */
unsigned
pcl_dkim_key_bits(const struct pcl_dkim_key *key)
{
	return key != NULL ? key->bits : 0;
}
