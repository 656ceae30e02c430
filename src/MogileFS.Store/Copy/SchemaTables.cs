namespace MogileFS.Store.Copy;

/// <summary>How a column's values are compared and written by the copier.</summary>
public enum ColumnKind
{
    /// <summary>An integer of any width (signed or unsigned in the source).</summary>
    Integer,

    /// <summary>Text (names, keys, statuses, settings); keys may be byte strings on SQLite.</summary>
    Text,

    /// <summary>Binary (checksum.checksum: VARBINARY / bytea / BLOB).</summary>
    Binary,
}

public sealed record TableColumn(string Name, ColumnKind Kind);

/// <summary>One table of schema version 17 as the copier sees it.</summary>
public sealed record SchemaTable(string Name, IReadOnlyList<TableColumn> Columns, IReadOnlyList<string> PrimaryKey)
{
    /// <summary>Whether the primary key is all integers (then every database orders rows alike and
    /// the reader sorts in SQL); server_settings (a text key) is sorted in memory, ordinally.</summary>
    public bool IntegerKey => PrimaryKey.All(k => Columns.First(c => c.Name == k).Kind == ColumnKind.Integer);

    public int[] KeyOrdinals => PrimaryKey.Select(k => Columns.ToList().FindIndex(c => c.Name == k)).ToArray();
}

/// <summary>
/// The tables of schema version 17 that hold data (schema.md §3), identical in name and columns on
/// SQLite, PostgreSQL and MySQL. SQLite's <c>lock</c> table (held locks, SQLite only) is not data.
/// Order: small catalogue tables first, then the namespace, then the queues.
/// </summary>
public static class SchemaTables
{
    private static TableColumn I(string name) => new(name, ColumnKind.Integer);
    private static TableColumn T(string name) => new(name, ColumnKind.Text);

    public static readonly IReadOnlyList<SchemaTable> All =
    [
        new("server_settings", [T("field"), T("value")], ["field"]),
        new("domain", [I("dmid"), T("namespace")], ["dmid"]),
        new("class", [I("dmid"), I("classid"), T("classname"), I("mindevcount"), I("hashtype"), T("replpolicy")], ["dmid", "classid"]),
        new("host", [I("hostid"), T("status"), I("http_port"), I("http_get_port"), T("hostname"), T("hostip"), T("altip"), T("altmask")], ["hostid"]),
        new("device", [I("devid"), I("hostid"), T("status"), I("weight"), I("mb_total"), I("mb_used"), I("mb_asof")], ["devid"]),
        new("file", [I("fid"), I("dmid"), T("dkey"), I("length"), I("classid"), I("devcount")], ["fid"]),
        new("tempfile", [I("fid"), I("createtime"), I("classid"), I("dmid"), T("dkey"), T("devids")], ["fid"]),
        new("file_on", [I("fid"), I("devid")], ["fid", "devid"]),
        new("file_on_corrupt", [I("fid"), I("devid")], ["fid", "devid"]),
        new("checksum", [I("fid"), I("hashtype"), new("checksum", ColumnKind.Binary)], ["fid"]),
        new("file_to_replicate", [I("fid"), I("nexttry"), I("fromdevid"), I("failcount"), I("flags")], ["fid"]),
        new("file_to_delete", [I("fid")], ["fid"]),
        new("file_to_delete2", [I("fid"), I("nexttry"), I("failcount")], ["fid"]),
        new("file_to_delete_later", [I("fid"), I("delafter")], ["fid"]),
        new("file_to_queue", [I("fid"), I("devid"), I("type"), I("nexttry"), I("failcount"), I("flags"), T("arg")], ["fid", "type"]),
        new("unreachable_fids", [I("fid"), I("lastupdate")], ["fid"]),
        new("fsck_log", [I("logid"), I("utime"), I("fid"), T("evcode"), I("devid")], ["logid"]),
    ];

    /// <summary>Tables whose <c>fid</c> column names a file id (for the fid generator's high-water mark).</summary>
    public static readonly IReadOnlyList<string> FidTables =
    [
        "file", "tempfile", "file_on", "file_on_corrupt", "checksum", "file_to_replicate", "file_to_delete",
        "file_to_delete2", "file_to_delete_later", "file_to_queue", "unreachable_fids", "fsck_log",
    ];
}
