namespace MogileFS.Gateway.S3;

/// <summary>
/// An S3 error: AWS's error code, HTTP status and message, rendered as S3's error XML by the router.
/// Handlers throw it; nothing else reaches the client as an error body.
/// </summary>
public sealed class S3Exception(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    /// <summary>Extra elements of the error XML (e.g. <c>BucketName</c>, <c>Key</c>).</summary>
    public List<KeyValuePair<string, string>> Details { get; } = [];

    public S3Exception With(string name, string? value)
    {
        if (value != null) Details.Add(new(name, value));
        return this;
    }
}

/// <summary>The S3 errors the gateway gives, with AWS's codes, statuses and wording.</summary>
public static class S3Errors
{
    public static S3Exception AccessDenied(string msg = "Access Denied") => new(403, "AccessDenied", msg);
    public static S3Exception InvalidAccessKeyId() => new(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    public static S3Exception SignatureDoesNotMatch() => new(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
    public static S3Exception RequestTimeTooSkewed() => new(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
    public static S3Exception ExpiredPresigned() => new(403, "AccessDenied", "Request has expired");
    public static S3Exception AuthorizationHeaderMalformed(string msg) => new(400, "AuthorizationHeaderMalformed", msg);
    public static S3Exception AuthorizationQueryParametersError(string msg) => new(400, "AuthorizationQueryParametersError", msg);
    public static S3Exception UnsupportedSignature() => new(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
    public static S3Exception ContentSha256Mismatch() => new(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    public static S3Exception NoSuchBucket(string bucket) => new S3Exception(404, "NoSuchBucket", "The specified bucket does not exist").With("BucketName", bucket);
    public static S3Exception NoSuchKey(string key) => new S3Exception(404, "NoSuchKey", "The specified key does not exist.").With("Key", key);
    public static S3Exception NoSuchUpload(string id) => new S3Exception(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").With("UploadId", id);
    public static S3Exception BucketNotEmpty(string bucket) => new S3Exception(409, "BucketNotEmpty", "The bucket you tried to delete is not empty").With("BucketName", bucket);
    public static S3Exception BucketAlreadyOwnedByYou(string bucket) => new S3Exception(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.").With("BucketName", bucket);
    public static S3Exception InvalidBucketName(string bucket) => new S3Exception(400, "InvalidBucketName", "The specified bucket is not valid.").With("BucketName", bucket);
    public static S3Exception PreconditionFailed(string condition) => new S3Exception(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold").With("Condition", condition);
    public static S3Exception InvalidRange(long size) => new S3Exception(416, "InvalidRange", "The requested range is not satisfiable").With("ActualObjectSize", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static S3Exception BadDigest() => new(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    public static S3Exception InvalidDigest() => new(400, "InvalidDigest", "The Content-MD5 you specified is not valid.");
    public static S3Exception EntityTooLarge(long max) => new S3Exception(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").With("MaxSizeAllowed", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static S3Exception IncompleteBody() => new(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.");
    public static S3Exception MissingContentLength() => new(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
    public static S3Exception InvalidArgument(string msg, string? name = null, string? value = null) => new S3Exception(400, "InvalidArgument", msg).With("ArgumentName", name).With("ArgumentValue", value);
    public static S3Exception InvalidRequest(string msg) => new(400, "InvalidRequest", msg);
    public static S3Exception MalformedXml() => new(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");
    public static S3Exception MethodNotAllowed() => new(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    public static S3Exception NotImplemented(string what) => new(501, "NotImplemented", $"{what} is not implemented by this gateway (docs/s3.md).");
    public static S3Exception KeyTooLong() => new(400, "KeyTooLongError", "Your key is too long");
    public static S3Exception InvalidStorageClass(string c) => new S3Exception(400, "InvalidStorageClass", "The storage class you specified is not valid").With("StorageClassRequested", c);
    public static S3Exception InternalError(string msg) => new(500, "InternalError", msg);
    public static S3Exception ServiceUnavailable(string msg) => new(503, "ServiceUnavailable", msg);
    public static S3Exception SlowDown(string msg) => new(503, "SlowDown", msg);
}
