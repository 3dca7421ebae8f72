/*
 * Microsoft 365 through the Graph API (v1.0): a client-credentials token
 * from the identity platform, the folder found by its path (a well-known
 * name first, in any mailbox language), every page of its messages
 * (@odata.nextLink followed verbatim), each report mail downloaded whole
 * as MIME ($value) into the spool like any other, and only then moved,
 * deleted or marked read.  Message ids are immutable ones (Prefer:
 * IdType="ImmutableId"), so a move does not change what the state knows
 * a message by.
 *
 * Every request has a connect timeout and a stall timeout; 429 and 503
 * are waited out as Retry-After says (capped), other server errors with
 * a growing pause, a few times; an expired token is renewed once.  Each
 * Graph error is said with its error.code and error.message, and one bad
 * message does not stop the others.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mailfetch.h"

#define BODY_MAX	(16 * 1024 * 1024)	/* a JSON answer */
#define PAGE		100			/* $top */
#define TRIES		5			/* per request */
#define RETRY_MAX	120			/* seconds, Retry-After's cap */
#define TOKEN_TTL_MAX	86400			/* seconds a token is used */
#define URL_MAX		8192

struct graph {
	struct fetch	*f;
	CURL		*c;
	struct curl_slist *hdr;
	char		 err[CURL_ERROR_SIZE];
	char		 token[4096];
	time_t		 expires;
	char		*body;		/* a JSON answer */
	size_t		 len;
	struct taking	*t;		/* else: $value goes here */
	long		 retry_after;	/* seconds, or -1 */
	long		 status;
	char		 user[512];	/* users/{upn}, escaped */
	char		 moved[1024];	/* the last move-to path ... */
	char		 moved_id[512];	/* ... and its folder's id */
	char		 why[512];	/* the last error, said */
	int		 failed;	/* downloads refused this pass */
};

static struct graph	g;

/* ---------------------------------------------------------- HTTP */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct graph	*gr = arg;
	size_t		 n = size * nmemb;
	char		*nb;

	if (gr->t != NULL && gr->status / 100 == 2)	/* over: stop */
		return take_sink(gr->t, p, n) == 0 ? n : 0;
	if (gr->len + n > BODY_MAX)
		return 0;		/* CURLE_WRITE_ERROR */
	if ((nb = realloc(gr->body, gr->len + n + 1)) == NULL)
		return 0;
	gr->body = nb;
	memcpy(gr->body + gr->len, p, n);
	gr->len += n;
	gr->body[gr->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct graph	*gr = arg;
	size_t		 n = size * nmemb, len;
	long		 secs;
	char		 line[64];

	if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
		gr->retry_after = -1;
		/* libcurl promises no NUL after a header line: copy it */
		len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		if (sscanf(line, "HTTP/%*s %ld", &gr->status) != 1)
			gr->status = 0;
		return n;
	}
	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0 &&
	    (secs = retry_after(p + 12, n - 12, time(NULL))) != -1)
		gr->retry_after = secs;
	return n;
}

/* error.code and error.message of a Graph answer, or the token's. */
static void
say_error(struct graph *gr, const char *what)
{
	struct json		 j;
	const struct json_node	*e;
	const char		*code = NULL, *msg = NULL;
	char			 why[200];

	/* json_parse() sets j up even for no body at all, for json_free() */
	if (json_parse(&j, gr->body, gr->len, why, sizeof(why)) == 0) {
		if ((e = json_get(&j, json_root(&j), "error")) != NULL &&
		    e->type == JSON_OBJECT) {
			code = json_str(&j, e, "code");
			msg = json_str(&j, e, "message");
		} else {	/* the identity platform's shape */
			code = json_str(&j, json_root(&j), "error");
			msg = json_str(&j, json_root(&j),
			    "error_description");
		}
		(void)snprintf(gr->why, sizeof(gr->why), "%s: HTTP %ld: %s: "
		    "%.300s", what, gr->status, code ? code : "?",
		    msg ? msg : "");
		json_free(&j);
	} else {
		json_free(&j);
		(void)snprintf(gr->why, sizeof(gr->why), "%s: HTTP %ld", what,
		    gr->status);
	}
	log_errorx("%s", gr->why);
}

static enum pass	token(struct graph *);

/*
 * One request; body NULL for none.  The answer's JSON is in gr->body
 * (gr->t NULL) or its bytes went to gr->t.  Returns PASS_OK with the
 * status in gr->status (2xx, or a 4xx the caller may expect; others
 * said), or the pass's end.
 */
static enum pass
call(struct graph *gr, const char *method, const char *url, const char *body)
{
	struct curl_slist	*h = NULL;
	char			 auth[4200];
	CURLcode		 rc;
	enum conn_fault		 cf;
	enum pass		 p;
	long			 pause = 1, wait;
	int			 try, renewed = 0;

	for (try = 1; ; try++) {
		if (gr->expires <= time(NULL) && (p = token(gr)) != PASS_OK)
			return p;
		if (try > 1 && gr->t != NULL && take_restart(gr->t) == -1)
			return PASS_TEMP;
		free(gr->body);
		gr->body = NULL;
		gr->len = 0;
		gr->status = 0;
		gr->retry_after = -1;
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    gr->token);
		h = curl_slist_append(NULL, auth);
		h = curl_slist_append(h, "Prefer: IdType=\"ImmutableId\"");
		h = curl_slist_append(h, "Accept: application/json");
		if (body != NULL)
			h = curl_slist_append(h,
			    "Content-Type: application/json");
		if (h == NULL)
			return PASS_TEMP;
		(void)curl_easy_setopt(gr->c, CURLOPT_HTTPHEADER, h);
		(void)curl_easy_setopt(gr->c, CURLOPT_URL, url);
		(void)curl_easy_setopt(gr->c, CURLOPT_CUSTOMREQUEST, method);
		(void)curl_easy_setopt(gr->c, CURLOPT_HTTPGET, 1L);
		if (body != NULL)
			(void)curl_easy_setopt(gr->c, CURLOPT_POSTFIELDS, body);
		(void)curl_easy_setopt(gr->c, CURLOPT_NOBODY,
		    strcmp(method, "HEAD") == 0);
		rc = curl_easy_perform(gr->c);
		explicit_bzero(auth, sizeof(auth));
		curl_slist_free_all(h);
		h = NULL;
		(void)curl_easy_setopt(gr->c, CURLOPT_HTTPHEADER, NULL);
		if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR &&
		    gr->t != NULL)) {
			cf = conn_classify(rc);
			log_errorx("%s %s: %s: %s", method, url,
			    conn_fault_str(cf), gr->err[0] ? gr->err :
			    curl_easy_strerror(rc));
			gr->err[0] = '\0';
			if (try < TRIES && cf == CONN_TIMEOUT)
				continue;
			return pass_of(cf);
		}
		if (gr->status == 401 && !renewed &&
		    gr->body != NULL && strstr(gr->body,
		    "InvalidAuthenticationToken") != NULL) {
			renewed = 1;	/* expired early: a new one, once */
			gr->expires = 0;
			try--;
			continue;
		}
		if ((gr->status == 429 || gr->status >= 500) && try < TRIES) {
			wait = gr->retry_after >= 0 ? gr->retry_after : pause;
			if (wait > RETRY_MAX)
				wait = RETRY_MAX;
			log_warnx("%s %s: HTTP %ld, trying again in %ld s",
			    method, url, gr->status, wait);
			(void)sleep((unsigned)wait);
			pause *= 2;
			continue;
		}
		return PASS_OK;
	}
}

/* url-encode s into out. */
static int
escape(const char *s, char *out, size_t cap)
{
	char	*e;
	int	 n;

	if ((e = curl_easy_escape(g.c, s, 0)) == NULL)
		return -1;
	n = snprintf(out, cap, "%s", e);
	curl_free(e);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* What a refused listing ends the pass as. */
static enum pass
refusal(long status)
{
	if (status == 401 || status == 403)
		return PASS_LOGIN;	/* no right to the mailbox */
	if (status == 404)
		return PASS_FOLDER;	/* or no such user */
	return status >= 500 || status == 429 ? PASS_UNREACHABLE :
	    PASS_PROTOCOL;
}

/* ---------------------------------------------------------- token */

/*
 * Is url one of Microsoft's Graph services (the global one, or a
 * national cloud's)?  Then the token is for it; a URL of anything else
 * (a relay, a stand-in) stands for the global Graph.
 */
static int
graph_is_ms(const char *url)
{
	static const char *const hosts[] = {
		"https://graph.microsoft.com", "https://graph.microsoft.us",
		"https://dod-graph.microsoft.us",
		"https://microsoftgraph.chinacloudapi.cn", NULL
	};
	const char *const	*h;

	for (h = hosts; *h != NULL; h++)
		if (strcasecmp(url, *h) == 0)
			return 1;
	return 0;
}

static enum pass
token(struct graph *gr)
{
	struct fetch		*f = gr->f;
	struct json		 j;
	const struct json_node	*n;
	char			 url[URL_MAX], form[4096], id[512], sec[1024];
	char			 scope[1024], why[200];
	const char		*tok;
	struct taking		*saved;
	CURLcode		 rc;
	long			 ttl;

	(void)snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token",
	    f->o365.login, f->o365.tenant);
	(void)snprintf(scope, sizeof(scope), "%s/.default", graph_is_ms(
	    f->o365.api) ? f->o365.api : "https://graph.microsoft.com");
	if (escape(f->o365.client_id, id, sizeof(id)) == -1 ||
	    escape(f->o365.secret, sec, sizeof(sec)) == -1 ||
	    escape(scope, scope, sizeof(scope)) == -1)
		return PASS_LOGIN;
	(void)snprintf(form, sizeof(form), "grant_type=client_credentials&"
	    "client_id=%s&client_secret=%s&scope=%s", id, sec, scope);
	explicit_bzero(sec, sizeof(sec));
	saved = gr->t;		/* the answer is JSON, not the message */
	gr->t = NULL;
	free(gr->body);
	gr->body = NULL;
	gr->len = 0;
	gr->status = 0;
	(void)curl_easy_setopt(gr->c, CURLOPT_URL, url);
	(void)curl_easy_setopt(gr->c, CURLOPT_CUSTOMREQUEST, NULL);
	(void)curl_easy_setopt(gr->c, CURLOPT_POSTFIELDS, form);
	(void)curl_easy_setopt(gr->c, CURLOPT_NOBODY, 0L);
	rc = curl_easy_perform(gr->c);
	gr->t = saved;
	explicit_bzero(form, sizeof(form));
	(void)curl_easy_setopt(gr->c, CURLOPT_POSTFIELDS, NULL);
	if (rc != CURLE_OK) {
		log_msg(LOG_CRITICAL, "%s: %s: %s", url,
		    conn_fault_str(conn_classify(rc)), gr->err[0] ? gr->err :
		    curl_easy_strerror(rc));
		gr->err[0] = '\0';
		return pass_of(conn_classify(rc));
	}
	if (gr->status != 200) {
		say_error(gr, "the token");
		return PASS_LOGIN;
	}
	if (json_parse(&j, gr->body, gr->len, why, sizeof(why)) == -1 ||
	    (tok = json_str(&j, json_root(&j), "access_token")) == NULL ||
	    strlen(tok) >= sizeof(gr->token) ||
	    (n = json_get(&j, json_root(&j), "expires_in")) == NULL) {
		log_msg(LOG_CRITICAL, "%s: no access_token and expires_in in "
		    "the answer", url);
		json_free(&j);
		return PASS_LOGIN;
	}
	(void)snprintf(gr->token, sizeof(gr->token), "%s", tok);
	ttl = n->type == JSON_NUMBER ? strtol(n->s, NULL, 10) :
	    n->type == JSON_STRING ? strtol(n->s, NULL, 10) : 0;
	/* a lifetime past all reason, or below none, is held to one */
	if (ttl < 0)
		ttl = 0;
	else if (ttl > TOKEN_TTL_MAX)
		ttl = TOKEN_TTL_MAX;
	/* renewed a minute before it runs out, and never used stale */
	gr->expires = time(NULL) + (ttl > 120 ? ttl - 60 : ttl / 2);
	json_free(&j);
	log_debug("a token for %ld s", ttl);
	return PASS_OK;
}

/* ---------------------------------------------------------- folders */

static const char *const well_known[] = {
	"inbox", "archive", "clutter", "conflicts", "conversationhistory",
	"deleteditems", "drafts", "junkemail", "localfailures",
	"msgfolderroot", "outbox", "recoverableitemsdeletions", "scheduled",
	"searchfolders", "sentitems", "serverfailures", "syncissues", NULL
};

/*
 * Every item of every page of the collection at url (@odata.nextLink
 * followed as given), to fn: it returns 0 to go on, 1 when it has what
 * it wanted, -1 on a fault of ours.
 */
typedef int	(*item_fn)(void *arg, const struct json *,
		    const struct json_node *);

static enum pass
pages(struct graph *gr, const char *first, const char *what, item_fn fn,
    void *arg)
{
	struct json		 j;
	const struct json_node	*v;
	const char		*next;
	char			 url[URL_MAX], why[200];
	enum pass		 p;
	int			 rc = 0;

	(void)snprintf(url, sizeof(url), "%s", first);
	for (;;) {
		if ((p = call(gr, "GET", url, NULL)) != PASS_OK)
			return p;
		if (gr->status != 200) {
			say_error(gr, what);
			return refusal(gr->status);
		}
		if (json_parse(&j, gr->body, gr->len, why, sizeof(why)) ==
		    -1) {
			log_errorx("%s: %s", what, why);
			json_free(&j);
			return PASS_PROTOCOL;
		}
		for (v = json_first(&j, json_get(&j, json_root(&j), "value"));
		    v != NULL && rc == 0; v = json_next(&j, v))
			rc = fn(arg, &j, v);
		next = json_str(&j, json_root(&j), "@odata.nextLink");
		if (rc != 0 || next == NULL || strlen(next) >= sizeof(url)) {
			json_free(&j);
			return rc < 0 ? PASS_TEMP : PASS_OK;
		}
		(void)snprintf(url, sizeof(url), "%s", next);
		json_free(&j);
	}
}

struct named {
	const char	*name;
	char		*id;
	size_t		 cap;
};

static int
named(void *arg, const struct json *j, const struct json_node *v)
{
	struct named	*n = arg;
	const char	*dn = json_str(j, v, "displayName");
	const char	*id = json_str(j, v, "id");

	if (dn == NULL || id == NULL || strcasecmp(dn, n->name) != 0)
		return 0;
	(void)snprintf(n->id, n->cap, "%s", id);
	return 1;
}

/*
 * The id of the child of parent (NULL: the top level) named name, any
 * case; "" when there is none.  Every page is read.
 */
static enum pass
child(struct graph *gr, const char *parent, const char *name, char *id,
    size_t cap)
{
	struct named	n = { name, id, cap };
	char		url[URL_MAX];

	id[0] = '\0';
	if (parent == NULL)
		(void)snprintf(url, sizeof(url), "%s/v1.0/%s/mailFolders?"
		    "includeHiddenFolders=true&%%24top=%d", gr->f->o365.api,
		    gr->user, PAGE);
	else
		(void)snprintf(url, sizeof(url), "%s/v1.0/%s/mailFolders/%s/"
		    "childFolders?includeHiddenFolders=true&%%24top=%d",
		    gr->f->o365.api, gr->user, parent, PAGE);
	return pages(gr, url, "listing folders", named, &n);
}

/* Make folder name below parent (NULL: the top); a race is no error. */
static enum pass
make(struct graph *gr, const char *parent, const char *name, char *id,
    size_t cap)
{
	struct json	 j;
	char		 url[URL_MAX], body[1200], *e, why[200];
	const char	*s;
	enum pass	 p;
	size_t		 k = 0;

	/* the name as a JSON string */
	body[k++] = '"';
	for (s = name; *s != '\0' && k < sizeof(body) - 8; s++) {
		if (*s == '"' || *s == '\\')
			body[k++] = '\\';
		body[k++] = *s;
	}
	body[k] = '\0';
	if (asprintf(&e, "{\"displayName\":%s\"}", body) == -1)
		return PASS_TEMP;
	if (parent == NULL)
		(void)snprintf(url, sizeof(url), "%s/v1.0/%s/mailFolders",
		    gr->f->o365.api, gr->user);
	else
		(void)snprintf(url, sizeof(url), "%s/v1.0/%s/mailFolders/%s/"
		    "childFolders", gr->f->o365.api, gr->user, parent);
	p = call(gr, "POST", url, e);
	free(e);
	if (p != PASS_OK)
		return p;
	/* made meanwhile: find it (some tenants say 400, not 409) */
	if (gr->status == 409 || (gr->status == 400 && gr->body != NULL &&
	    strstr(gr->body, "ErrorFolderExists") != NULL)) {
		log_debug("folder \"%s\" exists already", name);
		return child(gr, parent, name, id, cap);
	}
	if (gr->status != 201) {
		say_error(gr, "making a folder");
		return PASS_TEMP;
	}
	if (json_parse(&j, gr->body, gr->len, why, sizeof(why)) == -1 ||
	    (s = json_str(&j, json_root(&j), "id")) == NULL) {
		json_free(&j);
		log_errorx("making folder \"%s\": no id in the answer", name);
		return PASS_PROTOCOL;
	}
	(void)snprintf(id, cap, "%s", s);
	json_free(&j);
	log_info("created folder \"%s\"", name);
	return PASS_OK;
}

/*
 * The id of folder path ("Inbox/dmarc"), made when missing and create
 * is set; "" when missing.
 */
static enum pass
folder(struct graph *gr, const char *path, int create, char *id, size_t cap)
{
	char		 buf[1024], cur[512], *part, *rest;
	const char *const *w;
	enum pass	 p;
	int		 first = 1;

	(void)snprintf(buf, sizeof(buf), "%s", path);
	cur[0] = '\0';
	for (rest = buf; (part = strsep(&rest, "/")) != NULL; first = 0) {
		if (*part == '\0')
			continue;
		if (first)
			for (w = well_known; *w != NULL; w++)
				if (strcasecmp(part, *w) == 0)
					break;
		if (first && *w != NULL) {
			/* the well-known name is an id itself */
			(void)snprintf(cur, sizeof(cur), "%s", *w);
			continue;
		}
		p = child(gr, cur[0] ? cur : NULL, part, id, cap);
		if (p != PASS_OK)
			return p;
		if (id[0] == '\0') {
			if (!create)
				return PASS_OK;
			if ((p = make(gr, cur[0] ? cur : NULL, part, id, cap))
			    != PASS_OK)
				return p;
		}
		(void)snprintf(cur, sizeof(cur), "%s", id);
	}
	(void)snprintf(id, cap, "%s", cur);
	return PASS_OK;
}

/* ---------------------------------------------------------- messages */

struct gmsg {
	char	*id;
	char	 date[STATE_DATE_MAX + 1];
	int	 dmarc;
};

struct list {
	struct gmsg	*m;
	size_t		 n, cap;
};

struct listing {
	struct graph	*gr;
	struct list	*l;
};

static int
listed(void *arg, const struct json *j, const struct json_node *v)
{
	struct listing	*ls = arg;
	struct list	*l = ls->l;
	struct gmsg	*nm;
	const char	*id, *subj, *rd;

	if ((id = json_str(j, v, "id")) == NULL || strlen(id) >
	    STATE_KEY_MAX || strpbrk(id, " \t\r\n") != NULL) {
		log_warnx("a message without a usable id: left alone");
		return 0;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		if ((nm = reallocarray(l->m, l->cap, sizeof(*nm))) == NULL)
			return -1;
		l->m = nm;
	}
	nm = &l->m[l->n];
	memset(nm, 0, sizeof(*nm));
	if ((nm->id = strdup(id)) == NULL)
		return -1;
	l->n++;
	subj = json_str(j, v, "subject");
	nm->dmarc = subj != NULL && text_matches(subj, strlen(subj),
	    ls->gr->f->markers);
	if ((rd = json_str(j, v, "receivedDateTime")) != NULL &&
	    strlen(rd) >= 10)
		(void)snprintf(nm->date, sizeof(nm->date), "%.10s", rd);
	return 0;
}

/* Every message of the folder: id, whether a report, date. */
static enum pass
list(struct graph *gr, const char *fid, struct list *l)
{
	struct listing	ls = { gr, l };
	char		url[URL_MAX];

	(void)snprintf(url, sizeof(url), "%s/v1.0/%s/mailFolders/%s/messages?"
	    "%%24select=subject,receivedDateTime&%%24top=%d", gr->f->o365.api,
	    gr->user, fid, PAGE);
	return pages(gr, url, "listing messages", listed, &ls);
}

static void
list_free(struct list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->m[i].id);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

/* mailserver_action on one message: 0 done, 1 refused (said), or the
 * pass's end as -1 with *pp set. */
static int
act(struct graph *gr, struct state *st, const char *id, const char *date,
    enum pass *pp)
{
	struct fetch	*f = gr->f;
	char		 url[URL_MAX], path[1024], fid[512], body[600];
	struct ymd	 t;
	size_t		 k;
	long		 want;
	enum pass	 p;

	(void)snprintf(url, sizeof(url), "%s/v1.0/%s/messages/%s",
	    f->o365.api, gr->user, id);
	switch (f->action) {
	case ACT_MARK_READ:
		p = call(gr, "PATCH", url, "{\"isRead\":true}");
		want = 200;
		break;
	case ACT_DELETE:
		p = call(gr, "DELETE", url, NULL);
		want = 204;
		break;
	default:
		if (date == NULL || sscanf(date, "%d-%d-%d", &t.y, &t.m,
		    &t.d) != 3)
			today(&t);
		if (moveto_expand(f->moveto, &t, path, sizeof(path)) == -1) {
			log_errorx("mailserver_moveto: \"%s\" makes no folder "
			    "name", f->moveto);
			return 1;
		}
		if (strcmp(path, gr->moved) == 0)
			(void)snprintf(fid, sizeof(fid), "%s", gr->moved_id);
		else if ((p = folder(gr, path, 1, fid, sizeof(fid))) !=
		    PASS_OK) {
			*pp = p;
			return -1;
		} else {
			(void)snprintf(gr->moved, sizeof(gr->moved), "%s",
			    path);
			(void)snprintf(gr->moved_id, sizeof(gr->moved_id), "%s",
			    fid);
		}
		(void)snprintf(body, sizeof(body), "{\"destinationId\":\"%s\"}",
		    fid);
		k = strlen(url);
		(void)snprintf(url + k, sizeof(url) - k, "/move");
		p = call(gr, "POST", url, body);
		want = 201;
		break;
	}
	if (p != PASS_OK) {
		*pp = p;
		return -1;
	}
	if (gr->status != want) {
		say_error(gr, f->action == ACT_MOVE ? "moving a message" :
		    f->action == ACT_DELETE ? "deleting a message" :
		    "marking a message read");
		return 1;
	}
	log_info("message %.24s...: %s", id, f->action == ACT_MOVE ? "moved" :
	    f->action == ACT_DELETE ? "deleted" : "marked read");
	f->acted++;
	if (state_note(st, 'd', id, NULL, NULL, 0) == -1) {
		log_errorx("state/%s: %s", st->file, strerror(errno));
		*pp = PASS_TEMP;
		return -1;
	}
	return 0;
}

/* Download message id whole into t. */
static enum pass
download(struct graph *gr, const char *id, struct taking *t)
{
	char		url[URL_MAX];
	enum pass	p;

	if (take_begin(gr->f, t) == -1)
		return errno == ENOSPC ? PASS_DISK : PASS_TEMP;
	(void)snprintf(t->key, sizeof(t->key), "%s", id);
	(void)snprintf(url, sizeof(url), "%s/v1.0/%s/messages/%s/%%24value",
	    gr->f->o365.api, gr->user, id);
	gr->t = t;
	p = call(gr, "GET", url, NULL);
	gr->t = NULL;
	if (p != PASS_OK) {
		take_drop(t, 1);
		return p;
	}
	if (gr->status != 200) {
		take_drop(t, 1);
		say_error(gr, "downloading a message");
		gr->failed++;
		return PASS_OK;		/* t->received stays 0 */
	}
	return take_close(t);
}

struct redo {
	char	**id;		/* the state's own keys */
	char	(*date)[STATE_DATE_MAX + 1];	/* copies: "" for none */
	size_t	  n;
	int	  all_done;
};

static void
collect(void *arg, struct sent *e)
{
	struct redo	*r = arg;

	if (e->kind != 'p' && !(e->kind == 'd' && r->all_done))
		return;
	r->id[r->n] = e->key;
	(void)snprintf(r->date[r->n++], sizeof(r->date[0]), "%s",
	    e->kind == 'p' && strcmp(e->date, "-") ? e->date : "");
}

static void
drop_each(void *arg, struct sent *e)
{
	(void)arg;
	e->live = 0;
}

/* ---------------------------------------------------------- the pass */

enum pass
graph_start(struct fetch *f)
{
	char	upn[400];

	memset(&g, 0, sizeof(g));
	g.f = f;
	if ((g.c = curl_easy_init()) == NULL)
		return PASS_TEMP;
	(void)curl_easy_setopt(g.c, CURLOPT_ERRORBUFFER, g.err);
	(void)curl_easy_setopt(g.c, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(g.c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(g.c, CURLOPT_RESOLVE, f->srv.resolve);
	(void)curl_easy_setopt(g.c, CURLOPT_CONNECTTIMEOUT,
	    f->srv.connect_timeout);
	/* a stall: less than a byte a second for io_timeout seconds */
	(void)curl_easy_setopt(g.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	(void)curl_easy_setopt(g.c, CURLOPT_LOW_SPEED_TIME,
	    f->srv.io_timeout);
	(void)curl_easy_setopt(g.c, CURLOPT_CAINFO, NULL);
	(void)curl_easy_setopt(g.c, CURLOPT_CAPATH, NULL);
	(void)curl_easy_setopt(g.c, CURLOPT_CAINFO_BLOB, &f->srv.ca);
	(void)curl_easy_setopt(g.c, CURLOPT_PROXY_CAINFO_BLOB, &f->srv.ca);
	(void)curl_easy_setopt(g.c, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(g.c, CURLOPT_SSL_VERIFYHOST, 2L);
	(void)curl_easy_setopt(g.c, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(g.c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(g.c, CURLOPT_WRITEDATA, &g);
	(void)curl_easy_setopt(g.c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(g.c, CURLOPT_HEADERDATA, &g);
	/* the proxy is the configured one, for the token and Graph alike */
	(void)curl_easy_setopt(g.c, CURLOPT_PROXY, f->o365.proxy ?
	    f->o365.proxy : "");
	if (f->o365.proxy_user != NULL) {
		(void)curl_easy_setopt(g.c, CURLOPT_PROXYUSERNAME,
		    f->o365.proxy_user);
		(void)curl_easy_setopt(g.c, CURLOPT_PROXYPASSWORD,
		    f->o365.proxy_pass ? f->o365.proxy_pass : "");
	}
	if (escape(f->srv.user, upn, sizeof(upn)) == -1)
		return PASS_TEMP;
	(void)snprintf(g.user, sizeof(g.user), "users/%s", upn);
	return PASS_OK;
}

void
graph_end(void)
{
	explicit_bzero(g.token, sizeof(g.token));
	if (g.c != NULL)
		curl_easy_cleanup(g.c);
	g.c = NULL;
	free(g.body);
	g.body = NULL;
}

enum pass
graph_pass(struct fetch *f)
{
	struct state	 st;
	struct list	 l = { NULL, 0, 0 };
	struct redo	 r;
	struct taking	*v = NULL;
	struct sent	*e;
	char		 fid[512], id[1024], why[512];
	enum pass	 p, q = PASS_OK;
	size_t		 i, j, k, taken = 0, waiting = 0;
	int		 fresh = 0, refused = 0;

	st.fd = -1;
	g.failed = 0;
	if ((p = folder(&g, f->folder, 0, fid, sizeof(fid))) != PASS_OK)
		return p;
	if (fid[0] == '\0') {
		log_msg(LOG_CRITICAL, "folder \"%s\": no such folder in %s",
		    f->folder, f->srv.user);
		return PASS_FOLDER;
	}
	if (f->check)
		return PASS_OK;
	(void)snprintf(id, sizeof(id), "o365://%s/%s", f->srv.user, f->folder);
	if (state_open(&st, f->statedir, id, why, sizeof(why)) == -1) {
		log_errorx("%s", why);
		return PASS_TEMP;
	}
	if (republish_all(f, &st) == -1) {
		p = PASS_TEMP;
		goto out;
	}
	if ((p = list(&g, fid, &l)) != PASS_OK)
		goto out;
	/* the state against what the folder holds now */
	if (strcmp(st.subjects, f->markers_id) != 0)
		fresh = 1;	/* 'i' entries were decided by others */
	state_each(&st, drop_each, NULL);
	for (i = 0; i < l.n; i++)
		if ((e = state_get(&st, l.m[i].id)) != NULL &&
		    !(fresh && e->kind == 'i')) {
			e->live = 1;
			l.m[i].dmarc = -1;	/* known */
		}
	if (state_rewrite(&st, "-", f->markers_id) == -1) {
		log_errorx("state/%s: %s", st.file, strerror(errno));
		p = PASS_TEMP;
		goto out;
	}
	/* what a crash or a refusal left undone */
	memset(&r, 0, sizeof(r));
	r.all_done = f->action != ACT_MARK_READ;
	if ((r.id = calloc(st.n + 1, sizeof(*r.id))) == NULL ||
	    (r.date = calloc(st.n + 1, sizeof(*r.date))) == NULL) {
		free(r.id);
		p = PASS_TEMP;
		goto out;
	}
	state_each(&st, collect, &r);
	for (i = 0; i < r.n && p == PASS_OK; i++) {
		if (act(&g, &st, r.id[i], r.date[i][0] ? r.date[i] : NULL,
		    &p) == 1)
			refused++;
	}
	free(r.id);
	free(r.date);
	if (p != PASS_OK)
		goto out;
	/* the new reports, 64 at a time */
	if ((v = calloc(64, sizeof(*v))) == NULL) {
		p = PASS_TEMP;
		goto out;
	}
	for (i = 0; i < l.n && p == PASS_OK; ) {
		for (k = 0; i < l.n && k < 64 && p == PASS_OK; i++) {
			if (l.m[i].dmarc == -1)
				continue;
			if (l.m[i].dmarc == 0) {
				if (state_note(&st, 'i', l.m[i].id, NULL, NULL,
				    0) == -1)
					p = PASS_TEMP;
				continue;
			}
			if (taken + k >= (size_t)f->max_messages) {
				waiting++;
				continue;
			}
			p = download(&g, l.m[i].id, &v[k]);
			(void)snprintf(v[k].date, sizeof(v[k].date), "%s",
			    l.m[i].date);
			k++;
			if (p == PASS_DISK) {
				q = p;	/* keep what fitted */
				p = PASS_OK;
				break;
			}
		}
		if (p == PASS_OK)
			p = take_commit(f, &st, v, k);
		if (p != PASS_OK) {
			take_drop(v, k);
			break;
		}
		for (j = 0; j < k && p == PASS_OK; j++) {
			if (!v[j].taken)
				continue;
			taken++;
			if (act(&g, &st, v[j].key, v[j].date[0] ? v[j].date :
			    NULL, &p) == 1)
				refused++;
		}
		if (q != PASS_OK)
			break;
	}
	if (waiting > 0)
		log_info("%zu more reports wait for the next pass "
		    "(max_messages %ld)", waiting, f->max_messages);
	if (p == PASS_OK)
		p = q;
	if (p == PASS_OK && refused > 0) {
		log_errorx("%d server actions refused: the reports are in the "
		    "spool, the actions are tried again next pass", refused);
		p = PASS_TEMP;
	}
	if (p == PASS_OK && g.failed > 0) {
		log_errorx("%d messages could not be downloaded: they are "
		    "tried again next pass", g.failed);
		p = PASS_TEMP;
	}
out:
	p = journal_end(&st, p);
	list_free(&l);
	free(v);
	return p;
}
