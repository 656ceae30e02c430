#!/usr/bin/env bash
# Drives Debian's s3cmd against a running moggateway, the way a user would, and checks every
# answer. Run by tests/MogileFS.Gateway.Tests (S3ClientScriptTests), which starts a cluster and a
# gateway and sets:
#   S3_ENDPOINT    host:port of the gateway (path-style addressing is used)
#   S3_ACCESS_KEY  S3_SECRET_KEY   a key pair the gateway accepts
#   S3_BUCKET      a bucket name that does not exist yet
#   WORK           an empty scratch directory
# Exit status 0 means every step passed; otherwise the failing step is printed.
set -euo pipefail

: "${S3_ENDPOINT:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}" "${S3_BUCKET:?}" "${WORK:?}"
B="s3://$S3_BUCKET"
CFG="$WORK/s3cfg"
cat >"$CFG" <<EOF
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = $S3_ENDPOINT
host_bucket = $S3_ENDPOINT
use_https = False
signature_v2 = False
bucket_location = us-east-1
check_ssl_certificate = False
multipart_chunk_size_mb = 5
progress_meter = False
EOF

step() { echo "== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
s3() { s3cmd -c "$CFG" "$@"; }

mkdir -p "$WORK/up" "$WORK/down" "$WORK/sync-down"
head -c 1000 /dev/urandom >"$WORK/up/small.bin"
printf 'hello from s3cmd\n' >"$WORK/up/hello.txt"
# 12 MiB + 1 byte: three parts at the 5 MiB chunk size, the last one short.
head -c $((12 * 1024 * 1024 + 1)) /dev/urandom >"$WORK/up/big.bin"

step "mb"
s3 mb "$B"
s3 ls >"$WORK/ls-buckets.txt"
grep -q "$B" "$WORK/ls-buckets.txt" || fail "ls does not list the new bucket: $(cat "$WORK/ls-buckets.txt")"

step "put (single and multipart)"
s3 put "$WORK/up/small.bin" "$B/dir/small.bin"
s3 put --mime-type=text/plain "$WORK/up/hello.txt" "$B/hello.txt"
s3 put --progress "$WORK/up/big.bin" "$B/dir/big.bin" 2>&1 | tr '\r' '\n' >"$WORK/put-big.log"
grep -q "part 3 of 3" "$WORK/put-big.log" || fail "s3cmd did not upload big.bin in 3 parts: $(tail -3 "$WORK/put-big.log")"

step "ls (prefix and delimiter)"
s3 ls "$B/" >"$WORK/ls-top.txt"
grep -q "DIR .*$B/dir/" "$WORK/ls-top.txt" || fail "ls shows no common prefix dir/: $(cat "$WORK/ls-top.txt")"
grep -q "$B/hello.txt" "$WORK/ls-top.txt" || fail "ls shows no hello.txt: $(cat "$WORK/ls-top.txt")"
s3 ls "$B/dir/" >"$WORK/ls-dir.txt"
grep -q "$B/dir/big.bin" "$WORK/ls-dir.txt" && grep -q "$B/dir/small.bin" "$WORK/ls-dir.txt" \
  || fail "ls dir/ misses a file: $(cat "$WORK/ls-dir.txt")"
[[ $(s3 ls -r "$B" | wc -l) == 3 ]] || fail "recursive ls does not show 3 objects"

step "get (checks MD5)"
s3 get "$B/dir/small.bin" "$WORK/down/small.bin"
s3 get "$B/dir/big.bin" "$WORK/down/big.bin"
s3 get "$B/hello.txt" "$WORK/down/hello.txt"
cmp "$WORK/up/small.bin" "$WORK/down/small.bin" || fail "small.bin differs"
cmp "$WORK/up/big.bin" "$WORK/down/big.bin" || fail "big.bin differs"
cmp "$WORK/up/hello.txt" "$WORK/down/hello.txt" || fail "hello.txt differs"

step "info (HEAD: size, type, multipart ETag)"
s3 info "$B/hello.txt" >"$WORK/info.txt"
grep -q "File size: *17" "$WORK/info.txt" || fail "info size: $(cat "$WORK/info.txt")"
grep -qi "MIME type: *text/plain" "$WORK/info.txt" || fail "info type: $(cat "$WORK/info.txt")"
s3 info "$B/dir/big.bin" >"$WORK/info-big.txt"
grep -qE "MD5 sum: *[0-9a-f]{32}" "$WORK/info-big.txt" || fail "info of multipart object: $(cat "$WORK/info-big.txt")"

step "cp and mv"
s3 cp "$B/hello.txt" "$B/copy/hello.txt"
s3 mv "$B/copy/hello.txt" "$B/moved.txt"
s3 get "$B/moved.txt" "$WORK/down/moved.txt"
cmp "$WORK/up/hello.txt" "$WORK/down/moved.txt" || fail "moved.txt differs"
if s3 info "$B/copy/hello.txt" >/dev/null 2>&1; then fail "mv left the source behind"; fi

step "sync up and down"
mkdir -p "$WORK/tree/a/b"
for i in 1 2 3; do head -c $((i * 777)) /dev/urandom >"$WORK/tree/a/b/f$i"; done
printf 'top\n' >"$WORK/tree/top.txt"
s3 sync "$WORK/tree/" "$B/tree/"
s3 sync "$B/tree/" "$WORK/sync-down/"
diff -r "$WORK/tree" "$WORK/sync-down" || fail "sync round trip differs"

step "multipart list (no upload in progress)"
s3 multipart "$B" >"$WORK/mp.txt"

step "du"
s3 du "$B" >"$WORK/du.txt"
grep -qE "^ *[0-9]+ +8 objects" "$WORK/du.txt" || fail "du: $(cat "$WORK/du.txt")"

step "get of a missing key fails"
if s3 get "$B/no/such/key" "$WORK/down/none" >/dev/null 2>&1; then fail "get of a missing key succeeded"; fi

step "rb of a non-empty bucket fails"
if s3 rb "$B" >/dev/null 2>&1; then fail "rb of a non-empty bucket succeeded"; fi

step "del -r and rb"
s3 del -r --force "$B"
[[ $(s3 ls -r "$B" | wc -l) == 0 ]] || fail "objects left after del -r"
s3 rb "$B"
if s3 ls | grep -q "$B"; then fail "bucket still listed after rb"; fi

echo "s3cmd: all steps passed"
