namespace MogileFS.Core;
