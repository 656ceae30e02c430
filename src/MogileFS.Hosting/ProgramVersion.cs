using System.Reflection;

namespace MogileFS.Hosting;

/// <summary>What every program prints for <c>--version</c>: its name, our version, and the
/// MogileFS release it is a drop-in replacement for.</summary>
public static class ProgramVersion
{
    /// <summary>The MogileFS release whose protocol, schema, files and flags we keep.</summary>
    public const string CompatibleWith = "MogileFS 2.73 (database schema version 17)";

    /// <summary>Our version (the Version property of the build), without source-revision suffix.</summary>
    public static string Version
    {
        get
        {
            var asm = Assembly.GetEntryAssembly() ?? typeof(ProgramVersion).Assembly;
            var v = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                    ?? asm.GetName().Version?.ToString() ?? "0.0.0";
            int plus = v.IndexOf('+');
            return plus < 0 ? v : v[..plus];
        }
    }

    /// <summary>One line, e.g. <c>mogstored 0.9.0 (MogileFS for .NET), compatible with MogileFS 2.73 ...</c>.</summary>
    public static string Line(string program) => $"{program} {Version} (MogileFS for .NET), compatible with {CompatibleWith}";

    /// <summary>True when <paramref name="args"/> asks for the version (<c>--version</c> or <c>-version</c>, alone or among others).</summary>
    public static bool Requested(IReadOnlyList<string> args) => args.Any(a => a is "--version" or "-version");
}
