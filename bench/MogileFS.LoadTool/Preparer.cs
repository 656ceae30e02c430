using System.Diagnostics;
using System.Net.Http.Headers;

namespace MogileFS.LoadTool;

/// <summary>
/// --prepare: registers what the load needs through the protocol, like an operator with mogadm
/// would, then stores the files the way MogileFS::Client does (create_open, HTTP PUT to path_1,
/// create_close). Already existing domain/class/hosts/devices are fine (re-runs).
/// </summary>
internal static class Preparer
{
    public static async Task RunAsync(LoadSettings s)
    {
        using var c = await LineConnection.ConnectAsync(s.Tracker);
        async Task Ensure(string line, params string[] okErrors)
        {
            string reply = await c.QueryAsync(line);
            if (reply.StartsWith("OK", StringComparison.Ordinal)) return;
            if (okErrors.Any(e => reply.StartsWith("ERR " + e, StringComparison.Ordinal))) return;
            throw new InvalidOperationException($"{line} -> {reply}");
        }

        await Ensure($"create_domain domain={s.Domain}", "domain_exists");
        await Ensure($"create_class domain={s.Domain}&class={s.Class}&mindevcount=1", "class_exists");
        foreach (var n in s.Nodes)
        {
            await Ensure($"create_host host={n.Name}&ip={n.Ip}&port={n.Port}&status=alive", "host_exists");
            foreach (int d in n.Devices) await Ensure($"create_device devid={d}&hostname={n.Name}&state=alive", "existing_devid");
        }

        var sw = Stopwatch.StartNew();
        int wanted = s.Nodes.Sum(n => n.Devices.Length);
        while (true)
        {
            await Ensure("do_monitor_round");
            var devices = LineConnection.ParseOk(await c.QueryAsync("get_devices"));
            // Writeable and with known free space: create_open places files by free space.
            int writable = devices.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable"
                && devices.GetValueOrDefault(kv.Key[..^"_observed_state".Length] + "_mb_free", "") != "");
            if (writable >= Math.Max(1, wanted)) break;
            if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"only {writable} of {wanted} devices writeable after 60 s");
            await Task.Delay(250);
        }
        Console.WriteLine($"# devices writeable after {sw.Elapsed.TotalSeconds:0.0} s");

        // Which keys exist already (a re-run against the same database)?
        string first = await c.QueryAsync($"file_info domain={s.Domain}&key={s.Key(s.Files - 1)}");
        if (first.StartsWith("OK", StringComparison.Ordinal))
        {
            Console.WriteLine($"# {s.Files} files already stored");
            return;
        }

        sw.Restart();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 });
        int next = -1;
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            using var conn = await LineConnection.ConnectAsync(s.Tracker);
            int i;
            while ((i = Interlocked.Increment(ref next)) < s.Files)
            {
                string key = s.Key(i);
                var body = new byte[100 + i % 900];
                Random.Shared.NextBytes(body);
                var open = LineConnection.ParseOk(await conn.QueryAsync($"create_open domain={s.Domain}&class={s.Class}&key={key}&fid=0&multi_dest=1"));
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                (await http.PutAsync(open["path_1"], content)).EnsureSuccessStatusCode();
                string close = await conn.QueryAsync(
                    $"create_close domain={s.Domain}&key={key}&fid={open["fid"]}&devid={open["devid_1"]}&size={body.Length}&path={open["path_1"]}");
                if (!close.StartsWith("OK", StringComparison.Ordinal)) throw new InvalidOperationException($"create_close {key}: {close}");
            }
        }).ToArray();
        await Task.WhenAll(workers);
        Console.WriteLine($"# stored {s.Files} files in {sw.Elapsed.TotalSeconds:0.0} s ({s.Files / sw.Elapsed.TotalSeconds:0} files/s through create_open+PUT+create_close at c=8)");
    }
}
