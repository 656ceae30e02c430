namespace MogileFS.Gateway.ShortUrls;

/// <summary>HTTP methods a short-URL prefix accepts (GET implies HEAD, as in nginx-mogilefs-module).</summary>
[Flags]
public enum ShortUrlMethods
{
    None = 0,
    Get = 1,
    Put = 2,
    Delete = 4,
}

/// <summary>
/// One plain short-URL prefix: <c>/&lt;prefix&gt;/&lt;key&gt;</c> reads (and, when enabled,
/// writes and deletes) <c>key</c> in <see cref="Domain"/>, the way a location with
/// nginx-mogilefs-module's <c>mogilefs_pass</c> does. Written in the config file as
/// <c>short_url = /download/ domain=photos [class=originals] [methods=get,put,delete] [noverify=1]</c>.
/// </summary>
public sealed record ShortUrlMapping(string Prefix, string Domain, string? Class, ShortUrlMethods Methods, bool NoVerify)
{
    /// <summary>Parses one <c>short_url</c> value; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static ShortUrlMapping Parse(string value)
    {
        var words = value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !words[0].StartsWith('/'))
            throw new FormatException($"short_url '{value}': the first word must be a path prefix such as /download/");
        string prefix = words[0].EndsWith('/') ? words[0] : words[0] + "/";
        string? domain = null, @class = null;
        var methods = ShortUrlMethods.Get;
        bool noVerify = false;
        foreach (var word in words.Skip(1))
        {
            int eq = word.IndexOf('=');
            if (eq <= 0) throw new FormatException($"short_url '{value}': '{word}' is not name=value");
            string name = word[..eq].ToLowerInvariant(), v = word[(eq + 1)..];
            switch (name)
            {
                case "domain": domain = v; break;
                case "class": @class = v.Length == 0 ? null : v; break;
                case "noverify": noVerify = v is "1" or "on" or "yes" or "true"; break;
                case "methods":
                    methods = ShortUrlMethods.None;
                    foreach (var m in v.Split(',', StringSplitOptions.RemoveEmptyEntries))
                        methods |= m.ToLowerInvariant() switch
                        {
                            "get" or "head" => ShortUrlMethods.Get,
                            "put" => ShortUrlMethods.Put,
                            "delete" => ShortUrlMethods.Delete,
                            _ => throw new FormatException($"short_url '{value}': unknown method '{m}' (get, put, delete)"),
                        };
                    break;
                default:
                    throw new FormatException($"short_url '{value}': unknown setting '{name}' (domain, class, methods, noverify)");
            }
        }
        if (string.IsNullOrEmpty(domain)) throw new FormatException($"short_url '{value}': domain=... is required");
        return new ShortUrlMapping(prefix, domain, @class, methods, noVerify);
    }

    /// <summary>Whether this mapping accepts <paramref name="method"/> (HEAD goes with GET).</summary>
    public bool Allows(string method) => method switch
    {
        "GET" or "HEAD" => Methods.HasFlag(ShortUrlMethods.Get),
        "PUT" => Methods.HasFlag(ShortUrlMethods.Put),
        "DELETE" => Methods.HasFlag(ShortUrlMethods.Delete),
        _ => false,
    };

    /// <summary>The Allow header for a 405 answer.</summary>
    public string AllowHeader()
    {
        var list = new List<string>();
        if (Methods.HasFlag(ShortUrlMethods.Get)) list.AddRange(["GET", "HEAD"]);
        if (Methods.HasFlag(ShortUrlMethods.Put)) list.Add("PUT");
        if (Methods.HasFlag(ShortUrlMethods.Delete)) list.Add("DELETE");
        return string.Join(", ", list);
    }
}
