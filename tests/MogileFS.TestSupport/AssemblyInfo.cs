namespace MogileFS.TestSupport;
