using System.Text;

namespace MogileFS.Drills.Storm;

/// <summary>
/// The bytes stored under a key: the key and a newline, repeated, cut to the size. Any client
/// (this tool, a Perl loop, a shell loop around mogupload) can produce it, so <c>verify</c> checks
/// every acknowledged key's content from the key and size alone.
/// </summary>
public static class Content
{
    public static byte[] For(string key, int size)
    {
        var unit = Encoding.UTF8.GetBytes(key + "\n");
        var data = new byte[size];
        for (int i = 0; i < size; i += unit.Length)
            unit.AsSpan(0, Math.Min(unit.Length, size - i)).CopyTo(data.AsSpan(i));
        return data;
    }
}
