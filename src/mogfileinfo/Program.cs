return await MogileFS.Tools.Commands.MogFileInfo.RunAsync(args);
