[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("MogileFS.Store.Tests")]

namespace MogileFS.Store;
