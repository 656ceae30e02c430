if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("moglistkeys")); return 0; }
return await MogileFS.Tools.Commands.MogListKeys.RunAsync(args);
