using MogileFS.Cli.mogdbcopy;

if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogdbcopy")); return 0; }
return await MogDbCopy.RunAsync(args, Console.Out, Console.Error);
