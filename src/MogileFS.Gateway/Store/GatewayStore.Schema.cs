using MogileFS.Store;

namespace MogileFS.Gateway.Store;

// The gateway's own tables, beside the 2.73 schema in the cluster's database. The Perl tracker
// and ours never read them; they are created if absent when the gateway starts.
//
// s3_object: one row per MogileFS file (fid) written or seen through S3. Keyed by fid, not by key:
//   a key's current file is whatever the 2.73 `file` table says, and a row counts only while its
//   fid is that file's fid. So an overwrite or delete done straight through MogileFS can never
//   pair one file's bytes with another's ETag/length; rows of replaced or deleted files are just
//   ignored and swept later (GatewayStore.SweepAsync).
// s3_bucket: the creation time of buckets (domains) for ListBuckets.
public sealed partial class GatewayStore
{
    private static IEnumerable<string> CoreSchema(DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_object (
              fid          INTEGER NOT NULL PRIMARY KEY,
              dmid         INTEGER NOT NULL,
              dkey         VARCHAR(255) NOT NULL,
              size         INTEGER NOT NULL,
              etag         VARCHAR(100) NOT NULL,
              content_type TEXT,
              meta         TEXT,
              mtime        INTEGER NOT NULL,
              flags        INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX IF NOT EXISTS s3_object_key ON s3_object (dmid, dkey)",
            """
            CREATE TABLE IF NOT EXISTS s3_bucket (
              namespace    VARCHAR(255) NOT NULL PRIMARY KEY,
              created      INTEGER NOT NULL
            )
            """,
        ],
        DatabaseKind.Postgres =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_object (
              fid          BIGINT NOT NULL PRIMARY KEY,
              dmid         INTEGER NOT NULL,
              dkey         VARCHAR(255) NOT NULL,
              size         BIGINT NOT NULL,
              etag         VARCHAR(100) NOT NULL,
              content_type TEXT,
              meta         TEXT,
              mtime        BIGINT NOT NULL,
              flags        INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX IF NOT EXISTS s3_object_key ON s3_object (dmid, dkey)",
            """
            CREATE TABLE IF NOT EXISTS s3_bucket (
              namespace    VARCHAR(255) NOT NULL PRIMARY KEY,
              created      BIGINT NOT NULL
            )
            """,
        ],
        DatabaseKind.MySql =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_object (
              fid          BIGINT UNSIGNED NOT NULL PRIMARY KEY,
              dmid         SMALLINT UNSIGNED NOT NULL,
              dkey         VARBINARY(255) NOT NULL,
              size         BIGINT UNSIGNED NOT NULL,
              etag         VARBINARY(100) NOT NULL,
              content_type BLOB,
              meta         MEDIUMBLOB,
              mtime        BIGINT NOT NULL,
              flags        INT NOT NULL DEFAULT 0,
              INDEX s3_object_key (dmid, dkey)
            ) ENGINE=InnoDB
            """,
            """
            CREATE TABLE IF NOT EXISTS s3_bucket (
              namespace    VARBINARY(255) NOT NULL PRIMARY KEY,
              created      BIGINT NOT NULL
            ) ENGINE=InnoDB
            """,
        ],
        _ => throw new NotSupportedException(kind.ToString()),
    };

    /// <summary>Tables of features that plug in (multipart uploads, ...): each adds its statements here.</summary>
    static partial void AddFeatureSchema(DatabaseKind kind, List<string> statements);

    internal static List<string> SchemaStatements(DatabaseKind kind)
    {
        var list = CoreSchema(kind).ToList();
        AddFeatureSchema(kind, list);
        return list;
    }
}
