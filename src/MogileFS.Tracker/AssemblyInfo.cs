namespace MogileFS.Tracker;
