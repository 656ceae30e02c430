if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogfetch")); return 0; }
return await MogileFS.Tools.Commands.MogFetch.RunAsync(args);
