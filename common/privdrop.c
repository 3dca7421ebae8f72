/*
 * The order is OpenSMTPD's and OpenSSH's: resolve the user while /etc
 * is still reachable, chroot, setgroups, setresgid, setresuid, then
 * check that every id changed and that setuid(0) now fails.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop_prepare(struct privdrop *pd, const char *user, const char **why)
{
	struct passwd	*pw;

	pd->active = 0;
	pd->user[0] = '\0';
	if (user == NULL) {
		if (geteuid() == 0) {
			*why = "refusing to run as root: use -u user";
			return -1;
		}
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		*why = errno ? "can't look up the -u user" : "no such -u user";
		return -1;
	}
	if (pw->pw_uid == 0) {
		*why = "the -u user must not be root";
		return -1;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == getuid() && pw->pw_uid == geteuid())
			return 0;
		*why = "only root can switch to the -u user";
		return -1;
	}
	pd->active = 1;
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	(void)snprintf(pd->user, sizeof(pd->user), "%s", user);
	endpwent();
	return 0;
}

int
privdrop_apply(const struct privdrop *pd, const char *jail, const char **why)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;

	if (!pd->active)
		return 0;
	if (jail != NULL) {
		if (chroot(jail) == -1) {
			*why = "chroot";
			return -1;
		}
		if (chdir("/") == -1) {
			*why = "chdir to the new root";
			return -1;
		}
	}
	if (setgroups(1, &pd->gid) == -1) {
		*why = "setgroups";
		return -1;
	}
	if (setresgid(pd->gid, pd->gid, pd->gid) == -1) {
		*why = "setresgid";
		return -1;
	}
	if (setresuid(pd->uid, pd->uid, pd->uid) == -1) {
		*why = "setresuid";
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != pd->uid || euid != pd->uid || suid != pd->uid ||
	    rgid != pd->gid || egid != pd->gid || sgid != pd->gid) {
		*why = "ids did not change";
		errno = EPERM;
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1) {
		*why = "root could be regained";
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
confine(const struct privdrop *pd, const char *jail, int kind,
    const char *dir)
{
	const char	*why;

	if (privdrop_apply(pd, jail, &why) == -1) {
		log_errorx("-u %s: %s: %s", pd->user, why, strerror(errno));
		return EX_NOPERM;
	}
	if (sandbox_enter(kind, dir) == -1) {
		log_errorx("can't enter the %s sandbox: %s", sandbox_name(),
		    strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

int
confine_spool(const struct privdrop *pd, int kinds, const char *dir)
{
	/* privdrop_apply() made the spool our root when it dropped */
	if (sandbox_enter(kinds | SANDBOX_SPOOL, pd->active ? "/" : dir) ==
	    -1) {
		log_errorx("can't enter the %s sandbox: %s", sandbox_name(),
		    strerror(errno));
		return EX_OSERR;
	}
	return 0;
}
