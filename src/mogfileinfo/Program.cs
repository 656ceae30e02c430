if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogfileinfo")); return 0; }
return await MogileFS.Tools.Commands.MogFileInfo.RunAsync(args);
