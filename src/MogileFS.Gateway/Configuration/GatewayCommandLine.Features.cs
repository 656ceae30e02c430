using MogileFS.Gateway.Uploads;
using MogileFS.Gateway.ShortUrls;

namespace MogileFS.Gateway.Configuration;

// Keys of the multipart and short-URL features (docs/configuration.md, "moggateway"). Their values
// go into GatewayOptions.Extra for the features' own parsers; a bad value is refused here, at
// start-up, with a message naming the key.
public static partial class GatewayCommandLine
{
    private static readonly string[] FeatureKeys = ["short_url", "multipart_domain", "multipart_part_copies", "multipart_expiry_days", "multipart_join"];

    static partial void AddFeatureSpecs(List<string> specs)
    {
        foreach (var k in FeatureKeys) specs.Add(k + "=s");
    }

    static partial void ApplyFeature(GatewaySettings s, string key, string value, ref bool handled)
    {
        if (!FeatureKeys.Contains(key)) return;
        handled = true;
        if (key == "short_url")
        {
            try { ShortUrlMapping.Parse(value); }
            catch (FormatException e) { throw new GatewayUsageException(e.Message); }
        }
        if (!s.Options.Extra.TryGetValue(key, out var list)) s.Options.Extra[key] = list = [];
        list.Add(value);
        if (key.StartsWith("multipart_", StringComparison.Ordinal))
        {
            try { MultipartSettings.From(s.Options); }
            catch (GatewayConfigException e) { throw new GatewayUsageException(e.Message); }
        }
    }
}
