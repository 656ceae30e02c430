#!/usr/bin/env python3
"""Drives boto3 (Debian's python3-boto3) against a running moggateway and checks every answer.

Run by tests/MogileFS.Gateway.Tests (S3ClientScriptTests), which starts a cluster and a gateway
and sets S3_ENDPOINT (host:port), S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET (does not exist yet)
and WORK (an empty scratch directory). Exit status 0: every step passed; otherwise the failing
step is printed.
"""
import hashlib
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import ClientError

ENDPOINT = "http://" + os.environ["S3_ENDPOINT"]
ACCESS = os.environ["S3_ACCESS_KEY"]
SECRET = os.environ["S3_SECRET_KEY"]
BUCKET = os.environ["S3_BUCKET"]
WORK = os.environ["WORK"]
MiB = 1024 * 1024


def client(secret=SECRET, access=ACCESS, addressing="path"):
    return boto3.client(
        "s3", endpoint_url=ENDPOINT, aws_access_key_id=access, aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": addressing},
                      retries={"max_attempts": 1}))


START = time.time()


def step(name):
    print("== [%5.1fs] %s" % (time.time() - START, name), flush=True)


def check(cond, what):
    if not cond:
        print("FAILED: " + what, file=sys.stderr, flush=True)
        sys.exit(1)


def error_code(fn, *args, **kwargs):
    """Runs a call that must fail; returns (S3 error code, HTTP status)."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    check(False, "%s succeeded but should have failed" % fn.__name__)


s3 = client()

step("create_bucket / head_bucket / list_buckets")
s3.create_bucket(Bucket=BUCKET)
s3.head_bucket(Bucket=BUCKET)
check(BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]], "list_buckets misses the bucket")
check(error_code(s3.create_bucket, Bucket=BUCKET)[0] in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"),
      "second create_bucket")

step("put_object with metadata and content type; head_object")
body = b"hello boto3\n" * 100
r = s3.put_object(Bucket=BUCKET, Key="docs/a.txt", Body=body, ContentType="text/plain",
                  Metadata={"colour": "blue", "owner": "mogile"})
check(r["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), "put ETag is not the MD5: " + r["ETag"])
h = s3.head_object(Bucket=BUCKET, Key="docs/a.txt")
check(h["ContentLength"] == len(body), "head length")
check(h["ContentType"] == "text/plain", "head content type: " + h["ContentType"])
check(h["Metadata"] == {"colour": "blue", "owner": "mogile"}, "head metadata: %r" % h["Metadata"])

step("get_object, ranged get, conditional get")
g = s3.get_object(Bucket=BUCKET, Key="docs/a.txt")
check(g["Body"].read() == body, "get body")
g = s3.get_object(Bucket=BUCKET, Key="docs/a.txt", Range="bytes=6-10")
check(g["Body"].read() == body[6:11], "ranged get")
check(g["ContentRange"] == "bytes 6-10/%d" % len(body), "Content-Range: " + g.get("ContentRange", ""))
etag = h["ETag"]
check(error_code(s3.get_object, Bucket=BUCKET, Key="docs/a.txt", IfNoneMatch=etag)[1] == 304, "If-None-Match")
check(error_code(s3.get_object, Bucket=BUCKET, Key="docs/a.txt", IfMatch='"0000"')[0] == "PreconditionFailed",
      "If-Match")
check(error_code(s3.get_object, Bucket=BUCKET, Key="docs/missing")[0] == "NoSuchKey", "NoSuchKey")

step("listing v1 and v2 with prefix, delimiter, pagination")
for i in range(7):
    s3.put_object(Bucket=BUCKET, Key="list/%02d" % i, Body=b"x" * i)
s3.put_object(Bucket=BUCKET, Key="list/sub/deep", Body=b"d")
v2 = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
check([o["Key"] for o in v2["Contents"]] == ["list/%02d" % i for i in range(7)], "v2 keys")
check([p["Prefix"] for p in v2["CommonPrefixes"]] == ["list/sub/"], "v2 common prefixes")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 3}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check(keys == ["list/%02d" % i for i in range(7)] + ["list/sub/deep"], "v2 pages: %r" % keys)
keys = []
for page in s3.get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 2}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check(len(keys) == 8, "v1 pages: %r" % keys)
v2 = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", StartAfter="list/04")
check([o["Key"] for o in v2["Contents"]][0] == "list/05", "start-after")

step("copy_object (copy and replace metadata)")
s3.copy_object(Bucket=BUCKET, Key="docs/b.txt", CopySource={"Bucket": BUCKET, "Key": "docs/a.txt"})
check(s3.get_object(Bucket=BUCKET, Key="docs/b.txt")["Body"].read() == body, "copy body")
check(s3.head_object(Bucket=BUCKET, Key="docs/b.txt")["Metadata"]["colour"] == "blue", "copy keeps metadata")
s3.copy_object(Bucket=BUCKET, Key="docs/c.txt", CopySource={"Bucket": BUCKET, "Key": "docs/a.txt"},
               MetadataDirective="REPLACE", Metadata={"colour": "red"}, ContentType="application/x-test")
hc = s3.head_object(Bucket=BUCKET, Key="docs/c.txt")
check(hc["Metadata"] == {"colour": "red"} and hc["ContentType"] == "application/x-test", "copy REPLACE")

step("multipart: upload_file / download_file through the transfer manager")
big = os.path.join(WORK, "big.bin")
with open(big, "wb") as f:
    f.write(os.urandom(23 * MiB + 17))
cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
s3.upload_file(big, BUCKET, "big/object.bin", Config=cfg)
hb = s3.head_object(Bucket=BUCKET, Key="big/object.bin")
check(hb["ContentLength"] == 23 * MiB + 17, "multipart length")
check(hb["ETag"].endswith('-5"'), "multipart ETag form: " + hb["ETag"])
back = os.path.join(WORK, "big.back")
s3.download_file(BUCKET, "big/object.bin", back, Config=cfg)
with open(big, "rb") as a, open(back, "rb") as b:
    check(hashlib.md5(a.read()).digest() == hashlib.md5(b.read()).digest(), "multipart round trip differs")

step("multipart: explicit calls, ETag, list_parts, list_multipart_uploads, abort")
up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/explicit", ContentType="application/x-mp",
                                Metadata={"m": "1"})
uid = up["UploadId"]
p1, p2 = os.urandom(5 * MiB), os.urandom(1234)
e1 = s3.upload_part(Bucket=BUCKET, Key="mp/explicit", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
e2 = s3.upload_part(Bucket=BUCKET, Key="mp/explicit", UploadId=uid, PartNumber=2, Body=p2)["ETag"]
parts = s3.list_parts(Bucket=BUCKET, Key="mp/explicit", UploadId=uid)["Parts"]
check([(p["PartNumber"], p["Size"], p["ETag"]) for p in parts] == [(1, len(p1), e1), (2, len(p2), e2)],
      "list_parts: %r" % parts)
ups = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
check([u["UploadId"] for u in ups if u["Key"] == "mp/explicit"] == [uid], "list_multipart_uploads: %r" % ups)
code = error_code(s3.complete_multipart_upload, Bucket=BUCKET, Key="mp/explicit", UploadId=uid,
                  MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})[0]
check(code == "InvalidPartOrder", "parts out of order: " + code)
code = error_code(s3.complete_multipart_upload, Bucket=BUCKET, Key="mp/explicit", UploadId=uid,
                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}, {"PartNumber": 2, "ETag": e2}]})[0]
check(code == "InvalidPart", "wrong ETag: " + code)
done = s3.complete_multipart_upload(Bucket=BUCKET, Key="mp/explicit", UploadId=uid,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                               {"PartNumber": 2, "ETag": e2}]})
want = hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest() + "-2"
check(done["ETag"] == '"%s"' % want, "multipart ETag %s, want %s" % (done["ETag"], want))
g = s3.get_object(Bucket=BUCKET, Key="mp/explicit")
check(g["Body"].read() == p1 + p2, "completed object body")
check(g["ContentType"] == "application/x-mp" and g["Metadata"] == {"m": "1"}, "completed object metadata")
check(error_code(s3.list_parts, Bucket=BUCKET, Key="mp/explicit", UploadId=uid)[0] == "NoSuchUpload",
      "upload still there after complete")
up2 = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/aborted")["UploadId"]
s3.upload_part(Bucket=BUCKET, Key="mp/aborted", UploadId=up2, PartNumber=1, Body=b"abc")
s3.abort_multipart_upload(Bucket=BUCKET, Key="mp/aborted", UploadId=up2)
check(error_code(s3.upload_part, Bucket=BUCKET, Key="mp/aborted", UploadId=up2, PartNumber=2, Body=b"x")[0]
      == "NoSuchUpload", "upload_part after abort")
code = error_code(s3.head_object, Bucket=BUCKET, Key="mp/aborted")
check(code[1] == 404, "aborted upload made an object: %r" % (code,))

step("presigned URLs (valid, expired)")
url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "docs/a.txt"}, ExpiresIn=60)
with urllib.request.urlopen(url) as resp:
    check(resp.read() == body, "presigned GET body")
url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "docs/a.txt"}, ExpiresIn=1)
time.sleep(2.5)
try:
    urllib.request.urlopen(url)
    check(False, "expired presigned URL worked")
except urllib.error.HTTPError as e:
    check(e.code == 403 and b"AccessDenied" in e.read(), "expired URL: %d" % e.code)
url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "docs/presigned-put"}, ExpiresIn=60)
req = urllib.request.Request(url, data=b"put through a URL", method="PUT")
with urllib.request.urlopen(req) as resp:
    check(resp.status == 200, "presigned PUT status")
check(s3.get_object(Bucket=BUCKET, Key="docs/presigned-put")["Body"].read() == b"put through a URL",
      "presigned PUT body")

step("authentication errors")
check(error_code(client(secret="wrong" + SECRET).list_buckets)[0] == "SignatureDoesNotMatch", "wrong secret")
check(error_code(client(access="AKIDUNKNOWN000000000").list_buckets)[0] == "InvalidAccessKeyId", "unknown key")
try:
    urllib.request.urlopen(ENDPOINT + "/" + BUCKET + "/docs/a.txt")
    check(False, "anonymous GET worked on a private bucket")
except urllib.error.HTTPError as e:
    check(e.code == 403, "anonymous GET status %d" % e.code)

step("delete_objects (batch) and delete_bucket")
check(error_code(s3.delete_bucket, Bucket=BUCKET)[0] == "BucketNotEmpty", "delete of a non-empty bucket")
while True:
    listing = s3.list_objects_v2(Bucket=BUCKET)
    objs = [{"Key": o["Key"]} for o in listing.get("Contents", [])]
    if not objs:
        break
    res = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": objs + [{"Key": "never/existed"}]})
    check(not res.get("Errors"), "delete_objects errors: %r" % res.get("Errors"))
    check(len(res["Deleted"]) == len(objs) + 1, "delete_objects result count")
s3.delete_bucket(Bucket=BUCKET)
check(error_code(s3.head_bucket, Bucket=BUCKET)[1] == 404, "head of a deleted bucket")

print("boto3: all steps passed")
