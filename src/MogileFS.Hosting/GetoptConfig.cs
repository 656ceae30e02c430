namespace MogileFS.Hosting;

/// <summary>
/// How <see cref="GetoptLong"/> behaves, in the manner of Getopt::Long's <c>Configure</c>.
/// The presets are the three ways the 2.73 programs (and so our executables) read their flags;
/// every switch exists because one of them prints or accepts something differently, and the
/// exact texts are part of what operators' scripts see.
/// </summary>
public sealed record GetoptConfig
{
    /// <summary>mogilefsd (with <see cref="Bundling"/>) and mogdbsetup: problems are collected and
    /// parsing goes on; names in messages are lower-cased; ambiguities list the candidates.</summary>
    public static GetoptConfig Default { get; } = new();

    /// <summary>mogstored: like <see cref="Default"/>, but messages show the name as typed and
    /// the option's first name, <c>--opt=</c> is an empty value, and integers are kept as written.</summary>
    public static GetoptConfig Mogstored { get; } = new()
    {
        EchoTypedName = true,
        NameOptionsByFirstName = true,
        AllowEmptyInlineValue = true,
        NormalizeIntegers = false,
    };

    /// <summary>The tools (MogileFS::Utils, mogadm, mogstats): the first problem ends parsing;
    /// an ambiguity does not list candidates; a value is not taken from a following
    /// <c>--option</c>; integers must fit 64 bits and are kept as written.</summary>
    public static GetoptConfig Tools { get; } = new()
    {
        StopAtFirstError = true,
        EchoTypedName = true,
        ListAmbiguousCandidates = false,
        AllowEmptyInlineValue = true,
        ValueMustNotLookLikeOption = true,
        Int64Values = true,
        NormalizeIntegers = false,
    };

    /// <summary>A single dash introduces bundled single letters (<c>-dD</c>), long names need two.</summary>
    public bool Bundling { get; init; }

    /// <summary>Options end at the first non-option (the rest are <see cref="GetoptLong.Result.Arguments"/>).</summary>
    public bool RequireOrder { get; init; }

    /// <summary>Unknown and ambiguous options are left in the arguments instead of being problems.</summary>
    public bool PassThrough { get; init; }

    /// <summary>Stop at the first problem instead of collecting them all.</summary>
    public bool StopAtFirstError { get; init; }

    /// <summary>"Unknown option"/"is ambiguous" show the name as typed, not lower-cased.</summary>
    public bool EchoTypedName { get; init; }

    /// <summary>Value problems name the option by its first name (<c>daemonize</c> for <c>-d</c>).</summary>
    public bool NameOptionsByFirstName { get; init; }

    /// <summary>"Option x is ambiguous (a, b)" rather than "Option x is ambiguous".</summary>
    public bool ListAmbiguousCandidates { get; init; } = true;

    /// <summary><c>--opt=</c> gives an empty value rather than "requires an argument".</summary>
    public bool AllowEmptyInlineValue { get; init; }

    /// <summary>A mandatory value is not taken from a next word that is another <c>--option</c>
    /// (or, for integers, not an integer): the option "requires an argument".</summary>
    public bool ValueMustNotLookLikeOption { get; init; }

    /// <summary>Integers are what fits a signed 64-bit number (else: any digits with a sign).</summary>
    public bool Int64Values { get; init; }

    /// <summary>"+5" and "05" are stored as "5", as Perl numifies them.</summary>
    public bool NormalizeIntegers { get; init; } = true;

    /// <summary>Options (by first name) that are recognised only when given in full, so that
    /// options added beyond 2.73's never make a 2.73 abbreviation ambiguous.</summary>
    public IReadOnlySet<string>? ExactOnly { get; init; }
}
