using MogileFS.Drills.Storm;

// The store-storm tool of the failure drills (bench/drills/*.sh); usage in Options.Usage.
string mode;
Options o;
try { (mode, o) = Options.Parse(args); }
catch (ArgumentException e)
{
    Console.Error.WriteLine($"mogstorm: {e.Message}");
    return 2;
}
switch (mode)
{
    case "help":
        Console.WriteLine(Options.Usage);
        return 0;
    case "verify":
        return await new Verifier(o).RunAsync();
    case "report":
        var s = Report.Compute(o.Out, o.MergeGapMs, o.SinceMs);
        Console.Write(Report.Format(s, o.Label));
        // keep the read figures a storm run wrote (report only recomputes the store figures)
        var envFile = Path.Combine(o.Out, "summary.env");
        var kept = File.Exists(envFile) ? File.ReadAllLines(envFile).Where(l => l.StartsWith("READ", StringComparison.Ordinal)) : [];
        File.WriteAllText(envFile, Report.Env(s) + string.Concat(kept.Select(l => l + "\n")));
        return 0;
    default:
        return await new StormRunner(o).RunAsync();
}
