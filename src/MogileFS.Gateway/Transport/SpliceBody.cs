using Microsoft.AspNetCore.Http;

namespace MogileFS.Gateway.Transport;

/// <summary>Sends a region of a local file as (the rest of) a response body whose Content-Length is set.</summary>
public static class SpliceBody
{
    private const int Step = 1 << 20;

    /// <summary>
    /// Sends bytes [<paramref name="offset"/>, offset+<paramref name="length"/>) of <paramref name="file"/> (which this
    /// call owns and disposes): with sendfile on the gateway's own transport, by reading it into the response
    /// elsewhere. The caller has checked the file's length; if it still ends early the connection is cut.
    /// </summary>
    public static async Task SendAsync(HttpContext http, FileStream file, long offset, long length, CancellationToken ct)
    {
        var response = http.Response;
        if (http.Features.Get<IFileSpliceFeature>() is { } splice)
        {
            if (!response.HasStarted) await response.StartAsync(ct).ConfigureAwait(false);
            splice.Splice(file, offset, length);
            await AdvanceAsync(response, length, ct).ConfigureAwait(false);
            return;
        }
        await using (file.ConfigureAwait(false))
        {
            var writer = response.BodyWriter;
            long end = offset + length;
            while (offset < end)
            {
                var into = writer.GetMemory(256 * 1024);
                if (into.Length > end - offset) into = into[..(int)(end - offset)];
                int n = await RandomAccess.ReadAsync(file.SafeFileHandle, into, offset, ct).ConfigureAwait(false);
                if (n == 0) throw new IOException($"local file ended early at offset {offset}");
                writer.Advance(n);
                offset += n;
                if ((await writer.FlushAsync(ct).ConfigureAwait(false)).IsCanceled) throw new OperationCanceledException(ct);
            }
        }
    }

    /// <summary>Advances the body writer by <paramref name="length"/> bytes it never fills (the splice's place).</summary>
    private static async Task AdvanceAsync(HttpResponse response, long length, CancellationToken ct)
    {
        var writer = response.BodyWriter;
        while (length > 0)
        {
            int step = (int)Math.Min(length, Step);
            int n = Math.Min(writer.GetMemory(step).Length, step);
            writer.Advance(n);
            length -= n;
        }
        if ((await writer.FlushAsync(ct).ConfigureAwait(false)).IsCanceled) throw new OperationCanceledException(ct);
    }
}
