using MogileFS.Cli.mogdbsetup;

if (MogileFS.Hosting.ProgramVersion.Requested(args)) { Console.WriteLine(MogileFS.Hosting.ProgramVersion.Line("mogdbsetup")); return 0; }
return await MogDbSetup.RunAsync(args, Console.In, Console.Out, Console.Error);
