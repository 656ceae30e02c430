using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>mogupload --key=K --file=F|-</c>: store a local file or stdin.</summary>
public static class MogUpload
{
    public const string Usage = "--trackers=host --domain=foo --key='/hello.jpg' --file='./hello.jpg'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogupload", async ct =>
    {
        var o = UtilsOptions.Parse("mogupload", args, Usage, "class=s", "key=s", "file=s", "checksum=s", "checksumverify");
        var filename = o["file"] ?? throw new ToolException("Must specify a file to upload with --file");
        var key = o["key"] ?? throw new ToolException("Must specify a key to store the file under with --key");
        var checksum = o["checksum"]?.ToUpperInvariant() switch
        {
            null => ChecksumAlgorithm.None,
            "MD5" => ChecksumAlgorithm.Md5,
            "SHA-1" or "SHA1" => ChecksumAlgorithm.Sha1,
            var other => throw new ToolException($"Unknown checksum algorithm '{other}' (use MD5 or SHA-1)"),
        };
        using var client = o.Client();

        Stream input;
        long? size = null;
        if (filename == "-")
        {
            input = Console.OpenStandardInput(1 << 16);
        }
        else
        {
            if (Directory.Exists(filename)) throw new ToolException($"Could not open {filename}: it is a directory, not a file");
            try
            {
                input = new FileStream(filename, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
                size = input.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolException($"Could not open {filename}: {e.Message}");
            }
        }
        await using var _ = input;
        using var bar = new ProgressBar("uploading", size, ProgressBar.Interactive);
        try
        {
            await client.StoreAsync(key, input, new StoreOptions
            {
                Class = o["class"],
                Length = size,
                Progress = bar,
                Checksum = checksum,
                ChecksumVerify = o["checksumverify"] != null,
            }, ct);
        }
        catch (MogileFSTrackerException e) when (e.Command == "create_open")
        {
            throw new ToolException("Error opening MogileFS file: " + e.Message);
        }
        catch (MogileFSException e)
        {
            throw new ToolException($"Error writing file: {e.ErrorCode}: {e.Message}");
        }
        bar.Complete();
        return 0;
    });
}
