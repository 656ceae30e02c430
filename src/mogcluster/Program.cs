if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogcluster")); return 0; }
return await MogileFS.Cli.mogcluster.LocalCluster.RunAsync(args);
