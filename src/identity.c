/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A requester's file-system identity, from /proc/<tid>/status: to create files as it would
 * (its umask and fsuid/fsgid, taken on by the worker thread), and, for a root-run sandbox whose
 * processes may change identity, to serve only those that still act as we do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#include "identity.h"

/* What /proc/<tid>/status says of a thread's file-system identity. */
struct proc_ids {
	unsigned fsuid, fsgid, umask; /* ~0u: not found */
	int n_groups;                 /* -1: not found, or more than fit */
	gid_t groups[256];
};

/* The unsigned after "\nKEY" in the status text, skipping count fields first; ~0u if none. */
static unsigned status_field(const char *text, const char *key, int skip, int base)
{
	const char *p = strstr(text, key);
	if (!p)
		return ~0u;
	p += strlen(key);
	for (int i = 0; i <= skip; i++) {
		char *end;
		unsigned long v = strtoul(p, &end, base);
		if (end == p)
			return ~0u;
		if (i == skip)
			return (unsigned)v;
		p = end;
	}
	return ~0u;
}

/* One read of the status file (no stdio: this is on every brokered call of a root sandbox). */
static int read_proc_ids(pid_t tid, struct proc_ids *ret)
{
	char file[64], text[4096];
	snprintf(file, sizeof(file), "/proc/%d/status", (int)tid);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	text[n] = '\0';
	ret->umask = status_field(text, "\nUmask:", 0, 8);
	ret->fsuid = status_field(text, "\nUid:", 3, 10);
	ret->fsgid = status_field(text, "\nGid:", 3, 10);
	ret->n_groups = -1;
	const char *g = strstr(text, "\nGroups:");
	if (g) {
		const char *line_end = strchr(g + 1, '\n');
		char *p = (char *)g + strlen("\nGroups:"), *end;
		int k = 0;
		for (;;) {
			unsigned long v = strtoul(p, &end, 10);
			if (end == p || (line_end && end > line_end))
				break;
			if (k == (int)ELEMENTSOF(ret->groups)) {
				k = -1;
				break;
			}
			ret->groups[k++] = (gid_t)v;
			p = end;
		}
		ret->n_groups = line_end ? k : -1; /* a line cut short by the buffer: unknown */
	}
	return 0;
}

bool identity_is_ours(pid_t tid)
{
	struct proc_ids ids;
	gid_t ours[256];
	if (read_proc_ids(tid, &ids) < 0)
		return false;
	int n = getgroups(ELEMENTSOF(ours), ours);
	if (n < 0 || ids.n_groups != n || memcmp(ours, ids.groups, (size_t)n * sizeof(gid_t)))
		return false;
	return ids.fsuid == geteuid() && ids.fsgid == getegid();
}

/* The requester's umask and filesystem ids, to create files as it would. */
void take_on_identity(pid_t tid, uid_t *ret_uid, gid_t *ret_gid)
{
	struct proc_ids ids;
	*ret_uid = (uid_t)-1;
	*ret_gid = (gid_t)-1;
	if (read_proc_ids(tid, &ids) < 0)
		return;
	if (ids.umask != ~0u)
		umask(ids.umask & 0777);
	*ret_uid = ids.fsuid;
	*ret_gid = ids.fsgid;
	/* fsuid/fsgid are per thread: files are created as the requester's. */
	if (*ret_uid != (uid_t)-1)
		syscall(SYS_setfsuid, *ret_uid);
	if (*ret_gid != (gid_t)-1)
		syscall(SYS_setfsgid, *ret_gid);
}

void drop_identity(void)
{
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
}

