using System.Globalization;
using System.Text.RegularExpressions;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>
/// Performs <c>subst:</c> on a request line (escaped text): values come from the replies this
/// server gave (labels), device choices that the capture described in words are made with the
/// capture topology (<see cref="CaptureTopology"/>). Keeps the state the free-text forms refer to
/// ("same as above", "the other host").
/// </summary>
public sealed class SubstitutionApplier
{
    private readonly Dictionary<string, List<KeyValuePair<string, string>>> _labels = new(StringComparer.Ordinal);
    private (string Host, int Device)? _lastHostDevice;
    private int? _lastDevice;

    public void SetLabel(string label, List<KeyValuePair<string, string>> pairs) => _labels[label] = pairs;

    public bool TryGetLabel(string label, out List<KeyValuePair<string, string>> pairs) => _labels.TryGetValue(label, out pairs!);

    public string LabelValue(string label, string key)
    {
        if (!_labels.TryGetValue(label, out var pairs))
            throw new InvalidOperationException($"reply {label} is not known (was its request answered with OK?)");
        foreach (var p in pairs)
            if (p.Key == key) return p.Value;
        throw new InvalidOperationException($"reply {label} has no key '{key}': {string.Join("&", pairs.Select(p => p.Key + "=" + p.Value))}");
    }

    public string Apply(string requestText, Substitution substitution)
    {
        var request = ParsedRequest.Parse(requestText);
        foreach (var clause in substitution.Clauses)
        {
            switch (clause)
            {
                case CopyValue c:
                {
                    string v = LabelValue(c.Label, c.Key);
                    if (c.Insert != null)
                    {
                        int at = v.IndexOf(c.InsertAfter!, StringComparison.Ordinal);
                        if (at < 0) throw new InvalidOperationException($"'{c.InsertAfter}' not found in {v}");
                        v = v.Insert(at + c.InsertAfter!.Length, c.Insert);
                    }
                    request.Set(c.Argument, v);
                    if (c.Argument.EndsWith("devid", StringComparison.Ordinal) && FirstId(v) is { } d) _lastDevice = d;
                    break;
                }
                case HostDeviceFrom c:
                {
                    int d = FirstId(LabelValue(c.Label, c.Key))
                        ?? throw new InvalidOperationException($"{c.Label}.{c.Key} holds no device id");
                    SetHostDevice(request, CaptureTopology.HostOfDevice(d).Name, d);
                    break;
                }
                case HostDeviceSameAsAbove:
                {
                    var (host, device) = _lastHostDevice ?? throw new InvalidOperationException("'same as above' without an earlier host/device substitution");
                    SetHostDevice(request, host, device);
                    break;
                }
                case CopyPairsInReplyOrder c:
                {
                    if (!_labels.TryGetValue(c.Label, out var pairs)) throw new InvalidOperationException($"reply {c.Label} is not known");
                    var ordered = pairs.Where(p => c.Arguments.Contains(p.Key)).ToList();
                    if (ordered.Count != c.Arguments.Count)
                        throw new InvalidOperationException($"reply {c.Label} lacks some of {string.Join("/", c.Arguments)}");
                    request.ReplaceInOrder(ordered);
                    break;
                }
                case DeviceAndPathOnOtherHost c:
                {
                    int d = FirstId(LabelValue(c.Label, c.Key)) ?? throw new InvalidOperationException($"{c.Label}.{c.Key} holds no device id");
                    int other = CaptureTopology.DeviceOnOtherHost(d);
                    string source = TryValue(c.Label, c.PathArgument) ?? request.Get(c.PathArgument)
                        ?? throw new InvalidOperationException("no path to derive the other device's URL from");
                    request.Set(c.DeviceArgument, other.ToString(CultureInfo.InvariantCulture));
                    request.Set(c.PathArgument, RetargetUrl(source, other));
                    _lastDevice = d;
                    break;
                }
                case OtherDeviceOnSameHost c:
                {
                    int d = FirstId(LabelValue(c.Label, c.Key)) ?? throw new InvalidOperationException($"{c.Label}.{c.Key} holds no device id");
                    request.Set(c.Argument, CaptureTopology.OtherDeviceOnSameHost(d).ToString(CultureInfo.InvariantCulture));
                    _lastDevice = d;
                    break;
                }
                case DeviceOnOtherHost c:
                {
                    int d = _lastDevice ?? throw new InvalidOperationException("'a device on the other host' without a device to relate to");
                    request.Set(c.Argument, CaptureTopology.DeviceOnOtherHost(d).ToString(CultureInfo.InvariantCulture));
                    break;
                }
                default:
                    throw new InvalidOperationException("unhandled subst clause " + clause);
            }
        }
        return request.ToString();
    }

    private string? TryValue(string label, string key)
    {
        if (!_labels.TryGetValue(label, out var pairs)) return null;
        foreach (var p in pairs) if (p.Key == key) return p.Value;
        return null;
    }

    private void SetHostDevice(ParsedRequest request, string host, int device)
    {
        request.Set("host", host);
        request.Set("device", device.ToString(CultureInfo.InvariantCulture));
        _lastHostDevice = (host, device);
        _lastDevice = device;
    }

    private static int? FirstId(string value)
    {
        var m = Regex.Match(value, @"^\d+");
        return m.Success ? int.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    private static readonly Regex UrlPrefix = new(@"^http://(?<ip>[^/:]+):(?<port>\d+)/dev\d+/");

    /// <summary>The URL of the same fid path on another device (and that device's host).</summary>
    public static string RetargetUrl(string url, int devid)
    {
        var m = UrlPrefix.Match(url);
        if (!m.Success) throw new InvalidOperationException("not a storage URL: " + url);
        var host = CaptureTopology.HostOfDevice(devid);
        return $"http://{host.Ip}:{m.Groups["port"].Value}/dev{devid}/" + url[m.Length..];
    }

    /// <summary>A request line split into command, pairs and terminator (escaped text), for editing.</summary>
    private sealed class ParsedRequest
    {
        private string _head = "";
        private string _tail = "";
        private readonly List<KeyValuePair<string, string>> _pairs = new();

        public static ParsedRequest Parse(string text)
        {
            var r = new ParsedRequest();
            string body = text;
            if (body.EndsWith("\\r\\n", StringComparison.Ordinal)) { r._tail = "\\r\\n"; body = body[..^4]; }
            else if (body.EndsWith("\\n", StringComparison.Ordinal)) { r._tail = "\\n"; body = body[..^2]; }
            var m = Regex.Match(body, @"^(?:\s|\\t)*\w+(?:\s|\\t)*");
            r._head = m.Value;
            string args = body[m.Length..];
            if (args.Length > 0)
                foreach (var piece in args.Split('&'))
                {
                    int eq = piece.IndexOf('=');
                    r._pairs.Add(eq < 0 ? new(piece, "") : new(piece[..eq], piece[(eq + 1)..]));
                }
            return r;
        }

        public string? Get(string key)
        {
            foreach (var p in _pairs) if (p.Key == key) return p.Value;
            return null;
        }

        public void Set(string key, string value)
        {
            int i = _pairs.FindIndex(p => p.Key == key);
            if (i >= 0) _pairs[i] = new(key, value);
            else _pairs.Add(new(key, value));
        }

        public void ReplaceInOrder(List<KeyValuePair<string, string>> ordered)
        {
            var keys = ordered.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            int at = _pairs.FindIndex(p => keys.Contains(p.Key));
            _pairs.RemoveAll(p => keys.Contains(p.Key));
            if (at < 0 || at > _pairs.Count) at = _pairs.Count;
            _pairs.InsertRange(at, ordered);
        }

        public override string ToString()
        {
            string head = _head;
            if (_pairs.Count > 0 && head.Length > 0 && !head.EndsWith(' ') && !head.EndsWith("\\t", StringComparison.Ordinal)) head += " ";
            return head + string.Join("&", _pairs.Select(p => p.Key + "=" + p.Value)) + _tail;
        }
    }
}
