using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("MogileFS.Client.Tests")]
[assembly: InternalsVisibleTo("MogileFS.Tools")]
