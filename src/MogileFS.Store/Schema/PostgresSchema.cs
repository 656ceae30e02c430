namespace MogileFS.Store.Schema;

/// <summary>
/// Schema v17 on PostgreSQL as MogileFS 2.73's mogdbsetup creates it (schema.md §7.2): the
/// MySQL types mapped (TINY/MEDIUM/SMALLINT → smallint, INT UNSIGNED → int, AUTO_INCREMENT →
/// serial, VARBINARY → bytea, ENUM → varchar(8) + CHECK), constraint names as Postgres
/// generates them for the original's DDL. <c>{FID}</c> is <c>BIGINT</c> on new databases and
/// <c>INT</c> when an existing <c>file.fid</c> is still int4 (schema.md §2). <c>tempfile.fid</c>
/// is <c>serial</c> (int4) in every case, exactly like the original.
/// </summary>
internal static class PostgresSchema
{
    public const string FidPlaceholder = "{FID}";

    public static readonly (string Table, string Create, string[] Indexes)[] Tables =
    [
        ("domain", """
            CREATE TABLE domain (
              dmid        SMALLINT NOT NULL,
              namespace   VARCHAR(255),
              CONSTRAINT domain_pkey PRIMARY KEY (dmid),
              CONSTRAINT domain_namespace_key UNIQUE (namespace)
            )
            """, []),
        ("class", """
            CREATE TABLE class (
              dmid        SMALLINT NOT NULL,
              classid     SMALLINT NOT NULL,
              classname   VARCHAR(50),
              mindevcount SMALLINT NOT NULL,
              hashtype    SMALLINT,
              CONSTRAINT class_pkey PRIMARY KEY (dmid, classid),
              CONSTRAINT class_dmid_classname_key UNIQUE (dmid, classname)
            )
            """, []),
        ("file", """
            CREATE TABLE file (
              fid         {FID} NOT NULL,
              dmid        SMALLINT NOT NULL,
              dkey        VARCHAR(255),
              length      BIGINT,
              classid     SMALLINT NOT NULL,
              devcount    SMALLINT NOT NULL,
              CONSTRAINT file_pkey PRIMARY KEY (fid),
              CONSTRAINT file_dmid_dkey_key UNIQUE (dmid, dkey),
              CONSTRAINT file_length_check CHECK (length >= 0)
            )
            """, ["CREATE INDEX file_devcount ON file (dmid, classid, devcount)"]),
        ("tempfile", """
            CREATE TABLE tempfile (
              fid         SERIAL NOT NULL,
              createtime  INT NOT NULL,
              classid     SMALLINT NOT NULL,
              dmid        SMALLINT NOT NULL,
              dkey        VARCHAR(255),
              devids      VARCHAR(60),
              CONSTRAINT tempfile_pkey PRIMARY KEY (fid)
            )
            """, []),
        ("file_to_delete", """
            CREATE TABLE file_to_delete (
              fid         {FID} NOT NULL,
              CONSTRAINT file_to_delete_pkey PRIMARY KEY (fid)
            )
            """, []),
        ("unreachable_fids", """
            CREATE TABLE unreachable_fids (
              fid         {FID} NOT NULL,
              lastupdate  INT NOT NULL,
              CONSTRAINT unreachable_fids_pkey PRIMARY KEY (fid)
            )
            """, ["CREATE INDEX unreachable_fids_lastupdate ON unreachable_fids (lastupdate)"]),
        ("file_on", """
            CREATE TABLE file_on (
              fid         {FID} NOT NULL,
              devid       SMALLINT NOT NULL,
              CONSTRAINT file_on_pkey PRIMARY KEY (fid, devid)
            )
            """, ["CREATE INDEX file_on_devid ON file_on (devid)"]),
        ("file_on_corrupt", """
            CREATE TABLE file_on_corrupt (
              fid         {FID} NOT NULL,
              devid       SMALLINT NOT NULL,
              CONSTRAINT file_on_corrupt_pkey PRIMARY KEY (fid, devid)
            )
            """, []),
        // Created with the 2.73 base definition; the v17 upgrade step then replaces the status
        // check by one named "status" that allows 'readonly' — the observed end state.
        ("host", """
            CREATE TABLE host (
              hostid        SMALLINT NOT NULL,
              status        VARCHAR(8),
              http_port     INT DEFAULT 7500,
              http_get_port INT,
              hostname      VARCHAR(40),
              hostip        VARCHAR(15),
              altip         VARCHAR(15),
              altmask       VARCHAR(18),
              CONSTRAINT host_pkey PRIMARY KEY (hostid),
              CONSTRAINT host_hostname_key UNIQUE (hostname),
              CONSTRAINT host_hostip_key UNIQUE (hostip),
              CONSTRAINT host_altip_key UNIQUE (altip),
              CONSTRAINT host_hostid_check CHECK (hostid >= 0),
              CONSTRAINT host_status_check CHECK (status IN ('alive','dead','down')),
              CONSTRAINT host_http_port_check CHECK (http_port >= 0),
              CONSTRAINT host_http_port_check1 CHECK (http_port < 65536),
              CONSTRAINT host_http_get_port_check CHECK (http_get_port >= 0),
              CONSTRAINT host_http_get_port_check1 CHECK (http_get_port < 65536)
            )
            """, []),
        ("device", """
            CREATE TABLE device (
              devid       SMALLINT NOT NULL,
              hostid      SMALLINT NOT NULL,
              status      VARCHAR(8),
              weight      INT DEFAULT 100,
              mb_total    INT,
              mb_used     INT,
              mb_asof     INT,
              CONSTRAINT device_pkey PRIMARY KEY (devid),
              CONSTRAINT device_devid_check CHECK (devid >= 0),
              CONSTRAINT device_status_check CHECK (status IN ('alive','dead','down','readonly','drain')),
              CONSTRAINT device_mb_total_check CHECK (mb_total >= 0),
              CONSTRAINT device_mb_used_check CHECK (mb_used >= 0),
              CONSTRAINT device_mb_asof_check CHECK (mb_asof >= 0)
            )
            """, ["CREATE INDEX device_status ON device (status)"]),
        ("server_settings", """
            CREATE TABLE server_settings (
              field       VARCHAR(50) NOT NULL,
              value       TEXT,
              CONSTRAINT server_settings_pkey PRIMARY KEY (field)
            )
            """, []),
        ("file_to_replicate", """
            CREATE TABLE file_to_replicate (
              fid         {FID} NOT NULL,
              nexttry     INT NOT NULL,
              fromdevid   INT,
              failcount   SMALLINT NOT NULL DEFAULT 0,
              flags       SMALLINT NOT NULL DEFAULT 0,
              CONSTRAINT file_to_replicate_pkey PRIMARY KEY (fid)
            )
            """, ["CREATE INDEX file_to_replicate_nexttry ON file_to_replicate (nexttry)"]),
        ("file_to_delete_later", """
            CREATE TABLE file_to_delete_later (
              fid         {FID} NOT NULL,
              delafter    INT NOT NULL,
              CONSTRAINT file_to_delete_later_pkey PRIMARY KEY (fid)
            )
            """, ["CREATE INDEX file_to_delete_later_delafter ON file_to_delete_later (delafter)"]),
        ("fsck_log", """
            CREATE TABLE fsck_log (
              logid       SERIAL NOT NULL,
              utime       INT NOT NULL,
              fid         {FID},
              evcode      CHAR(4),
              devid       SMALLINT,
              CONSTRAINT fsck_log_pkey PRIMARY KEY (logid)
            )
            """, ["CREATE INDEX fsck_log_utime ON fsck_log (utime)"]),
        ("file_to_queue", """
            CREATE TABLE file_to_queue (
              fid         {FID} NOT NULL,
              devid       INT,
              type        SMALLINT NOT NULL,
              nexttry     INT NOT NULL,
              failcount   SMALLINT NOT NULL DEFAULT '0',
              flags       SMALLINT NOT NULL DEFAULT '0',
              arg         TEXT,
              CONSTRAINT file_to_queue_pkey PRIMARY KEY (fid, type)
            )
            """, ["CREATE INDEX type_nexttry ON file_to_queue (type, nexttry)"]),
        ("file_to_delete2", """
            CREATE TABLE file_to_delete2 (
              fid         {FID} NOT NULL,
              nexttry     INT NOT NULL,
              failcount   SMALLINT NOT NULL DEFAULT '0',
              CONSTRAINT file_to_delete2_pkey PRIMARY KEY (fid)
            )
            """, ["CREATE INDEX file_to_delete2_nexttry ON file_to_delete2 (nexttry)"]),
        ("checksum", """
            CREATE TABLE checksum (
              fid         {FID} NOT NULL,
              hashtype    SMALLINT NOT NULL,
              checksum    BYTEA NOT NULL,
              CONSTRAINT checksum_pkey PRIMARY KEY (fid)
            )
            """, []),
        ("lock", """
            CREATE TABLE lock (
              lockid      INT NOT NULL,
              hostname    VARCHAR(255) NOT NULL,
              pid         INT NOT NULL,
              acquiredat  INT NOT NULL,
              CONSTRAINT lock_pkey PRIMARY KEY (lockid),
              CONSTRAINT lock_lockid_check CHECK (lockid >= 0),
              CONSTRAINT lock_pid_check CHECK (pid >= 0),
              CONSTRAINT lock_acquiredat_check CHECK (acquiredat >= 0)
            )
            """, []),
    ];
}
