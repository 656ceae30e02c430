return await MogileFS.Tools.Commands.MogFetch.RunAsync(args);
