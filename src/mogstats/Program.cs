return await MogileFS.Cli.mogstats.MogStats.RunAsync(args);
