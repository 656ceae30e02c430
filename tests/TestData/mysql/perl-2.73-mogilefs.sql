/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: mogilefs
-- ------------------------------------------------------
-- Server version	10.11.19-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `checksum`
--

DROP TABLE IF EXISTS `checksum`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `checksum` (
  `fid` bigint(20) unsigned NOT NULL,
  `hashtype` tinyint(3) unsigned NOT NULL,
  `checksum` varbinary(64) NOT NULL,
  PRIMARY KEY (`fid`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `checksum`
--

LOCK TABLES `checksum` WRITE;
/*!40000 ALTER TABLE `checksum` DISABLE KEYS */;
INSERT INTO `checksum` VALUES (26,1,0x0CC175B9C0F1B6A831C399E269772661);
INSERT INTO `checksum` VALUES (28,1,0x60759C07F338FE754D2C3EE2CAB464BF);
INSERT INTO `checksum` VALUES (29,1,0x9079ACD6CF33D98BC2C63C41281B2582);
/*!40000 ALTER TABLE `checksum` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `class`
--

DROP TABLE IF EXISTS `class`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `class` (
  `dmid` smallint(5) unsigned NOT NULL,
  `classid` tinyint(3) unsigned NOT NULL,
  `classname` varchar(50) DEFAULT NULL,
  `mindevcount` tinyint(3) unsigned NOT NULL,
  `hashtype` tinyint(3) unsigned DEFAULT NULL,
  `replpolicy` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`dmid`,`classid`),
  UNIQUE KEY `dmid` (`dmid`,`classname`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `class`
--

LOCK TABLES `class` WRITE;
/*!40000 ALTER TABLE `class` DISABLE KEYS */;
INSERT INTO `class` VALUES (1,1,'single',1,NULL,NULL);
INSERT INTO `class` VALUES (1,2,'double',2,NULL,NULL);
INSERT INTO `class` VALUES (1,3,'triple',3,NULL,'MultipleHosts(3)');
INSERT INTO `class` VALUES (2,1,'md5',2,1,NULL);
INSERT INTO `class` VALUES (2,2,'lazy',1,NULL,NULL);
/*!40000 ALTER TABLE `class` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `device`
--

DROP TABLE IF EXISTS `device`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `device` (
  `devid` mediumint(8) unsigned NOT NULL,
  `hostid` mediumint(8) unsigned NOT NULL,
  `status` enum('alive','dead','down','readonly','drain') DEFAULT NULL,
  `weight` mediumint(9) DEFAULT 100,
  `mb_total` int(10) unsigned DEFAULT NULL,
  `mb_used` int(10) unsigned DEFAULT NULL,
  `mb_asof` int(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`devid`),
  KEY `status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `device`
--

LOCK TABLES `device` WRITE;
/*!40000 ALTER TABLE `device` DISABLE KEYS */;
INSERT INTO `device` VALUES (1,1,'alive',100,94509,15067,1796538480);
INSERT INTO `device` VALUES (2,1,'alive',100,94509,15067,1796538480);
INSERT INTO `device` VALUES (3,2,'alive',100,94509,15067,1796538480);
INSERT INTO `device` VALUES (4,2,'alive',100,94509,15067,1796538480);
INSERT INTO `device` VALUES (5,2,'drain',100,94509,15067,1796538480);
INSERT INTO `device` VALUES (6,3,'dead',100,NULL,NULL,NULL);
/*!40000 ALTER TABLE `device` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `domain`
--

DROP TABLE IF EXISTS `domain`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `domain` (
  `dmid` smallint(5) unsigned NOT NULL,
  `namespace` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`dmid`),
  UNIQUE KEY `namespace` (`namespace`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `domain`
--

LOCK TABLES `domain` WRITE;
/*!40000 ALTER TABLE `domain` DISABLE KEYS */;
INSERT INTO `domain` VALUES (2,'docs');
INSERT INTO `domain` VALUES (3,'empty.domain');
INSERT INTO `domain` VALUES (1,'photos');
/*!40000 ALTER TABLE `domain` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file`
--

DROP TABLE IF EXISTS `file`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file` (
  `fid` bigint(20) unsigned NOT NULL,
  `dmid` smallint(5) unsigned NOT NULL,
  `dkey` varchar(255) DEFAULT NULL,
  `length` bigint(20) unsigned DEFAULT NULL,
  `classid` tinyint(3) unsigned NOT NULL,
  `devcount` tinyint(3) unsigned NOT NULL,
  PRIMARY KEY (`fid`),
  UNIQUE KEY `dkey` (`dmid`,`dkey`),
  KEY `devcount` (`dmid`,`classid`,`devcount`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file`
--

LOCK TABLES `file` WRITE;
/*!40000 ALTER TABLE `file` DISABLE KEYS */;
INSERT INTO `file` VALUES (2,1,'single/f0',0,1,1);
INSERT INTO `file` VALUES (3,1,'single/f1',1,1,1);
INSERT INTO `file` VALUES (4,1,'single/f100',100,1,0);
INSERT INTO `file` VALUES (5,1,'single/f4k',4096,1,1);
INSERT INTO `file` VALUES (6,1,'single/f70k',70000,1,1);
INSERT INTO `file` VALUES (7,1,'single/ftext',13893,1,1);
INSERT INTO `file` VALUES (8,1,'double/f0',0,2,2);
INSERT INTO `file` VALUES (9,1,'double/f1',1,2,2);
INSERT INTO `file` VALUES (10,1,'double/f100',100,2,2);
INSERT INTO `file` VALUES (11,1,'double/f4k',4096,2,2);
INSERT INTO `file` VALUES (12,1,'double/f70k',70000,2,2);
INSERT INTO `file` VALUES (13,1,'double/ftext',13893,2,2);
INSERT INTO `file` VALUES (14,1,'triple/f0',0,3,3);
INSERT INTO `file` VALUES (15,1,'triple/f1',1,3,3);
INSERT INTO `file` VALUES (16,1,'triple/f100',100,3,3);
INSERT INTO `file` VALUES (17,1,'triple/f4k',4096,3,3);
INSERT INTO `file` VALUES (18,1,'triple/f70k',70000,3,3);
INSERT INTO `file` VALUES (19,1,'triple/ftext',13893,3,3);
INSERT INTO `file` VALUES (20,1,'big/f200k',200000,2,2);
INSERT INTO `file` VALUES (21,1,'default class key',100,0,2);
INSERT INTO `file` VALUES (22,1,'utf8/héllo wörld',1,1,1);
INSERT INTO `file` VALUES (23,2,'readme.txt',13893,2,1);
INSERT INTO `file` VALUES (25,2,'new-name',4096,2,1);
INSERT INTO `file` VALUES (26,2,'same-key-other-domain',1,1,2);
INSERT INTO `file` VALUES (27,1,'same-key-other-domain',100,1,1);
INSERT INTO `file` VALUES (28,2,'checked/one',4096,1,2);
INSERT INTO `file` VALUES (29,2,'checked/two',70000,1,2);
INSERT INTO `file` VALUES (30,2,'checked/lazy-with-sum',100,2,1);
INSERT INTO `file` VALUES (31,1,'checked/photo',1,2,2);
INSERT INTO `file` VALUES (32,1,'pending/replicate-me',4096,2,1);
INSERT INTO `file` VALUES (33,1,'pending/replicate-me-3',100,3,1);
/*!40000 ALTER TABLE `file` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_on`
--

DROP TABLE IF EXISTS `file_on`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_on` (
  `fid` bigint(20) unsigned NOT NULL,
  `devid` mediumint(8) unsigned NOT NULL,
  PRIMARY KEY (`fid`,`devid`),
  KEY `devid` (`devid`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_on`
--

LOCK TABLES `file_on` WRITE;
/*!40000 ALTER TABLE `file_on` DISABLE KEYS */;
INSERT INTO `file_on` VALUES (2,1);
INSERT INTO `file_on` VALUES (3,4);
INSERT INTO `file_on` VALUES (5,5);
INSERT INTO `file_on` VALUES (6,4);
INSERT INTO `file_on` VALUES (7,1);
INSERT INTO `file_on` VALUES (8,2);
INSERT INTO `file_on` VALUES (8,3);
INSERT INTO `file_on` VALUES (9,1);
INSERT INTO `file_on` VALUES (9,3);
INSERT INTO `file_on` VALUES (10,2);
INSERT INTO `file_on` VALUES (10,4);
INSERT INTO `file_on` VALUES (11,2);
INSERT INTO `file_on` VALUES (11,4);
INSERT INTO `file_on` VALUES (12,1);
INSERT INTO `file_on` VALUES (12,4);
INSERT INTO `file_on` VALUES (13,2);
INSERT INTO `file_on` VALUES (13,3);
INSERT INTO `file_on` VALUES (14,1);
INSERT INTO `file_on` VALUES (14,2);
INSERT INTO `file_on` VALUES (14,4);
INSERT INTO `file_on` VALUES (15,2);
INSERT INTO `file_on` VALUES (15,3);
INSERT INTO `file_on` VALUES (15,4);
INSERT INTO `file_on` VALUES (16,2);
INSERT INTO `file_on` VALUES (16,3);
INSERT INTO `file_on` VALUES (16,4);
INSERT INTO `file_on` VALUES (17,1);
INSERT INTO `file_on` VALUES (17,2);
INSERT INTO `file_on` VALUES (17,3);
INSERT INTO `file_on` VALUES (18,1);
INSERT INTO `file_on` VALUES (18,3);
INSERT INTO `file_on` VALUES (18,4);
INSERT INTO `file_on` VALUES (19,1);
INSERT INTO `file_on` VALUES (19,2);
INSERT INTO `file_on` VALUES (19,5);
INSERT INTO `file_on` VALUES (20,2);
INSERT INTO `file_on` VALUES (20,3);
INSERT INTO `file_on` VALUES (21,1);
INSERT INTO `file_on` VALUES (21,4);
INSERT INTO `file_on` VALUES (22,4);
INSERT INTO `file_on` VALUES (23,5);
INSERT INTO `file_on` VALUES (25,2);
INSERT INTO `file_on` VALUES (26,2);
INSERT INTO `file_on` VALUES (26,5);
INSERT INTO `file_on` VALUES (27,4);
INSERT INTO `file_on` VALUES (28,2);
INSERT INTO `file_on` VALUES (28,5);
INSERT INTO `file_on` VALUES (29,2);
INSERT INTO `file_on` VALUES (29,3);
INSERT INTO `file_on` VALUES (30,4);
INSERT INTO `file_on` VALUES (31,1);
INSERT INTO `file_on` VALUES (31,3);
INSERT INTO `file_on` VALUES (32,1);
INSERT INTO `file_on` VALUES (33,3);
INSERT INTO `file_on` VALUES (34,4);
/*!40000 ALTER TABLE `file_on` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_on_corrupt`
--

DROP TABLE IF EXISTS `file_on_corrupt`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_on_corrupt` (
  `fid` bigint(20) unsigned NOT NULL,
  `devid` mediumint(8) unsigned NOT NULL,
  PRIMARY KEY (`fid`,`devid`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_on_corrupt`
--

LOCK TABLES `file_on_corrupt` WRITE;
/*!40000 ALTER TABLE `file_on_corrupt` DISABLE KEYS */;
/*!40000 ALTER TABLE `file_on_corrupt` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_to_delete`
--

DROP TABLE IF EXISTS `file_to_delete`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_to_delete` (
  `fid` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`fid`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_to_delete`
--

LOCK TABLES `file_to_delete` WRITE;
/*!40000 ALTER TABLE `file_to_delete` DISABLE KEYS */;
/*!40000 ALTER TABLE `file_to_delete` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_to_delete2`
--

DROP TABLE IF EXISTS `file_to_delete2`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_to_delete2` (
  `fid` bigint(20) unsigned NOT NULL,
  `nexttry` int(10) unsigned NOT NULL,
  `failcount` tinyint(3) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`fid`),
  KEY `nexttry` (`nexttry`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_to_delete2`
--

LOCK TABLES `file_to_delete2` WRITE;
/*!40000 ALTER TABLE `file_to_delete2` DISABLE KEYS */;
INSERT INTO `file_to_delete2` VALUES (34,1796539475,0);
/*!40000 ALTER TABLE `file_to_delete2` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_to_delete_later`
--

DROP TABLE IF EXISTS `file_to_delete_later`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_to_delete_later` (
  `fid` bigint(20) unsigned NOT NULL,
  `delafter` int(10) unsigned NOT NULL,
  PRIMARY KEY (`fid`),
  KEY `delafter` (`delafter`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_to_delete_later`
--

LOCK TABLES `file_to_delete_later` WRITE;
/*!40000 ALTER TABLE `file_to_delete_later` DISABLE KEYS */;
/*!40000 ALTER TABLE `file_to_delete_later` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_to_queue`
--

DROP TABLE IF EXISTS `file_to_queue`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_to_queue` (
  `fid` bigint(20) unsigned NOT NULL,
  `devid` int(10) unsigned DEFAULT NULL,
  `type` tinyint(3) unsigned NOT NULL,
  `nexttry` int(10) unsigned NOT NULL,
  `failcount` tinyint(3) unsigned NOT NULL DEFAULT 0,
  `flags` smallint(5) unsigned NOT NULL DEFAULT 0,
  `arg` text DEFAULT NULL,
  PRIMARY KEY (`fid`,`type`),
  KEY `type_nexttry` (`type`,`nexttry`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_to_queue`
--

LOCK TABLES `file_to_queue` WRITE;
/*!40000 ALTER TABLE `file_to_queue` DISABLE KEYS */;
INSERT INTO `file_to_queue` VALUES (2,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (3,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (4,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (5,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (6,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (7,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (8,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (9,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (10,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (11,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (12,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (13,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (14,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (15,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (16,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (17,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (18,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (19,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (20,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (21,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (22,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (23,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (25,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (26,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (27,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (28,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (29,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (30,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (31,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (32,NULL,1,1796539478,0,0,NULL);
INSERT INTO `file_to_queue` VALUES (33,NULL,1,1796539478,0,0,NULL);
/*!40000 ALTER TABLE `file_to_queue` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `file_to_replicate`
--

DROP TABLE IF EXISTS `file_to_replicate`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `file_to_replicate` (
  `fid` bigint(20) unsigned NOT NULL,
  `nexttry` int(10) unsigned NOT NULL,
  `fromdevid` int(10) unsigned DEFAULT NULL,
  `failcount` tinyint(3) unsigned NOT NULL DEFAULT 0,
  `flags` smallint(5) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`fid`),
  KEY `nexttry` (`nexttry`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `file_to_replicate`
--

LOCK TABLES `file_to_replicate` WRITE;
/*!40000 ALTER TABLE `file_to_replicate` DISABLE KEYS */;
INSERT INTO `file_to_replicate` VALUES (32,1796539475,NULL,0,0);
INSERT INTO `file_to_replicate` VALUES (33,1796539475,NULL,0,0);
INSERT INTO `file_to_replicate` VALUES (34,1796539475,NULL,0,0);
/*!40000 ALTER TABLE `file_to_replicate` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `fsck_log`
--

DROP TABLE IF EXISTS `fsck_log`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `fsck_log` (
  `logid` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `utime` int(10) unsigned NOT NULL,
  `fid` bigint(20) unsigned DEFAULT NULL,
  `evcode` char(4) DEFAULT NULL,
  `devid` mediumint(8) unsigned DEFAULT NULL,
  PRIMARY KEY (`logid`),
  KEY `utime` (`utime`)
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `fsck_log`
--

LOCK TABLES `fsck_log` WRITE;
/*!40000 ALTER TABLE `fsck_log` DISABLE KEYS */;
INSERT INTO `fsck_log` VALUES (1,1796538437,28,'REPL',NULL);
INSERT INTO `fsck_log` VALUES (2,1796538437,4,'MISS',3);
INSERT INTO `fsck_log` VALUES (3,1796538437,4,'SRCH',NULL);
INSERT INTO `fsck_log` VALUES (4,1796538437,4,'GONE',NULL);
/*!40000 ALTER TABLE `fsck_log` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `host`
--

DROP TABLE IF EXISTS `host`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `host` (
  `hostid` mediumint(8) unsigned NOT NULL,
  `status` enum('alive','dead','down','readonly') DEFAULT NULL,
  `http_port` mediumint(8) unsigned DEFAULT 7500,
  `http_get_port` mediumint(8) unsigned DEFAULT NULL,
  `hostname` varchar(40) DEFAULT NULL,
  `hostip` varchar(15) DEFAULT NULL,
  `altip` varchar(15) DEFAULT NULL,
  `altmask` varchar(18) DEFAULT NULL,
  PRIMARY KEY (`hostid`),
  UNIQUE KEY `hostname` (`hostname`),
  UNIQUE KEY `hostip` (`hostip`),
  UNIQUE KEY `altip` (`altip`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `host`
--

LOCK TABLES `host` WRITE;
/*!40000 ALTER TABLE `host` DISABLE KEYS */;
INSERT INTO `host` VALUES (1,'alive',7500,NULL,'h1','127.0.5.1','10.1.0.1','10.1.0.0/16');
INSERT INTO `host` VALUES (2,'alive',7500,NULL,'h2','127.0.5.2',NULL,NULL);
INSERT INTO `host` VALUES (3,'down',7500,NULL,'h3old','127.0.5.3',NULL,NULL);
/*!40000 ALTER TABLE `host` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `server_settings`
--

DROP TABLE IF EXISTS `server_settings`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `server_settings` (
  `field` varchar(50) NOT NULL,
  `value` text DEFAULT NULL,
  PRIMARY KEY (`field`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `server_settings`
--

LOCK TABLES `server_settings` WRITE;
/*!40000 ALTER TABLE `server_settings` DISABLE KEYS */;
INSERT INTO `server_settings` VALUES ('case_sensitive_list_keys','0');
INSERT INTO `server_settings` VALUES ('fsck_checksum','MD5');
INSERT INTO `server_settings` VALUES ('fsck_fids_checked','0');
INSERT INTO `server_settings` VALUES ('fsck_fid_at_end','33');
INSERT INTO `server_settings` VALUES ('fsck_highest_fid_checked','33');
INSERT INTO `server_settings` VALUES ('fsck_logid_processed','4');
INSERT INTO `server_settings` VALUES ('fsck_start_fid','0');
INSERT INTO `server_settings` VALUES ('fsck_start_maxlogid','4');
INSERT INTO `server_settings` VALUES ('fsck_start_time','1796538475');
INSERT INTO `server_settings` VALUES ('fsck_stop_time','1796538482');
INSERT INTO `server_settings` VALUES ('internal_queue_limit','300');
INSERT INTO `server_settings` VALUES ('memcache_ttl','3600');
INSERT INTO `server_settings` VALUES ('schema_version','17');
INSERT INTO `server_settings` VALUES ('skip_mkcol','0');
/*!40000 ALTER TABLE `server_settings` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `tempfile`
--

DROP TABLE IF EXISTS `tempfile`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `tempfile` (
  `fid` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `createtime` int(10) unsigned NOT NULL,
  `classid` tinyint(3) unsigned NOT NULL,
  `dmid` smallint(5) unsigned NOT NULL,
  `dkey` varchar(255) DEFAULT NULL,
  `devids` varchar(60) DEFAULT NULL,
  PRIMARY KEY (`fid`)
) ENGINE=InnoDB AUTO_INCREMENT=35 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `tempfile`
--

LOCK TABLES `tempfile` WRITE;
/*!40000 ALTER TABLE `tempfile` DISABLE KEYS */;
INSERT INTO `tempfile` VALUES (1,1796538321,0,99,'_server_startup_test',NULL);
/*!40000 ALTER TABLE `tempfile` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `unreachable_fids`
--

DROP TABLE IF EXISTS `unreachable_fids`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `unreachable_fids` (
  `fid` bigint(20) unsigned NOT NULL,
  `lastupdate` int(10) unsigned NOT NULL,
  PRIMARY KEY (`fid`),
  KEY `lastupdate` (`lastupdate`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `unreachable_fids`
--

LOCK TABLES `unreachable_fids` WRITE;
/*!40000 ALTER TABLE `unreachable_fids` DISABLE KEYS */;
/*!40000 ALTER TABLE `unreachable_fids` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed
