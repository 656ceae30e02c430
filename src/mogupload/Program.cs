if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogupload")); return 0; }
return await MogileFS.Tools.Commands.MogUpload.RunAsync(args);
