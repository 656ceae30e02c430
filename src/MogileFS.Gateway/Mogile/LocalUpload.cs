using System.Buffers;
using System.Security.Cryptography;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Mogile;

/// <summary>A write into the disk of a storage node on this host failed after it began (e.g. a full disk).</summary>
public sealed class LocalWriteException(string url, int errno, string what)
    : IOException($"{url}: {what}: {LocalNative.StrError(errno)}")
{
    public int Errno { get; } = errno;
    public bool NoSpace => Errno is LocalNative.ENOSPC or LocalNative.EDQUOT;
}

/// <summary>
/// One file being written into a local node's docroot (made by <see cref="LocalStorage.TryCreate"/>): an unnamed
/// file, or a hidden temp file, in the target directory. <see cref="Commit"/> gives it its name; disposing it
/// without a commit leaves nothing behind (the unnamed file vanishes with its descriptor, a temp file is removed).
/// </summary>
public sealed class LocalUpload : IDisposable
{
    /// <summary>Large writes: one write and one MD5 call per MiB.</summary>
    private const int BufferSize = 1 << 20;

    private readonly LocalStorage _owner;
    private readonly string _root, _name;
    private int _dirFd, _fd;
    private string? _tmpName;
    private bool _committed;

    internal LocalUpload(LocalStorage owner, string root, string urlPath, int dirFd, int fd, string name, string? tmpName)
    {
        _owner = owner;
        _root = root;
        Path = urlPath;
        _dirFd = dirFd;
        _fd = fd;
        _name = name;
        _tmpName = tmpName;
        owner.Opened();
    }

    /// <summary>The storage path (<c>/devN/.../name.fid</c>).</summary>
    public string Path { get; }

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>
    /// Copies exactly <paramref name="length"/> bytes of <paramref name="source"/> into the file (hashing them into
    /// <paramref name="hash"/>), then reads once more, which must find the end of the source (a verifying body checks
    /// its signature or checksum there). A failure of the source is passed through <paramref name="sourceError"/>;
    /// a body that ends early is IncompleteBody, a longer one <paramref name="tooLong"/>; a failed write is a
    /// <see cref="LocalWriteException"/>. Nothing gets a name here.
    /// </summary>
    public async Task CopyFromAsync(Stream source, long length, IncrementalHash? hash, Func<Exception, Exception> sourceError,
        Func<Exception> tooLong, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length, 1, BufferSize));
        try
        {
            long remaining = length;
            while (remaining > 0)
            {
                // Fill the buffer (the client's body arrives in pieces of a few KiB), then hash and write it at once.
                int want = (int)Math.Min(buffer.Length, remaining), filled = 0;
                while (filled < want)
                {
                    int n = await ReadAsync(source, buffer.AsMemory(filled, want - filled), sourceError, ct).ConfigureAwait(false);
                    if (n == 0) throw S3Errors.IncompleteBody();
                    filled += n;
                }
                hash?.AppendData(buffer, 0, filled);
                Write(buffer.AsSpan(0, filled));
                remaining -= filled;
            }
            if (await ReadAsync(source, buffer.AsMemory(0, 1), sourceError, ct).ConfigureAwait(false) != 0) throw tooLong();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<int> ReadAsync(Stream source, Memory<byte> buffer, Func<Exception, Exception> sourceError, CancellationToken ct)
    {
        try
        {
            return await source.ReadAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var mapped = sourceError(e);
            if (ReferenceEquals(mapped, e)) throw;
            throw mapped;
        }
    }

    /// <summary>Appends <paramref name="data"/> to the file.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        int err = LocalNative.WriteAll(_fd, data);
        if (err != 0) throw new LocalWriteException(Path, err, "write");
        Written += data.Length;
    }

    /// <summary>
    /// Gives the file its name (the unnamed file is linked; a temp file renamed). Only then can anyone see it. Like
    /// mogstored, no fsync: the kernel writes it back. Throws <see cref="LocalWriteException"/> when that fails.
    /// </summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (_tmpName is null)
        {
            int r = LocalNative.LinkUnnamed(_fd, _dirFd, _name);
            if (r == -LocalNative.EEXIST)
            {
                // A file of that name exists (not something MogileFS makes: fids are new): replace it in one step.
                _tmpName = LocalStorage.TempName(_name);
                r = LocalNative.LinkUnnamed(_fd, _dirFd, _tmpName);
                if (r < 0) _tmpName = null;
            }
            if (r < 0)
            {
                // A file system that makes unnamed files but cannot link them: the next uploads use temp names.
                if (-r is not (LocalNative.ENOENT or LocalNative.ENOSPC or LocalNative.EDQUOT)) _owner.NoTmpfile(_root);
                throw new LocalWriteException(Path, -r, "link");
            }
        }
        int c = LocalNative.CloseChecked(_fd);
        _fd = -1;
        if (c < 0)
        {
            // Linked under its name already: take the name away again rather than leave a file that may be short.
            if (_tmpName is null) LocalNative.Unlink(_dirFd, _name);
            throw new LocalWriteException(Path, -c, "close");
        }
        if (_tmpName != null)
        {
            int r = LocalNative.Rename(_dirFd, _tmpName, _name);
            if (r < 0) throw new LocalWriteException(Path, -r, "rename");
            _tmpName = null;
        }
        _committed = true;
        _owner.Committed();
    }

    public void Dispose()
    {
        if (_dirFd < 0) return;
        LocalNative.Close(_fd);
        _fd = -1;
        if (!_committed && _tmpName != null && _dirFd >= 0) LocalNative.Unlink(_dirFd, _tmpName);
        _tmpName = null;
        LocalNative.Close(_dirFd);
        _dirFd = -1;
        _owner.Closed();
    }
}
