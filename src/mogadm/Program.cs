return await MogileFS.Tools.Mogadm.MogadmProgram.RunAsync(args);
