using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode.Http;

// DELETE (storage-node.md §3.4).
internal sealed partial class HttpConnection
{
    private static readonly byte[] NoContentKeepAlive = "HTTP/1.0 204 No Content\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n"u8.ToArray();
    private static readonly byte[] NoContentClose = "HTTP/1.0 204 No Content\r\nServer: Perlbal\r\nConnection: close\r\n\r\n"u8.ToArray();

    private async ValueTask<bool> HandleDeleteAsync()
    {
        bool keep = KeepAliveFor(bodyConsumed: !HasUnreadBody);
        if (OnEventLoop) await Task.Yield();
        var (code, message) = Delete();
        if (code == 204)
        {
            await SendAsync(keep ? NoContentKeepAlive : NoContentClose).ConfigureAwait(false);
            return keep;
        }
        return await SendSimpleAsync(code, message, keep).ConfigureAwait(false);
    }

    private unsafe (int, string) Delete()
    {
        var target = Target;
        if (UrlRules.ValidateWriteTarget(target) == 0) return (400, "Invalid filename");
        int lastSlash = target.LastIndexOf((byte)'/');
        int dirLen = lastSlash - 1;
        int dfd;
        if (dirLen <= 0)
        {
            dfd = -1; // the docroot itself
        }
        else
        {
            target[1..lastSlash].CopyTo(_path);
            _path[dirLen] = 0;
            fixed (byte* p = _path) dfd = _svc.Root.Open(p, dirLen, Libc.O_PATH | Libc.O_DIRECTORY);
            if (dfd < 0)
            {
                int e = -dfd;
                if (e is Libc.ENOENT or Libc.ENOTDIR) return (404, "");
                if (e is Libc.EXDEV or Libc.ELOOP)
                {
                    Log.EscapeRefused(_svc.Logger, System.Text.Encoding.UTF8.GetString(target));
                    return (403, "");
                }
                return (400, Libc.StrError(e));
            }
        }
        var name = target[(lastSlash + 1)..];
        name.CopyTo(_path);
        _path[name.Length] = 0;
        int r;
        fixed (byte* p = _path) r = Libc.UnlinkAt(dfd < 0 ? _svc.Root.Fd : dfd, p, 0);
        int err = r < 0 ? Libc.Errno : 0;
        if (dfd >= 0) Libc.Close(dfd);
        if (r == 0) return (204, "");
        if (err == Libc.ENOENT) return (404, "");
        return (400, Libc.StrError(err));
    }
}
