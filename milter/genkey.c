/*
 * portcullis-genkey - make a DKIM signing key and say how to publish it
 *
 * Usage:
 *   portcullis-genkey -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]
 *                     [-D DIR | -o FILE] [-u USER] [-f] [-T]
 *   portcullis-genkey -h | -V
 *
 * Writes a new private key (RSA, 2048 bits by default, or Ed25519) to
 * DIR/SELECTOR._domainkey.DOMAIN.key, DIR being /etc/portcullis/keys
 * unless -D or -o says otherwise: the key file's name is the DNS name of
 * its record and the KeyTable name printed for it. The file is mode
 * 0600; -u gives it to the service user (and that user's group), who
 * must read it at every start and reload. Then prints, on standard
 * output, the TXT record in zone-file form and, as # comments, the
 * portcullis.conf, KeyTable and SigningTable lines that use the key.
 *
 * The last component of DIR is created (mode 0750, group of -u's user)
 * when missing; a directory writable by group or others is refused,
 * since whoever can write there can swap the key. An existing key file
 * is refused unless -f, which replaces it atomically. The key written
 * is read back the way the daemon reads keys before anything is
 * printed.
 *
 * Exit status: 0 ok, 1 error (no key file is left behind, unless only
 * the printing failed), 2 usage error.
 * Errors go to standard error as "portcullis-genkey: ...".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "util.h"

#define IDENT "portcullis-genkey"
#define KEY_DIR_DEFAULT SYSCONFDIR "/portcullis/keys"
#define KEY_DIR_MODE 0750

#define GENKEY_EXIT_OK 0
#define GENKEY_EXIT_ERROR 1
#define GENKEY_EXIT_USAGE 2

struct args {
	const char *domain_arg; /* -d as given */
	char domain[PCL_DOMAIN_MAX + 2];
	const char *selector;       /* -s */
	enum pcl_dkim_keytype type; /* -a */
	unsigned bits;              /* -b; 0: the default */
	const char *dir;            /* -D; NULL: KEY_DIR_DEFAULT */
	const char *output;         /* -o */
	const char *user;           /* -u */
	bool force;                 /* -f */
	bool testing;               /* -T */
	bool help, version;
};

/* Who the key is for (-u). */
struct owner {
	bool set;
	char name[64];  /* the user */
	char group[64]; /* its primary group's name, or number */
	uid_t uid;
	gid_t gid;
};

static const struct option long_options[] = {
    {"domain", required_argument, NULL, 'd'},
    {"selector", required_argument, NULL, 's'},
    {"algorithm", required_argument, NULL, 'a'},
    {"bits", required_argument, NULL, 'b'},
    {"directory", required_argument, NULL, 'D'},
    {"output", required_argument, NULL, 'o'},
    {"user", required_argument, NULL, 'u'},
    {"force", no_argument, NULL, 'f'},
    {"testing", no_argument, NULL, 'T'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: " IDENT " -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]\n"
    "       " IDENT " [-D DIR | -o FILE] [-u USER] [-f] [-T]\n"
    "       " IDENT " -h | -V\n"
    "\n"
    "Make a DKIM signing key; print its DNS record and the portcullis\n"
    "settings that use it.\n"
    "\n"
    "  -d, --domain DOMAIN      signing domain (d=), e.g. example.com\n"
    "  -s, --selector SELECTOR  selector (s=), e.g. mail2026\n"
    "  -a, --algorithm ALG      rsa (default) or ed25519\n"
    "  -b, --bits BITS          RSA key size, 1024 to 8192 (default 2048)\n"
    "  -D, --directory DIR      write the key to\n"
    "                           DIR/SELECTOR._domainkey.DOMAIN.key\n"
    "                           (default DIR: " KEY_DIR_DEFAULT ");\n"
    "                           DIR itself is created (0750) if missing\n"
    "  -o, --output FILE        write the key to FILE instead\n"
    "  -u, --user USER          give the key to USER and USER's group:\n"
    "                           the user the daemon runs as (portcullis)\n"
    "  -f, --force              replace an existing key file (atomically)\n"
    "  -T, --testing            publish the record with t=y (testing)\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version\n"
    "\n"
    "Exit status: 0 ok, 1 error, 2 usage error.\n";

/* bits_parse - a decimal number of bits; false when not one */
static bool
bits_parse(const char *text, unsigned *bits)
{
	unsigned long v;
	char *end;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > PCL_DKIM_RSA_BITS_MAX * 16UL)
		return false;
	*bits = (unsigned)v;
	return true;
}

/* args_check - what getopt cannot see: required options, conflicts,
 * the names; 0, or -1 with a usage error */
static int
args_check(struct args *a, bool bits_given, char *err, size_t errlen)
{
	size_t n;

	if (a->domain_arg == NULL || a->selector == NULL) {
		pcl_format(err, errlen, "-d DOMAIN and -s SELECTOR are needed");
		return -1;
	}
	if (a->dir != NULL && a->output != NULL) {
		pcl_format(err, errlen, "-D and -o exclude each other");
		return -1;
	}
	if (bits_given && a->type != PCL_DKIM_RSA) {
		pcl_format(err, errlen, "-b is for RSA keys only");
		return -1;
	}
	if (a->type == PCL_DKIM_RSA && bits_given &&
	    (a->bits < PCL_DKIM_RSA_BITS_MIN ||
	     a->bits > PCL_DKIM_RSA_BITS_MAX)) {
		pcl_format(err, errlen,
		           "-b %u: RSA keys have %d to %d bits (RFC 8301: at "
		           "least %d)",
		           a->bits, PCL_DKIM_RSA_BITS_MIN,
		           PCL_DKIM_RSA_BITS_MAX, PCL_DKIM_RSA_BITS_MIN);
		return -1;
	}
	/* the domain as a zone file writes it: lower case, no final dot */
	if (!pcl_copy(a->domain, sizeof(a->domain), a->domain_arg)) {
		pcl_format(err, errlen, "-d: domain longer than %d bytes",
		           PCL_DOMAIN_MAX);
		return -1;
	}
	n = strlen(a->domain);
	if (n > 1 && a->domain[n - 1] == '.')
		a->domain[n - 1] = '\0';
	pcl_lower(a->domain);
	return pcl_dkim_genkey_names_check(a->domain, a->selector, err, errlen)
	           ? 0
	           : -1;
}

/* args_parse - argv into a; 0, or -1 with a usage error in err */
static int
args_parse(struct args *a, int argc, char **argv, char *err, size_t errlen)
{
	bool bits_given = false;
	int c;

	memset(a, 0, sizeof(*a));
	a->type = PCL_DKIM_RSA;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:a:b:D:o:u:fThV", long_options,
	                        NULL)) != -1) {
		switch (c) {
		case 'd':
			a->domain_arg = optarg;
			break;
		case 's':
			a->selector = optarg;
			break;
		case 'a':
			if (!pcl_dkim_keytype_parse(optarg, &a->type)) {
				pcl_format(err, errlen,
				           "-a %s: want rsa or ed25519",
				           optarg);
				return -1;
			}
			break;
		case 'b':
			if (!bits_parse(optarg, &a->bits)) {
				pcl_format(err, errlen,
				           "-b %s: not a number of bits",
				           optarg);
				return -1;
			}
			bits_given = true;
			break;
		case 'D':
			a->dir = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'f':
			a->force = true;
			break;
		case 'T':
			a->testing = true;
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
	if (optind < argc) {
		pcl_format(err, errlen, "unexpected argument \"%s\"",
		           argv[optind]);
		return -1;
	}
	if (a->help || a->version)
		return 0;
	return args_check(a, bits_given, err, errlen);
}

/* owner_lookup - the user of -u and its primary group; false with err */
static bool
owner_lookup(const char *user, struct owner *o, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	memset(o, 0, sizeof(*o));
	if (user == NULL)
		return true;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		pcl_format(err, errlen, "-u %s: %s", user,
		           errno != 0 && errno != ENOENT ? strerror(errno)
		                                         : "no such user");
		return false;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		pcl_format(err, errlen,
		           "-u %s: only root can give a file to another user",
		           user);
		return false;
	}
	o->set = true;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	pcl_copy(o->name, sizeof(o->name), user);
	gr = getgrgid(o->gid);
	if (gr == NULL || !pcl_copy(o->group, sizeof(o->group), gr->gr_name))
		pcl_format(o->group, sizeof(o->group), "%ld", (long)o->gid);
	return true;
}

/* absolute - path made absolute against the current directory, into
 * out; false with err */
static bool
absolute(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	bool ok;

	if (path[0] == '/') {
		ok = pcl_copy(out, len, path);
	} else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		pcl_format(err, errlen, "cannot find the current directory: %s",
		           strerror(errno));
		return false;
	} else {
		ok = pcl_format(out, len, "%s/%s", cwd, path);
	}
	if (!ok)
		pcl_format(err, errlen, "%s: path too long", path);
	return ok;
}

/* key_paths - the key file's absolute path and its directory; false
 * with err */
static bool
key_paths(const struct args *a, char *path, size_t len, char *dir,
          size_t dirlen, char *err, size_t errlen)
{
	char *slash;
	size_t n;

	if (a->output != NULL) {
		if (!absolute(a->output, path, len, err, errlen))
			return false;
		n = strlen(path);
		if (path[n - 1] == '/') {
			pcl_format(err, errlen,
			           "-o %s: a directory, not a file", a->output);
			return false;
		}
		pcl_copy(dir, dirlen, path);
		slash = strrchr(dir, '/');
		slash[slash == dir ? 1 : 0] = '\0';
	} else {
		if (!absolute(a->dir != NULL ? a->dir : KEY_DIR_DEFAULT, dir,
		              dirlen, err, errlen))
			return false;
		for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
			dir[n - 1] = '\0';
		if (!pcl_format(path, len, "%s%s%s._domainkey.%s.key", dir,
		                strcmp(dir, "/") == 0 ? "" : "/", a->selector,
		                a->domain)) {
			pcl_format(err, errlen, "%s: path too long", dir);
			return false;
		}
	}
	/* KeyTable and portcullis.conf lines end at white space and '#' */
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '#') {
			pcl_format(err, errlen,
			           "key file %s: a KeyTable or portcullis.conf "
			           "line cannot name it (white space, control "
			           "character or #)",
			           path);
			return false;
		}
	}
	return true;
}

/* dir_create - make dir (mode 0750, group of the owner); false with err */
static bool
dir_create(const char *dir, const struct owner *o, char *err, size_t errlen)
{
	bool ok = false;
	int fd;

	if (mkdir(dir, KEY_DIR_MODE) != 0) {
		pcl_format(err, errlen, "cannot create directory %s: %s%s", dir,
		           strerror(errno),
		           errno == ENOENT ? " (its parent must exist)" : "");
		return false;
	}
	/* the mode outright, whatever the umask; then the group, so the
	 * service user can reach the key */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, KEY_DIR_MODE) != 0 ||
	    (o->set && fchown(fd, (uid_t)-1, o->gid) != 0))
		pcl_format(err, errlen,
		           "directory %s: cannot set its mode or "
		           "group: %s",
		           dir, strerror(errno));
	else
		ok = true;
	if (fd >= 0)
		close(fd);
	if (ok)
		fprintf(stderr, "%s: created directory %s (mode %04o%s%s)\n",
		        IDENT, dir, KEY_DIR_MODE, o->set ? ", group " : "",
		        o->set ? o->group : "");
	return ok;
}

/* can_search - whether uid (primary group gid) may pass through a
 * directory of st; supplementary groups are not looked at */
static bool
can_search(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return true;
	if (st->st_uid == uid)
		return (st->st_mode & S_IXUSR) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & S_IXGRP) != 0;
	return (st->st_mode & S_IXOTH) != 0;
}

/* dir_prepare - the key's directory exists (created when create and
 * missing), and nobody but its owner can write there; false with err */
static bool
dir_prepare(const char *dir, bool create, const struct owner *o, char *err,
            size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || !create) {
			pcl_format(err, errlen, "directory %s: %s", dir,
			           strerror(errno));
			return false;
		}
		if (!dir_create(dir, o, err, errlen))
			return false;
		if (stat(dir, &st) != 0) {
			pcl_format(err, errlen, "directory %s: %s", dir,
			           strerror(errno));
			return false;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		pcl_format(err, errlen, "%s: not a directory", dir);
		return false;
	}
	/* root, the caller, or the key's own user (OpenDKIM's layout:
	 * keys in a directory of the daemon's user) */
	if (st.st_uid != 0 && st.st_uid != geteuid() &&
	    !(o->set && st.st_uid == o->uid)) {
		pcl_format(err, errlen,
		           "directory %s belongs to uid %ld: its owner could "
		           "replace the key; use a directory owned by root, "
		           "by you, or by the -u user",
		           dir, (long)st.st_uid);
		return false;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		pcl_format(err, errlen,
		           "directory %s is writable by group or others (mode "
		           "%04o): whoever can write there can replace the "
		           "key; \"chmod go-w %s\" first",
		           dir, (unsigned)(st.st_mode & 07777), dir);
		return false;
	}
	if (o->set && !can_search(&st, o->uid, o->gid))
		fprintf(stderr,
		        "%s: warning: user %s cannot enter directory %s "
		        "(owner %ld, group %ld, mode %04o), so the daemon "
		        "cannot read the key: \"chgrp %s %s\" and \"chmod "
		        "g+x %s\"\n",
		        IDENT, o->name, dir, (long)st.st_uid, (long)st.st_gid,
		        (unsigned)(st.st_mode & 07777), o->group, dir, dir);
	return true;
}

/* print_result - the record, then where each line goes */
static bool
print_result(const struct args *a, const char *path, unsigned bits,
             const char *owner, const char *pubkey, char *err, size_t errlen)
{
	char zone[PCL_DKIM_RECORD_MAX], value[PCL_DKIM_RECORD_MAX];
	char name[PCL_DOMAIN_MAX + 1], size[32] = "";
	const char *d = a->domain, *s = a->selector;

	if (!pcl_dkim_record_zone(zone, sizeof(zone), d, s, a->type, pubkey,
	                          a->testing, err, errlen) ||
	    !pcl_dkim_record_value(value, sizeof(value), a->type, pubkey,
	                           a->testing)) {
		if (*err == '\0')
			pcl_format(err, errlen, "the record does not fit");
		return false;
	}
	pcl_format(name, sizeof(name), "%s._domainkey.%s", s, d);
	if (a->type == PCL_DKIM_RSA)
		pcl_format(size, sizeof(size), ", %u bits", bits);
	printf("%s\n\n", zone);
	printf("# Private key: %s\n# (%s%s, mode 0600, owner %s).\n#\n", path,
	       a->type == PCL_DKIM_RSA ? "RSA" : "Ed25519", size, owner);
	printf("# 1. Publish the record above in the DNS zone of %s.\n"
	       "#    A DNS hosting panel wants the name %s._domainkey,\n"
	       "#    type TXT, and the strings joined into one value:\n#\n"
	       "#    %s\n#\n",
	       d, s, value);
	if (a->testing)
		printf("#    t=y: receivers treat the signed mail as unsigned "
		       "(RFC 6376);\n#    publish the record without t=y "
		       "once signatures verify.\n#\n");
	printf("# 2. Sign with the key. In portcullis.conf, for this domain "
	       "(and its\n#    subdomains) alone:\n#\n"
	       "#    dkim_sign_domain = %s\n#    dkim_sign_selector = %s\n"
	       "#    dkim_sign_key = %s\n#\n",
	       d, s, path);
	printf("#    or, with dkim_key_table = FILE and dkim_signing_table "
	       "= refile:FILE,\n#    this line in the KeyTable:\n#\n"
	       "#    %s %s:%s:%s\n#\n"
	       "#    and this one in the SigningTable:\n#\n"
	       "#    *@%s %s\n#\n",
	       name, d, s, path, d, name);
	printf("# 3. Check the configuration and reload the daemon:\n#\n"
	       "#    portcullis -n && systemctl reload portcullis\n#\n"
	       "#    and, once the record is published, see that it is:\n#\n"
	       "#    dig +short TXT %s\n",
	       name);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pcl_format(err, errlen,
		           "cannot write the output: %s (the key is in %s; "
		           "run again with -f for a new one)",
		           strerror(errno), path);
		return false;
	}
	return true;
}

/* notes - advice on standard error that is no error */
static void
notes(const struct args *a, unsigned bits, uid_t owner, const char *path)
{
	if (a->type == PCL_DKIM_RSA && bits < PCL_DKIM_RSA_BITS_DEFAULT)
		fprintf(stderr,
		        "%s: note: RFC 8301 asks signers for RSA keys of at "
		        "least 2048 bits\n",
		        IDENT);
	if (a->type == PCL_DKIM_RSA && bits > 4096)
		fprintf(stderr,
		        "%s: note: verifiers need only handle RSA keys up to "
		        "4096 bits (RFC 8301); some will fail this one\n",
		        IDENT);
	if (owner == 0)
		fprintf(stderr,
		        "%s: note: %s belongs to root, but the daemon reads "
		        "keys as its own user: add -u portcullis (the Debian "
		        "package's user), or chown the file\n",
		        IDENT, path);
}

/* owner_name - "user:group" of a file, names or numbers */
static void
owner_name(const struct stat *st, char *out, size_t len)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	char user[64], group[64];

	if (pw == NULL || !pcl_copy(user, sizeof(user), pw->pw_name))
		pcl_format(user, sizeof(user), "%ld", (long)st->st_uid);
	if (gr == NULL || !pcl_copy(group, sizeof(group), gr->gr_name))
		pcl_format(group, sizeof(group), "%ld", (long)st->st_gid);
	pcl_format(out, len, "%s:%s", user, group);
}

/* generate - the work once the arguments are good; an exit status */
static int
generate(const struct args *a, char *err, size_t errlen)
{
	struct pcl_dkim_genkey_opts opts = {0};
	char path[PATH_MAX], dir[PATH_MAX], pubkey[PCL_DKIM_PUBKEY_MAX];
	unsigned bits = a->bits != 0 ? a->bits : PCL_DKIM_RSA_BITS_DEFAULT;
	struct owner o;
	struct stat st;
	char owner[128];

	if (!owner_lookup(a->user, &o, err, errlen) ||
	    !key_paths(a, path, sizeof(path), dir, sizeof(dir), err, errlen) ||
	    !dir_prepare(dir, a->output == NULL, &o, err, errlen))
		return GENKEY_EXIT_ERROR;
	/* fail before the (slow) key generation; the library's O_EXCL
	 * is what guards */
	if (lstat(path, &st) == 0 && !a->force) {
		pcl_format(err, errlen,
		           "%s exists: choose a new selector (a key rotation), "
		           "or replace the key with -f",
		           path);
		return GENKEY_EXIT_ERROR;
	}
	if (a->force && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		pcl_format(err, errlen,
		           "%s exists and is not a regular file; "
		           "not replaced",
		           path);
		return GENKEY_EXIT_ERROR;
	}
	opts.type = a->type;
	opts.bits = a->type == PCL_DKIM_RSA ? bits : 0;
	opts.replace = a->force;
	opts.set_owner = o.set;
	opts.uid = o.uid;
	opts.gid = o.gid;
	/* a replaced key keeps its owner (the daemon's user) unless -u
	 * names another */
	if (a->force && !o.set && lstat(path, &st) == 0 &&
	    (st.st_uid != geteuid() || st.st_gid != getegid())) {
		opts.set_owner = true;
		opts.uid = st.st_uid;
		opts.gid = st.st_gid;
	}
	if (!pcl_dkim_genkey(path, &opts, pubkey, sizeof(pubkey), err, errlen))
		return GENKEY_EXIT_ERROR;
	if (lstat(path, &st) != 0) {
		pcl_format(err, errlen, "%s: %s", path, strerror(errno));
		return GENKEY_EXIT_ERROR;
	}
	owner_name(&st, owner, sizeof(owner));
	if (!print_result(a, path, bits, owner, pubkey, err, errlen))
		return GENKEY_EXIT_ERROR;
	notes(a, bits, st.st_uid, path);
	return GENKEY_EXIT_OK;
}

/* main - parse the command line, make the key, print the record */
int
main(int argc, char **argv)
{
	char err[PCL_ERR_MAX] = "";
	struct args a;
	int rc;

	if (args_parse(&a, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\nTry '%s -h' for help.\n", IDENT, err,
		        IDENT);
		return GENKEY_EXIT_USAGE;
	}
	if (a.help) {
		fputs(usage_text, stdout);
		return GENKEY_EXIT_OK;
	}
	if (a.version) {
		printf("%s %s\n", IDENT, PACKAGE_VERSION);
		return GENKEY_EXIT_OK;
	}
	rc = generate(&a, err, sizeof(err));
	if (rc != GENKEY_EXIT_OK)
		fprintf(stderr, "%s: %s\n", IDENT, err);
	return rc;
}
