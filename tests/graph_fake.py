#!/usr/bin/env python3
"""A local stand-in for Microsoft 365 as mailfetch sees it: the identity
platform's client-credentials token endpoint and the Microsoft Graph v1.0
mail calls below, over HTTPS on one loopback port.  Python 3 stdlib only.

It is meant to be strict: what it models answers with the shapes of the
Graph documentation; whatever it does not model (another path, method,
query option, $filter form or JSON member) gets 400 with a Graph-shaped
error whose message starts "graph_fake: not modelled", so a client that
drifts from the documented calls fails its tests instead of passing
against a lenient fake.

Identity platform (one tenant, one app, one secret):
  POST /{tenant}/oauth2/v2.0/token     grant_type=client_credentials,
       client_id, client_secret (or HTTP Basic), scope=.../.default
Graph, all under /v1.0/users/{upn}/ ({upn} = --user, any case):
  GET  mailFolders                      children of msgfolderroot
  POST mailFolders                      {"displayName": ...}
  GET  mailFolders/{id}                 id or well-known name
  GET  mailFolders/{id}/childFolders    $top $filter $select $skiptoken
                                        includeHiddenFolders
  POST mailFolders/{id}/childFolders    {"displayName": ...} 201 / 409
  GET  mailFolders/{id}/messages        $top $select $orderby $skip
  GET  [mailFolders/{id}/]messages/{id}         $select
  GET  [mailFolders/{id}/]messages/{id}/$value  the MIME bytes as stored
  PATCH [mailFolders/{id}/]messages/{id}        {"isRead": bool}
  POST [mailFolders/{id}/]messages/{id}/move    {"destinationId": ...}
  DELETE [mailFolders/{id}/]messages/{id}       to Deleted Items; purged
                                                there
Ids: a message has a REST id, new after each move (as in Exchange), and
an immutable id; both are accepted everywhere, and responses carry the
immutable one when the request says Prefer: IdType="ImmutableId".

Test control, no auth, under /_admin/ (never logged as requests):
  POST /_admin/messages   {"folder": "Inbox/x", "mime_b64": ...,
                          "receivedDateTime": ..., "isRead": false}, or
                          the raw MIME as the body and those as query
                          parameters (folder=, receivedDateTime=, isRead=)
                          -> {"id", "immutableId", "folderId", "path"}
                          (?format=text: ID TAB IMMUTABLEID)
  POST /_admin/folders    {"path": "Inbox/a/b"} or ?path=P&path=Q... ->
                          [folder...], made with their parents if missing
  GET  /_admin/state      {"folders": [...], "messages": [...]}
  GET  /_admin/folders    text: every folder path, sorted
  GET  /_admin/fetch?path=P   text: ID TAB IMMUTABLEID TAB isRead TAB SUBJECT
  GET  /_admin/count?path=P   text: the number of messages (0: no folder)
  GET  /_admin/requests   [{"method", "path", "status", "auth", "prefer",
                          "body"}]; ?format=text: METHOD TAB PATH TAB
                          STATUS TAB auth:yes|no
  POST /_admin/reset-requests
  POST /_admin/fault      {"method", "path", "count", "status",
                          "retry_after", "retry_after_date", "stall",
                          "close", "code", "message", "empty"}
  POST /_admin/clear-faults
  POST /_admin/race       {"parent_path": "Inbox", "displayName": "X"}
  POST /_admin/config     {"token_ttl", "page_max", "folder_exists_status",
                          "link_base"}
  POST /_admin/expire-tokens

Where the documentation is silent this is a guess: ErrorFolderExists
comes with 409 (--folder-exists-status 400 switches; clients should take
either), $top on folder lists is 1..1000 like on messages, folder names
compare without regard to case (in $filter too), $value gives the bytes
as they were put (Exchange rebuilds the MIME), a message named under
another folder than its own is not found, Preference-Applied comes on
every 2xx answer to a request that asked for immutable ids.  Not
modelled: $search, $expand, $count, $filter on messages, attachments,
delta queries, batching, the beta endpoint, OData key syntax in paths.

usage: graph_fake.py --cert C --key K [--port 0] [--tenant T]
       [--client-id ID] [--secret S] [--user UPN] [--token-ttl SECONDS]
       [--page-max N] [--folder-exists-status 409] [--link-base URL] [-v]
The port it listens on is the first line of its stdout.
"""

import argparse
import base64
import email
import email.policy
import email.utils
import html
import json
import math
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRAPH_SCOPES = ("https://graph.microsoft.com/.default",
                "00000003-0000-0000-c000-000000000000/.default")
# Well-known name -> display name, the children of msgfolderroot.
WELL_KNOWN = (("inbox", "Inbox"), ("archive", "Archive"),
              ("deleteditems", "Deleted Items"), ("drafts", "Drafts"),
              ("junkemail", "Junk Email"), ("sentitems", "Sent Items"))
# Well-known names this mailbox has no folder for
OTHER_WELL_KNOWN = ("clutter", "conflicts", "conversationhistory",
                    "localfailures", "outbox", "recoverableitemsdeletions",
                    "scheduled", "searchfolders", "serverfailures",
                    "syncissues")
JSON_TYPE = ("application/json;odata.metadata=minimal;odata.streaming=true;"
             "IEEE754Compatible=false;charset=utf-8")
# What an Exchange id looks like: URL-safe base64, '=' padded.
ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}={0,2}$")
DATE_IN = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")
NOT_MODELLED = "graph_fake: not modelled: "

MESSAGE_PROPS = (
    "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime",
    "changeKey", "categories", "receivedDateTime", "sentDateTime",
    "hasAttachments", "internetMessageId", "subject", "bodyPreview",
    "importance", "parentFolderId", "conversationId", "conversationIndex",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead",
    "isDraft", "webLink", "inferenceClassification", "body", "sender",
    "from", "toRecipients", "ccRecipients", "bccRecipients", "replyTo",
    "flag")
# Selectable, not in the default set
MESSAGE_EXTRA = ("internetMessageHeaders", "uniqueBody")
FOLDER_PROPS = ("id", "displayName", "parentFolderId", "childFolderCount",
                "unreadItemCount", "totalItemCount", "isHidden")


def utc_iso(t=None):
    t = time.time() if t is None else t
    return datetime.fromtimestamp(int(t), timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    """An ISO 8601 date-time with a zone -> 'YYYY-MM-DDThh:mm:ssZ'."""
    m = DATE_IN.match(s or "")
    if not m:
        raise ValueError("not a date-time with a zone: %r" % s)
    d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def b64id(prefix, nbytes):
    return prefix + base64.urlsafe_b64encode(
        secrets.token_bytes(nbytes)).decode().rstrip("=") + "AAA="


def quote_lower(s):
    """Percent-encode as Graph writes its nextLinks: '$' too, hex in
    lower case (%24top, %2c): a client must send the link as it is."""
    q = urllib.parse.quote(s, safe="-_.~")
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), q)


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def not_modelled(what):
    return GraphError(400, "BadRequest", NOT_MODELLED + what)


def item_not_found():
    return GraphError(404, "ErrorItemNotFound",
                      "The specified object was not found in the store.")


# ----------------------------------------------------------------- mailbox

class Folder:
    def __init__(self, fid, name, parent, wk=None, hidden=False):
        self.id, self.name, self.parent = fid, name, parent
        self.wk, self.hidden = wk, hidden


class Message:
    seq = 0

    def __init__(self, raw, folder, received, is_read):
        Message.seq += 1
        self.seq = Message.seq
        self.raw, self.folder = raw, folder
        self.received, self.is_read = received, is_read
        self.rest_id = b64id("AAMkAGI2", 102)
        self.immutable_id = b64id("AAkALgAA", 84)
        self.modified = received
        self.change = 1
        self.conversation = b64id("AAQkAGI2", 12)
        self.parse()

    def parse(self):
        """What Exchange shows of the MIME: decoded, unfolded headers."""
        m = email.message_from_bytes(self.raw, policy=email.policy.default)
        self.headers = []
        for k, v in m.items():
            try:
                self.headers.append((k, str(v)))
            except Exception:       # an undecodable header: as it came
                self.headers.append((k, str(m.get_all(k, [""])[0])))

        def header(name):
            try:
                v = m.get(name)
                return None if v is None else str(v)
            except Exception:
                return None
        self.subject = header("Subject") or ""
        self.message_id = header("Message-ID") or ""
        self.sent = self.received
        try:
            d = email.utils.parsedate_to_datetime(header("Date") or "")
            if d.tzinfo is not None:
                self.sent = d.astimezone(timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
        except (TypeError, ValueError, IndexError):
            pass
        self.sender = self.addresses(header("From"))
        self.to = self.addresses(header("To"))
        self.cc = self.addresses(header("Cc"))
        self.attachments = False
        text = html_body = None
        for part in m.walk():
            if part.is_multipart():
                continue
            disp = part.get_content_disposition()
            if disp == "attachment" or (part.get_filename() and
                                        disp != "inline"):
                self.attachments = True
                continue
            if part is m and part.get_content_maintype() != "text":
                self.attachments = True     # a report sent as the body
                continue
            try:
                if part.get_content_type() == "text/plain" and text is None:
                    text = part.get_content()
                elif part.get_content_type() == "text/html" and \
                        html_body is None:
                    html_body = part.get_content()
            except Exception:
                pass
        self.preview = " ".join((text or "").split())[:255]
        if html_body is None:
            html_body = ("<html><head></head><body><pre>" +
                         html.escape(text or "") + "</pre></body></html>")
        self.html = html_body

    @staticmethod
    def addresses(value):
        return [{"emailAddress": {"name": n or a, "address": a}}
                for n, a in email.utils.getaddresses([value or ""]) if a]

    def touch(self):
        self.change += 1
        self.modified = utc_iso()

    def etag_key(self):
        return "CQAAABYAAAD" + base64.b64encode(
            self.immutable_id[-12:].encode() +
            self.change.to_bytes(4, "big")).decode()


class Mailbox:
    def __init__(self, user):
        self.user = user
        self.folders = {}
        self.messages = []
        self.ids = {}               # REST and immutable id -> Message
        self.top_id = b64id("AAMkAGF2", 40)     # msgfolderroot's parent
        self.root = self.add_folder("Top of Information Store", None,
                                    "msgfolderroot")
        for wk, name in WELL_KNOWN:
            self.add_folder(name, self.root, wk)

    def add_folder(self, name, parent, wk=None, hidden=False):
        f = Folder(b64id("AAMkAGF2", 40), name, parent, wk, hidden)
        self.folders[f.id] = f
        return f

    def children(self, folder):
        return [f for f in self.folders.values() if f.parent is folder]

    def child_named(self, folder, name):
        for f in self.children(folder):
            if f.name.casefold() == name.casefold():
                return f
        return None

    def folder(self, ref):
        """A folder by id or well-known name; GraphError when there is
        none (a display name is no id: Exchange says it is malformed)."""
        for f in self.folders.values():
            if f.wk and f.wk == ref.lower():
                return f
        if ref.lower() in OTHER_WELL_KNOWN:
            raise item_not_found()
        if not ID_SHAPE.match(ref):
            raise GraphError(400, "ErrorInvalidIdMalformed",
                             "Id is malformed.")
        f = self.folders.get(ref)
        if f is None:
            raise item_not_found()
        return f

    def path_of(self, folder):
        names = []
        while folder is not None and folder is not self.root:
            names.append(folder.name)
            folder = folder.parent
        return "/".join(reversed(names))

    def by_path(self, path, create=False):
        """A folder by display-name path ("Inbox/dmarc"); the first
        component may be a well-known name.  '' is msgfolderroot."""
        folder = self.root
        for i, name in enumerate(p for p in path.split("/") if p != ""):
            nxt = self.child_named(folder, name)
            if nxt is None and i == 0:
                nxt = next((f for f in self.children(self.root)
                            if f.wk == name.lower()), None)
            if nxt is None:
                if not create:
                    return None
                nxt = self.add_folder(name, folder)
            folder = nxt
        return folder

    def message(self, ref):
        if not ID_SHAPE.match(ref):
            raise GraphError(400, "ErrorInvalidIdMalformed",
                             "Id is malformed.")
        m = self.ids.get(ref)
        if m is None:
            raise item_not_found()
        return m

    def add_message(self, m):
        self.messages.append(m)
        self.ids[m.rest_id] = self.ids[m.immutable_id] = m

    def purge(self, m):
        self.messages.remove(m)
        del self.ids[m.rest_id], self.ids[m.immutable_id]

    def in_folder(self, folder):
        return sorted((m for m in self.messages if m.folder is folder),
                      key=lambda m: (m.received, m.seq))

    def move(self, m, dest):
        if dest is not m.folder:
            m.folder = dest
            del self.ids[m.rest_id]     # a REST id names a place
            m.rest_id = b64id("AAMkAGI2", 102)
            self.ids[m.rest_id] = m
        m.touch()

    def folder_json(self, f):
        msgs = [m for m in self.messages if m.folder is f]
        return {
            "id": f.id, "displayName": f.name,
            "parentFolderId": f.parent.id if f.parent else self.top_id,
            "childFolderCount": len(self.children(f)),
            "unreadItemCount": sum(1 for m in msgs if not m.is_read),
            "totalItemCount": len(msgs), "isHidden": f.hidden}

    def message_json(self, m, immutable):
        mid = m.immutable_id if immutable else m.rest_id
        key = m.etag_key()
        return {
            "@odata.etag": 'W/"%s"' % key, "id": mid,
            "createdDateTime": m.received,
            "lastModifiedDateTime": m.modified, "changeKey": key,
            "categories": [], "receivedDateTime": m.received,
            "sentDateTime": m.sent, "hasAttachments": m.attachments,
            "internetMessageId": m.message_id, "subject": m.subject,
            "bodyPreview": m.preview, "importance": "normal",
            "parentFolderId": m.folder.id, "conversationId": m.conversation,
            "conversationIndex": base64.b64encode(
                m.conversation[-16:].encode()).decode(),
            "isDeliveryReceiptRequested": False,
            "isReadReceiptRequested": False, "isRead": m.is_read,
            "isDraft": False,
            "webLink": "https://outlook.office365.com/owa/?ItemID=" +
                       urllib.parse.quote(mid, safe="") +
                       "&exvsurl=1&viewmodel=ReadMessageItem",
            "inferenceClassification": "focused",
            "body": {"contentType": "html", "content": m.html},
            "sender": (m.sender or [None])[0], "from": (m.sender or [None])[0],
            "toRecipients": m.to, "ccRecipients": m.cc,
            "bccRecipients": [], "replyTo": [],
            "flag": {"flagStatus": "notFlagged"},
            "internetMessageHeaders": [{"name": k, "value": v}
                                       for k, v in m.headers],
            "uniqueBody": {"contentType": "html", "content": m.html}}


# ------------------------------------------------------------------ server

class State:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.box = Mailbox(cfg.user)
        self.tokens = {}            # token -> expiry (time.time())
        self.faults = []
        self.races = []
        self.log = []
        self.skiptokens = {}        # token -> (query key, offset)


def select_list(value, allowed, typename):
    """$select=a,b -> canonical names; unknown ones are refused as Graph
    refuses them."""
    canon = {p.lower(): p for p in allowed}
    out = []
    for name in value.split(","):
        name = name.strip()
        if name.lower() not in canon:
            raise GraphError(
                400, "RequestBroker--ParseUri",
                "Could not find a property named '%s' on type "
                "'microsoft.graph.%s'." % (name, typename))
        out.append(canon[name.lower()])
    return out


def project(obj, select, always=("id",)):
    if select is None:
        return obj
    keep = set(select) | set(always)
    return {k: v for k, v in obj.items() if k in keep}


def top_value(value, limit):
    if not re.fullmatch(r"[0-9]+", value or ""):
        raise GraphError(400, "BadRequest",
                         "Invalid value '%s' for $top: an integer from 1 "
                         "to %d is expected." % (value, limit))
    n = int(value)
    if not 1 <= n <= limit:
        raise GraphError(400, "BadRequest",
                         "$top must be from 1 to %d; got %d." % (limit, n))
    return n


FILTER_NAME = re.compile(r"^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$",
                         re.IGNORECASE)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "graph_fake/1"
    # Headers and body go out in separate writes: with Nagle's algorithm
    # the second waits for the client's delayed ACK, 40 ms a response.
    disable_nagle_algorithm = True

    # The TLS handshake happens here, in the connection's own thread, so
    # a client that stalls in it holds up no other.
    def setup(self):
        self.request.settimeout(30)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            self.log_debug("handshake: %s" % e)
            raise ConnectionAbortedError("TLS handshake failed") from e
        super().setup()

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, socket.timeout, ssl.SSLError):
            pass

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        self.log_debug(fmt % args)

    def log_debug(self, text):
        if self.server.state.cfg.verbose:
            sys.stderr.write("graph_fake: %s\n" % text)
            sys.stderr.flush()

    # ------------------------------------------------------------ output

    def reply(self, status, body=b"", ctype=None, headers=None):
        st = self.server.state
        self.send_response(status)
        if ctype and status != 204:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("request-id", self.request_id)
        self.send_header("client-request-id", self.client_request_id)
        if self.immutable and 200 <= status < 300 and self.graph_call:
            self.send_header("Preference-Applied", 'IdType="ImmutableId"')
        # RFC 9110: no Content-Length in a 204
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(body)
        self.wfile.flush()
        if self.entry is not None:
            with st.lock:
                self.entry["status"] = status

    def reply_json(self, status, obj, headers=None):
        self.reply(status, json.dumps(obj, separators=(",", ":"),
                                      ensure_ascii=False).encode(),
                   JSON_TYPE, headers)

    def reply_error(self, e):
        inner = {"date": datetime.now(timezone.utc).strftime(
                     "%Y-%m-%dT%H:%M:%S"),
                 "request-id": self.request_id,
                 "client-request-id": self.client_request_id}
        if e.status == 429:
            inner.update(code="429", message="Please retry after",
                         status="429")
        headers = dict(e.headers)
        if e.status == 401:
            headers.setdefault(
                "WWW-Authenticate",
                'Bearer realm="", authorization_uri="https://login.'
                'microsoftonline.com/common/oauth2/authorize", '
                'client_id="00000003-0000-0000-c000-000000000000"')
        self.reply(e.status, json.dumps(
            {"error": {"code": e.code, "message": e.message,
                       "innerError": inner}},
            separators=(",", ":")).encode(), "application/json", headers)

    def reply_aad(self, status, error, code, text, headers=None):
        now = datetime.now(timezone.utc)
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        self.reply(status, json.dumps({
            "error": error,
            "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\n"
                                 "Correlation ID: %s\r\nTimestamp: %s" %
                                 (code, text, trace, corr, stamp),
            "error_codes": [code], "timestamp": stamp, "trace_id": trace,
            "correlation_id": corr,
            "error_uri": "https://login.microsoftonline.com/error?code=%d"
                         % code}).encode(),
            "application/json; charset=utf-8",
            dict({"Cache-Control": "no-store, no-cache",
                  "Pragma": "no-cache"}, **(headers or {})))

    def reply_text(self, status, text):
        self.reply(status, text.encode(), "text/plain; charset=utf-8")

    # ------------------------------------------------------------- input

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if te == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = self.headers.get("Content-Length")
        return self.rfile.read(int(n)) if n else b""

    def json_body(self):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        if ctype.strip().lower() != "application/json":
            raise GraphError(415, "BadRequest",
                             "Entity only allows writes with a JSON "
                             "Content-Type header.")
        try:
            obj = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise GraphError(400, "BadRequest",
                             "Unable to read JSON request payload. Please "
                             "ensure Content-Type header is set and payload "
                             "is of valid JSON format.")
        if not isinstance(obj, dict):
            raise GraphError(400, "BadRequest",
                             "Unable to read JSON request payload. Please "
                             "ensure Content-Type header is set and payload "
                             "is of valid JSON format.")
        return obj

    def wants_immutable(self):
        for pref in (self.headers.get_all("Prefer") or []):
            for item in pref.split(","):
                k, _, v = item.partition("=")
                if k.strip().lower() == "idtype" and \
                        v.strip().strip('"').lower() == "immutableid":
                    return True
        return False

    # ---------------------------------------------------------- dispatch

    def do_GET(self):
        self.route()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    def route(self):
        st = self.server.state
        self.request_id = str(uuid.uuid4())
        self.client_request_id = self.headers.get("client-request-id") or \
            self.request_id
        self.immutable = False
        self.graph_call = False
        self.entry = None
        try:
            self.body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        target = self.path
        url = urllib.parse.urlsplit(target)
        if url.path.startswith("/_admin/"):
            try:
                return self.admin(url)
            except Exception as e:
                traceback.print_exc()
                return self.reply_json(400, {"error": str(e)})
        entry = {"method": self.command, "path": target, "status": None,
                 "auth": bool(self.headers.get("Authorization")),
                 "prefer": self.headers.get("Prefer")}
        if self.body and url.path.startswith("/v1.0/") and \
                len(self.body) <= 4096:
            entry["body"] = self.body.decode("utf-8", "replace")
        with st.lock:
            st.log.append(entry)
        self.entry = entry
        self.immutable = self.wants_immutable()
        token_call = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", url.path)
        self.graph_call = url.path.startswith("/v1.0/")
        try:
            if self.fault(target, bool(token_call)):
                return
            if token_call:
                return self.token(urllib.parse.unquote(token_call.group(1)))
            if self.graph_call:
                return self.graph(url)
            raise not_modelled("%s %s" % (self.command, url.path))
        except GraphError as e:
            self.reply_error(e)
        except OSError:             # the client went away
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.reply_error(GraphError(500, "InternalServerError",
                                        "graph_fake: internal error"))

    def fault(self, target, token_call):
        """An armed fault for this request: stall, then fail or close;
        True when the request was answered (or dropped) here."""
        st = self.server.state
        unq = urllib.parse.unquote(target)
        with st.lock:
            f = None
            for g in st.faults:
                if g["count"] > 0 and \
                        g.get("method", self.command).upper() == \
                        self.command and \
                        (g.get("path", "") in target or
                         g.get("path", "") in unq):
                    g["count"] -= 1
                    f = g
                    break
            st.faults = [g for g in st.faults if g["count"] > 0]
        if f is None:
            return False
        if f.get("stall"):
            time.sleep(float(f["stall"]))
        if f.get("close"):
            self.close_connection = True
            try:
                self.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            with st.lock:
                self.entry["status"] = 0
            return True
        status = f.get("status")
        if status is None:
            return False            # only a stall
        status = int(status)
        headers = {}
        if f.get("retry_after") is not None:
            headers["Retry-After"] = str(f["retry_after"])
        elif f.get("retry_after_date") is not None:
            headers["Retry-After"] = email.utils.formatdate(
                time.time() + float(f["retry_after_date"]), usegmt=True)
        if f.get("empty"):
            # a gateway's or a proxy's answer: the status, no body
            self.reply(status, b"", None, headers)
            return True
        if token_call:
            error = {400: "invalid_request", 401: "invalid_client"}.get(
                status, "temporarily_unavailable")
            self.reply_aad(status, error, int(f.get("aadsts", 90033)),
                           f.get("message", "A transient error has "
                                 "occurred. Please try again."), headers)
            return True
        code, message = {
            400: ("BadRequest", "graph_fake: injected fault."),
            401: ("InvalidAuthenticationToken",
                  "Lifetime validation failed, the token is expired."),
            403: ("ErrorAccessDenied",
                  "Access is denied. Check credentials and try again."),
            404: ("ErrorItemNotFound",
                  "The specified object was not found in the store."),
            429: ("TooManyRequests", "Please retry again later."),
            500: ("InternalServerError", "graph_fake: injected fault."),
            502: ("BadGateway", "graph_fake: injected fault."),
            503: ("ServiceNotAvailable",
                  "The service is temporarily unavailable."),
            504: ("GatewayTimeout", "graph_fake: injected fault."),
        }.get(status, ("UnknownError", "graph_fake: injected fault."))
        self.reply_error(GraphError(status, f.get("code", code),
                                    f.get("message", message), headers))
        return True

    # -------------------------------------------------- identity platform

    def token(self, tenant):
        cfg = self.server.state.cfg
        if tenant.lower() != cfg.tenant.lower():
            return self.reply_aad(
                400, "invalid_request", 90002,
                "Tenant '%s' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud. "
                "Check with your subscription administrator, this may "
                "happen if there are no active subscriptions for the "
                "tenant." % tenant)
        if self.command != "POST":
            return self.reply_aad(
                400, "invalid_request", 900561,
                "The endpoint only accepts POST, OPTIONS requests. "
                "Received a %s request." % self.command)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        form = {}
        if ctype.strip().lower() == "application/x-www-form-urlencoded":
            try:
                pairs = urllib.parse.parse_qsl(self.body.decode("utf-8"),
                                               keep_blank_values=True)
            except UnicodeDecodeError:
                pairs = []
            for k, v in pairs:
                if k in form:
                    return self.reply_aad(
                        400, "invalid_request", 90015,
                        "Requested query string is too long or "
                        "contains a parameter twice: '%s'." % k)
                form[k] = v
        auth = self.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                cid, _, sec = base64.b64decode(auth[6:]).decode().partition(
                    ":")
            except ValueError:
                cid = sec = ""
            form.setdefault("client_id", urllib.parse.unquote_plus(cid))
            form.setdefault("client_secret", urllib.parse.unquote_plus(sec))
        for p in ("grant_type", "client_id", "scope"):
            if not form.get(p):
                return self.reply_aad(
                    400, "invalid_request", 900144,
                    "The request body must contain the following "
                    "parameter: '%s'." % p)
        if form["grant_type"] != "client_credentials":
            return self.reply_aad(
                400, "unsupported_grant_type", 70003,
                "The app requested an unsupported grant type '%s'."
                % form["grant_type"])
        if form["client_id"].lower() != cfg.client_id.lower():
            return self.reply_aad(
                400, "unauthorized_client", 700016,
                "Application with identifier '%s' was not found in the "
                "directory '%s'. This can happen if the application has "
                "not been installed by the administrator of the tenant or "
                "consented to by any user in the tenant. You may have sent "
                "your authentication request to the wrong tenant."
                % (form["client_id"], tenant))
        if not form.get("client_secret"):
            return self.reply_aad(
                401, "invalid_client", 7000218,
                "The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.")
        if form["client_secret"] != cfg.secret:
            return self.reply_aad(
                401, "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being "
                "sent in the request is the client secret value, not the "
                "client secret ID, for a secret added to app '%s'."
                % cfg.client_id)
        scope = form["scope"]
        if scope.lower() not in GRAPH_SCOPES:
            if not scope.endswith("/.default"):
                return self.reply_aad(
                    400, "invalid_scope", 1002012,
                    "The provided value for scope %s is not valid. Client "
                    "credential flows must have a scope value with "
                    "/.default suffixed to the resource identifier "
                    "(application ID URI)." % scope)
            return self.reply_aad(
                400, "invalid_resource", 500011,
                "The resource principal named %s was not found in the "
                "tenant named %s." % (scope[:-len("/.default")], tenant))
        st = self.server.state
        ttl = float(st.cfg.token_ttl)
        now = time.time()
        claims = {"aud": "https://graph.microsoft.com", "tid": cfg.tenant,
                  "appid": cfg.client_id, "iat": int(now),
                  "exp": int(now + ttl), "roles": ["Mail.ReadWrite"],
                  "jti": secrets.token_hex(8)}

        def part(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode(
                ).rstrip("=")
        tok = ".".join((part({"typ": "JWT", "alg": "RS256"}), part(claims),
                        base64.urlsafe_b64encode(secrets.token_bytes(64))
                        .decode().rstrip("=")))
        with st.lock:
            st.tokens[tok] = now + ttl
        n = int(math.ceil(ttl))
        self.reply(200, json.dumps({
            "token_type": "Bearer", "expires_in": n, "ext_expires_in": n,
            "access_token": tok}).encode(),
            "application/json; charset=utf-8",
            {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    # ------------------------------------------------------------- Graph

    def query(self, url, allowed):
        """The query options, each at most once and all of them modelled
        here for this call."""
        out = {}
        try:
            pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        except ValueError:
            raise GraphError(400, "BadRequest",
                             "The query string is malformed.")
        for k, v in pairs:
            key = k.lower() if k.startswith("$") else k
            if key in out:
                raise GraphError(
                    400, "BadRequest",
                    "Query option '%s' was specified more than once, but "
                    "it must be specified at most once." % k.lstrip("$"))
            if key not in allowed:
                raise not_modelled("query option '%s' on this call" % k)
            out[key] = v
        return out

    def graph(self, url):
        st = self.server.state
        auth = self.headers.get("Authorization") or ""
        if not auth:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token is empty.")
        if auth[:7].lower() != "bearer " or auth[7:].strip().count(".") != 2:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "IDX14100: JWT is not well formed, there are "
                             "no dots (.).")
        with st.lock:
            exp = st.tokens.get(auth[7:].strip())
        if exp is None:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token validation failure. Invalid "
                             "audience.")
        if exp <= time.time():
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Lifetime validation failed, the token is "
                             "expired.")
        raw = url.path[len("/v1.0/"):].split("/")
        if raw and raw[-1] == "":
            raw.pop()
        segs = [urllib.parse.unquote(s) for s in raw]
        low = [s.lower() for s in segs]
        if low[:1] == ["me"]:
            raise GraphError(400, "BadRequest",
                             "/me request is only valid with delegated "
                             "authentication flow.")
        if len(segs) < 2 or low[0] != "users":
            raise not_modelled("%s %s" % (self.command, url.path))
        if segs[1].lower() != st.cfg.user.lower():
            raise GraphError(404, "ErrorInvalidUser",
                             "The requested user '%s' is invalid." % segs[1])
        rest, low = segs[2:], low[2:]
        with st.lock:
            return self.graph_locked(url, rest, low)

    def graph_locked(self, url, rest, low):
        box, m = self.server.state.box, self.command
        folder = None
        if low[:1] == ["mailfolders"]:
            if len(rest) == 1:
                if m == "GET":
                    return self.list_folders(url, box.root)
                if m == "POST":
                    return self.create_folder(url, box.root)
                raise not_modelled("%s mailFolders" % m)
            folder = box.folder(rest[1])
            if len(rest) == 2:
                if m != "GET":
                    raise not_modelled("%s mailFolders/{id}" % m)
                q = self.query(url, ("$select",))
                sel = select_list(q["$select"], FOLDER_PROPS, "mailFolder") \
                    if "$select" in q else None
                return self.reply_json(200, dict(
                    {"@odata.context": self.context("mailFolders/$entity")},
                    **project(box.folder_json(folder), sel)))
            if low[2] == "childfolders" and len(rest) == 3:
                if m == "GET":
                    return self.list_folders(url, folder)
                if m == "POST":
                    return self.create_folder(url, folder)
                raise not_modelled("%s childFolders" % m)
            if low[2] == "messages" and len(rest) == 3 and m == "GET":
                return self.list_messages(url, folder)
            rest, low = rest[2:], low[2:]
        if low[:1] == ["messages"] and len(rest) in (2, 3):
            msg = box.message(rest[1])
            if folder is not None and msg.folder is not folder:
                raise item_not_found()
            return self.message_call(url, msg, low[2:])
        raise not_modelled("%s %s" % (m, url.path))

    def context(self, tail):
        st = self.server.state
        return "%s/v1.0/$metadata#users('%s')/%s" % (
            self.link_base(), quote_lower(st.cfg.user), tail)

    def link_base(self):
        cfg = self.server.state.cfg
        if cfg.link_base:
            return cfg.link_base.rstrip("/")
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def next_link(self, url, q, key, value):
        items = [(k, v) for k, v in q.items() if k != key]
        items.append((key, value))
        return "%s%s?%s" % (self.link_base(), url.path, "&".join(
            quote_lower(k) + "=" + quote_lower(v) for k, v in items))

    def list_folders(self, url, parent):
        st = self.server.state
        box = st.box
        q = self.query(url, ("$top", "$filter", "$select", "$skiptoken",
                             "includeHiddenFolders"))
        top = top_value(q["$top"], 1000) if "$top" in q else 10
        page = min(top, st.cfg.page_max)
        sel = select_list(q["$select"], FOLDER_PROPS, "mailFolder") \
            if "$select" in q else None
        hidden = q.get("includeHiddenFolders", "false").lower()
        if hidden not in ("true", "false"):
            raise GraphError(400, "BadRequest",
                             "includeHiddenFolders must be true or false.")
        kids = [f for f in box.children(parent)
                if hidden == "true" or not f.hidden]
        if "$filter" in q:
            fm = FILTER_NAME.match(q["$filter"])
            if not fm:
                raise not_modelled("$filter '%s' (only displayName eq "
                                   "'...')" % q["$filter"])
            want = fm.group(1).replace("''", "'")
            kids = [f for f in kids if f.name.casefold() == want.casefold()]
        key = (parent.id, q.get("$filter"), q.get("$select"), q.get("$top"),
               hidden)
        start = 0
        if "$skiptoken" in q:
            got = st.skiptokens.get(q["$skiptoken"])
            if got is None or got[0] != key:
                raise GraphError(400, "BadRequest",
                                 "graph_fake: this $skiptoken is not one "
                                 "this query's nextLink gave.")
            start = got[1]
        kids.sort(key=lambda f: f.name.casefold())
        out = {"@odata.context": self.context("mailFolders"),
               "value": [project(box.folder_json(f), sel)
                         for f in kids[start:start + page]]}
        if start + page < len(kids):
            tok = secrets.token_urlsafe(18)
            st.skiptokens[tok] = (key, start + page)
            out["@odata.nextLink"] = self.next_link(url, q, "$skiptoken",
                                                    tok)
        self.reply_json(200, out)

    def create_folder(self, url, parent):
        st = self.server.state
        box = st.box
        self.query(url, ())
        body = self.json_body()
        for k in body:
            if k not in ("displayName", "isHidden"):
                raise not_modelled("member '%s' in a new mailFolder" % k)
        name = body.get("displayName")
        if not isinstance(name, str) or name.strip() == "":
            raise GraphError(400, "ErrorInvalidParameter",
                             "The value of the parameter 'DisplayName' is "
                             "empty.")
        hidden = body.get("isHidden", False)
        if not isinstance(hidden, bool):
            raise GraphError(400, "BadRequest",
                             "Cannot convert the literal '%s' to the "
                             "expected type 'Edm.Boolean'." % hidden)
        for r in list(st.races):
            rp = box.by_path(r["parent_path"])
            if rp is parent and \
                    r["displayName"].casefold() == name.casefold():
                st.races.remove(r)
                if box.child_named(parent, r["displayName"]) is None:
                    box.add_folder(r["displayName"], parent)
        if box.child_named(parent, name) is not None:
            raise GraphError(st.cfg.folder_exists_status, "ErrorFolderExists",
                             "A folder with the specified name already "
                             "exists.")
        f = box.add_folder(name, parent, hidden=hidden)
        self.reply_json(201, dict(
            {"@odata.context": self.context("mailFolders/$entity")},
            **box.folder_json(f)))

    def list_messages(self, url, folder):
        st = self.server.state
        box = st.box
        q = self.query(url, ("$top", "$select", "$orderby", "$skip"))
        top = top_value(q["$top"], 1000) if "$top" in q else 10
        page = min(top, st.cfg.page_max)
        sel = select_list(q["$select"], MESSAGE_PROPS[1:] + MESSAGE_EXTRA,
                          "message") if "$select" in q else None
        order = q.get("$orderby", "receivedDateTime desc")
        om = re.fullmatch(r"\s*receivedDateTime(?:\s+(asc|desc))?\s*", order,
                          re.IGNORECASE)
        if not om:
            raise not_modelled("$orderby '%s' (only receivedDateTime "
                               "[asc|desc])" % order)
        start = 0
        if "$skip" in q:
            if not re.fullmatch(r"[0-9]+", q["$skip"]):
                raise GraphError(400, "BadRequest",
                                 "Invalid value '%s' for $skip." % q["$skip"])
            start = int(q["$skip"])
        msgs = box.in_folder(folder)
        if (om.group(1) or "asc").lower() == "desc":
            msgs.reverse()
        out = {"@odata.context": self.context(
                   "mailFolders('%s')/messages%s" % (
                       folder.id, "(%s)" % ",".join(sel) if sel else "")),
               "value": [self.message_out(m, sel)
                         for m in msgs[start:start + page]]}
        if start + page < len(msgs):
            out["@odata.nextLink"] = self.next_link(url, q, "$skip",
                                                    str(start + page))
        self.reply_json(200, out)

    def message_out(self, m, sel):
        st = self.server.state
        full = st.box.message_json(m, self.immutable)
        if sel is None:
            return {k: full[k] for k in MESSAGE_PROPS}
        return project(full, sel, ("id", "@odata.etag"))

    def message_call(self, url, msg, tail):
        st = self.server.state
        box = st.box
        m = self.command
        if tail == [] and m == "GET":
            q = self.query(url, ("$select",))
            sel = select_list(q["$select"], MESSAGE_PROPS[1:] + MESSAGE_EXTRA,
                              "message") if "$select" in q else None
            return self.reply_json(200, dict(
                {"@odata.context": self.context("messages/$entity")},
                **self.message_out(msg, sel)))
        if tail == ["$value"] and m == "GET":
            self.query(url, ())
            return self.reply(200, msg.raw, "text/plain")
        if tail == [] and m == "PATCH":
            self.query(url, ())
            body = self.json_body()
            for k, v in body.items():
                if k != "isRead":
                    raise not_modelled("PATCH of message member '%s'" % k)
                if not isinstance(v, bool):
                    raise GraphError(400, "BadRequest",
                                     "Cannot convert the literal '%s' to "
                                     "the expected type 'Edm.Boolean'." % v)
            if "isRead" in body:
                msg.is_read = body["isRead"]
            msg.touch()
            return self.reply_json(200, dict(
                {"@odata.context": self.context("messages/$entity")},
                **self.message_out(msg, None)))
        if tail == [] and m == "DELETE":
            self.query(url, ())
            trash = box.folder("deleteditems")
            if msg.folder is trash:
                box.purge(msg)
            else:
                box.move(msg, trash)
            return self.reply(204)
        if tail == ["move"] and m == "POST":
            self.query(url, ())
            body = self.json_body()
            for k in body:
                if k != "destinationId":
                    raise GraphError(
                        400, "BadRequest",
                        "The parameter '%s' in the request payload is not "
                        "a valid parameter for the operation 'move'." % k)
            dest = body.get("destinationId")
            if not isinstance(dest, str) or dest == "":
                raise GraphError(400, "ErrorInvalidParameter",
                                 "The value of the parameter "
                                 "'DestinationId' is empty.")
            box.move(msg, box.folder(dest))
            return self.reply_json(201, dict(
                {"@odata.context": self.context("messages/$entity"),
                 "@odata.type": "#microsoft.graph.message"},
                **self.message_out(msg, None)))
        raise not_modelled("%s %s" % (m, url.path))

    # ------------------------------------------------------------- admin

    def admin(self, url):
        st = self.server.state
        box = st.box
        path, m = url.path, self.command
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))

        def body_json():
            obj = json.loads(self.body or b"{}")
            if not isinstance(obj, dict):
                raise ValueError("a JSON object is expected")
            return obj
        with st.lock:
            if path == "/_admin/messages" and m == "POST":
                ctype = (self.headers.get("Content-Type") or "").lower()
                if ctype.startswith("application/json"):
                    a = body_json()
                    raw = base64.b64decode(a["mime_b64"], validate=True)
                else:
                    a, raw = q, self.body
                received = parse_iso(a["receivedDateTime"]) \
                    if a.get("receivedDateTime") else utc_iso()
                is_read = a.get("isRead", False)
                if isinstance(is_read, str):
                    if is_read not in ("true", "false"):
                        raise ValueError("isRead: true or false")
                    is_read = is_read == "true"
                folder = box.by_path(a.get("folder", "Inbox"), create=True)
                if folder is box.root:
                    raise ValueError("no messages in msgfolderroot")
                msg = Message(raw, folder, received, bool(is_read))
                box.add_message(msg)
                if q.get("format") == "text":
                    return self.reply_text(200, "%s\t%s\n" % (
                        msg.rest_id, msg.immutable_id))
                return self.reply_json(200, {
                    "id": msg.rest_id, "immutableId": msg.immutable_id,
                    "folderId": folder.id, "path": box.path_of(folder)})
            if path == "/_admin/folders" and m == "POST":
                paths = urllib.parse.parse_qs(url.query).get("path") or \
                    [body_json()["path"]]
                made = [box.by_path(p, create=True) for p in paths]
                return self.reply_json(200, [dict(box.folder_json(f),
                                                  path=box.path_of(f))
                                             for f in made])
            if path == "/_admin/folders" and m == "GET":
                paths = sorted(box.path_of(f) for f in box.folders.values()
                               if f is not box.root)
                return self.reply_text(200, "".join(p + "\n" for p in paths))
            if path == "/_admin/state" and m == "GET":
                return self.reply_json(200, {
                    "folders": sorted(
                        (dict(box.folder_json(f), path=box.path_of(f),
                              wellKnownName=f.wk)
                         for f in box.folders.values() if f is not box.root),
                        key=lambda d: d["path"]),
                    "messages": [{
                        "path": box.path_of(x.folder), "id": x.rest_id,
                        "immutableId": x.immutable_id, "subject": x.subject,
                        "isRead": x.is_read,
                        "receivedDateTime": x.received}
                        for f in box.folders.values()
                        for x in box.in_folder(f)]})
            if path in ("/_admin/fetch", "/_admin/count") and m == "GET":
                f = box.by_path(q.get("path", ""))
                msgs = box.in_folder(f) if f is not None else []
                if path == "/_admin/count":
                    return self.reply_text(200, "%d\n" % len(msgs))
                return self.reply_text(200, "".join(
                    "%s\t%s\t%s\t%s\n" % (x.rest_id, x.immutable_id,
                                          "true" if x.is_read else "false",
                                          re.sub(r"[\t\r\n]", " ", x.subject))
                    for x in msgs))
            if path == "/_admin/requests" and m == "GET":
                if q.get("format") == "text":
                    return self.reply_text(200, "".join(
                        "%s\t%s\t%s\tauth:%s\n" % (
                            e["method"], e["path"], e["status"],
                            "yes" if e["auth"] else "no") for e in st.log))
                return self.reply_json(200, st.log)
            if path == "/_admin/reset-requests" and m == "POST":
                st.log = []
                return self.reply_json(200, {})
            if path == "/_admin/fault" and m == "POST":
                f = body_json()
                allowed = {"method", "path", "count", "status", "retry_after",
                           "retry_after_date", "stall", "close", "code",
                           "message", "aadsts", "empty"}
                if set(f) - allowed:
                    raise ValueError("unknown members: %s" %
                                     sorted(set(f) - allowed))
                f["count"] = int(f.get("count", 1))
                st.faults.append(f)
                return self.reply_json(200, {"armed": len(st.faults)})
            if path == "/_admin/clear-faults" and m == "POST":
                st.faults = []
                return self.reply_json(200, {})
            if path == "/_admin/race" and m == "POST":
                r = body_json()
                if not isinstance(r.get("displayName"), str):
                    raise ValueError("displayName is required")
                r.setdefault("parent_path", "")
                st.races.append(r)
                return self.reply_json(200, {"armed": len(st.races)})
            if path == "/_admin/config" and m == "POST":
                c = body_json()
                for k, v in c.items():
                    if k not in ("token_ttl", "page_max",
                                 "folder_exists_status", "link_base"):
                        raise ValueError("unknown setting %s" % k)
                    setattr(st.cfg, k, v)
                return self.reply_json(200, {})
            if path == "/_admin/expire-tokens" and m == "POST":
                st.tokens = {t: 0 for t in st.tokens}
                return self.reply_json(200, {})
        return self.reply_json(404, {"error": "no admin call %s %s" %
                                     (m, path)})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # a client that hangs up or fails the handshake (a wrong CA in a
        # test) is no error of ours
        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--tenant", default="dmarcpipe-test-tenant")
    ap.add_argument("--client-id",
                    default="11111111-2222-3333-4444-555555555555")
    ap.add_argument("--secret", default="test-secret")
    ap.add_argument("--user", default="dmarc@example.com")
    ap.add_argument("--token-ttl", type=float, default=3600)
    ap.add_argument("--page-max", type=int, default=1000)
    ap.add_argument("--folder-exists-status", type=int, default=409)
    ap.add_argument("--link-base", default=None)
    ap.add_argument("-v", "--verbose", action="store_true")
    cfg = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cfg.cert, cfg.key)
    srv = Server(("127.0.0.1", cfg.port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    srv.state = State(cfg)
    # TERM ends it at once and with status 0: connections stalled on
    # purpose must not hold up a test's exit
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
