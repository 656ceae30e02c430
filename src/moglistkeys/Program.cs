return await MogileFS.Tools.Commands.MogListKeys.RunAsync(args);
