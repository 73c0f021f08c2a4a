"""An S3-compatible object store for one desktop: buckets are folders, each object a file and a
small JSON of its metadata. Every request must be signed (AWS Signature Version 4, in the
Authorization header) with the one key pair of MINIO_ROOT_USER / MINIO_ROOT_PASSWORD. The bucket in
S3_BUCKET is made at start. Usage: s3store.py server <folder>."""
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import sys
import tempfile
import urllib.parse
import uuid
from xml.sax.saxutils import escape

MAX_OBJECT = 5 * 1024**3  # S3's own limit for one PUT
MAX_KEYS = 1000  # S3's page size for listings
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

if len(sys.argv) != 3 or sys.argv[1] != "server":
    sys.exit("usage: s3store.py server <folder>")
ROOT = os.path.abspath(sys.argv[2])
ACCESS_KEY = os.environ.get("MINIO_ROOT_USER", "")
SECRET_KEY = os.environ.get("MINIO_ROOT_PASSWORD", "")
if not ACCESS_KEY or not SECRET_KEY:
    sys.exit("MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set")


class S3Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bucket_dir(bucket):
    if not BUCKET_RE.match(bucket):
        raise S3Error(400, "InvalidBucketName", "The specified bucket is not valid.")
    return os.path.join(ROOT, bucket)


def object_path(bucket, key):
    if not key or len(key.encode()) > 1024:
        raise S3Error(400, "KeyTooLongError", "Your key is too long.")
    return os.path.join(bucket_dir(bucket), hashlib.sha256(key.encode()).hexdigest())


def signing_key(date, region, service):
    k = ("AWS4" + SECRET_KEY).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def uri_encode(text, slash=True):
    return urllib.parse.quote(text, safe="-_.~" + ("" if slash else "/"))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3store"

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))

    # -- the answer ---------------------------------------------------------------------------
    def answer(self, status, body=b"", headers=None, content_type="application/xml"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body or status not in (204, 304) and self.command != "HEAD":
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, err):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>'
            % (err.code, escape(err.message))
        ).encode()
        self.close_connection = True
        self.answer(err.status, body)

    # -- Signature Version 4 -------------------------------------------------------------------
    def authenticate(self, path, query):
        auth = self.headers.get("Authorization", "")
        m = re.match(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
            r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$",
            auth,
        )
        if not m:
            raise S3Error(403, "AccessDenied", "Requests must be signed with AWS Signature Version 4.")
        key, date, region, service, signed, signature = m.groups()
        if not hmac.compare_digest(key, ACCESS_KEY):
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        amz_date = self.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise S3Error(403, "AccessDenied", "x-amz-date is missing or malformed.")
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 15 * 60:
            raise S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.")
        names = signed.split(";")
        canonical_headers = "".join(
            "%s:%s\n" % (n, " ".join((self.headers.get(n) or "").split())) for n in names
        )
        canonical_query = "&".join(
            "%s=%s" % (uri_encode(k), uri_encode(v))
            for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        )
        payload = self.headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        canonical = "\n".join(
            [self.command, uri_encode(path, slash=False), canonical_query, canonical_headers, signed, payload]
        )
        scope = "%s/%s/%s/aws4_request" % (date, region, service)
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        expected = hmac.new(signing_key(date, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
        return payload

    def body(self, payload):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_OBJECT:
            raise S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        if "aws-chunked" in (self.headers.get("Content-Encoding") or "") or payload.startswith("STREAMING-"):
            raise S3Error(501, "NotImplemented", "Chunked (streaming) uploads are not supported; send the whole object.")
        return length

    # -- requests ------------------------------------------------------------------------------
    def handle_any(self):
        try:
            parsed = urllib.parse.urlsplit(self.path)
            payload = self.authenticate(parsed.path, parsed.query)
            path = urllib.parse.unquote(parsed.path)
            query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
            bucket, _, key = path.lstrip("/").partition("/")
            if not bucket:
                if self.command != "GET":
                    raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed.")
                return self.list_buckets()
            if not key:
                return self.on_bucket(bucket, query, payload)
            return self.on_object(bucket, key, payload)
        except S3Error as err:
            self.error(err)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any

    def list_buckets(self):
        names = sorted(n for n in os.listdir(ROOT) if BUCKET_RE.match(n) and os.path.isdir(os.path.join(ROOT, n)))
        items = "".join("<Bucket><Name>%s</Name><CreationDate>%s</CreationDate></Bucket>" % (n, iso(os.path.getmtime(os.path.join(ROOT, n)))) for n in names)
        self.answer(200, ('<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="%s"><Owner><ID>%s</ID></Owner><Buckets>%s</Buckets></ListAllMyBucketsResult>' % (XMLNS, ACCESS_KEY, items)).encode())

    def on_bucket(self, bucket, query, payload):
        d = bucket_dir(bucket)
        if self.command == "PUT":
            self.drain(self.body(payload))
            if os.path.isdir(d):
                raise S3Error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
            os.mkdir(d, 0o700)
            return self.answer(200, headers={"Location": "/" + bucket})
        if not os.path.isdir(d):
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist.")
        if self.command == "HEAD":
            return self.answer(200)
        if self.command == "DELETE":
            if any(n.endswith(".json") for n in os.listdir(d)):
                raise S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
            os.rmdir(d)
            return self.answer(204)
        if self.command == "GET":
            return self.list_objects(bucket, d, query)
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed.")

    def list_objects(self, bucket, d, query):
        prefix = query.get("prefix", "")
        after = query.get("start-after", "") or query.get("continuation-token", "") or query.get("marker", "")
        limit = max(0, min(MAX_KEYS, int(query.get("max-keys", MAX_KEYS))))
        metas = []
        for n in os.listdir(d):
            if n.endswith(".json"):
                with open(os.path.join(d, n)) as f:
                    meta = json.load(f)
                if meta["key"].startswith(prefix) and meta["key"] > after:
                    metas.append(meta)
        metas.sort(key=lambda m: m["key"])
        # Clients that ask for it get the keys URL-encoded (and decode them again).
        encode = (lambda k: urllib.parse.quote(k, safe="/")) if query.get("encoding-type") == "url" else (lambda k: k)
        page, truncated = metas[:limit], len(metas) > limit
        items = "".join(
            "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
            % (escape(encode(m["key"])), iso(m["modified"]), m["etag"], m["size"]) for m in page
        )
        extra = ""
        if truncated and page:
            extra = "<NextContinuationToken>%s</NextContinuationToken><NextMarker>%s</NextMarker>" % ((escape(page[-1]["key"]),) * 2)
        self.answer(200, ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>' % (XMLNS, bucket, escape(prefix), len(page), limit, "true" if truncated else "false", extra, items)).encode())

    def on_object(self, bucket, key, payload):
        if not os.path.isdir(bucket_dir(bucket)):
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist.")
        path = object_path(bucket, key)
        if self.command == "PUT":
            return self.put_object(path, key, payload)
        if self.command == "DELETE":
            for p in (path, path + ".json"):
                if os.path.exists(p):
                    os.remove(p)
            return self.answer(204)
        if self.command in ("GET", "HEAD"):
            try:
                with open(path + ".json") as f:
                    meta = json.load(f)
            except FileNotFoundError:
                raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
            self.send_response(200)
            self.send_header("Content-Type", meta["type"])
            self.send_header("Content-Length", str(meta["size"]))
            self.send_header("ETag", '"%s"' % meta["etag"])
            self.send_header("Last-Modified", http_date(meta["modified"]))
            self.end_headers()
            if self.command == "GET":
                # Streamed: an object may be larger than the container's memory.
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 16):
                        self.wfile.write(chunk)
            return None
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed.")

    def drain(self, length):
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                break
            length -= len(chunk)

    def put_object(self, path, key, payload):
        length = self.body(payload)
        md5, sha = hashlib.md5(), hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                left = length
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    if not chunk:
                        raise S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
                    md5.update(chunk)
                    sha.update(chunk)
                    out.write(chunk)
                    left -= len(chunk)
            if payload not in ("UNSIGNED-PAYLOAD",) and payload != sha.hexdigest():
                raise S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
            meta = {"key": key, "etag": md5.hexdigest(), "size": length, "modified": datetime.datetime.now(datetime.timezone.utc).timestamp(), "type": self.headers.get("Content-Type") or "binary/octet-stream"}
            os.replace(tmp, path)
            with open(path + ".json.tmp", "w") as f:
                json.dump(meta, f)
            os.replace(path + ".json.tmp", path + ".json")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        self.answer(200, headers={"ETag": '"%s"' % meta["etag"]})


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def http_date(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


bucket = os.environ.get("S3_BUCKET")
if bucket:
    os.makedirs(bucket_dir(bucket), mode=0o700, exist_ok=True)
# PID 1 in the container: stop on the signal Docker sends (every object is on disk once its PUT answered).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = http.server.ThreadingHTTPServer(("0.0.0.0", 9000), Handler)
print("S3-compatible store listening on :9000, data in %s" % ROOT, flush=True)
server.serve_forever()
