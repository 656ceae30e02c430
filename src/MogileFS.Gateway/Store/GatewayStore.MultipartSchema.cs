using MogileFS.Store;

namespace MogileFS.Gateway.Store;

// Multipart uploads in progress (docs/s3.md, "Multipart uploads"). Nothing here describes a
// finished object: Complete writes the object as one ordinary MogileFS file plus its s3_object
// row, then deletes the upload's rows and part files.
//
// s3_upload: one row per upload. state 0 = open, 1 = being completed (claimed by one request at
//   state_time; a claim older than the completion lease is taken to be a crashed gateway's and
//   may be claimed again).
// s3_upload_part: the current file of each part number. A part is a MogileFS file of its own in
//   the multipart domain under a key unique to that attempt (part_key), so two uploads of the
//   same part number never overwrite each other's file; the row names the one that counts.
// s3_object_part: the part layout of a completed multipart object (its fid), for GET/HEAD with
//   ?partNumber=N. Written with the object's s3_object row; swept with it.
public sealed partial class GatewayStore
{
    static partial void AddFeatureSchema(DatabaseKind kind, List<string> statements) =>
        statements.AddRange(MultipartSchema(kind));

    private static IEnumerable<string> MultipartSchema(DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_upload (
              upload_id    VARCHAR(64) NOT NULL PRIMARY KEY,
              bucket       VARCHAR(255) NOT NULL,
              dkey         VARCHAR(255) NOT NULL,
              class        VARCHAR(255),
              content_type TEXT,
              meta         TEXT,
              initiated    INTEGER NOT NULL,
              state        INTEGER NOT NULL DEFAULT 0,
              state_time   INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX IF NOT EXISTS s3_upload_key ON s3_upload (bucket, dkey, upload_id)",
            """
            CREATE TABLE IF NOT EXISTS s3_upload_part (
              upload_id    VARCHAR(64) NOT NULL,
              part_number  INTEGER NOT NULL,
              part_key     VARCHAR(255) NOT NULL,
              size         INTEGER NOT NULL,
              etag         VARCHAR(32) NOT NULL,
              mtime        INTEGER NOT NULL,
              PRIMARY KEY (upload_id, part_number)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS s3_object_part (
              fid          INTEGER NOT NULL,
              part_number  INTEGER NOT NULL,
              part_offset  INTEGER NOT NULL,
              part_size    INTEGER NOT NULL,
              PRIMARY KEY (fid, part_number)
            )
            """,
        ],
        DatabaseKind.Postgres =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_upload (
              upload_id    VARCHAR(64) NOT NULL PRIMARY KEY,
              bucket       VARCHAR(255) COLLATE "C" NOT NULL,
              dkey         VARCHAR(255) COLLATE "C" NOT NULL,
              class        VARCHAR(255),
              content_type TEXT,
              meta         TEXT,
              initiated    BIGINT NOT NULL,
              state        INTEGER NOT NULL DEFAULT 0,
              state_time   BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX IF NOT EXISTS s3_upload_key ON s3_upload (bucket, dkey, upload_id)",
            """
            CREATE TABLE IF NOT EXISTS s3_upload_part (
              upload_id    VARCHAR(64) NOT NULL,
              part_number  INTEGER NOT NULL,
              part_key     VARCHAR(255) NOT NULL,
              size         BIGINT NOT NULL,
              etag         VARCHAR(32) NOT NULL,
              mtime        BIGINT NOT NULL,
              PRIMARY KEY (upload_id, part_number)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS s3_object_part (
              fid          BIGINT NOT NULL,
              part_number  INTEGER NOT NULL,
              part_offset  BIGINT NOT NULL,
              part_size    BIGINT NOT NULL,
              PRIMARY KEY (fid, part_number)
            )
            """,
        ],
        DatabaseKind.MySql =>
        [
            """
            CREATE TABLE IF NOT EXISTS s3_upload (
              upload_id    VARBINARY(64) NOT NULL PRIMARY KEY,
              bucket       VARBINARY(255) NOT NULL,
              dkey         VARBINARY(255) NOT NULL,
              class        VARBINARY(255),
              content_type BLOB,
              meta         MEDIUMBLOB,
              initiated    BIGINT NOT NULL,
              state        INT NOT NULL DEFAULT 0,
              state_time   BIGINT NOT NULL DEFAULT 0,
              INDEX s3_upload_key (bucket, dkey, upload_id)
            ) ENGINE=InnoDB
            """,
            """
            CREATE TABLE IF NOT EXISTS s3_upload_part (
              upload_id    VARBINARY(64) NOT NULL,
              part_number  INT NOT NULL,
              part_key     VARBINARY(255) NOT NULL,
              size         BIGINT UNSIGNED NOT NULL,
              etag         VARBINARY(32) NOT NULL,
              mtime        BIGINT NOT NULL,
              PRIMARY KEY (upload_id, part_number)
            ) ENGINE=InnoDB
            """,
            """
            CREATE TABLE IF NOT EXISTS s3_object_part (
              fid          BIGINT UNSIGNED NOT NULL,
              part_number  INT NOT NULL,
              part_offset  BIGINT UNSIGNED NOT NULL,
              part_size    BIGINT UNSIGNED NOT NULL,
              PRIMARY KEY (fid, part_number)
            ) ENGINE=InnoDB
            """,
        ],
        _ => throw new NotSupportedException(kind.ToString()),
    };
}
