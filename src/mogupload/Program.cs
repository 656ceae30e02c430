return await MogileFS.Tools.Commands.MogUpload.RunAsync(args);
