namespace MogileFS.Gateway.S3;

/// <summary>
/// Multipart upload (CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
/// AbortMultipartUpload, ListParts, ListMultipartUploads). Owned by the multipart work (issue 15,
/// helper s3more): the router already sends these operations here; <see cref="Objects"/> gives
/// access to the object code (streaming PUT to the cluster, GET of a manifest object).
/// </summary>
public sealed partial class Multipart(GatewayContext g, Objects objects)
{
    internal GatewayContext Context => g;
    internal Objects Objects => objects;

    public Task CreateMultipartUploadAsync(S3Request r) => throw S3Errors.NotImplemented("CreateMultipartUpload");
    public Task UploadPartAsync(S3Request r) => throw S3Errors.NotImplemented("UploadPart");
    public Task UploadPartCopyAsync(S3Request r) => throw S3Errors.NotImplemented("UploadPartCopy");
    public Task CompleteMultipartUploadAsync(S3Request r) => throw S3Errors.NotImplemented("CompleteMultipartUpload");
    public Task AbortMultipartUploadAsync(S3Request r) => throw S3Errors.NotImplemented("AbortMultipartUpload");
    public Task ListPartsAsync(S3Request r) => throw S3Errors.NotImplemented("ListParts");
    public Task ListMultipartUploadsAsync(S3Request r) => throw S3Errors.NotImplemented("ListMultipartUploads");
}
