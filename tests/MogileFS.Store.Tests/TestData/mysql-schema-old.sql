-- A MogileFS database as an old (schema version 7) mogdbsetup left it on MySQL: no
-- host.http_get_port/altip/altmask, no device.mb_asof/weight, the short status ENUMs,
-- MEDIUMINT device sizes, VARCHAR server_settings values, no class.replpolicy/hashtype,
-- no file_to_queue.arg, INT fids. Upgraded by mogdbsetup to version 17 (MySqlSchemaTests).
CREATE TABLE domain (dmid SMALLINT UNSIGNED NOT NULL PRIMARY KEY, namespace VARCHAR(255), UNIQUE (namespace)) ENGINE=InnoDB;
CREATE TABLE class (dmid SMALLINT UNSIGNED NOT NULL, classid TINYINT UNSIGNED NOT NULL, PRIMARY KEY (dmid, classid), classname VARCHAR(50), UNIQUE (dmid, classname), mindevcount TINYINT UNSIGNED NOT NULL) ENGINE=InnoDB;
CREATE TABLE file (fid INT UNSIGNED NOT NULL, PRIMARY KEY (fid), dmid SMALLINT UNSIGNED NOT NULL, dkey VARCHAR(255), UNIQUE dkey (dmid, dkey), length INT UNSIGNED, classid TINYINT UNSIGNED NOT NULL, devcount TINYINT UNSIGNED NOT NULL, INDEX devcount (dmid, classid, devcount)) ENGINE=InnoDB;
CREATE TABLE tempfile (fid INT UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (fid), createtime INT UNSIGNED NOT NULL, classid TINYINT UNSIGNED NOT NULL, dmid SMALLINT UNSIGNED NOT NULL, dkey VARCHAR(255), devids VARCHAR(60)) ENGINE=InnoDB;
CREATE TABLE file_to_delete (fid INT UNSIGNED NOT NULL, PRIMARY KEY (fid)) ENGINE=InnoDB;
CREATE TABLE unreachable_fids (fid INT UNSIGNED NOT NULL, lastupdate INT UNSIGNED NOT NULL, PRIMARY KEY (fid), INDEX (lastupdate)) ENGINE=InnoDB;
CREATE TABLE file_on (fid INT UNSIGNED NOT NULL, devid MEDIUMINT UNSIGNED NOT NULL, PRIMARY KEY (fid, devid), INDEX (devid)) ENGINE=InnoDB;
CREATE TABLE file_on_corrupt (fid INT UNSIGNED NOT NULL, devid MEDIUMINT UNSIGNED NOT NULL, PRIMARY KEY (fid, devid)) ENGINE=InnoDB;
CREATE TABLE host (hostid MEDIUMINT UNSIGNED NOT NULL PRIMARY KEY, status ENUM('alive','dead','down'), http_port MEDIUMINT UNSIGNED DEFAULT 7500, hostname VARCHAR(40), hostip VARCHAR(15), UNIQUE (hostname), UNIQUE (hostip)) ENGINE=InnoDB;
CREATE TABLE device (devid MEDIUMINT UNSIGNED NOT NULL, hostid MEDIUMINT UNSIGNED NOT NULL, status ENUM('alive','dead','down'), mb_total MEDIUMINT UNSIGNED, mb_used MEDIUMINT UNSIGNED, PRIMARY KEY (devid), INDEX (status)) ENGINE=InnoDB;
CREATE TABLE server_settings (field VARCHAR(50) PRIMARY KEY, value VARCHAR(255)) ENGINE=InnoDB;
CREATE TABLE file_to_replicate (fid INT UNSIGNED NOT NULL PRIMARY KEY, nexttry INT UNSIGNED NOT NULL, INDEX (nexttry), fromdevid INT UNSIGNED, failcount TINYINT UNSIGNED NOT NULL DEFAULT 0, flags SMALLINT UNSIGNED NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TABLE file_to_delete_later (fid INT UNSIGNED NOT NULL PRIMARY KEY, delafter INT UNSIGNED NOT NULL, INDEX (delafter)) ENGINE=InnoDB;
CREATE TABLE fsck_log (logid INT UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (logid), utime INT UNSIGNED NOT NULL, fid INT UNSIGNED NULL, evcode CHAR(4), devid MEDIUMINT UNSIGNED, INDEX (utime)) ENGINE=InnoDB;
CREATE TABLE file_to_queue (fid INT UNSIGNED NOT NULL, devid INT UNSIGNED, type TINYINT UNSIGNED NOT NULL, nexttry INT UNSIGNED NOT NULL, failcount TINYINT UNSIGNED NOT NULL DEFAULT 0, flags SMALLINT UNSIGNED NOT NULL DEFAULT 0, PRIMARY KEY (fid, type), INDEX type_nexttry (type, nexttry)) ENGINE=InnoDB;
INSERT INTO server_settings (field, value) VALUES ('schema_version', '7');
INSERT INTO domain VALUES (1, 'd1');
INSERT INTO class VALUES (1, 1, 'c1', 2);
