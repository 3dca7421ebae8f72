/*
 * mailfetch: take DMARC report mails from an IMAP or POP3 mailbox into
 * SPOOL/mail/, whole, and only then delete, move or mark them at the
 * server.  The only program of the chain with network access to the
 * mailbox and its password; it decides nothing about a mail beyond its
 * Subject.
 *
 * Everything is read and looked up before the sandbox: the config, the
 * secrets file, the CA certificates, the server's addresses.  After it
 * the process can talk to sockets and write below the spool, and that is
 * all.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "conf.h"
#include "limit.h"
#include "log.h"
#include "mailfetch.h"
#include "num.h"
#include "opts.h"
#include "privdrop.h"
#include "sandbox.h"
#include "sha256.h"
#include "spool.h"

#define CONF_DEFAULT	"/etc/dmarcpipe/dmarcpipe.conf"
#define CA_MAX		(16 * 1024 * 1024)
#define MARKERS_MAX	32

static volatile sig_atomic_t	stop;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: mailfetch [-kw] [-c conf] [-d spool] [-l level] "
	    "[-L limit=value] [-n max]\n"
	    "                 [-u user]\n"
	    "       mailfetch -t [-k] [-c conf] [-l level] [-u user]\n"
	    "       mailfetch -P [-c conf]\n");
	exit(EX_USAGE);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ------------------------------------------------------------ memory */

/*
 * libcurl copies the password (and builds the login line from it) in
 * memory it frees later; this free wipes every block first, so no
 * copy outlives its use.
 */
static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
#ifdef __GLIBC__
	explicit_bzero(p, malloc_usable_size(p));
#endif
	free(p);
}

static void *
wipe_realloc(void *p, size_t n)
{
	void	*q;
	size_t	 old;

	if (p == NULL)
		return malloc(n);
#ifdef __GLIBC__
	old = malloc_usable_size(p);
#else
	return realloc(p, n);
#endif
	if ((q = malloc(n ? n : 1)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	wipe_free(p);
	return q;
}

/* ------------------------------------------------------------ config */

struct settings {
	struct conf	 conf, secrets;
	const char	*confpath;
	const char	*spool;
	char		*markers[MARKERS_MAX + 1];
	char		 markers_buf[CONF_LINE_MAX + 1];
	long		 poll_interval;
	long		 owner;		/* -u's uid, or -1 */
};

static int
bad(const struct conf *c, const char *key, const char *why)
{
	log_msg(LOG_CRITICAL, "%s:%d: %s: %s", c->path, conf_line(c, key),
	    key, why);
	return EX_CONFIG;
}

static int
read_file(const char *path, int fd, char **buf, size_t *len, size_t max)
{
	struct stat	sb;
	ssize_t		r = 0;
	size_t		n = 0;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (sb.st_size < 0 || (size_t)sb.st_size > max) {
		log_msg(LOG_CRITICAL, "%s: bigger than %zu bytes", path, max);
		errno = EFBIG;
		return -1;
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL)
		return -1;
	while (n < (size_t)sb.st_size &&
	    (r = read(fd, *buf + n, (size_t)sb.st_size - n)) > 0)
		n += (size_t)r;
	if (r == -1) {
		free(*buf);
		return -1;	/* errno says why */
	}
	*len = n;
	return 0;
}

static int
open_conf(struct conf *c, const char *path, enum conf_kind kind, long owner)
{
	char	why[1200];
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_msg(LOG_CRITICAL, "%s: %s", path, strerror(errno));
		return EX_CONFIG;
	}
	if (conf_read(c, fd, path, kind, owner, why, sizeof(why)) == -1) {
		(void)close(fd);
		log_msg(LOG_CRITICAL, "%s", why);
		return EX_CONFIG;
	}
	(void)close(fd);
	return 0;
}

/* The CA certificates, read now, since the sandbox can't open them. */
static int
load_ca(struct fetch *f, const struct conf *c)
{
	const char	*path = conf_get(c, "tls_ca_file");
	char		*buf;
	size_t		 len;
	int		 fd;
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (path == NULL || *path == '\0')
		path = v->cainfo ? v->cainfo :
		    "/etc/ssl/certs/ca-certificates.crt";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    read_file(path, fd, &buf, &len, CA_MAX) == -1) {
		log_msg(LOG_CRITICAL, "%s: %s", path, strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return EX_CONFIG;
	}
	(void)close(fd);
	f->srv.ca.data = buf;
	f->srv.ca.len = len;
	f->srv.ca.flags = CURL_BLOB_NOCOPY;
	return 0;
}

/*
 * The addresses of host, looked up now, handed to libcurl (the sandbox
 * has no resolver), and its port the only kind the sandbox connects to.
 */
static int
resolve_one(struct fetch *f, const char *host, int port)
{
	struct addrinfo	 hints, *res, *ai;
	struct curl_slist *l;
	char		 entry[1024], addr[INET6_ADDRSTRLEN + 2];
	char		 ps[16];
	size_t		 n;
	int		 rc, v6;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0) {
		log_msg(LOG_CRITICAL, "%s: %s", host, gai_strerror(rc));
		return rc == EAI_AGAIN ? EX_TEMPFAIL : EX_NOHOST;
	}
	v6 = strchr(host, ':') != NULL;
	n = (size_t)snprintf(entry, sizeof(entry), "%s%s%s:%d:", v6 ? "[" : "",
	    host, v6 ? "]" : "", port);
	for (ai = res; ai != NULL && n < sizeof(entry); ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			(void)inet_ntop(AF_INET, &((struct sockaddr_in *)
			    (void *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
		else if (ai->ai_family == AF_INET6) {
			addr[0] = '[';
			(void)inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
			    (void *)ai->ai_addr)->sin6_addr, addr + 1,
			    sizeof(addr) - 2);
			(void)strcat(addr, "]");
		} else
			continue;
		n += (size_t)snprintf(entry + n, sizeof(entry) - n, "%s%s",
		    entry[n - 1] == ':' ? "" : ",", addr);
	}
	freeaddrinfo(res);
	if (n >= sizeof(entry) || entry[n - 1] == ':') {
		log_msg(LOG_CRITICAL, "%s: no usable address", host);
		return EX_NOHOST;
	}
	if ((l = curl_slist_append(f->srv.resolve, entry)) == NULL)
		return EX_OSERR;
	f->srv.resolve = l;
	if (sandbox_allow_port(port) == -1) {
		log_msg(LOG_CRITICAL, "more than %d ports to connect to",
		    SANDBOX_PORTS);
		return EX_CONFIG;
	}
	return 0;
}

/* The host and port of url, looked up. */
static int
resolve_url(struct fetch *f, const char *url)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL;
	int	 x = EX_CONFIG;

	if ((u = curl_url()) == NULL)
		return EX_OSERR;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		/* an IPv6 literal comes in brackets */
		if (host[0] == '[') {
			host[strlen(host) - 1] = '\0';
			x = resolve_one(f, host + 1, atoi(port));
		} else
			x = resolve_one(f, host, atoi(port));
	} else
		log_msg(LOG_CRITICAL, "%s: not a URL", url);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return x;
}

static int
resolve(struct fetch *f)
{
	int	x;

	if (!f->graph)
		return resolve_one(f, f->srv.host, f->srv.port);
	if (f->o365.proxy != NULL)	/* the proxy looks up the rest */
		return resolve_url(f, f->o365.proxy);
	if ((x = resolve_url(f, f->o365.login)) != 0)
		return x;
	return resolve_url(f, f->o365.api);
}

static int
markers_read(struct fetch *f, struct settings *s)
{
	const char	*v = conf_get(&s->conf, "subjects");
	struct sha256	 h;
	unsigned char	 d[32];
	char		*p, *m;
	size_t		 n = 0, i;

	if (v == NULL || *v == '\0') {
		f->markers = default_markers;
	} else {
		(void)snprintf(s->markers_buf, sizeof(s->markers_buf), "%s",
		    v);
		for (p = s->markers_buf; (m = strsep(&p, ",\n")) != NULL; ) {
			while (*m == ' ' || *m == '\t')
				m++;
			for (i = strlen(m); i > 0 && (m[i - 1] == ' ' ||
			    m[i - 1] == '\t'); i--)
				m[i - 1] = '\0';
			if (*m == '\0')
				continue;
			if (n == MARKERS_MAX)
				return bad(&s->conf, "subjects",
				    "more than 32 markers");
			s->markers[n++] = m;
		}
		if (n == 0)
			return bad(&s->conf, "subjects", "no marker");
		s->markers[n] = NULL;
		f->markers = (const char *const *)s->markers;
	}
	sha256_init(&h);
	for (i = 0; f->markers[i] != NULL; i++)
		sha256_update(&h, f->markers[i], strlen(f->markers[i]) + 1);
	sha256_final(&h, d);
	for (i = 0; i < 8; i++)
		(void)snprintf(f->markers_id + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* A copy of secret key, which must be set if need is. */
static int
secret(const struct conf *c, const char *key, int need, char **out)
{
	const char	*v = conf_get(c, key);

	*out = NULL;
	if (v == NULL || *v == '\0')
		return need ? bad(c, key, "not set") : 0;
	if ((*out = strdup(v)) == NULL)
		return EX_OSERR;
	return 0;
}

/* A base URL: https://, no trailing '/'. */
static int
base_url(const struct conf *c, const char *key, const char *dflt,
    const char **out)
{
	char	*u;
	size_t	 n;

	if ((*out = conf_get(c, key)) == NULL || **out == '\0')
		*out = dflt;
	if (strncasecmp(*out, "https://", 8) != 0)
		return bad(c, key, "not an https:// URL");
	if ((n = strlen(*out)) > 1 && (*out)[n - 1] == '/') {
		if ((u = strdup(*out)) == NULL)
			return EX_OSERR;
		while (n > 8 && u[n - 1] == '/')
			u[--n] = '\0';
		*out = u;
	}
	return 0;
}

/* mailserver_protocol = o365: Microsoft 365 through Graph. */
static int
settings_o365(struct fetch *f, const struct conf *c)
{
	const char	*v;
	char		*u;
	int		 x, b;

	if ((f->o365.tenant = conf_get(c, "o365_tenant_id")) == NULL ||
	    *f->o365.tenant == '\0' ||
	    strpbrk(f->o365.tenant, "/?#%& \t") != NULL)
		return bad(c, "o365_tenant_id", "not set, or not an id");
	if ((f->o365.client_id = conf_get(c, "o365_client_id")) == NULL ||
	    *f->o365.client_id == '\0')
		return bad(c, "o365_client_id", "not set");
	if ((x = base_url(c, "o365_login_url",
	    "https://login.microsoftonline.com", &f->o365.login)) != 0 ||
	    (x = base_url(c, "o365_graph_url", "https://graph.microsoft.com",
	    &f->o365.api)) != 0)
		return x;
	b = conf_bool(conf_value(c, "proxy_use"));
	v = conf_get(c, "proxy_server");
	if (b && (v == NULL || *v == '\0'))
		return bad(c, "proxy_server", "not set, and proxy_use is 1");
	if (b) {
		if (strstr(v, "://") == NULL) {
			log_warnx("%s:%d: proxy_server has no scheme: "
			    "http:// it is", c->path,
			    conf_line(c, "proxy_server"));
			if (asprintf(&u, "http://%s", v) == -1)
				return EX_OSERR;
			v = u;
		}
		f->o365.proxy = v;
		if ((v = conf_get(c, "proxy_username")) != NULL && *v != '\0')
			f->o365.proxy_user = v;
	}
	return 0;
}

/* The secrets file: beside the config unless said otherwise. */
static const char *
secrets_path(const struct conf *c, const char *confpath, char *buf,
    size_t len)
{
	const char	*v = conf_get(c, "secrets_file");
	char		 dir[1024];

	if (v != NULL && *v != '\0')
		return v;
	(void)snprintf(dir, sizeof(dir), "%s", confpath);
	(void)snprintf(buf, len, "%s/secrets", dirname(dir));
	return buf;
}

/*
 * -P: the config's settings, secrets excepted, as shell assignments for
 * scripts/dmarcpipe: cf_KEY='value' for every key, our defaults filled
 * in, booleans as 0 or 1, words spelt as the key's list spells them,
 * log_level rounded as TA-dmarc rounds it.  Reading the file checked
 * every value.
 */
static int
print_settings(const char *confpath)
{
	struct conf		 c;
	const struct conf_key	*k;
	const char		*v, *const *w, *why;
	char			 path[1024], lvl[16];
	int			 x;

	if ((x = open_conf(&c, confpath, CONF_MAIN, -1)) != 0)
		return x;
	for (k = conf_keys(); k->name != NULL; k++) {
		if (k->type == CONF_SECRET)
			continue;
		v = conf_value(&c, k->name);
		if (k->type == CONF_BOOL)
			v = conf_bool(v) == 1 ? "1" : "0";
		for (w = k->words; w != NULL && *w != NULL; w++)
			if (strcasecmp(*w, v) == 0)
				v = *w;
		if (strcmp(k->name, "log_level") == 0 &&
		    log_set_level(v, &why) == 0) {
			(void)snprintf(lvl, sizeof(lvl), "%d", log_level());
			v = lvl;
		}
		if (strcmp(k->name, "secrets_file") == 0)
			v = secrets_path(&c, confpath, path, sizeof(path));
		printf("cf_%s='", k->name);
		for (; *v != '\0'; v++)
			if (*v == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*v);
		fputs("'\n", stdout);
	}
	conf_free(&c);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_errorx("stdout: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static int
settings(struct fetch *f, struct settings *s, int level_set)
{
	struct conf	*c = &s->conf;
	const char	*v, *why;
	char		 path[1024];
	int		 x;

	if ((x = open_conf(c, s->confpath, CONF_MAIN, -1)) != 0)
		return x;
	if (!level_set && (v = conf_get(c, "log_level")) != NULL &&
	    *v != '\0' && log_set_level(v, &why) == -1)
		return bad(c, "log_level", why);
	v = conf_get(c, "mailserver_protocol");
	if (v == NULL || *v == '\0')
		return bad(c, "mailserver_protocol", "not set (IMAP, IMAPS, "
		    "POP3, POP3S or o365)");
	if (strcasecmp(v, "imap") == 0 || strcasecmp(v, "imaps") == 0 ||
	    strcasecmp(v, "pop3") == 0 || strcasecmp(v, "pop3s") == 0) {
		f->srv.scheme = strcasecmp(v, "imap") == 0 ? "imap" :
		    strcasecmp(v, "imaps") == 0 ? "imaps" :
		    strcasecmp(v, "pop3") == 0 ? "pop3" : "pop3s";
		f->imap = f->srv.scheme[0] == 'i';
	} else {	/* o365, the one word left */
		f->srv.scheme = "o365";
		f->graph = 1;
		if ((x = settings_o365(f, c)) != 0)
			return x;
	}
	if (!f->graph && ((f->srv.host = conf_get(c, "mailserver_host")) ==
	    NULL || *f->srv.host == '\0' || strpbrk(f->srv.host,
	    "/@ \t[]") != NULL))
		return bad(c, "mailserver_host", "not a host name or address");
	if (f->graph)
		f->srv.port = 443;
	else if (*conf_value(c, "mailserver_port") != '\0')
		f->srv.port = (int)conf_number(c, "mailserver_port");
	else
		f->srv.port = strcmp(f->srv.scheme, "imap") == 0 ? 143 :
		    strcmp(f->srv.scheme, "imaps") == 0 ? 993 :
		    strcmp(f->srv.scheme, "pop3") == 0 ? 110 : 995;
	if ((f->srv.user = conf_get(c, "mailserver_user")) == NULL ||
	    *f->srv.user == '\0')
		return bad(c, "mailserver_user", "not set");
	f->folder = conf_value(c, "mailserver_mailboxfolder");
	if (folder_quote(f->folder, '/', path, sizeof(path)) == -1)
		return bad(c, "mailserver_mailboxfolder", "not valid UTF-8 "
		    "without control characters");
	/* conf_read() took only the words of the key's list */
	v = conf_value(c, "mailserver_action");
	f->action = strcasecmp(v, "delete") == 0 ? ACT_DELETE :
	    strcasecmp(v, "mark_read") == 0 ? ACT_MARK_READ : ACT_MOVE;
	f->moveto = conf_value(c, "mailserver_moveto");
	if (folder_quote(f->moveto, '/', path, sizeof(path)) == -1)
		return bad(c, "mailserver_moveto", "not valid UTF-8 without "
		    "control characters");
	if (!f->imap && !f->graph && f->action == ACT_MOVE)
		log_info("POP3 has no folders: mailserver_action move "
		    "deletes the mail, as TA-dmarc does");
	f->srv.plaintext_ok = conf_bool(conf_value(c, "allow_plaintext"));
	f->srv.connect_timeout = (long)conf_number(c, "connect_timeout");
	f->srv.io_timeout = (long)conf_number(c, "io_timeout");
	if (f->max_messages == 0)
		f->max_messages = (long)conf_number(c, "max_messages");
	s->poll_interval = (long)conf_number(c, "poll_interval");
	if ((x = markers_read(f, s)) != 0)
		return x;
	if (s->spool == NULL)
		s->spool = conf_value(c, "spool");
	if ((v = conf_get(c, "mailserver_pwd")) != NULL && *v != '\0' &&
	    strcmp(v, "configured") != 0)
		log_warnx("%s:%d: mailserver_pwd is ignored here: passwords "
		    "belong in the secrets file", c->path,
		    conf_line(c, "mailserver_pwd"));
	v = secrets_path(c, s->confpath, path, sizeof(path));
	if ((x = open_conf(&s->secrets, v, CONF_SECRETS, s->owner)) != 0)
		return x;
	if ((x = secret(&s->secrets, f->graph ? "o365_client_secret" :
	    "mailserver_pwd", 1, &f->pass)) != 0)
		return x;
	if (f->graph) {
		f->o365.secret = f->pass;
		if (f->o365.proxy_user != NULL && (x = secret(&s->secrets,
		    "proxy_pwd", 0, &f->o365.proxy_pass)) != 0)
			return x;
	}
	conf_free(&s->secrets);		/* wipes it */
	return load_ca(f, c);
}

/* ------------------------------------------------------------ running */

static int
exit_of(enum pass p)
{
	switch (p) {
	case PASS_OK:
		return 0;
	case PASS_TEMP:
	case PASS_DISK:
		return EX_TEMPFAIL;
	case PASS_UNREACHABLE:
	case PASS_PROTOCOL:
		return EX_UNAVAILABLE;
	case PASS_TLS:
		return EX_PROTOCOL;
	case PASS_LOGIN:
		return EX_NOPERM;
	case PASS_FOLDER:
		return EX_NOINPUT;
	}
	return EX_SOFTWARE;
}

/*
 * One pass, on the session *c when *up, else on a new one.  With keep
 * (-w) and a server that has IDLE, an IMAP session stays open after a
 * good pass.
 */
static enum pass
pass(struct fetch *f, struct conn *c, int *up, int keep)
{
	enum pass	p;

	f->got = f->skipped = f->acted = 0;
	if (f->graph) {
		p = graph_pass(f);
		if (!f->check)
			log_info("o365: %lu report mail(s) fetched, %lu acted "
			    "on, %lu left over a limit", f->got, f->acted,
			    f->skipped);
		return p;
	}
	if (!*up) {
		if ((p = session_open(f, c)) != PASS_OK)
			return p;
		*up = 1;
	}
	p = f->imap ? imap_pass(f, c) : pop3_pass(f, c);
	if (!f->check)
		log_info("%s://%s: %lu report mail(s) fetched, %lu acted on, "
		    "%lu left over a limit", f->srv.scheme, f->srv.host, f->got,
		    f->acted, f->skipped);
	if (f->imap && p == PASS_OK && keep && f->can_idle)
		return p;
	if (f->imap && (p == PASS_OK || p == PASS_TEMP))
		imap_logout(f, c);
	conn_close(c);
	*up = 0;
	return p;
}

/* -w: wait for news, in IDLE or asleep.  Returns at once on a signal. */
static void
wait_news(struct fetch *f, struct conn *c, int *up, long secs)
{
	struct timespec	ts;
	enum pass	p;
	int		news;

	if (*up) {
		p = imap_idle(f, c, secs, &stop, &news);
		if (p == PASS_OK) {
			if (news)
				log_debug("%s: new mail", f->srv.host);
			return;
		}
		log_warnx("%s: the session ended while waiting in IDLE; "
		    "a new one in %ld s", f->srv.host, secs);
		conn_close(c);
		*up = 0;
	}
	ts.tv_sec = secs;
	ts.tv_nsec = 0;
	while (!stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * -t: log in and open the folder, read-only, as a pass would, and say
 * what is there; no spool, nothing taken or changed.
 */
static int
check(struct fetch *f, const struct privdrop *pd)
{
	struct conn	c;
	enum pass	p;
	int		x, up = 0;

	f->count = -1;
	if (f->graph && graph_start(f) != PASS_OK) {
		log_msg(LOG_CRITICAL, "libcurl: can't start");
		return EX_SOFTWARE;
	}
	if ((x = confine(pd, NULL, SANDBOX_NET, NULL)) != 0)
		return x;
	p = pass(f, &c, &up, 0);
	if (f->graph)
		graph_end();
	explicit_bzero(f->pass, strlen(f->pass));
	if (p != PASS_OK)
		return exit_of(p);
	if (f->graph)
		printf("mailfetch: o365: %s: signed in; folder \"%s\" found\n",
		    f->srv.user, f->folder);
	else
		printf("mailfetch: %s://%s: logged in as %s; %ld message(s) "
		    "in \"%s\"\n", f->srv.scheme, f->srv.host, f->srv.user,
		    f->count, f->imap ? f->folder : "the maildrop");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_errorx("stdout: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static int
state_dir(int root, const char *dir)
{
	int	fd;

	if (mkdirat(root, "state", 0700) == -1 && errno != EEXIST) {
		log_msg(LOG_CRITICAL, "%s/state: %s", dir, strerror(errno));
		return -1;
	}
	fd = openat(root, "state", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		log_msg(LOG_CRITICAL, "%s/state: %s", dir, strerror(errno));
	return fd;
}

int
main(int argc, char *argv[])
{
	struct privdrop		 pd;
	struct fetch		 f;
	struct settings		 s;
	struct limits		 lim;
	struct sigaction	 sa;
	struct conn		 c;
	const char		*user = NULL;
	enum pass		 p;
	int			 ch, x, root, watch = 0, level_set = 0, print = 0;
	int			 up = 0;

	log_init("mailfetch");
	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	s.confpath = CONF_DEFAULT;
	limits_default(&lim);
	while ((ch = getopt(argc, argv, "c:d:kl:L:n:Ptu:w")) != -1) {
		switch (ch) {
		case 'c':
			s.confpath = optarg;
			break;
		case 'd':
			s.spool = optarg;
			break;
		case 'n':
			if ((f.max_messages = (long)opt_num(ch, optarg, 1,
			    1000000)) == -1)
				usage();
			break;
		case 'P':
			print = 1;
			break;
		case 't':
			f.check = 1;
			break;
		case 'w':
			watch = 1;
			break;
		default:
			if (ch == 'l')
				level_set = 1;
			if (opt_shared(ch, optarg, &lim, &user) != 1)
				usage();
		}
	}
	if (optind != argc || (print && (f.check || watch)) ||
	    (f.check && watch))
		usage();
	if (print)
		return print_settings(s.confpath);
	if ((x = opt_privdrop(&pd, user)) != 0)
		return x;
	f.message_bytes = lim.message_bytes;
	/* OpenSSL would write the session keys where this says */
	(void)unsetenv("SSLKEYLOGFILE");
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free,
	    wipe_realloc, strdup, calloc) != CURLE_OK) {
		log_msg(LOG_CRITICAL, "libcurl: can't start");
		return EX_SOFTWARE;
	}
	s.owner = pd.active ? (long)pd.uid : -1;
	f.keep_pass = watch;
	if ((x = settings(&f, &s, level_set)) != 0 || (x = resolve(&f)) != 0)
		return x;
	/*
	 * -w ends between passes on a signal; a single pass may just die
	 * (a kill at any moment loses nothing).
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (watch) {
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGHUP, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (f.check)
		return check(&f, &pd);
	if ((x = spool_start(s.spool, &pd, &root)) != 0 ||
	    (x = spool_stage(&f.mail, root, s.spool, "mail", 0)) != 0)
		return x;
	if ((f.statedir = state_dir(root, s.spool)) == -1)
		return EX_CANTCREAT;
	/*
	 * One mailfetch per spool: a second one would fetch the same mails
	 * and write the same state.  One left running by a killed dmarcpipe
	 * still holds it.  The lock goes with the process.
	 */
	if (flock(f.statedir, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_msg(LOG_CRITICAL, "%s/state: can't lock it: %s",
			    s.spool, strerror(errno));
			return EX_CANTCREAT;
		}
		log_warnx("%s: another mailfetch is fetching into it; not "
		    "starting", s.spool);
		return EX_TEMPFAIL;
	}
	if (f.graph && graph_start(&f) != PASS_OK) {
		log_msg(LOG_CRITICAL, "libcurl: can't start");
		return EX_SOFTWARE;
	}
	if ((x = confine_spool(&pd, SANDBOX_NET, s.spool)) != 0)
		return x;
	for (;;) {
		p = pass(&f, &c, &up, watch);
		if (!watch || stop)
			break;
		if (p != PASS_OK)
			log_warnx("the pass ended early (exit status %d); "
			    "trying again in %ld s", exit_of(p),
			    s.poll_interval);
		wait_news(&f, &c, &up, s.poll_interval);
		if (stop)
			break;
	}
	if (up) {
		imap_logout(&f, &c);
		conn_close(&c);
	}
	if (f.graph)
		graph_end();
	explicit_bzero(f.pass, strlen(f.pass));
	if (f.o365.proxy_pass != NULL)
		explicit_bzero(f.o365.proxy_pass, strlen(f.o365.proxy_pass));
	return exit_of(p);
}
