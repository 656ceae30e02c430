namespace MogileFS.StorageNode;
