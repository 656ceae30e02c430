using MogileFS.Cli.mogdbsetup;

return await MogDbSetup.RunAsync(args, Console.In, Console.Out, Console.Error);
