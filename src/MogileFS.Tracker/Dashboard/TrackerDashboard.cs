using System.Globalization;
using System.Text;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Jobs.Rebalance;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;
using static MogileFS.Tracker.Dashboard.Html;

namespace MogileFS.Tracker.Dashboard;

/// <summary>
/// The tracker's web dashboard (docs/dashboard.md): server-rendered pages read from this tracker's
/// metadata snapshot, the monitor's observations and a few cached queries, plus the operator actions
/// of mogadm behind a confirm step and an admin credential. Served under <see cref="Prefix"/> on the
/// optional status port; <see cref="HandleAsync"/> is independent of the HTTP server that carries it.
/// Nothing here runs on a client's request path: the only periodic work is the backlog sampler.
/// </summary>
public sealed class TrackerDashboard : IAsyncDisposable
{
    public const string Prefix = "/dashboard";

    private readonly TrackerRuntime _rt;
    private readonly LocalCommands _commands;
    private readonly AdminGate _gate;
    private readonly FileCountCache _counts;
    private readonly BacklogHistory _backlog;
    private readonly CancellationTokenSource _stop = new();
    private Task? _sampler;

    internal TrackerDashboard(TrackerRuntime rt, LocalCommands commands)
    {
        _rt = rt;
        _commands = commands;
        _gate = new AdminGate(rt.Options.DashboardAdminUser, rt.Options.DashboardAdminPassword, rt.Clock);
        _counts = new FileCountCache(rt.Store, rt.Clock);
        _backlog = new BacklogHistory(rt.Store, rt.Clock);
    }

    /// <summary>Operator actions are enabled (dashboard_admin_password is set).</summary>
    public bool ActionsEnabled => _gate.Enabled;

    /// <summary>How often the backlog is sampled (30 s; tests shorten it).</summary>
    public TimeSpan BacklogInterval { get => _backlog.Interval; set => _backlog.Interval = value; }

    /// <summary>How long file counts are reused (30 s).</summary>
    public TimeSpan FileCountMaxAge { get => _counts.MaxAge; set => _counts.MaxAge = value; }

    /// <summary>Uses another component's periodic count of the file table (the status port's metrics
    /// sampler) instead of scanning it again.</summary>
    public void ShareFileCounts(Func<(DateTimeOffset At, List<Store.FileCountRow> Rows)?> source) => _counts.Shared = source;

    /// <summary>Starts the backlog sampler (idempotent).</summary>
    public void Start()
    {
        lock (_stop) _sampler ??= Task.Run(() => _backlog.RunAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_sampler != null)
        {
            try { await _sampler.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }

    private static readonly KeyValuePair<string, string>[] PageHeaders =
    [
        new("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        new("X-Frame-Options", "DENY"),
        new("X-Content-Type-Options", "nosniff"),
        new("Cache-Control", "no-store"),
        new("Referrer-Policy", "same-origin"),
    ];

    public async Task<DashboardResponse> HandleAsync(DashboardRequest req, CancellationToken ct)
    {
        try
        {
            var path = req.Path.TrimEnd('/');
            return (req.Method, path) switch
            {
                ("GET" or "HEAD", "") => Page("Overview", await OverviewAsync(ct).ConfigureAwait(false)),
                ("GET" or "HEAD", "/devices") => Page("Devices", Devices(req)),
                ("GET" or "HEAD", "/device") => DevicePage(req),
                ("GET" or "HEAD", "/jobs") => Page("Jobs", await JobsAsync(ct).ConfigureAwait(false)),
                ("GET" or "HEAD", "/file") => Page("File lookup", await FileAsync(req, ct).ConfigureAwait(false)),
                ("GET" or "HEAD", "/class") => ClassPage(req),
                ("GET" or "HEAD", "/confirm") => Confirm(req),
                ("POST", "/action") => await ActionAsync(req, ct).ConfigureAwait(false),
                ("GET" or "HEAD", "/static/dashboard.css") => Css(),
                (_, "" or "/devices" or "/device" or "/jobs" or "/file" or "/class" or "/confirm" or "/action") =>
                    DashboardResponse.Text(405, "method not allowed"),
                _ => Page("Not found", "<p>No such page.</p>", 404),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The database may be away: say so instead of a blank 500.
            return Page("Error", $"<p class=error>This page could not be built: {E(e.Message)}</p><p>The tracker keeps running; try again.</p>", 503);
        }
    }

    // ---- layout ------------------------------------------------------------------------------

    private DashboardResponse Page(string title, string body, int status = 200, params KeyValuePair<string, string>[] extra)
    {
        var sb = new StringBuilder(body.Length + 1024);
        sb.Append("<!doctype html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">")
          .Append("<title>").Append(E(title)).Append(" · MogileFS</title>")
          .Append("<link rel=stylesheet href=\"").Append(Prefix).Append("/static/dashboard.css\"></head><body>\n")
          .Append("<header><span class=brand>MogileFS</span><nav>");
        foreach (var (href, label) in new[] { ("", "Overview"), ("/devices", "Devices"), ("/jobs", "Jobs"), ("/file", "File lookup") })
            sb.Append("<a href=\"").Append(Prefix).Append(href).Append('"').Append(label == title ? " class=current" : "").Append('>').Append(label).Append("</a>");
        sb.Append("</nav><span class=muted>tracker ").Append(E(_rt.HostName)).Append(" · ")
          .Append(_gate.Enabled ? "operator actions on" : "read-only").Append("</span></header>\n<main>\n<h1>").Append(E(title)).Append("</h1>\n")
          .Append(body).Append("\n</main></body></html>\n");
        return DashboardResponse.Html(status, sb.ToString(), [.. PageHeaders, .. extra]);
    }

    private static DashboardResponse Css()
    {
        using var s = typeof(TrackerDashboard).Assembly.GetManifestResourceStream("MogileFS.Tracker.Dashboard.dashboard.css")!;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return new DashboardResponse(200, "text/css; charset=utf-8", ms.ToArray(), [new("Cache-Control", "max-age=300")]);
    }

    private static string Card(string label, string value, string? note = null, string? id = null) =>
        $"<div class=card{(id is null ? "" : $" id={id}")}><div class=label>{E(label)}</div><div class=value>{value}</div>{(note is null ? "" : $"<div class=note>{note}</div>")}</div>";

    private DateTimeOffset Now => _rt.Clock.GetUtcNow();

    // ---- overview ----------------------------------------------------------------------------

    private async Task<string> OverviewAsync(CancellationToken ct)
    {
        var snap = _rt.Metadata.Current;
        var (countsAt, rows) = await _counts.GetAsync(ct).ConfigureAwait(false);
        var perClass = ByClass(snap, rows);
        var backlog = await FreshBacklogAsync(ct).ConfigureAwait(false);
        var obs = _rt.Observations;

        long files = perClass.Sum(c => c.Files), bytes = perClass.Sum(c => c.Bytes), under = perClass.Sum(c => c.UnderReplicated);
        int hostsUp = snap.Hosts.Count(h => obs.HostReachable(h.Id) == true);
        int writeable = snap.Devices.Count(d => d.Status == DeviceState.Alive && obs.IsWriteable(d));
        long totalMb = snap.Devices.Where(d => d.Status != DeviceState.Dead).Sum(d => d.MbTotal ?? 0);
        long usedMb = snap.Devices.Where(d => d.Status != DeviceState.Dead).Sum(d => d.MbUsed ?? 0);

        var sb = new StringBuilder();
        sb.Append("<section class=cards>")
          .Append(Card("Hosts reachable", $"<span id=hosts-up>{hostsUp}</span> / <span id=hosts-total>{snap.Hosts.Count}</span>"))
          .Append(Card("Devices writeable", $"<span id=devices-writeable>{writeable}</span> / <span id=devices-total>{snap.Devices.Count}</span>",
              string.Join(" ", snap.Devices.GroupBy(d => d.StatusText ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{E(g.Key)} {g.Count()}"))))
          .Append(Card("Files", $"<span id=files-total>{N(files)}</span>", Size(bytes)))
          .Append(Card("Under-replicated", $"<span id=files-under>{N(under)}</span>", "fewer copies than mindevcount"))
          .Append(Card("Space used", usedMb > 0 || totalMb > 0 ? UsageBar(usedMb, totalMb) : "unknown"))
          .Append(Card("Replication queue", $"<span id=queue-replicate>{N(backlog.Replicate)}</span>"))
          .Append(Card("Delete queue", $"<span id=queue-delete>{N(backlog.Delete)}</span>"))
          .Append("</section>\n");

        sb.Append("<h2>Domains and classes</h2><p class=muted>File counts as of ").Append(Ago(countsAt, Now)).Append(".</p><table id=classes>")
          .Head("Domain", "Class", "mindevcount", "Policy", "Checksum", "Files", "Bytes", "Under-replicated", "");
        var byKey = perClass.ToDictionary(c => (c.DomainId, c.ClassId));
        foreach (var d in snap.Domains)
        {
            foreach (var c in snap.ClassesOf(d.Id))
            {
                byKey.TryGetValue((d.Id, c.ClassId), out var fc);
                sb.Row(B(d.Name), B(c.Name), $"<span class=num>{c.MinDevCount}</span>", E(c.EffectiveReplPolicy), E(c.HashType.ToWire()),
                    $"<span class=num>{N(fc?.Files ?? 0)}</span>", Size(fc?.Bytes ?? 0), $"<span class=num>{N(fc?.UnderReplicated ?? 0)}</span>",
                    _gate.Enabled ? $"<a href=\"{Prefix}/class?domain={U(d.Name)}&amp;class={U(c.Name)}\">change</a>" : "");
            }
        }
        sb.Append("</table>\n");
        sb.Append("<h2>Hosts</h2><table id=hosts>").Head("Host", "Address", "State", "Reachable", "Devices", "Usage");
        var devicesByHost = snap.Devices.ToLookup(d => d.HostId);
        foreach (var h in snap.Hosts)
        {
            var devs = devicesByHost[h.Id].ToArray();
            long? t = devs.Any(d => d.MbTotal != null) ? devs.Sum(d => d.MbTotal ?? 0) : null;
            long? u = devs.Any(d => d.MbUsed != null) ? devs.Sum(d => d.MbUsed ?? 0) : null;
            var reach = obs.HostReachable(h.Id);
            sb.Row($"<a href=\"{Prefix}/devices?host={U(h.Name)}\">{B(h.Name)}</a>", E($"{h.Ip}:{h.HttpPort ?? 7500}"), Badge(h.StatusText),
                reach is null ? "<span class=muted>not probed</span>" : reach.Value ? "yes" : "<span class=error>no</span>",
                devs.Length.ToString(CultureInfo.InvariantCulture), UsageBar(u, t));
        }
        sb.Append("</table>\n");

        return sb.ToString();
    }

    /// <summary>The queue sizes now (four COUNTs; the sample joins the chart's history).</summary>
    private Task<BacklogSample> FreshBacklogAsync(CancellationToken ct) => _backlog.SampleAsync(ct);

    /// <summary>Folds the (domain, class, devcount) rows into per-class totals; files of a class the
    /// snapshot does not know are counted under their classid with mindevcount of the default.</summary>
    internal static List<ClassFileCount> ByClass(MetadataSnapshot snap, IEnumerable<Store.FileCountRow> rows)
    {
        var list = new List<ClassFileCount>();
        foreach (var g in rows.GroupBy(r => (r.DomainId, r.ClassId)))
        {
            int min = snap.TryGetClass(g.Key.DomainId, g.Key.ClassId, out var c) ? c.MinDevCount : snap.DefaultMinDevCount;
            list.Add(new ClassFileCount(g.Key.DomainId, g.Key.ClassId, g.Sum(r => r.Files), g.Sum(r => r.Bytes),
                g.Where(r => r.DevCount < min).Sum(r => r.Files), g.ToDictionary(r => r.DevCount, r => r.Files)));
        }
        return list;
    }

    // ---- devices ------------------------------------------------------------------------------

    private string Devices(DashboardRequest req)
    {
        var snap = _rt.Metadata.Current;
        var hostFilter = req.Q("host") is { Length: > 0 } hf ? ByteString.FromText(hf) : null;
        var stateFilter = req.Q("state") is { Length: > 0 } sf ? sf : null;
        var sb = new StringBuilder();
        sb.Append("<form class=filter method=get action=\"").Append(Prefix).Append("/devices\"><label>Host <select name=host><option value=\"\">all</option>");
        foreach (var h in snap.Hosts)
            sb.Append("<option").Append(h.Name == hostFilter ? " selected" : "").Append('>').Append(B(h.Name)).Append("</option>");
        sb.Append("</select></label> <label>State <select name=state><option value=\"\">all</option>");
        foreach (var s in DashboardAction.DeviceStates)
            sb.Append("<option").Append(s == stateFilter ? " selected" : "").Append('>').Append(s).Append("</option>");
        sb.Append("</select></label> <button>Show</button></form>\n");

        var now = Now;
        int shown = 0;
        var body = new StringBuilder();
        foreach (var d in snap.Devices)
        {
            snap.TryGetHost(d.HostId, out var host);
            if (hostFilter != null && host?.Name != hostFilter) continue;
            if (stateFilter != null && d.StatusText != stateFilter) continue;
            shown++;
            var o = _rt.Observations.Get(d.Id);
            body.Row($"<a href=\"{Prefix}/device?id={d.Id}\">dev{d.Id}</a>", host is null ? "?" : B(host.Name), Badge(d.StatusText),
                Badge(o?.State.ToWire() ?? "unknown"), $"<span class=num>{d.Weight ?? 100}</span>", UsageBar(d.MbUsed, d.MbTotal),
                o?.Utilization is { } u ? $"<span class=num>{E(u)}%</span>" : "<span class=muted>-</span>",
                o is null ? "<span class=muted>never</span>" : Ago(o.At, now),
                _rt.Observations.LastGoodProbe(d.Id) is { } good ? Ago(good, now) : "<span class=muted>never</span>");
        }
        sb.Append("<p class=muted><span id=devices-shown>").Append(shown).Append("</span> of ").Append(snap.Devices.Count).Append(" devices.</p>");
        sb.Append("<table id=devices>").Head("Device", "Host", "State", "Observed", "Weight", "Usage", "I/O util", "Last probe", "Last good probe");
        sb.Append(body).Append("</table>");
        return sb.ToString();
    }

    private DashboardResponse DevicePage(DashboardRequest req)
    {
        var snap = _rt.Metadata.Current;
        if (!int.TryParse(req.Q("id"), NumberStyles.None, CultureInfo.InvariantCulture, out int id) || !snap.TryGetDevice(id, out var d))
            return Page("Device", "<p class=error>No such device.</p>", 404);
        snap.TryGetHost(d.HostId, out var host);
        var o = _rt.Observations.Get(d.Id);
        var sb = new StringBuilder("<table class=facts>");
        sb.Row("Device", $"dev{d.Id}").Row("Host", host is null ? "?" : B(host.Name) + " " + E($"({host.Ip}:{host.HttpPort ?? 7500})"))
          .Row("State", $"<span id=device-state>{Badge(d.StatusText)}</span>").Row("Observed", Badge(o?.State.ToWire() ?? "unknown"))
          .Row("Weight", (d.Weight ?? 100).ToString(CultureInfo.InvariantCulture)).Row("Usage", UsageBar(d.MbUsed, d.MbTotal))
          .Row("Usage reported", d.MbAsOf is long asof ? Ago(DateTimeOffset.FromUnixTimeSeconds(asof), Now) : "never")
          .Row("I/O utilisation", o?.Utilization is { } u ? E(u) + "%" : "-")
          .Row("Last probe", o is null ? "never" : Ago(o.At, Now))
          .Row("Last good probe", _rt.Observations.LastGoodProbe(d.Id) is { } good ? Ago(good, Now) : "never (since this tracker started)");
        sb.Append("</table>\n<h2>Change state</h2>");
        if (!_gate.Enabled) sb.Append(ActionsOffNote);
        else
        {
            sb.Append("<div class=actions>");
            foreach (var s in DashboardAction.DeviceStates)
            {
                if (s == d.StatusText) continue;
                if (d.Status == DeviceState.Dead && s == "alive") continue;
                sb.Append("<form method=get action=\"").Append(Prefix).Append("/confirm\"><input type=hidden name=op value=device_state>")
                  .Append("<input type=hidden name=devid value=").Append(d.Id).Append("><input type=hidden name=state value=").Append(s).Append('>')
                  .Append("<button id=mark-").Append(s).Append(">Mark ").Append(s).Append("</button></form>");
            }
            sb.Append("</div>");
        }
        return Page($"Device dev{d.Id}", sb.ToString());
    }

    private const string ActionsOffNote =
        "<p class=muted>Operator actions are off. Set <code>dashboard_admin_password</code> in mogilefsd.conf to enable them (docs/dashboard.md).</p>";

    // ---- jobs ---------------------------------------------------------------------------------

    private async Task<string> JobsAsync(CancellationToken ct)
    {
        var sb = new StringBuilder();
        var last = await FreshBacklogAsync(ct).ConfigureAwait(false);
        var samples = _backlog.Samples;
        sb.Append("<section class=cards>")
          .Append(Card("Replication queue", $"<span id=jobs-replicate>{N(last.Replicate)}</span>"))
          .Append(Card("Delete queue", $"<span id=jobs-delete>{N(last.Delete)}</span>"))
          .Append(Card("Fsck queue", N(last.Fsck)))
          .Append(Card("Rebalance/drain queue", N(last.Rebalance)))
          .Append("</section>\n<h2>Backlog, last hour</h2>").Append(BacklogChart(samples));

        // fsck: the numbers fsck_status gives mogadm fsck status
        var fsck = await _commands.RunAsync("fsck_status", [], ct).ConfigureAwait(false);
        sb.Append("<h2>fsck</h2>");
        if (!fsck.Ok) sb.Append("<p class=error>").Append(E(fsck.ErrorMessage)).Append("</p>");
        else
        {
            bool running = fsck["running"] == "1";
            long max = Perl.IntAsLong(fsck["max_fid_checked"]), end = Perl.IntAsLong(fsck["end_fid"]);
            sb.Append("<table class=facts id=fsck>").Row("Status", $"<span id=fsck-running>{(running ? "running on " + E(fsck["host"]) : "stopped")}</span>")
              .Row("Progress", end > 0
                  ? $"<meter min=0 max={end} value={Math.Min(max, end)}></meter> fid <span id=fsck-checked>{max}</span> of {end} ({100.0 * Math.Min(max, end) / end:0.0}%)"
                  : $"fid <span id=fsck-checked>{max}</span>");
            var counts = new List<string>();
            for (int i = 0; i < fsck.Pairs.Count; i++)
                if (fsck.Pairs[i].Name.StartsWith("num_", StringComparison.Ordinal)) counts.Add($"{E(fsck.Pairs[i].Name[4..])} {E(fsck.Pairs[i].Value)}");
            sb.Row("Problems found", counts.Count == 0 ? "none" : string.Join(", ", counts)).Append("</table>");
            if (_gate.Enabled)
                sb.Append("<div class=actions><form method=get action=\"").Append(Prefix).Append("/confirm\"><input type=hidden name=op value=")
                  .Append(running ? "fsck_stop" : "fsck_start").Append("><button id=").Append(running ? "fsck-stop" : "fsck-start").Append('>')
                  .Append(running ? "Stop fsck" : "Start fsck").Append("</button></form></div>");
        }

        // rebalance and drain
        var settings = _rt.Metadata.Current;
        var rs = await _rt.Store.GetServerSettingAsync("rebal_state", ct).ConfigureAwait(false);
        var rhost = await _rt.Store.GetServerSettingAsync("rebal_host", ct).ConfigureAwait(false);
        sb.Append("<h2>Rebalance</h2>");
        if (!Perl.IsTrue(rs)) sb.Append("<p class=muted>No rebalance has been started.</p>");
        else
        {
            var st = RebalanceState.Parse(rs);
            int total = st.CompletedDevs.Count + st.SourceDevs.Count + (st.SdevCurrent > 0 ? 1 : 0);
            sb.Append("<table class=facts id=rebalance>").Row("Status", Perl.IsTrue(rhost) ? "running on " + E(rhost) : "stopped")
              .Row("Devices done", $"<meter min=0 max={Math.Max(total, 1)} value={st.CompletedDevs.Count}></meter> {st.CompletedDevs.Count} of {total}")
              .Row("Current device", st.SdevCurrent > 0 ? $"dev{st.SdevCurrent}" : "-")
              .Row("Queued so far", $"{N(st.FidsQueued)} files, {Size(st.BytesQueued)}").Append("</table>");
        }
        sb.Append("<h2>Draining devices</h2>");
        var draining = settings.Devices.Where(d => d.Status == DeviceState.Drain).Take(50).ToArray();
        if (draining.Length == 0) sb.Append("<p class=muted>No device is draining.</p>");
        else
        {
            sb.Append("<table id=drain>").Head("Device", "Files left", "Usage");
            foreach (var d in draining)
            {
                long left = await _rt.Store.CountDeviceFidsAsync(d.Id, ct).ConfigureAwait(false);
                sb.Row($"<a href=\"{Prefix}/device?id={d.Id}\">dev{d.Id}</a>", $"<span class=num>{N(left)}</span>", UsageBar(d.MbUsed, d.MbTotal));
            }
            sb.Append("</table>");
        }

        sb.Append("<h2>Recent errors and notices</h2>");
        var errors = _rt.Errors.Recent();
        if (errors.Count == 0) sb.Append("<p class=muted id=errors>None since the tracker started.</p>");
        else
        {
            sb.Append("<table id=errors>").Head("When", "Message");
            foreach (var (at, text) in errors) sb.Row(Ago(at, Now), E(ByteString.ToDisplayText(text)));
            sb.Append("</table>");
        }
        return sb.ToString();
    }

    /// <summary>An inline SVG line chart of the four queues (no script, no external library).</summary>
    private string BacklogChart(IReadOnlyList<BacklogSample> samples)
    {
        const int W = 720, H = 180, L = 56, B = 22;
        var now = Now;
        // the axis spans the samples there are (a tracker that just started has less than an hour)
        var from = samples[0].At > now - BacklogHistory.Window ? samples[0].At : now - BacklogHistory.Window;
        double span = Math.Max(1, (now - from).TotalSeconds);
        long max = Math.Max(1, samples.Max(s => Math.Max(Math.Max(s.Replicate, s.Delete), Math.Max(s.Fsck, s.Rebalance))));
        double X(DateTimeOffset t) => L + (W - L - 8) * Math.Clamp((t - from).TotalSeconds / span, 0, 1);
        double Y(long v) => 8 + (H - B - 8) * (1 - (double)v / max);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg id=backlog class=chart viewBox=\"0 0 {W} {H}\" width={W} height={H} role=img aria-label=\"queue sizes over the last hour\">");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1={L} y1={H - B} x2={W - 8} y2={H - B} class=axis /><line x1={L} y1=8 x2={L} y2={H - B} class=axis />");
        sb.Append(CultureInfo.InvariantCulture, $"<text x={L - 4} y=14 class=tick text-anchor=end>{N(max)}</text><text x={L - 4} y={H - B} class=tick text-anchor=end>0</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x={L} y={H - 6} class=tick>-{(span >= 90 ? $"{span / 60:0} min" : $"{span:0} s")}</text><text x={W - 8} y={H - 6} class=tick text-anchor=end>now</text>");
        foreach (var (name, cls, pick) in new (string, string, Func<BacklogSample, long>)[]
                 { ("replicate", "s1", s => s.Replicate), ("delete", "s2", s => s.Delete), ("fsck", "s3", s => s.Fsck), ("rebalance", "s4", s => s.Rebalance) })
        {
            var pts = string.Join(" ", samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{X(s.At):0.#},{Y(pick(s)):0.#}")));
            if (samples.Count == 1) pts += string.Create(CultureInfo.InvariantCulture, $" {X(now):0.#},{Y(pick(samples[0])):0.#}");
            sb.Append("<polyline class=\"line ").Append(cls).Append("\" points=\"").Append(pts).Append("\"><title>").Append(name).Append("</title></polyline>");
        }
        sb.Append("</svg><p class=legend><span class=s1>■ replicate</span> <span class=s2>■ delete</span> <span class=s3>■ fsck</span> <span class=s4>■ rebalance/drain</span> · ")
          .Append(samples.Count).Append(" samples, every ").Append(_backlog.Interval.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)).Append(" s</p>");
        return sb.ToString();
    }

    // ---- file lookup -------------------------------------------------------------------------

    private async Task<string> FileAsync(DashboardRequest req, CancellationToken ct)
    {
        var snap = _rt.Metadata.Current;
        var domainText = req.Q("domain") ?? "";
        var keyText = req.Q("key") ?? "";
        var sb = new StringBuilder();
        sb.Append("<form class=filter method=get action=\"").Append(Prefix).Append("/file\"><label>Domain <select name=domain id=lookup-domain>");
        foreach (var d in snap.Domains)
            sb.Append("<option").Append(ByteString.ToDisplayText(d.Name) == domainText ? " selected" : "").Append('>').Append(B(d.Name)).Append("</option>");
        sb.Append("</select></label> <label>Key <input name=key id=lookup-key size=50 value=\"").Append(E(keyText)).Append("\"></label> <button id=lookup>Look up</button></form>\n");
        if (keyText.Length == 0) return sb.ToString();

        if (!snap.TryGetDomain(ByteString.FromText(domainText), out var dom))
            return sb.Append("<p class=error>No such domain.</p>").ToString();
        var key = ByteString.FromText(keyText);
        var f = await _rt.Store.LookupFileAsync(dom.Id, key, withDevids: true, withChecksum: true, ct).ConfigureAwait(false);
        if (f is null) return sb.Append("<p class=error id=lookup-none>No file with that key in domain ").Append(B(dom.Name)).Append(".</p>").ToString();

        var file = f.File;
        string checksum = f.Checksum is { } c ? E(f.ChecksumType.ToWire()) + ":" + Convert.ToHexStringLower(c) : "<span class=muted>none stored</span>";
        sb.Append("<table class=facts id=file>").Row("Key", B(file.Key)).Row("Domain", B(dom.Name))
          .Row("fid", $"<span id=file-fid>{file.Fid}</span>")
          .Row("Class", $"<span id=file-class>{B(snap.ClassName(file.DomainId, file.ClassId) ?? "#" + file.ClassId)}</span>")
          .Row("Length", $"<span id=file-length>{file.Length}</span> bytes ({Size(file.Length)})")
          .Row("Checksum", $"<span id=file-checksum>{checksum}</span>")
          .Row("Copies (devcount)", file.DevCount.ToString(CultureInfo.InvariantCulture)).Append("</table>\n");
        sb.Append("<h2>Copies</h2><table id=copies>").Head("Device", "Host", "Device state", "URL");
        foreach (var devid in (f.DevIds ?? []).Order())
        {
            if (!snap.TryGetDevice(devid, out var dev) || !snap.TryGetHost(dev.HostId, out var host))
            {
                sb.Row($"dev{devid}", "?", "<span class=error>device not registered</span>", "");
                continue;
            }
            var url = StoragePaths.Url(host.Ip ?? "", host.ReadPort, devid, file.Fid);
            sb.Row($"<a href=\"{Prefix}/device?id={devid}\">dev{devid}</a>", B(host.Name), Badge(dev.StatusText), $"<a class=copy href=\"{E(url)}\">{E(url)}</a>");
        }
        sb.Append("</table>");
        return sb.ToString();
    }

    // ---- actions ------------------------------------------------------------------------------

    private DashboardResponse ClassPage(DashboardRequest req)
    {
        var snap = _rt.Metadata.Current;
        var domain = ByteString.FromText(req.Q("domain") ?? "");
        var klass = ByteString.FromText(req.Q("class") ?? "");
        if (!snap.TryGetDomain(domain, out var d) || !snap.TryGetClass(d.Id, klass, out var c))
            return Page("Class", "<p class=error>No such class.</p>", 404);
        var sb = new StringBuilder("<table class=facts>");
        sb.Row("Domain", B(d.Name)).Row("Class", B(c.Name)).Row("mindevcount", $"<span id=class-mindevcount>{c.MinDevCount}</span>")
          .Row("Replication policy", E(c.EffectiveReplPolicy)).Row("Checksum", E(c.HashType.ToWire())).Append("</table>");
        if (!_gate.Enabled) sb.Append(ActionsOffNote);
        else
            sb.Append("<h2>Change mindevcount</h2><form method=get action=\"").Append(Prefix).Append("/confirm\"><input type=hidden name=op value=class_mindevcount>")
              .Append("<input type=hidden name=domain value=\"").Append(B(d.Name)).Append("\"><input type=hidden name=class value=\"").Append(B(c.Name)).Append("\">")
              .Append("<label>New mindevcount <input type=number min=1 max=255 name=mindevcount id=new-mindevcount value=").Append(c.MinDevCount)
              .Append("></label> <button id=change-mindevcount>Change…</button></form>");
        return Page($"Class {ByteString.ToDisplayText(c.Name)}", sb.ToString());
    }

    private DashboardResponse? RequireAdmin(DashboardRequest req, out string user)
    {
        user = "";
        if (!_gate.Enabled)
            return Page("Operator actions are off", ActionsOffNote, 403);
        if (_gate.Authenticate(req.Authorization) is not { } u)
            return Page("Sign-in needed", "<p>Operator actions need the dashboard's admin user name and password.</p>", 401,
                new KeyValuePair<string, string>("WWW-Authenticate", "Basic realm=\"MogileFS operator actions\", charset=\"UTF-8\""));
        user = u;
        return null;
    }

    private DashboardResponse Confirm(DashboardRequest req)
    {
        if (RequireAdmin(req, out var user) is { } refused) return refused;
        var action = DashboardAction.Parse(req.Q, _rt.Metadata.Current, out var error);
        if (action is null) return Page("Cannot do that", $"<p class=error>{E(error)}</p>", 400);
        var sb = new StringBuilder();
        sb.Append("<p class=confirm id=confirm-text>").Append(E(action.Description)).Append("</p>");
        if (action.Warning != null) sb.Append("<p class=warning>").Append(E(action.Warning)).Append("</p>");
        sb.Append("<form method=post action=\"").Append(Prefix).Append("/action\">");
        foreach (var (n, v) in action.FormFields())
            sb.Append("<input type=hidden name=\"").Append(E(n)).Append("\" value=\"").Append(E(v)).Append("\">");
        sb.Append("<input type=hidden name=csrf value=\"").Append(E(_gate.IssueToken(user, action.Canonical))).Append("\">")
          .Append("<button id=confirm class=danger>Yes, do it</button> <a href=\"").Append(Prefix).Append("\">Cancel</a></form>");
        return Page("Confirm", sb.ToString());
    }

    private async Task<DashboardResponse> ActionAsync(DashboardRequest req, CancellationToken ct)
    {
        if (RequireAdmin(req, out var user) is { } refused) return refused;
        if (!AdminGate.SameOrigin(req.Origin, req.Host))
            return Page("Refused", "<p class=error>This request came from another site.</p>", 403);
        var action = DashboardAction.Parse(req.F, _rt.Metadata.Current, out var error);
        if (action is null) return Page("Cannot do that", $"<p class=error>{E(error)}</p>", 400);
        if (!_gate.CheckToken(user, action.Canonical, req.F("csrf")))
            return Page("Refused", "<p class=error>The confirmation has expired or does not match this action. Go back and confirm again.</p>", 403);
        var reply = await _commands.RunAsync(action.Command, action.Args, ct).ConfigureAwait(false);
        _counts.Invalidate();
        var log = $"[dashboard] {user} ran {action.Command} {string.Join(" ", action.Args.Select(a => a.Name + "=" + a.Value))}: {(reply.Ok ? "OK" : "ERR " + reply.ErrorCode)}";
        Log.DashboardAction(_rt.QueryLogger, log);
        _rt.Errors.Publish(log);
        string back = action.Op == "device_state" ? $"{Prefix}/device?id={action.Args[1].Value}" : action.Op.StartsWith("fsck", StringComparison.Ordinal) ? $"{Prefix}/jobs" : Prefix;
        if (!reply.Ok)
            return Page("Not done", $"<p class=error id=result>The tracker refused: {E(reply.ErrorCode)} — {E(reply.ErrorMessage)}</p><p><a href=\"{back}\">Back</a></p>", 409);
        return Page("Done", $"<p id=result class=ok>Done: {E(action.Description)}</p><p><a id=back href=\"{back}\">Back</a></p>");
    }
}
