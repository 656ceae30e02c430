return await MogileFS.Tools.Commands.MogListFids.RunAsync(args);
