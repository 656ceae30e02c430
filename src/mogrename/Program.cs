return await MogileFS.Tools.Commands.MogRename.RunAsync(args);
