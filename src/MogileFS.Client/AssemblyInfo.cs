namespace MogileFS.Client;
