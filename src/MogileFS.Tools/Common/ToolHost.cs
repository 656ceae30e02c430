using MogileFS.Client;
using MogileFS.Hosting;

namespace MogileFS.Tools.Common;

/// <summary>
/// Runs one tool: turns every failure into a single line on stderr and a non-zero exit code,
/// and Ctrl-C into a clean cancellation (exit 130).
/// </summary>
public static class ToolHost
{
    public static async Task<int> RunAsync(string tool, Func<CancellationToken, Task<int>> body)
    {
        using var interrupt = new ConsoleInterrupt();
        try
        {
            return await body(interrupt.Token).ConfigureAwait(false);
        }
        catch (UsageException u)
        {
            Console.Out.Write(u.Message);
            return u.ExitCode;
        }
        catch (ToolException e)
        {
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            Console.Error.WriteLine($"{tool}: interrupted");
            return 130;
        }
        catch (MogileFSException e)
        {
            Console.Error.WriteLine($"{tool}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{tool}: {e.Message}");
            return 1;
        }
        finally
        {
            await Console.Out.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Splits <c>a:7001, b</c> into addresses, adding port 7001 where none is given.</summary>
    public static List<string> SplitTrackers(string value)
    {
        var list = new List<string>();
        foreach (var part in value.Split(','))
        {
            var t = part.Trim();
            if (t.Length == 0) continue;
            bool hasPort = t.StartsWith('[') ? t.Contains("]:", StringComparison.Ordinal) : t.Count(c => c == ':') == 1;
            list.Add(hasPort ? t : (t.Contains(':') && !t.StartsWith('[') ? $"[{t}]:7001" : $"{t}:7001"));
        }
        return list;
    }
}
