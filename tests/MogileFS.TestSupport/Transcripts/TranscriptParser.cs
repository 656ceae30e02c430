using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>A transcript file that does not follow the format of the README.</summary>
public sealed class TranscriptFormatException(string file, int line, string message)
    : FormatException($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int LineNumber { get; } = line;
}

/// <summary>
/// Reads the transcript format of <c>spec/transcripts/README.md</c>. Replies are tied to the
/// request they answer by keeping, per connection, the queue of requests still waiting for a
/// reply (as the tracker answers strictly in order); that tells an admin block (up to <c>.</c>)
/// from a one-line query reply and lets the comparer know which command produced a reply.
/// </summary>
public static class TranscriptParser
{
    private static readonly Regex WriteDirective = new(@"^the next (\d+) lines are sent in a single write");
    private static readonly Regex Seconds = new(@"^(\d+(?:\.\d+)?)\s*s\b");
    private static readonly Regex HttpDirective = new(
        @"^(?<m>[A-Z]+) (?<l>R\d+)\.(?<k>\w+) body=""(?<b>(?:[^""\\]|\\.)*)"" \((?<n>\d+) bytes\) -> HTTP (?<s>\d{3})\b");
    private static readonly Regex StorageDelete = new(@"deleted the stored object of key '(?<k>[^']*)' \(fid (?<f>\d+)\)");
    private static readonly Regex WaitDevCount = new(@"^until background replication gives key '(?<k>[^']*)' devcount >= (?<n>\d+)");
    private static readonly Regex WaitSettingCleared = new(@"^until server setting (?<k>\w+) is cleared");
    private static readonly Regex WaitFsckLogged = new(@"^until the fsck worker has logged its findings");
    private static readonly Regex ConnName = new(@"^(?<n>[A-Za-z0-9_]+)");

    public static Transcript ParseFile(string path) => Parse(Path.GetFileName(path), File.ReadAllText(path, Encoding.UTF8));

    public static Transcript Parse(string name, string content)
    {
        var lines = content.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        if (lines.Length == 0) throw new TranscriptFormatException(name, 1, "empty file");

        string title = lines[0].StartsWith("# ", StringComparison.Ordinal) ? lines[0][2..] : lines[0];
        var description = new List<string>();
        int i = 1;
        for (; i < lines.Length && lines[i].Length > 0 && lines[i].StartsWith("# ", StringComparison.Ordinal); i++)
            description.Add(lines[i][2..]);

        var steps = new List<TranscriptStep>();
        var pending = new Dictionary<string, Queue<RequestLine>>();
        string conn = Transcript.DefaultConnection;
        pending[conn] = new Queue<RequestLine>();
        int groupRemaining = 0;           // lines still to go into the current write: group
        List<RequestLine>? group = null;
        int groupLine = 0;
        RequestLine? lastRequest = null;
        ExpectStep? lastExpect = null;    // the step that label/vary directives attach to
        ExpectStep? openBlock = null;     // an admin block still waiting for its '.' line

        void Fail(int line, string message) => throw new TranscriptFormatException(name, line, message);

        for (; i < lines.Length; i++)
        {
            string raw = lines[i];
            int ln = i + 1;
            if (raw.Length == 0) continue;

            if (raw.StartsWith("> ", StringComparison.Ordinal) || raw == ">")
            {
                if (openBlock != null) Fail(ln, "request sent while an admin reply block is still open");
                string text = raw.Length > 2 ? raw[2..] : "";
                Validate(name, ln, text);
                var request = new RequestLine(ln, text);
                lastRequest = request;
                if (!request.ExpectsNoReply) pending[conn].Enqueue(request);
                if (groupRemaining > 0)
                {
                    group!.Add(request);
                    if (--groupRemaining == 0) { steps.Add(new SendStep(groupLine, conn, group)); group = null; }
                }
                else steps.Add(new SendStep(ln, conn, [request]));
                continue;
            }
            if (groupRemaining > 0) Fail(ln, $"write group needs {groupRemaining} more '> ' line(s)");

            if (raw.StartsWith("< ", StringComparison.Ordinal))
            {
                string text = raw[2..];
                Validate(name, ln, text);
                if (openBlock != null && openBlock.Connection == conn)
                {
                    openBlock.Lines.Add(text);
                    if (text == ".\\r\\n") { openBlock = null; pending[conn].Dequeue(); }
                    continue;
                }
                if (openBlock != null) Fail(ln, "reply on another connection while an admin block is open");
                if (text.StartsWith(":: ", StringComparison.Ordinal))
                {
                    var watch = new ExpectStep(ln, conn, ReplyKind.Watch, null);
                    watch.Lines.Add(text);
                    steps.Add(watch);
                    lastExpect = watch;
                    continue;
                }
                pending[conn].TryPeek(out var answered);
                if (answered is { IsAdmin: true })
                {
                    var block = new ExpectStep(ln, conn, ReplyKind.AdminBlock, answered);
                    block.Lines.Add(text);
                    steps.Add(block);
                    lastExpect = block;
                    if (text == ".\\r\\n") pending[conn].Dequeue();
                    else openBlock = block;
                    continue;
                }
                if (answered != null) pending[conn].Dequeue();
                var step = new ExpectStep(ln, conn, ReplyKind.Query, answered);
                step.Lines.Add(text);
                steps.Add(step);
                lastExpect = step;
                continue;
            }

            if (raw.StartsWith("#~ ", StringComparison.Ordinal))
            {
                if (openBlock != null) Fail(ln, "directive inside an admin reply block");
                int colon = raw.IndexOf(':', 3);
                if (colon < 0) Fail(ln, "directive without ':'");
                string directive = raw[3..colon].Trim();
                string arg = raw[(colon + 1)..].Trim();
                switch (directive)
                {
                    case "connect":
                    {
                        conn = ParseConnName(arg) ?? throw new TranscriptFormatException(name, ln, "connect without a name");
                        pending[conn] = new Queue<RequestLine>();
                        steps.Add(new ConnectStep(ln, conn));
                        break;
                    }
                    case "conn":
                    {
                        conn = ParseConnName(arg) ?? throw new TranscriptFormatException(name, ln, "conn without a name");
                        if (!pending.ContainsKey(conn)) Fail(ln, $"conn: {conn} was never opened");
                        steps.Add(new SwitchStep(ln, conn));
                        break;
                    }
                    case "close":
                        steps.Add(new CloseStep(ln, conn));
                        break;
                    case "expect-close":
                        steps.Add(new ExpectCloseStep(ln, conn));
                        break;
                    case "expect-silence":
                        steps.Add(new ExpectSilenceStep(ln, conn, ParseSeconds(name, ln, arg)));
                        break;
                    case "settle":
                        steps.Add(new SettleStep(ln, conn, ParseSeconds(name, ln, arg)));
                        break;
                    case "write":
                    {
                        var m = WriteDirective.Match(arg);
                        if (!m.Success) Fail(ln, "unsupported write directive: " + arg);
                        groupRemaining = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                        group = new List<RequestLine>();
                        groupLine = ln + 1;
                        break;
                    }
                    case "label":
                        if (lastExpect == null) Fail(ln, "label without a preceding reply");
                        lastExpect!.Label = arg;
                        break;
                    case "vary-keys":
                        if (lastExpect == null) Fail(ln, "vary-keys without a preceding reply");
                        lastExpect!.VaryKeys.AddRange(arg.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                        break;
                    case "vary-re":
                    {
                        if (lastExpect == null) Fail(ln, "vary-re without a preceding reply");
                        // The regex starts right after "vary-re: " and may begin with a space.
                        string pattern = raw[(colon + 2)..];
                        try { _ = new Regex(pattern); }
                        catch (ArgumentException e) { Fail(ln, "invalid vary-re: " + e.Message); }
                        lastExpect!.VaryRegexes.Add(pattern);
                        break;
                    }
                    case "subst":
                        if (lastRequest == null) Fail(ln, "subst without a preceding request");
                        try { lastRequest!.Substitution = SubstitutionParser.Parse(arg); }
                        catch (FormatException e) { Fail(ln, e.Message); }
                        break;
                    case "http":
                    {
                        var m = HttpDirective.Match(arg);
                        if (!m.Success) Fail(ln, "unsupported http directive: " + arg);
                        var body = TranscriptText.Unescape(m.Groups["b"].Value.Replace("\\\"", "\""));
                        int declared = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                        if (body.Length != declared) Fail(ln, $"http body has {body.Length} bytes, directive says {declared}");
                        steps.Add(new HttpStep(ln, conn, m.Groups["m"].Value, m.Groups["l"].Value, m.Groups["k"].Value, body,
                            int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture), arg));
                        break;
                    }
                    case "storage":
                    {
                        var m = StorageDelete.Match(arg);
                        if (!m.Success) Fail(ln, "unsupported storage directive: " + arg);
                        steps.Add(new StorageStep(ln, conn, StorageAction.DeleteStoredObject,
                            long.Parse(m.Groups["f"].Value, CultureInfo.InvariantCulture), m.Groups["k"].Value, arg));
                        break;
                    }
                    case "wait":
                    {
                        WaitCondition? condition = null;
                        if (WaitDevCount.Match(arg) is { Success: true } dc)
                            condition = new DevCountAtLeast(dc.Groups["k"].Value, int.Parse(dc.Groups["n"].Value, CultureInfo.InvariantCulture));
                        else if (WaitSettingCleared.Match(arg) is { Success: true } sc)
                            condition = new ServerSettingCleared(sc.Groups["k"].Value);
                        else if (WaitFsckLogged.IsMatch(arg))
                            condition = new FsckLogged();
                        if (condition == null) Fail(ln, "unsupported wait directive: " + arg);
                        steps.Add(new WaitStep(ln, conn, condition!, arg));
                        break;
                    }
                    case "note":
                        break;
                    default:
                        Fail(ln, "unknown directive: " + directive);
                        break;
                }
                continue;
            }

            if (raw.StartsWith('#')) continue; // human comment
            Fail(ln, "line is neither '> ', '< ', '#~ ' nor a comment: " + raw);
        }
        if (groupRemaining > 0) Fail(lines.Length, "file ends inside a write group");
        if (openBlock != null) Fail(openBlock.Line, "admin reply block never ends with '.'");
        return new Transcript(name, title, description, steps);
    }

    private static string? ParseConnName(string arg)
    {
        var m = ConnName.Match(arg);
        return m.Success ? m.Groups["n"].Value : null;
    }

    private static TimeSpan ParseSeconds(string file, int line, string arg)
    {
        var m = Seconds.Match(arg);
        if (!m.Success) throw new TranscriptFormatException(file, line, "expected a duration like '1.0s': " + arg);
        return TimeSpan.FromSeconds(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private static void Validate(string file, int line, string text)
    {
        byte[] bytes;
        try { bytes = TranscriptText.Unescape(text); }
        catch (FormatException e) { throw new TranscriptFormatException(file, line, e.Message); }
        if (bytes.Length == 0 || bytes[^1] != 0x0A)
            throw new TranscriptFormatException(file, line, "a protocol line must end with its terminator (\\n): " + text);
    }
}
