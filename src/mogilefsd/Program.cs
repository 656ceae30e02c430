using MogileFS.Cli.mogilefsd;
using MogileFS.Hosting;

// mogilefsd: load the configuration (flags, file, defaults), check the process, then run the
// tracker until SIGTERM/SIGINT or !shutdown. See docs/configuration.md.
if (ProgramVersion.Requested(args)) { Console.WriteLine(ProgramVersion.Line("mogilefsd")); return 0; }
SigIntReset.ReexecIfIgnored("mogilefsd");
return await TrackerHost.RunAsync(args);
