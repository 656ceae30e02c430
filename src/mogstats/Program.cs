if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogstats")); return 0; }
return await MogileFS.Cli.mogstats.MogStats.RunAsync(args);
