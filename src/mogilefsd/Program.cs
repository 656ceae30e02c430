using MogileFS.Cli.mogilefsd;
using MogileFS.Hosting;

// mogilefsd: load the configuration (flags, file, defaults), check the process, then run the
// tracker until SIGTERM/SIGINT or !shutdown. See docs/configuration.md.
SigIntReset.ReexecIfIgnored("mogilefsd");
return await TrackerHost.RunAsync(args);
