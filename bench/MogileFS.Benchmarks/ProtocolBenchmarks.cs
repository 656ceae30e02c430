using System.Buffers;
using BenchmarkDotNet.Attributes;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Commands;

namespace MogileFS.Benchmarks;

/// <summary>Hot paths of one request: frame + dispatch, argument decoding, reply encoding.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private static readonly byte[] GetPathsLine = "GET_PATHS domain=testdom&key=some/dir/file-000123.jpg&noverify=1&pathcount=2&callid=12345\r\n"u8.ToArray();
    private static readonly byte[] NoopLine = "noop\r\n"u8.ToArray();
    private readonly CommandTable _table = TrackerCommands.CreateDefault();
    private readonly RequestArgs _args = new();
    private readonly ReplyBuilder _reply = new();
    private readonly ArrayBufferWriter<byte> _out = new(4096);

    [GlobalSetup]
    public void Setup() => _table.Freeze();

    [Benchmark]
    public bool FrameAndDispatch_noop()
    {
        RequestLine.TryReadLine(NoopLine, out var line, out _);
        RequestLine.TryParseQuery(line, out var cmd, out _);
        Span<char> name = stackalloc char[cmd.Length];
        RequestLine.ToLowerAscii(cmd, name);
        return _table.TryGet(name, out _);
    }

    [Benchmark]
    public bool FrameDispatchAndDecode_get_paths()
    {
        RequestLine.TryReadLine(GetPathsLine, out var line, out _);
        RequestLine.TryParseQuery(line, out var cmd, out var args);
        Span<char> name = stackalloc char[cmd.Length];
        RequestLine.ToLowerAscii(cmd, name);
        _args.Load(args);
        return _table.TryGet(name, out _) && _args.IsTrue("noverify");
    }

    [Benchmark]
    public int EncodeReply_get_paths()
    {
        _out.ResetWrittenCount();
        _reply.Reset();
        _reply.Add("paths", 2)
              .Add("path1", "http://10.0.0.1:7500/dev1/0/000/123/0000123456.fid")
              .Add("path2", "http://10.0.0.2:7500/dev7/0/000/123/0000123456.fid");
        _reply.WriteTo(_out, "12345");
        return _out.WrittenCount;
    }

    [Benchmark]
    public int EncodeReply_ok_empty()
    {
        _out.ResetWrittenCount();
        _reply.Reset();
        _reply.WriteTo(_out, null);
        return _out.WrittenCount;
    }

    [Benchmark]
    public int EncodeError_unknown_key()
    {
        _out.ResetWrittenCount();
        ReplyBuilder.WriteError(_out, "unknown_key", null, "12345");
        return _out.WrittenCount;
    }
}
