namespace MogileFS.TestSupport.Transcripts;

/// <summary>One parsed transcript file: a title, the description lines, and the steps in file order.</summary>
public sealed record Transcript(string Name, string Title, IReadOnlyList<string> Description, IReadOnlyList<TranscriptStep> Steps)
{
    /// <summary>The connection used by files without a <c>connect:</c> directive.</summary>
    public const string DefaultConnection = "main";
}

/// <summary>A step of a transcript. <see cref="Line"/> is the 1-based line in the file.</summary>
public abstract record TranscriptStep(int Line, string Connection);

/// <summary>One request line (<c>&gt; </c>) with the substitution that applies to it, if any.</summary>
public sealed record RequestLine(int Line, string Text)
{
    /// <summary>The <c>subst:</c> directive that followed this line, or null.</summary>
    public Substitution? Substitution { get; set; }

    /// <summary>True for admin commands (<c>!</c> followed by a non-space byte): their reply is a block ending in <c>.</c>.</summary>
    public bool IsAdmin => Text.Length > 1 && Text[0] == '!' && Text[1] != ' ' && !Text.StartsWith("!\\", StringComparison.Ordinal);

    /// <summary>An empty request line produces no reply at all.</summary>
    public bool ExpectsNoReply => Text is "\\r\\n" or "\\n";

    /// <summary>The lower-cased command name as the tracker sees it (leading whitespace skipped, word bytes).</summary>
    public string Command
    {
        get
        {
            int i = 0;
            while (i < Text.Length && (Text[i] == ' ' || Text.AsSpan(i).StartsWith("\\t"))) i += Text[i] == ' ' ? 1 : 2;
            int start = i;
            while (i < Text.Length && (char.IsAsciiLetterOrDigit(Text[i]) || Text[i] == '_')) i++;
            return Text[start..i].ToLowerInvariant();
        }
    }
}

/// <summary>Requests sent in one write (one line unless a <c>write:</c> directive grouped several).</summary>
public sealed record SendStep(int Line, string Connection, IReadOnlyList<RequestLine> Requests) : TranscriptStep(Line, Connection);

/// <summary>What kind of reply an <see cref="ExpectStep"/> holds.</summary>
public enum ReplyKind
{
    /// <summary>One <c>OK</c>/<c>ERR</c> line answering a query.</summary>
    Query,
    /// <summary>The lines of an admin (<c>!</c>) reply up to and including <c>.\r\n</c>.</summary>
    AdminBlock,
    /// <summary>An out-of-band <c>:: </c> line on a <c>!watch</c> connection.</summary>
    Watch,
}

/// <summary>Expected reply lines (escaped text, terminator included) and the masks that apply to them.</summary>
public sealed record ExpectStep(int Line, string Connection, ReplyKind Kind, RequestLine? Request) : TranscriptStep(Line, Connection)
{
    public List<string> Lines { get; } = new();
    public List<string> VaryKeys { get; } = new();
    public List<string> VaryRegexes { get; } = new();
    public string? Label { get; set; }
}

public sealed record ConnectStep(int Line, string Connection) : TranscriptStep(Line, Connection);
public sealed record SwitchStep(int Line, string Connection) : TranscriptStep(Line, Connection);
public sealed record CloseStep(int Line, string Connection) : TranscriptStep(Line, Connection);
public sealed record ExpectCloseStep(int Line, string Connection) : TranscriptStep(Line, Connection);
public sealed record ExpectSilenceStep(int Line, string Connection, TimeSpan Duration) : TranscriptStep(Line, Connection);

/// <summary><c>http:</c> — the driver sent an HTTP request to the URL found under <see cref="Key"/> in reply <see cref="Label"/>.</summary>
public sealed record HttpStep(int Line, string Connection, string Method, string Label, string Key, byte[] Body, int ExpectedStatus, string Text)
    : TranscriptStep(Line, Connection);

/// <summary><c>storage:</c> — the driver changed a storage node directly.</summary>
public sealed record StorageStep(int Line, string Connection, StorageAction Action, long Fid, string? Key, string Text)
    : TranscriptStep(Line, Connection);

public enum StorageAction { DeleteStoredObject }

/// <summary><c>wait:</c> — the driver polled (on an unrecorded connection) until a condition held.</summary>
public sealed record WaitStep(int Line, string Connection, WaitCondition Condition, string Text) : TranscriptStep(Line, Connection);

/// <summary>The conditions the <c>wait:</c> directives of the files describe.</summary>
public abstract record WaitCondition;
/// <summary><c>until background replication gives key 'K' devcount &gt;= N</c>.</summary>
public sealed record DevCountAtLeast(string Key, int Count) : WaitCondition;
/// <summary><c>until server setting K is cleared by the background job</c>.</summary>
public sealed record ServerSettingCleared(string Key) : WaitCondition;
/// <summary><c>until the fsck worker has logged its findings</c>.</summary>
public sealed record FsckLogged : WaitCondition;

/// <summary><c>settle:</c> — the Perl tracker needed a pause for its caches; a synchronous server may skip it.</summary>
public sealed record SettleStep(int Line, string Connection, TimeSpan Duration) : TranscriptStep(Line, Connection);
