using System.Globalization;
using System.Text;
using MogileFS.LoadTool;

// mogload: see LoadSettings.Usage and docs/testing.md ("Load tool").
LoadSettings settings;
try
{
    settings = LoadSettings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    if (e.Message.Length > 0) Console.Error.WriteLine("mogload: " + e.Message);
    Console.Error.WriteLine(LoadSettings.Usage);
    return 2;
}

if (settings.Prepare) await Preparer.RunAsync(settings);

var inv = CultureInfo.InvariantCulture;
Console.WriteLine($"# tracker {settings.Tracker}, {settings.DurationSeconds} s per run after {settings.WarmupSeconds} s warm-up, {Environment.ProcessorCount} cores");
Console.WriteLine(string.Format(inv, "{0,-12} {1,4} {2,11} {3,9} {4,9} {5,9} {6,7}", "command", "c", "ops/s", "p50 ms", "p99 ms", "max ms", "errors"));
var results = new List<RunResult>();
foreach (var command in settings.Commands)
{
    foreach (int c in settings.Concurrency)
    {
        var r = await LoadRunner.RunAsync(settings, command, c);
        results.Add(r);
        Console.WriteLine(string.Format(inv, "{0,-12} {1,4} {2,11:0} {3,9:0.000} {4,9:0.000} {5,9:0.0} {6,7}", r.Command, r.Concurrency, r.OpsPerSecond, r.P50Ms, r.P99Ms, r.MaxMs, r.Errors)
            + (r.FirstError != null ? "  first error: " + r.FirstError : ""));
    }
}
if (settings.CsvPath != null)
{
    var sb = new StringBuilder("command,concurrency,ops_per_s,p50_ms,p99_ms,max_ms,errors\n");
    foreach (var r in results)
        sb.Append(string.Create(inv, $"{r.Command},{r.Concurrency},{r.OpsPerSecond:0},{r.P50Ms:0.000},{r.P99Ms:0.000},{r.MaxMs:0.0},{r.Errors}\n"));
    await File.WriteAllTextAsync(settings.CsvPath, sb.ToString());
}
return results.Any(r => r.Ops == 0) ? 1 : 0;
