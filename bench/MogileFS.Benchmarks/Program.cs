using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "load")
{
    await MogileFS.Benchmarks.LoadTest.RunAsync(args);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(MogileFS.Benchmarks.ProtocolBenchmarks).Assembly).Run(args);
