-- schema.md §7.2 (observed 2.73 PostgreSQL schema), copied verbatim from the spec
CREATE TABLE domain (
  dmid        smallint NOT NULL,
  namespace   varchar(255),
  CONSTRAINT domain_pkey PRIMARY KEY (dmid),
  CONSTRAINT domain_namespace_key UNIQUE (namespace)
);
CREATE TABLE class (
  dmid        smallint NOT NULL,
  classid     smallint NOT NULL,
  classname   varchar(50),
  mindevcount smallint NOT NULL,
  hashtype    smallint,
  replpolicy  varchar(255),                       -- added by ALTER TABLE
  CONSTRAINT class_pkey PRIMARY KEY (dmid, classid),
  CONSTRAINT class_dmid_classname_key UNIQUE (dmid, classname)
);
CREATE TABLE file (
  fid         bigint NOT NULL,
  dmid        smallint NOT NULL,
  dkey        varchar(255),
  length      bigint,
  classid     smallint NOT NULL,
  devcount    smallint NOT NULL,
  CONSTRAINT file_pkey PRIMARY KEY (fid),
  CONSTRAINT file_dmid_dkey_key UNIQUE (dmid, dkey),
  CONSTRAINT file_length_check CHECK (length >= 0)
);
CREATE INDEX file_devcount ON file (dmid, classid, devcount);
CREATE TABLE tempfile (
  fid         serial NOT NULL,      -- int4, sequence tempfile_fid_seq
  createtime  integer NOT NULL,
  classid     smallint NOT NULL,
  dmid        smallint NOT NULL,
  dkey        varchar(255),
  devids      varchar(60),
  CONSTRAINT tempfile_pkey PRIMARY KEY (fid)
);
CREATE TABLE file_to_delete (
  fid         bigint NOT NULL,
  CONSTRAINT file_to_delete_pkey PRIMARY KEY (fid)
);
CREATE TABLE unreachable_fids (
  fid         bigint NOT NULL,
  lastupdate  integer NOT NULL,
  CONSTRAINT unreachable_fids_pkey PRIMARY KEY (fid)
);
CREATE INDEX unreachable_fids_lastupdate ON unreachable_fids (lastupdate);
CREATE TABLE file_on (
  fid         bigint NOT NULL,
  devid       smallint NOT NULL,
  CONSTRAINT file_on_pkey PRIMARY KEY (fid, devid)
);
CREATE INDEX file_on_devid ON file_on (devid);
CREATE TABLE file_on_corrupt (
  fid         bigint NOT NULL,
  devid       smallint NOT NULL,
  CONSTRAINT file_on_corrupt_pkey PRIMARY KEY (fid, devid)
);
CREATE TABLE host (
  hostid        smallint NOT NULL,
  status        varchar(8),
  http_port     integer DEFAULT 7500,
  http_get_port integer,
  hostname      varchar(40),
  hostip        varchar(15),
  altip         varchar(15),
  altmask       varchar(18),
  CONSTRAINT host_pkey PRIMARY KEY (hostid),
  CONSTRAINT host_hostname_key UNIQUE (hostname),
  CONSTRAINT host_hostip_key UNIQUE (hostip),
  CONSTRAINT host_altip_key UNIQUE (altip),
  CONSTRAINT host_hostid_check CHECK (hostid >= 0),
  CONSTRAINT host_http_port_check CHECK (http_port >= 0),
  CONSTRAINT host_http_port_check1 CHECK (http_port < 65536),
  CONSTRAINT host_http_get_port_check CHECK (http_get_port >= 0),
  CONSTRAINT host_http_get_port_check1 CHECK (http_get_port < 65536),
  CONSTRAINT status CHECK (status IN ('alive','dead','down','readonly'))
);
CREATE TABLE device (
  devid       smallint NOT NULL,
  hostid      smallint NOT NULL,
  status      varchar(8),
  weight      integer DEFAULT 100,
  mb_total    integer,
  mb_used     integer,
  mb_asof     integer,
  CONSTRAINT device_pkey PRIMARY KEY (devid),
  CONSTRAINT device_devid_check CHECK (devid >= 0),
  CONSTRAINT device_status_check CHECK (status IN ('alive','dead','down','readonly','drain')),
  CONSTRAINT device_mb_total_check CHECK (mb_total >= 0),
  CONSTRAINT device_mb_used_check CHECK (mb_used >= 0),
  CONSTRAINT device_mb_asof_check CHECK (mb_asof >= 0)
);
CREATE INDEX device_status ON device (status);
CREATE TABLE server_settings (
  field       varchar(50) NOT NULL,
  value       text,
  CONSTRAINT server_settings_pkey PRIMARY KEY (field)
);
CREATE TABLE file_to_replicate (
  fid         bigint NOT NULL,
  nexttry     integer NOT NULL,
  fromdevid   integer,
  failcount   smallint NOT NULL DEFAULT 0,
  flags       smallint NOT NULL DEFAULT 0,
  CONSTRAINT file_to_replicate_pkey PRIMARY KEY (fid)
);
CREATE INDEX file_to_replicate_nexttry ON file_to_replicate (nexttry);
CREATE TABLE file_to_delete_later (
  fid         bigint NOT NULL,
  delafter    integer NOT NULL,
  CONSTRAINT file_to_delete_later_pkey PRIMARY KEY (fid)
);
CREATE INDEX file_to_delete_later_delafter ON file_to_delete_later (delafter);
CREATE TABLE fsck_log (
  logid       serial NOT NULL,      -- int4, sequence fsck_log_logid_seq
  utime       integer NOT NULL,
  fid         bigint,
  evcode      char(4),
  devid       smallint,
  CONSTRAINT fsck_log_pkey PRIMARY KEY (logid)
);
CREATE INDEX fsck_log_utime ON fsck_log (utime);
CREATE TABLE file_to_queue (
  fid         bigint NOT NULL,
  devid       integer,
  type        smallint NOT NULL,
  nexttry     integer NOT NULL,
  failcount   smallint NOT NULL DEFAULT '0',
  flags       smallint NOT NULL DEFAULT '0',
  arg         text,
  CONSTRAINT file_to_queue_pkey PRIMARY KEY (fid, type)
);
CREATE INDEX type_nexttry ON file_to_queue (type, nexttry);
CREATE TABLE file_to_delete2 (
  fid         bigint NOT NULL,
  nexttry     integer NOT NULL,
  failcount   smallint NOT NULL DEFAULT '0',
  CONSTRAINT file_to_delete2_pkey PRIMARY KEY (fid)
);
CREATE INDEX file_to_delete2_nexttry ON file_to_delete2 (nexttry);
CREATE TABLE checksum (
  fid         bigint NOT NULL,
  hashtype    smallint NOT NULL,
  checksum    bytea NOT NULL,
  CONSTRAINT checksum_pkey PRIMARY KEY (fid)
);
CREATE TABLE lock (
  lockid      integer NOT NULL,
  hostname    varchar(255) NOT NULL,
  pid         integer NOT NULL,
  acquiredat  integer NOT NULL,
  CONSTRAINT lock_pkey PRIMARY KEY (lockid),
  CONSTRAINT lock_lockid_check CHECK (lockid >= 0),
  CONSTRAINT lock_pid_check CHECK (pid >= 0),
  CONSTRAINT lock_acquiredat_check CHECK (acquiredat >= 0)
);
INSERT INTO server_settings (field, value) VALUES ('schema_version', '17');
