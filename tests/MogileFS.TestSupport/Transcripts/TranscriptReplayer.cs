using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>
/// Replays a transcript against a live tracker: sends the request lines (ports mapped, <c>subst:</c>
/// applied), reads and compares each reply (<see cref="ReplyComparer"/>), performs the <c>http:</c>
/// uploads, <c>storage:</c> changes and <c>wait:</c> polls, and collects every difference with the
/// transcript line. A difference in a reply does not stop the replay (later lines still tell
/// something); a timeout or a closed connection does, because the exchange is out of step.
/// </summary>
public sealed class TranscriptReplayer(IReplayEnvironment environment, ReplayOptions? options = null)
{
    private readonly ReplayOptions _options = options ?? new ReplayOptions();
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private sealed class Connection(string name, TrackerClient client)
    {
        public string Name { get; } = name;
        public TrackerClient Client { get; } = client;
        public Queue<string> Unanswered { get; } = new();
        public bool Watching { get; set; }
        public bool Closed { get; set; }
    }

    /// <summary>Thrown inside the replay loop when the exchange cannot continue.</summary>
    private sealed class AbortReplay(string message) : Exception(message);

    public async Task<ReplayResult> ReplayAsync(Transcript transcript, CancellationToken ct = default)
    {
        var result = new ReplayResult(transcript.Name);
        var connections = new Dictionary<string, Connection>(StringComparer.Ordinal);
        var subst = new SubstitutionApplier();
        var ports = environment.Ports;
        string current = Transcript.DefaultConnection;
        var side = new ReplaySideChannel(environment.TrackerEndPoint, _options.ReadTimeout);

        async Task<Connection> Conn(string name)
        {
            if (connections.TryGetValue(name, out var c)) return c;
            // Files without connect: use one connection, opened on first use.
            var client = await TrackerClient.ConnectAsync(environment.TrackerEndPoint, ct: ct).ConfigureAwait(false);
            c = new Connection(name, client);
            connections[name] = c;
            return c;
        }

        void Log(string s) => _options.Log?.Invoke($"{transcript.Name} {s}");

        try
        {
            foreach (var step in transcript.Steps)
            {
                ct.ThrowIfCancellationRequested();
                switch (step)
                {
                    case ConnectStep s:
                    {
                        await PauseIfUnanswered(connections, current).ConfigureAwait(false);
                        if (connections.Remove(s.Connection, out var old)) old.Client.Dispose();
                        var client = await TrackerClient.ConnectAsync(environment.TrackerEndPoint, ct: ct).ConfigureAwait(false);
                        connections[s.Connection] = new Connection(s.Connection, client);
                        current = s.Connection;
                        break;
                    }
                    case SwitchStep s:
                        if (s.Connection != current) await PauseIfUnanswered(connections, current).ConfigureAwait(false);
                        current = s.Connection;
                        break;
                    case CloseStep s:
                        if (connections.TryGetValue(s.Connection, out var toClose))
                        {
                            toClose.Client.Dispose();
                            toClose.Closed = true;
                        }
                        break;
                    case SendStep s:
                    {
                        var c = await Conn(s.Connection).ConfigureAwait(false);
                        var bytes = new List<byte>();
                        var texts = new List<string>();
                        foreach (var request in s.Requests)
                        {
                            string text = ports.Rewrite(request.Text);
                            if (request.Substitution != null)
                            {
                                try { text = subst.Apply(text, request.Substitution); }
                                catch (InvalidOperationException e)
                                {
                                    throw new AbortReplay($"line {request.Line}: cannot apply '{request.Substitution.Text}': {e.Message}");
                                }
                            }
                            texts.Add(text);
                            bytes.AddRange(TranscriptText.Unescape(text));
                            if (!request.ExpectsNoReply) c.Unanswered.Enqueue(text);
                        }
                        Log($"{s.Line} {c.Name} > {string.Join(" | ", texts)}");
                        await c.Client.SendAsync(bytes.ToArray(), ct).ConfigureAwait(false);
                        break;
                    }
                    case ExpectStep s:
                        await ExpectAsync(s, await Conn(s.Connection).ConfigureAwait(false), transcript, result, subst, ports, ct)
                            .ConfigureAwait(false);
                        break;
                    case ExpectCloseStep s:
                    {
                        var c = await Conn(s.Connection).ConfigureAwait(false);
                        var sw = Stopwatch.StartNew();
                        while (true)
                        {
                            var got = await c.Client.ReadAnyAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                            if (got == null) break;
                            if (got.Length > 0)
                            {
                                result.Mismatches.Add(new(transcript.Name, s.Line, c.Name, null, "(connection closed by the server)",
                                    TranscriptText.Escape(got), "bytes arrived where the server should close the connection"));
                                break;
                            }
                            if (sw.Elapsed > _options.ReadTimeout)
                            {
                                result.Mismatches.Add(new(transcript.Name, s.Line, c.Name, null, "(connection closed by the server)",
                                    "(still open)", $"the server did not close the connection within {_options.ReadTimeout.TotalSeconds} s"));
                                break;
                            }
                        }
                        c.Closed = true;
                        result.RepliesCompared++;
                        Log($"{s.Line} {c.Name} closed by server");
                        break;
                    }
                    case ExpectSilenceStep s:
                    {
                        var c = await Conn(s.Connection).ConfigureAwait(false);
                        var got = await c.Client.ReadAnyAsync(s.Duration, ct).ConfigureAwait(false);
                        if (got == null || got.Length > 0)
                            result.Mismatches.Add(new(transcript.Name, s.Line, c.Name, null, "(no bytes)",
                                got == null ? "(connection closed)" : TranscriptText.Escape(got), $"expected silence for {s.Duration.TotalSeconds} s"));
                        result.RepliesCompared++;
                        break;
                    }
                    case SettleStep s:
                        if (_options.HonourSettle) await Task.Delay(s.Duration, ct).ConfigureAwait(false);
                        break;
                    case HttpStep s:
                        await HttpAsync(s, transcript, result, subst, ct).ConfigureAwait(false);
                        break;
                    case StorageStep s:
                        await StorageAsync(s, side, result, ct).ConfigureAwait(false);
                        break;
                    case WaitStep s:
                        if (_options.StopAtFirstWait)
                        {
                            result.StoppedAt = (s.Line, "stopped before 'wait: " + s.Text + "'");
                            return result;
                        }
                        await WaitAsync(s, side, result, ct).ConfigureAwait(false);
                        break;
                    default:
                        throw new InvalidOperationException("unhandled step " + step);
                }
            }
        }
        catch (AbortReplay e)
        {
            result.Aborted = true;
            result.Notes.Add("replay aborted: " + e.Message);
        }
        finally
        {
            foreach (var c in connections.Values) c.Client.Dispose();
        }
        return result;
    }

    private async Task PauseIfUnanswered(Dictionary<string, Connection> connections, string current)
    {
        if (connections.TryGetValue(current, out var c) && c.Unanswered.Count > 0 && !c.Closed)
            await Task.Delay(_options.SwitchPause).ConfigureAwait(false);
    }

    private async Task<string> ReadLine(Connection c, string transcriptName, int line, CancellationToken ct)
    {
        byte[]? bytes;
        try
        {
            bytes = await c.Client.ReadLineAsync(_options.ReadTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new AbortReplay($"{transcriptName}:{line} [connection {c.Name}] no reply within {_options.ReadTimeout.TotalSeconds} s"
                + (c.Unanswered.TryPeek(out var r) ? $" to '{r}'" : ""));
        }
        if (bytes == null)
            throw new AbortReplay($"{transcriptName}:{line} [connection {c.Name}] the server closed the connection"
                + (c.Unanswered.TryPeek(out var r) ? $" instead of answering '{r}'" : ""));
        return TranscriptText.Escape(bytes);
    }

    private async Task ExpectAsync(ExpectStep s, Connection c, Transcript transcript, ReplayResult result,
        SubstitutionApplier subst, CapturePorts ports, CancellationToken ct)
    {
        var expected = (_options.ExpectedOverrides != null && _options.ExpectedOverrides.TryGetValue((transcript.Name, s.Line), out var replaced)
            ? [replaced] : s.Lines).Select(ports.Rewrite).ToList();
        var regexes = s.VaryRegexes.Select(ports.Rewrite).ToList();
        string? request = null;
        var actual = new List<string>();

        if (s.Kind == ReplyKind.Watch)
        {
            // Out-of-band lines: skip unrelated ':: ' lines until one matches.
            string? last = null;
            for (int tries = 0; tries < 50; tries++)
            {
                string line = await ReadLine(c, transcript.Name, s.Line, ct).ConfigureAwait(false);
                if (!line.StartsWith(":: ", StringComparison.Ordinal))
                    throw new AbortReplay($"{transcript.Name}:{s.Line} expected an out-of-band ':: ' line, got '{line}'");
                last = line;
                if (ReplyComparer.CompareLine(expected[0], line, null, s.VaryKeys, regexes) == null) break;
                Log(result, $"{s.Line} {c.Name} skipped unrelated {line}");
                last = null;
            }
            result.RepliesCompared++;
            if (last == null)
                result.Mismatches.Add(new(transcript.Name, s.Line, c.Name, null, expected[0], "(no matching line)", "watch line never arrived"));
            return;
        }

        c.Unanswered.TryDequeue(out request);
        bool skipWatch = c.Watching && !expected[0].StartsWith(":: ", StringComparison.Ordinal);
        while (true)
        {
            string line = await ReadLine(c, transcript.Name, s.Line, ct).ConfigureAwait(false);
            if (skipWatch && line.StartsWith(":: ", StringComparison.Ordinal)) continue;
            actual.Add(line);
            if (s.Kind == ReplyKind.Query || line == ".\\r\\n" || actual.Count > 100_000) break;
        }
        Log(result, $"{s.Line} {c.Name} < {string.Join(" | ", actual.Take(3))}{(actual.Count > 3 ? $" (+{actual.Count - 3} lines)" : "")}");
        result.RepliesCompared++;

        string? problem = s.Kind == ReplyKind.AdminBlock
            ? ReplyComparer.CompareBlock(expected, actual, regexes)
            : ReplyComparer.CompareLine(expected[0], actual[0], s.Request?.Command, s.VaryKeys, regexes);
        if (problem != null)
            result.Mismatches.Add(new(transcript.Name, s.Line, c.Name, request,
                string.Join("", expected), string.Join("", actual), problem));

        if (actual.Count > 0 && actual[0] == "Added you to watcher list.\\r\\n") c.Watching = true;
        if (actual.Count > 0 && actual[0] == "Removed you from watcher list.\\r\\n") c.Watching = false;

        if (s.Label != null)
        {
            if (actual[0].StartsWith("OK ", StringComparison.Ordinal) && actual[0].EndsWith("\\r\\n", StringComparison.Ordinal))
                subst.SetLabel(s.Label, ReplyComparer.ParsePairs(actual[0][3..^4]));
            else
                throw new AbortReplay($"{transcript.Name}:{s.Line} reply {s.Label} is needed by later lines but was '{actual[0]}'");
        }
    }

    private void Log(ReplayResult result, string s) => _options.Log?.Invoke($"{result.File} {s}");

    private async Task HttpAsync(HttpStep s, Transcript transcript, ReplayResult result, SubstitutionApplier subst, CancellationToken ct)
    {
        string url;
        try { url = TranscriptText.DecodeValue(subst.LabelValue(s.Label, s.Key)); }
        catch (InvalidOperationException e) { throw new AbortReplay($"{transcript.Name}:{s.Line} http: {e.Message}"); }
        using var request = new HttpRequestMessage(new HttpMethod(s.Method), url) { Content = new ByteArrayContent(s.Body) };
        request.Content.Headers.ContentLength = s.Body.Length;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        int status;
        try
        {
            using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            throw new AbortReplay($"{transcript.Name}:{s.Line} http: {s.Method} {url} failed: {e.Message}");
        }
        Log(result, $"{s.Line} http {s.Method} {url} ({s.Body.Length} bytes) -> {status}");
        result.RepliesCompared++;
        if (status != s.ExpectedStatus)
            result.Mismatches.Add(new(transcript.Name, s.Line, "http", $"{s.Method} {url}",
                $"HTTP {s.ExpectedStatus}", $"HTTP {status}", "storage node answered a different status"));
    }

    private async Task StorageAsync(StorageStep s, ReplaySideChannel side, ReplayResult result, CancellationToken ct)
    {
        // file_debug by fid lists every replica's URL without needing the domain.
        var info = await side.QueryOkAsync("file_debug fid=" + s.Fid.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        var urls = info.Where(kv => kv.Key.StartsWith("devpath_", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        if (urls.Count == 0)
            throw new AbortReplay($"{result.File}:{s.Line} storage: fid {s.Fid} has no replica to delete");
        foreach (var url in urls)
        {
            string path = environment.LocalPathForUrl(url)
                ?? throw new AbortReplay($"{result.File}:{s.Line} storage: no storage node of this cluster serves {url}");
            File.Delete(path);
            result.Notes.Add($"line {s.Line}: deleted {path} (replica of fid {s.Fid}, {url})");
        }
    }

    private async Task WaitAsync(WaitStep s, ReplaySideChannel side, ReplayResult result, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        string? lastState = null;
        while (sw.Elapsed < _options.WaitTimeout)
        {
            (bool done, lastState) = await CheckAsync(s.Condition, side, lastState, ct).ConfigureAwait(false);
            if (done)
            {
                Log(result, $"{s.Line} wait satisfied after {sw.Elapsed.TotalSeconds:0.0} s");
                return;
            }
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
        string? standIn = await environment.StandInAsync(s, side, ct).ConfigureAwait(false);
        if (standIn != null && (await CheckAsync(s.Condition, side, null, ct).ConfigureAwait(false)).Done)
        {
            result.Notes.Add($"line {s.Line}: '{s.Text}' did not happen within {_options.WaitTimeout.TotalSeconds} s; stand-in: {standIn}");
            return;
        }
        throw new AbortReplay($"{result.File}:{s.Line} wait timed out after {_options.WaitTimeout.TotalSeconds} s: {s.Text}"
            + $" (last state: {lastState}); this needs background jobs (issue 4/5)");
    }

    /// <summary>Checks a wait condition once. The fsck condition also needs max_logid to stop moving.</summary>
    private static async Task<(bool Done, string? State)> CheckAsync(WaitCondition condition, ReplaySideChannel side, string? previous,
        CancellationToken ct)
    {
        switch (condition)
        {
            case DevCountAtLeast d:
            {
                string reply = await side.QueryAsync($"file_info domain={CaptureTopology.Domain}&key={TranscriptText.EncodeValue(d.Key)}", ct)
                    .ConfigureAwait(false);
                if (!reply.StartsWith("OK", StringComparison.Ordinal)) return (false, reply);
                var p = TrackerClient.ParseOk(reply);
                return (p.TryGetValue("devcount", out var n) && int.TryParse(n, out int count) && count >= d.Count, reply);
            }
            case ServerSettingCleared c:
            {
                string reply = await side.QueryAsync("server_setting key=" + c.Key, ct).ConfigureAwait(false);
                if (!reply.StartsWith("OK", StringComparison.Ordinal)) return (false, reply);
                var p = TrackerClient.ParseOk(reply);
                return (p.TryGetValue("value", out var v) && v.Length == 0, reply);
            }
            case FsckLogged:
            {
                string reply = await side.QueryAsync("fsck_status", ct).ConfigureAwait(false);
                if (!reply.StartsWith("OK", StringComparison.Ordinal)) return (false, reply);
                var p = TrackerClient.ParseOk(reply);
                bool idle = p.GetValueOrDefault("running") == "0";
                string logid = p.GetValueOrDefault("max_logid") ?? "0";
                string state = "max_logid=" + logid;
                return (idle && logid != "0" && previous == state, state);
            }
            default:
                throw new InvalidOperationException("unknown wait condition " + condition);
        }
    }
}
