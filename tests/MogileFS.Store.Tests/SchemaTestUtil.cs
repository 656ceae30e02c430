using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace MogileFS.Store.Tests;

internal static class SchemaTestUtil
{
    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    /// <summary>A temp directory removed on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() { Path = Directory.CreateTempSubdirectory("mogfs-store-test-").FullName; }
        public string Path { get; }
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }

    /// <summary>Strips SQL comments and normalises white space so formatting differences vanish.</summary>
    public static string NormalizeSql(string sql)
    {
        sql = Regex.Replace(sql, @"--[^\n]*", "");
        sql = Regex.Replace(sql, @"\s+", " ");
        sql = Regex.Replace(sql, @"\s*([(),])\s*", "$1");
        return sql.Trim().TrimEnd(';').Trim();
    }

    /// <summary>Splits a script into statements (no semicolons inside literals in our DDL).</summary>
    public static IEnumerable<string> Statements(string script) =>
        Regex.Replace(script, @"--[^\n]*", "").Split(';').Select(s => s.Trim()).Where(s => s.Length > 0);

    /// <summary>Every structural fact SQLite reports about a database, as comparable lines.</summary>
    public static List<string> DescribeSqlite(SqliteConnection c)
    {
        var lines = new List<string>();
        var objects = Query(c, "SELECT type, name, tbl_name FROM sqlite_master ORDER BY name");
        foreach (var o in objects)
        {
            lines.Add($"object {o[0]} {o[1]} on {o[2]}");
            if ((string)o[0]! == "table")
            {
                foreach (var col in Query(c, $"PRAGMA table_info(\"{o[1]}\")"))
                    lines.Add($"  column {o[1]}.{col[1]} #{col[0]} type={col[2]} notnull={col[3]} default={col[4] ?? "NULL"} pk={col[5]}");
                foreach (var idx in Query(c, $"PRAGMA index_list(\"{o[1]}\")"))
                {
                    var cols = string.Join(",", Query(c, $"PRAGMA index_info(\"{idx[1]}\")").Select(r => r[2]));
                    lines.Add($"  index {o[1]}: {idx[1]} unique={idx[2]} origin={idx[3]} ({cols})");
                }
            }
        }
        return lines;
    }

    public static List<object?[]> Query(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public static SqliteConnection OpenSqlite(string file)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        c.Open();
        return c;
    }
}
