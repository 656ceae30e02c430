using System.Globalization;

namespace MogileFS.Gateway.Uploads;

/// <summary>
/// Settings of multipart uploads, read from the gateway's config file (docs/configuration.md,
/// "moggateway"): where parts are kept until Complete and when forgotten uploads are dropped.
/// </summary>
public sealed record MultipartSettings
{
    /// <summary>The MogileFS domain that holds the parts of uploads in progress. Its name is not a valid
    /// bucket name, so no S3 client can address it; ListBuckets leaves it out.</summary>
    public string PartsDomain { get; init; } = "_s3_multipart";

    /// <summary>The class in <see cref="PartsDomain"/> parts are stored in, created at start-up if missing.</summary>
    public string PartsClass { get; init; } = "parts";

    /// <summary>Copies of each part (the class's mindevcount). One: parts are temporary and the assembled
    /// object gets its own class's copies; a part lost with its disk fails Complete with InvalidPart.</summary>
    public int PartCopies { get; init; } = 1;

    /// <summary>Uploads not completed or aborted within this time are aborted by the gateway (AWS leaves this
    /// to lifecycle rules; a MogileFS cluster has none). Zero: never.</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long a completion may go without renewing its claim before another request may take the
    /// upload over (the gateway that held it is taken to have died).</summary>
    public TimeSpan ClaimLease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Assemble objects on a storage node with its join request where the node has it, and keep the
    /// parts of one upload on one node where the tracker offers it (multipart_join; ours, on by default).</summary>
    public bool Join { get; init; } = true;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<GatewayOptions, MultipartSettings> Cache = new();

    /// <summary>The settings of a running gateway (parsed once per options object).</summary>
    public static MultipartSettings Of(GatewayOptions options) => Cache.GetValue(options, From);

    /// <summary>Reads the settings from <see cref="GatewayOptions.Extra"/>; a bad value names its key.</summary>
    public static MultipartSettings From(GatewayOptions options)
    {
        var s = new MultipartSettings();
        string? Last(string key) => options.Extra.TryGetValue(key, out var v) && v.Count > 0 ? v[^1] : null;
        if (Last("multipart_domain") is { } d)
        {
            if (d.Length == 0 || d.Length > 255 || d.Any(char.IsWhiteSpace))
                throw new GatewayConfigException("multipart_domain: a MogileFS domain name without spaces is required");
            s = s with { PartsDomain = d };
        }
        if (Last("multipart_part_copies") is { } c)
        {
            if (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new GatewayConfigException("multipart_part_copies: a whole number of at least 1 is required");
            s = s with { PartCopies = n };
        }
        if (Last("multipart_join") is { } j)
        {
            if (j.Trim() is not ("0" or "1")) throw new GatewayConfigException("multipart_join: 0 or 1 is required");
            s = s with { Join = j.Trim() == "1" };
        }
        if (Last("multipart_expiry_days") is { } e)
        {
            if (!double.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out double days) || days < 0)
                throw new GatewayConfigException("multipart_expiry_days: a number of days (0 = never) is required");
            s = s with { Expiry = TimeSpan.FromDays(days) };
        }
        return s;
    }
}
