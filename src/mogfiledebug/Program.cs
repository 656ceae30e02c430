return await MogileFS.Tools.Commands.MogFileDebug.RunAsync(args);
