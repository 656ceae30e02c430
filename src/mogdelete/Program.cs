return await MogileFS.Tools.Commands.MogDelete.RunAsync(args);
