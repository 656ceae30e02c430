using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("MogileFS.StorageNode.Tests")]

namespace MogileFS.StorageNode;
