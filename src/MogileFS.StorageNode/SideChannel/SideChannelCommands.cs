using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode.SideChannel;

/// <summary>
/// The side-channel command table, matched in 2.73's order on the whole line
/// (storage-node.md §5.2): <c>size</c>, <c>watch</c>, <c>MD5</c>/<c>SHA-1</c>, then the
/// Perlbal admin commands we keep (<c>shutdown</c>, <c>uptime</c>, <c>version</c>, <c>help</c>).
/// </summary>
internal static partial class SideChannelCommands
{
    private delegate ValueTask Handler(SideChannelConnection c, Match m);

    private static readonly (Regex Pattern, Handler Run)[] Table =
    [
        (SizeRegex(), SizeAsync),
        (WatchRegex(), WatchAsync),
        (DigestRegex(), DigestAsync),
    ];

    [GeneratedRegex(@"^size (\S+)$", RegexOptions.CultureInvariant)]
    private static partial Regex SizeRegex();

    [GeneratedRegex(@"^watch$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WatchRegex();

    [GeneratedRegex(@"^(MD5|SHA-1) (\S+)(?: ([A-Za-z0-9_]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestRegex();

    public static ValueTask ExecuteAsync(SideChannelConnection c, string line)
    {
        foreach (var (pattern, run) in Table)
        {
            var m = pattern.Match(line);
            if (m.Success) return run(c, m);
        }
        return AdminAsync(c, line);
    }

    private static ValueTask SizeAsync(SideChannelConnection c, Match m)
    {
        string uri = m.Groups[1].Value;
        if (uri.Contains("..", StringComparison.Ordinal))
            return c.WriteAsync("ERROR: uri invalid (contains ..)\r\n");
        long size = StatSize(c.Server.Root, uri);
        return c.WriteAsync($"{uri} {size.ToString(CultureInfo.InvariantCulture)}\r\n");
    }

    /// <summary>2.73 stats <c>docroot . uri</c>; a uri without a leading slash would point
    /// next to the docroot, so here it simply does not exist (-1).</summary>
    private static unsafe long StatSize(DocRoot root, string uri)
    {
        if (!TryRelative(uri, out byte[] rel, out int len)) return -1;
        fixed (byte* p = rel)
            return root.Stat(p, len, out var st) < 0 ? -1 : (long)st.Size;
    }

    private static bool TryRelative(string uri, out byte[] rel, out int len)
    {
        rel = [];
        len = 0;
        if (!uri.StartsWith('/') || uri.Contains('\0')) return false;
        string r = uri.TrimStart('/');
        if (r.Length == 0) r = ".";
        rel = new byte[r.Length + 1];
        len = Encoding.Latin1.GetBytes(r, rel);
        rel[len] = 0;
        return true;
    }

    private static async ValueTask WatchAsync(SideChannelConnection c, Match m)
    {
        c.Watching = true;
        // 2.73 would answer "ERR iostat unavailable" here, but its flag never goes down; a
        // subscriber without iostat simply receives nothing, as there.
        c.Server.IoStat?.Subscribe(c);
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static async ValueTask DigestAsync(SideChannelConnection c, Match m)
    {
        string alg = m.Groups[1].Value;
        string uri = m.Groups[2].Value;
        string reason = m.Groups[3].Success ? m.Groups[3].Value : "";
        if (uri.Contains("..", StringComparison.Ordinal))
        {
            await c.WriteAsync("ERROR: uri invalid (contains ..)\r\n").ConfigureAwait(false);
            return;
        }
        int fd = OpenForDigest(c.Server.Root, uri);
        if (fd < 0)
        {
            await c.WriteAsync($"{uri} {alg}=-1\r\n").ConfigureAwait(false);
            return;
        }
        SemaphoreSlim? queue = null;
        try
        {
            if (reason == "fsck" && Libc.FStat(fd, out var st) == 0)
            {
                queue = c.Server.FsckQueue(st.DevMajor, st.DevMinor);
                await queue.WaitAsync().ConfigureAwait(false);
            }
            string reply = await Task.Run(() => Digest(fd, alg, uri)).ConfigureAwait(false);
            await c.WriteAsync(reply).ConfigureAwait(false);
        }
        finally
        {
            queue?.Release();
            Libc.Close(fd);
        }
    }

    private static unsafe int OpenForDigest(DocRoot root, string uri)
    {
        if (!TryRelative(uri, out byte[] rel, out int len)) return -1;
        fixed (byte* p = rel) return root.Open(p, len, Libc.O_RDONLY | Libc.O_NONBLOCK);
    }

    private static unsafe string Digest(int fd, string alg, string uri)
    {
        using var hash = IncrementalHash.CreateHash(alg == "MD5" ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA1);
        byte[] buf = new byte[1024 * 1024];
        long offset = 0;
        fixed (byte* b = buf)
        {
            while (true)
            {
                nint n = Libc.Read(fd, b, buf.Length);
                if (n < 0)
                {
                    if (Libc.Errno == Libc.EINTR) continue;
                    return $"ERR read {uri} at {offset.ToString(CultureInfo.InvariantCulture)} failed\r\n";
                }
                if (n == 0) break;
                hash.AppendData(buf, 0, (int)n);
                offset += n;
            }
        }
        return $"{uri} {alg}={Convert.ToHexStringLower(hash.GetHashAndReset())}\r\n";
    }

    /// <summary>What 2.73 handed to Perlbal's management language.</summary>
    private static async ValueTask AdminAsync(SideChannelConnection c, string line)
    {
        string cmd = line.Trim();
        var words = cmd.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string first = FirstWord(cmd);
        switch (first)
        {
            case "":
                if (cmd.Length == 0)
                {
                    await c.WriteAsync("\r\n").ConfigureAwait(false);
                    return;
                }
                break;
            case "shutdown":
                if (words.Length == 1)
                {
                    Log.ShutdownCommand(c.Server.Logger, c.Remote);
                    await c.Server.Shutdown(new SideChannelShutdown(false, null)).ConfigureAwait(false);
                    return;
                }
                if (words.Length <= 3 && words[1].Equals("graceful", StringComparison.OrdinalIgnoreCase))
                {
                    TimeSpan? timeout = null;
                    if (words.Length == 3)
                    {
                        if (!int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out int secs))
                            break;
                        timeout = TimeSpan.FromSeconds(secs);
                    }
                    Log.ShutdownCommand(c.Server.Logger, c.Remote);
                    await c.WriteAsync("\r\n").ConfigureAwait(false);
                    _ = c.Server.Shutdown(new SideChannelShutdown(true, timeout));
                    return;
                }
                await c.WriteAsync("ERROR: usage: shutdown [graceful [<timeout>]]\r\n").ConfigureAwait(false);
                return;
            case "uptime":
            case "version":
                long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                await c.WriteAsync($"starttime {c.Server.StartTime}\r\nuptime {now - c.Server.StartTime}\r\nversion 1.80\r\n.\r\n").ConfigureAwait(false);
                return;
            case "help":
                await c.WriteAsync(
                    "size <uri>\r\nMD5 <uri> [fsck]\r\nSHA-1 <uri> [fsck]\r\nwatch\r\n" +
                    "shutdown [graceful [<timeout>]]\r\nuptime\r\nversion\r\nhelp\r\n.\r\n").ConfigureAwait(false);
                return;
        }
        await c.WriteAsync($"ERROR: unknown command: {first}\r\n").ConfigureAwait(false);
    }

    /// <summary>Perlbal's command word: leading word characters, lower-cased
    /// (<c>SHA-256 /x</c> gives <c>sha</c>).</summary>
    internal static string FirstWord(string line)
    {
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')) i++;
        return line[..i].ToLowerInvariant();
    }
}
