using System.Collections.Concurrent;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// The error/notice stream that <c>!watch</c> connections receive as <c>:: text</c> lines (§8.9).
/// Anything in the tracker may <see cref="Publish"/>; subscribers are the watching connections.
/// </summary>
public sealed class ErrorStream
{
    private readonly ConcurrentDictionary<object, Action<string>> _watchers = new();

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
        if (_watchers.IsEmpty) return;
        text = text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        foreach (var w in _watchers.Values)
        {
            try { w(text); } catch { /* a dying watcher must not hurt the publisher */ }
        }
    }
}
