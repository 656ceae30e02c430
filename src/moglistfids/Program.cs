if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("moglistfids")); return 0; }
return await MogileFS.Tools.Commands.MogListFids.RunAsync(args);
