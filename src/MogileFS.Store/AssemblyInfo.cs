namespace MogileFS.Store;
