if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogfiledebug")); return 0; }
return await MogileFS.Tools.Commands.MogFileDebug.RunAsync(args);
