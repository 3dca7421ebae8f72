/* The config and secrets reader: common/conf.c. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static char	dir[] = "/tmp/conf.XXXXXX", path[64], why[1200];

/* Read text as a file of kind; 0 or -1 (why[] set). */
static int
try(struct conf *c, const char *text, size_t len, enum conf_kind kind,
    mode_t mode)
{
	int	fd, rc;

	(void)snprintf(path, sizeof(path), "%s/f", dir);
	(void)unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL, mode)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1)
		return -2;
	why[0] = '\0';
	rc = conf_read(c, fd, path, kind, -1, why, sizeof(why));
	(void)close(fd);
	return rc;
}

static int
refused(const char *text, const char *want)
{
	struct conf	c;

	if (try(&c, text, strlen(text), CONF_MAIN, 0644) != -1) {
		conf_free(&c);
		return 0;
	}
	if (strstr(why, want) == NULL)
		printf("# %s\n", why);
	return strstr(why, want) != NULL;
}

int
main(void)
{
	struct conf	 c;
	const char	*v;
	char		 big[CONF_LINE_MAX + 40];

	if (mkdtemp(dir) == NULL)
		return 1;
	v = "# TA-dmarc\n[main]\nMailServer_Host = mail.example.org\n"
	    "mailserver_port: 993\n; a comment\nmailserver_user =\n"
	    "subjects = report domain,\n  dmarc aggregate report\n";
	ok(try(&c, v, strlen(v), CONF_MAIN, 0644) == 0,
	    "a TA-dmarc style file: %s", why);
	ok((v = conf_get(&c, "mailserver_host")) != NULL &&
	    strcmp(v, "mail.example.org") == 0 &&
	    conf_line(&c, "mailserver_host") == 3, "key in any case, line 3");
	ok((v = conf_get(&c, "mailserver_port")) && strcmp(v, "993") == 0,
	    "key: value");
	ok((v = conf_get(&c, "mailserver_user")) && *v == '\0',
	    "an empty value is empty, not absent");
	ok((v = conf_get(&c, "subjects")) &&
	    strcmp(v, "report domain,\ndmarc aggregate report") == 0,
	    "an indented line continues the value");
	ok(conf_get(&c, "output") == NULL && conf_line(&c, "output") == 0,
	    "absent");
	conf_free(&c);
	ok(try(&c, "spool = /x\r\n", 12, CONF_MAIN, 0644) == 0 &&
	    (v = conf_get(&c, "spool")) && strcmp(v, "/x") == 0,
	    "no stanza needed, CRLF taken");
	conf_free(&c);

	ok(refused("[main]\nmailserver_hots = x\n",
	    "f:2: unknown key \"mailserver_hots\""), "a misspelt key");
	ok(refused("spool = a\nSPOOL = b\n", "f:2: \"spool\" again "
	    "(first set on line 1)"), "a key twice");
	ok(refused("[other]\nspool = a\n", "f:1: unknown stanza [other]"),
	    "another stanza");
	ok(refused("[main\n", "f:1: a stanza header"), "a broken header");
	ok(refused("[main]\n  x\n", "f:2: an indented line continues no key"),
	    "a continuation of nothing");
	ok(refused("[main]\nspool\n", "f:2: not \"key = value\""), "no '='");
	ok(refused("= x\n", "a value without a key"), "no key");
	memset(big, 'x', sizeof(big));
	memcpy(big, "spool = ", 8);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	ok(refused(big, "f:1: longer than 4096 bytes"), "a line too long");
	ok(try(&c, "spool = a\0b\n", 12, CONF_MAIN, 0644) == -1 &&
	    strstr(why, "NUL") != NULL, "a NUL byte");

	ok(try(&c, "mailserver_pwd = pa ss\"word\n", 28, CONF_SECRETS, 0600) ==
	    0 && (v = conf_get(&c, "mailserver_pwd")) &&
	    strcmp(v, "pa ss\"word") == 0, "secrets at 0600");
	conf_free(&c);
	ok(try(&c, "mailserver_pwd = x\n", 19, CONF_SECRETS, 0640) == -1 &&
	    strstr(why, "mode 0640") != NULL && strstr(why, "chmod 600"),
	    "secrets readable by the group refused: %s", why);
	ok(try(&c, "mailserver_pwd = x\n", 19, CONF_SECRETS, 0604) == -1,
	    "secrets readable by others refused");
	ok(try(&c, "spool = x\n", 10, CONF_SECRETS, 0600) == -1 &&
	    strstr(why, "a secrets file holds") != NULL,
	    "a config key in the secrets file refused");
	ok(try(&c, "mailserver_pwd = x\n", 19, CONF_MAIN, 0644) == 0,
	    "TA-dmarc's mailserver_pwd = configured line is no error");
	conf_free(&c);

	/* every value checked against its key's type, naming the line */
	ok(refused("\nresolve_ips = maybe\n", "f:2: resolve_ips: not a "
	    "boolean"), "a bad boolean");
	ok(refused("mailserver_port = 0\n", "f:1: mailserver_port: number "
	    "too small (1 to 65535)"), "a port of 0");
	ok(refused("mailserver_port = 65536\n", "(1 to 65535)"),
	    "a port of 65536");
	ok(refused("log_level = info\n", "f:1: log_level: "), "a word level");
	ok(refused("output = xml\n", "f:1: output: not one of json, kv"),
	    "an output format");
	ok(refused("mailserver_protocol = smtp\n", "not one of IMAP, IMAPS, "
	    "POP3, POP3S, o365"), "a protocol");
	ok(refused("spool = var/spool\n", "f:1: spool: not an absolute "
	    "path"), "a relative spool");
	ok(refused("log_destination = journal\n", "not stderr, syslog or "
	    "the absolute path"), "a log destination");
	ok(refused("resolvers = 127.0.0.1, ns.example\n", "f:1: resolvers: "
	    "not a list of addresses"), "a resolver by name");
	ok(refused("run_as = a b\n", "f:1: run_as: not a user name"),
	    "a user name with a space");
	ok(refused("output = json\n  kv\n", "f:1: output: continues on an "
	    "indented line"), "a word over two lines");
	v = "output = KV\nmailserver_protocol = imaps\nlog_destination = "
	    "syslog\nresolvers = 127.0.0.1:5353,[::1]:53\n"
	    "mailserver_user = None\nlog_max_bytes = 0\nspool =\n";
	ok(try(&c, v, strlen(v), CONF_MAIN, 0644) == 0, "good values: %s",
	    why);
	ok(strcmp(conf_value(&c, "output"), "KV") == 0 &&
	    strcmp(conf_value(&c, "mailserver_user"), "") == 0,
	    "words in any case; TA-dmarc's None is empty");
	ok(strcmp(conf_value(&c, "spool"), "/var/spool/dmarcpipe") == 0 &&
	    strcmp(conf_value(&c, "mailserver_action"), "move") == 0 &&
	    conf_number(&c, "retry_delay") == 10 &&
	    conf_number(&c, "log_max_bytes") == 0,
	    "defaults for what is empty or absent, numbers as set");
	conf_free(&c);

	ok(conf_bool("1") == 1 && conf_bool("TRUE") == 1 &&
	    conf_bool("t") == 1 && conf_bool("yes") == 1, "true");
	ok(conf_bool("0") == 0 && conf_bool("False") == 0 &&
	    conf_bool("f") == 0 && conf_bool("no") == 0, "false");
	ok(conf_bool("2") == -1 && conf_bool("") == -1 &&
	    conf_bool("on") == -1, "neither");
	(void)unlink(path);
	(void)rmdir(dir);
	return tap_done();
}
