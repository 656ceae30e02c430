using System.Text.RegularExpressions;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>
/// A parsed <c>subst:</c> directive: which request arguments take their value from which earlier
/// reply. The files use a few fixed forms and some free-text rules ("a device on the other host");
/// every form used by the transcripts is a clause type here, and anything else is rejected when
/// the file is parsed, so a new form cannot be silently ignored.
/// </summary>
public sealed record Substitution(string Text, IReadOnlyList<SubstClause> Clauses);

public abstract record SubstClause;

/// <summary><c>arg&lt;-Rn.key</c>: the argument gets the value of <c>key</c> in reply <c>Rn</c>
/// (optionally with <see cref="Insert"/> inserted after <see cref="InsertAfter"/>).</summary>
public sealed record CopyValue(string Argument, string Label, string Key) : SubstClause
{
    public string? Insert { get; init; }
    public string? InsertAfter { get; init; }
}

/// <summary><c>host/device&lt;-Rn.key</c> or <c>host/device&lt;-first id in Rn.key</c>: device = the
/// first id of a comma list, host = the name of the host that device belongs to.</summary>
public sealed record HostDeviceFrom(string Label, string Key) : SubstClause;

/// <summary><c>host/device&lt;-same as above</c>: the values of the previous host/device substitution.</summary>
public sealed record HostDeviceSameAsAbove : SubstClause;

/// <summary><c>a/b/c&lt;-Rn (same order as in that reply)</c>: these pairs, in the order reply Rn had them.</summary>
public sealed record CopyPairsInReplyOrder(IReadOnlyList<string> Arguments, string Label) : SubstClause;

/// <summary><c>devid/path: a device on the other host than Rn.key</c>: another host's device and the
/// URL of the same fid on it.</summary>
public sealed record DeviceAndPathOnOtherHost(string DeviceArgument, string PathArgument, string Label, string Key) : SubstClause;

/// <summary><c>arg: the other device on the same host as Rn.key</c>.</summary>
public sealed record OtherDeviceOnSameHost(string Argument, string Label, string Key) : SubstClause;

/// <summary><c>arg: a device on the other host</c> (other than the host of the device the line referred to before).</summary>
public sealed record DeviceOnOtherHost(string Argument) : SubstClause;

public static class SubstitutionParser
{
    private static readonly Regex InsertNote = new(@"\s*\(with ""(?<ins>[^""]*)"" inserted after (?<after>[^)\s]+)\)\s*$");
    private static readonly (Regex Pattern, Func<Match, SubstClause> Build)[] Forms =
    [
        (new Regex(@"\Ghost/device<-same as above"), _ => new HostDeviceSameAsAbove()),
        (new Regex(@"\Ghost/device<-first id in (?<l>R\d+)\.(?<k>\w+)"), m => new HostDeviceFrom(m.Groups["l"].Value, m.Groups["k"].Value)),
        (new Regex(@"\Ghost/device<-(?<l>R\d+)\.(?<k>\w+)"), m => new HostDeviceFrom(m.Groups["l"].Value, m.Groups["k"].Value)),
        (new Regex(@"\G(?<a>\w+(?:/\w+)+)<-(?<l>R\d+) \(same order as in that reply\)"),
            m => new CopyPairsInReplyOrder(m.Groups["a"].Value.Split('/'), m.Groups["l"].Value)),
        (new Regex(@"\G(?<d>\w+)/(?<p>\w+): a device on the other host than (?<l>R\d+)\.(?<k>\w+)"),
            m => new DeviceAndPathOnOtherHost(m.Groups["d"].Value, m.Groups["p"].Value, m.Groups["l"].Value, m.Groups["k"].Value)),
        (new Regex(@"\G(?<a>\w+): the other device on the same host as (?<l>R\d+)\.(?<k>\w+)"),
            m => new OtherDeviceOnSameHost(m.Groups["a"].Value, m.Groups["l"].Value, m.Groups["k"].Value)),
        (new Regex(@"\G(?<a>\w+): a device on the other host"), m => new DeviceOnOtherHost(m.Groups["a"].Value)),
        (new Regex(@"\G(?<a>\w+)<-(?<l>R\d+)\.(?<k>\w+)"), m => new CopyValue(m.Groups["a"].Value, m.Groups["l"].Value, m.Groups["k"].Value)),
    ];

    /// <summary>Parses the text after <c>#~ subst: </c>; throws <see cref="FormatException"/> on an unknown form.</summary>
    public static Substitution Parse(string text)
    {
        string rest = text.Trim();
        string? insert = null, after = null;
        var note = InsertNote.Match(rest);
        if (note.Success)
        {
            insert = note.Groups["ins"].Value;
            after = note.Groups["after"].Value;
            rest = rest[..note.Index];
        }
        var clauses = new List<SubstClause>();
        int pos = 0;
        while (true)
        {
            while (pos < rest.Length && (rest[pos] == ' ' || rest[pos] == ';')) pos++;
            if (pos >= rest.Length) break;
            bool matched = false;
            foreach (var (pattern, build) in Forms)
            {
                var m = pattern.Match(rest, pos);
                if (!m.Success) continue;
                clauses.Add(build(m));
                pos += m.Length;
                matched = true;
                break;
            }
            if (!matched)
                throw new FormatException($"Unsupported subst form at '{rest[pos..]}' in: {text}");
        }
        if (clauses.Count == 0)
            throw new FormatException("Empty subst directive: " + text);
        if (insert != null)
        {
            int last = clauses.FindLastIndex(c => c is CopyValue);
            if (last < 0) throw new FormatException("An 'inserted after' note needs a copied value: " + text);
            clauses[last] = ((CopyValue)clauses[last]) with { Insert = insert, InsertAfter = after };
        }
        return new Substitution(text, clauses);
    }
}
