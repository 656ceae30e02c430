if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogadm")); return 0; }
return await MogileFS.Tools.Mogadm.MogadmProgram.RunAsync(args);
