if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogdelete")); return 0; }
return await MogileFS.Tools.Commands.MogDelete.RunAsync(args);
