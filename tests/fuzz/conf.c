/*
 * The dmarcpipe.conf reader, common/conf.c, which every program and the
 * scripts' settings pass through: each input is read as a main file and
 * as a secrets file (mode 0600, ours), and what a file that is accepted
 * gives is read back through every accessor for every key.  Files are
 * written by people and by dmarcpipe-setup, not by attackers, but a
 * config that crashes a program at 3 a.m. is a bug all the same.  The
 * promises checked: a refusal says why, a key appears once, lower-case
 * and known, and every value a main file sets is one conf_value() gives
 * back.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

static void
read_back(const struct conf *c, enum conf_kind kind)
{
	const struct conf_key	*k;
	const char		*v;
	size_t			 i, j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; c->e[i].key[j] != '\0'; j++)
			if (c->e[i].key[j] >= 'A' && c->e[i].key[j] <= 'Z')
				fuzz_fail("key \"%s\" not lower-cased",
				    c->e[i].key);
		if (conf_get(c, c->e[i].key) != c->e[i].val ||
		    conf_line(c, c->e[i].key) != c->e[i].line)
			fuzz_fail("key \"%s\" set twice", c->e[i].key);
	}
	if (kind == CONF_SECRETS)
		return;
	for (k = conf_keys(); k->name != NULL; k++) {
		v = conf_value(c, k->name);
		if (v == NULL)
			fuzz_fail("no value for %s", k->name);
		if (conf_get(c, k->name) != NULL &&
		    *conf_get(c, k->name) != '\0' && v != conf_get(c, k->name))
			fuzz_fail("%s: conf_value() is not the value set",
			    k->name);
		if (k->type == CONF_NUM)
			(void)conf_number(c, k->name);
		else if (k->type == CONF_BOOL && *v != '\0' &&
		    conf_bool(v) == -1)
			fuzz_fail("%s = \"%s\" accepted, not a boolean",
			    k->name, v);
	}
}

static void
try(const uint8_t *data, size_t size, enum conf_kind kind)
{
	struct conf	c;
	char		why[1200];
	int		fd;

	fd = fuzz_fd(data, size);
	if (fchmod(fd, 0600) == -1)
		fuzz_fail("fchmod failed");
	why[0] = '\0';
	if (conf_read(&c, fd, "fuzz.conf", kind, -1, why, sizeof(why)) ==
	    -1) {
		if (why[0] == '\0')
			fuzz_fail("refused without a reason");
		if (c.n != 0 || c.e != NULL)
			fuzz_fail("refused, yet entries kept");
		return;
	}
	read_back(&c, kind);
	conf_free(&c);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try(data, size, CONF_MAIN);
	try(data, size, CONF_SECRETS);
	return 0;
}
