using System.Collections.Concurrent;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// The error/notice stream that <c>!watch</c> connections receive as <c>:: text</c> lines (§8.9).
/// Anything in the tracker may <see cref="Publish"/>; subscribers are the watching connections.
/// </summary>
public sealed class ErrorStream
{
    private readonly ConcurrentDictionary<object, Action<string>> _watchers = new();
    private readonly Queue<(DateTimeOffset At, string Text)> _recent = new();

    /// <summary>How many published lines <see cref="Recent"/> keeps (the dashboard's "recent errors").</summary>
    public const int RecentCapacity = 50;

    public int WatcherCount => _watchers.Count;

    /// <summary>Adds the watcher if absent (returns true) or removes it (returns false): the !watch toggle.</summary>
    public bool Toggle(object owner, Action<string> sink)
    {
        if (_watchers.TryRemove(owner, out _)) return false;
        _watchers[owner] = sink;
        return true;
    }

    public void Remove(object owner) => _watchers.TryRemove(owner, out _);

    /// <summary>Sends one line (no CR/LF inside) to every watcher.</summary>
    public void Publish(string text)
    {
        text = text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        lock (_recent)
        {
            if (_recent.Count == RecentCapacity) _recent.Dequeue();
            _recent.Enqueue((DateTimeOffset.UtcNow, text));
        }
        if (_watchers.IsEmpty) return;
        foreach (var w in _watchers.Values)
        {
            try { w(text); } catch { /* a dying watcher must not hurt the publisher */ }
        }
    }

    /// <summary>The last <see cref="RecentCapacity"/> published lines, newest first.</summary>
    public IReadOnlyList<(DateTimeOffset At, string Text)> Recent()
    {
        lock (_recent) return _recent.Reverse().ToArray();
    }
}
