using MogileFS.Cli.mogdbcopy;

return await MogDbCopy.RunAsync(args, Console.Out, Console.Error);
