/*
 * privs - give up root before the milter socket is opened
 *
 * The order follows OpenSMTPD: supplementary groups first (initgroups,
 * so a group the admin added the service user to, e.g. to read a map,
 * still works), then setresgid, then setresuid. The res* calls set the
 * real, effective and saved IDs in one step, so nothing is left to get
 * root back with; the result is then checked rather than trusted.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"
#include "util.h"

/* privs_verify - are all IDs the target's, and is root gone for good */
static int
privs_verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0) {
		pcl_format(err, errlen, "cannot read process IDs: %s",
		           strerror(errno));
		return -1;
	}
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid) {
		pcl_format(err, errlen,
		           "privilege drop incomplete: uid %ld/%ld/%ld "
		           "gid %ld/%ld/%ld, want uid %ld gid %ld",
		           (long)ruid, (long)euid, (long)suid, (long)rgid,
		           (long)egid, (long)sgid, (long)uid, (long)gid);
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		pcl_format(err, errlen,
		           "privilege drop failed: root could be regained");
		return -1;
	}
	return 0;
}

/* lookup_failed - explain why user could not be found */
static void
lookup_failed(const char *user, int saved, char *err, size_t errlen)
{
	/* getpwnam(3): 0, ENOENT, ESRCH, EBADF or EPERM mean "no such
	 * user" depending on the NSS module. */
	if (saved == 0 || saved == ENOENT || saved == ESRCH || saved == EBADF ||
	    saved == EPERM)
		pcl_format(err, errlen,
		           "user \"%s\" does not exist: create it with "
		           "\"adduser --system --group %s\", or name another "
		           "user with -u",
		           user, user);
	else
		pcl_format(err, errlen, "cannot look up user \"%s\": %s", user,
		           strerror(saved));
}

/* pcl_privs_drop - become user when running as root */
int
pcl_privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (user == NULL)
		user = "";
	err[0] = '\0';

	if (geteuid() != 0) {
		if (*user != '\0') {
			pw = getpwnam(user);
			if (pw == NULL || pw->pw_uid != geteuid())
				pcl_log(LOG_WARNING,
				        "not started as root: cannot switch to "
				        "user %s; running as uid %ld",
				        user, (long)geteuid());
		}
		return 0;
	}
	if (*user == '\0' || strcmp(user, "root") == 0) {
		pcl_log(LOG_WARNING,
		        "running as root: set user (or -u) to an unprivileged "
		        "account such as portcullis");
		return 0;
	}

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		lookup_failed(user, errno, err, errlen);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		pcl_log(LOG_WARNING,
		        "user %s has uid 0: running as root; choose an "
		        "unprivileged account",
		        user);
		return 0;
	}

	if (initgroups(user, gid) != 0) {
		pcl_format(err, errlen, "initgroups(%s, %ld): %s", user,
		           (long)gid, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		pcl_format(err, errlen, "setresgid(%ld): %s", (long)gid,
		           strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		pcl_format(err, errlen, "setresuid(%ld): %s", (long)uid,
		           strerror(errno));
		return -1;
	}
	if (privs_verify(uid, gid, err, errlen) != 0)
		return -1;
	pcl_log(LOG_INFO, "running as user %s (uid %ld, gid %ld)", user,
	        (long)uid, (long)gid);
	return 0;
}
