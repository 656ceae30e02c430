if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogrename")); return 0; }
return await MogileFS.Tools.Commands.MogRename.RunAsync(args);
