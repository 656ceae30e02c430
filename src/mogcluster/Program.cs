return await MogileFS.Cli.mogcluster.LocalCluster.RunAsync(args);
