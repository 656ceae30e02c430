using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MogileFS.Client.Protocol;

/// <summary>The decoded pairs of an <c>OK</c> reply from a tracker.</summary>
public sealed class TrackerResponse : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _pairs;

    internal TrackerResponse(Dictionary<string, string> pairs) => _pairs = pairs;

    /// <summary>An empty reply (<c>OK </c>).</summary>
    public static TrackerResponse Empty { get; } = new(new Dictionary<string, string>());

    /// <summary>The value of <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    public string? Get(string key) => _pairs.TryGetValue(key, out var v) ? v : null;

    /// <summary>The value of <paramref name="key"/> as a number (Perl-style: leading digits, absent or garbage = 0).</summary>
    public long GetInt64(string key) => ParseLong(Get(key));

    /// <summary>The value as a number, or <see langword="null"/> when absent or empty.</summary>
    public long? GetNullableInt64(string key)
    {
        var v = Get(key);
        return string.IsNullOrEmpty(v) ? null : ParseLong(v);
    }

    internal static long ParseLong(string? s)
    {
        if (string.IsNullOrEmpty(s)) return 0;
        var span = s.AsSpan().TrimStart();
        int i = 0;
        if (i < span.Length && (span[i] == '-' || span[i] == '+')) i++;
        while (i < span.Length && char.IsAsciiDigit(span[i])) i++;
        if (long.TryParse(span[..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        if (double.TryParse(span, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return (long)d;
        return 0;
    }

    /// <inheritdoc/>
    public string this[string key] => _pairs[key];
    /// <inheritdoc/>
    public IEnumerable<string> Keys => _pairs.Keys;
    /// <inheritdoc/>
    public IEnumerable<string> Values => _pairs.Values;
    /// <inheritdoc/>
    public int Count => _pairs.Count;
    /// <inheritdoc/>
    public bool ContainsKey(string key) => _pairs.ContainsKey(key);
    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => _pairs.TryGetValue(key, out value);
    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _pairs.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
