using System.Data.Common;
using System.Globalization;
using MogileFS.Hosting;
using MogileFS.Store;
using MogileFS.Store.Copy;
using MogileFS.Store.Schema;

namespace MogileFS.Cli.mogdbcopy;

/// <summary>
/// mogdbcopy: copies a MogileFS database (schema version 17) between SQLite, PostgreSQL and MySQL,
/// then compares every row of source and target (docs/tools.md, docs/migrating.md). Not in 2.73.
/// Exit codes: 0 copied (or compared) and equal; 1 usage or database error, nothing verified;
/// 2 source and target differ.
/// </summary>
public static class MogDbCopy
{
    private static readonly GetoptLong Options = new(bundling: false,
        "from-dsn=s", "from-user=s", "from-pass|from-password:s",
        "to-dsn=s", "to-user=s", "to-pass|to-password:s",
        "overwrite", "verify-only", "batch-size=i", "quiet", "help");

    public const string Usage = """
        Usage: mogdbcopy --from-dsn=DSN [--from-user=U --from-pass=P] --to-dsn=DSN [--to-user=U --to-pass=P] [options]

        Copies a MogileFS database (schema version 17) to another database of any kind
        (SQLite, PostgreSQL, MySQL), keeping every id (fids, dmids, hostids, devids, logids)
        and the server settings, then compares every row of both and says whether they are equal.
        The target schema is created if missing; a target that holds data is refused.
        Stop the trackers (or at least uploads and deletes) while copying: the copy is one
        consistent snapshot of the source, and later writes to the source are not copied.

          --from-dsn=DSN       source, as in mogilefsd.conf: DBI:mysql:database=mogilefs;host=db1,
                               DBI:Pg:dbname=mogilefs;host=db2, DBI:SQLite:/var/lib/mogilefs.db
          --from-user=USER     source database user (also --from-pass=PASS, --from-password)
          --to-dsn=DSN         target, same forms
          --to-user=USER       target database user (also --to-pass=PASS, --to-password)
          --overwrite          delete the target's rows first instead of refusing a non-empty target
          --verify-only        copy nothing: compare source and target row by row
          --batch-size=N       rows per INSERT and per target transaction (default 500)
          --quiet              print only the summary line (and differences)
          --help               this text
          --version            print the version and exit

        Exit status: 0 equal; 1 error (nothing verified); 2 source and target differ.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = Options.Parse(args);
        if (!parsed.Success || parsed.Arguments.Count > 0)
        {
            foreach (var w in parsed.Warnings) stderr.WriteLine(w);
            foreach (var a in parsed.Arguments) stderr.WriteLine($"Unexpected argument: {a}");
            stderr.WriteLine(Usage);
            return 1;
        }
        if (parsed.Has("help"))
        {
            stdout.WriteLine(Usage);
            return 0;
        }
        string? fromText = parsed.Last("from-dsn"), toText = parsed.Last("to-dsn");
        if (fromText is null || toText is null)
        {
            stderr.WriteLine("Both --from-dsn and --to-dsn are required.");
            stderr.WriteLine(Usage);
            return 1;
        }
        int batch = 500;
        if (parsed.Last("batch-size") is { } b && (!int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out batch) || batch is < 1 or > 10000))
        {
            stderr.WriteLine($"Invalid --batch-size '{b}': expected 1 to 10000");
            return 1;
        }
        bool quiet = parsed.Has("quiet"), verifyOnly = parsed.Has("verify-only");
        var options = new CopyOptions
        {
            BatchSize = batch,
            Overwrite = parsed.Has("overwrite"),
            Log = line =>
            {
                if (!quiet || line.Contains("MISMATCH", StringComparison.Ordinal) || line.StartsWith("  ", StringComparison.Ordinal)) stdout.WriteLine(line);
            },
        };

        try
        {
            var from = DatabaseDsn.Parse(fromText);
            var to = DatabaseDsn.Parse(toText);
            if (from.Kind == DatabaseKind.Sqlite && from.Database is { } file && file != ":memory:" && !File.Exists(file))
                throw new CopyException($"Source SQLite database {file} does not exist.");
            if (string.Equals(from.Original, to.Original, StringComparison.Ordinal))
                throw new CopyException("Source and target are the same DSN.");

            await using DbConnection source = from.CreateConnection(parsed.Last("from-user"), parsed.Last("from-pass"));
            await OpenAsync(source, "source", from);
            await using DbConnection target = to.CreateConnection(parsed.Last("to-user"), parsed.Last("to-pass"));
            await OpenAsync(target, "target", to);

            if (!quiet) stdout.WriteLine(verifyOnly ? $"Comparing {from.Original} with {to.Original}" : $"Copying {from.Original} to {to.Original}");
            var report = verifyOnly
                ? await DatabaseCopier.CompareAsync(source, from.Kind, target, to.Kind, options)
                : await DatabaseCopier.CopyAsync(source, from.Kind, target, to.Kind, options);

            string what = verifyOnly ? "compared" : $"{report.RowsCopied} rows copied in {report.Elapsed.TotalSeconds:0.00}s,";
            if (report.Equal)
            {
                stdout.WriteLine($"OK: {what} {report.Tables.Count} tables, {report.SourceRows} rows: source and target are equal (every row compared).");
                return 0;
            }
            var bad = report.Tables.Where(t => !t.Equal).Select(t => t.Table)
                .Concat(report.Generators.Where(g => !g.Ok).Select(g => g.Name));
            string copied = verifyOnly ? "" : $"{report.RowsCopied} rows copied in {report.Elapsed.TotalSeconds:0.00}s, but ";
            stdout.WriteLine($"MISMATCH: {copied}source and target differ in: {string.Join(", ", bad)}.");
            return 2;
        }
        catch (Exception e) when (e is CopyException or DatabaseDsnException or DatabaseNotSupportedException or SchemaInstallAbortedException)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
        catch (DbException e)
        {
            stderr.WriteLine("Database error: " + e.Message);
            if (!verifyOnly)
                stderr.WriteLine("The copy did not finish; the target may hold part of the rows. Run again with --overwrite once the cause is fixed.");
            return 1;
        }
    }

    private static async Task OpenAsync(DbConnection c, string which, DatabaseDsn dsn)
    {
        try { await c.OpenAsync(); }
        catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new CopyException($"Cannot connect to the {which} database {dsn.Original}: {e.Message}");
        }
    }
}
