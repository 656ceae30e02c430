using MogileFS.Tracker.Configuration;

namespace MogileFS.Store.Tests;

/// <summary>config.md §1 and the quirks checklist of §6, rule by rule.</summary>
public sealed class TrackerConfigLoaderTests : IDisposable
{
    private readonly SchemaTestUtil.TempDir _dir = new();
    private readonly StringWriter _warnings = new();

    public void Dispose() => _dir.Dispose();

    private string Conf(string text)
    {
        string path = _dir.File($"mogilefsd-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private TrackerOptions Load(params string[] args) =>
        TrackerConfigLoader.Load(args, _warnings, defaultConfigFile: null, environment: _ => null);

    private TrackerOptions LoadFile(string text, params string[] extra) =>
        Load([$"--config={Conf(text)}", .. extra]);

    private string Warnings => _warnings.ToString();

    // ---- defaults (config.md §1.3) ----

    [Fact]
    public void Defaults_are_those_of_2_73()
    {
        var o = Load();
        Assert.Equal("DBI:mysql:mogilefs", o.DbDsn);
        Assert.Equal("mogile", o.DbUser);
        Assert.Equal("", o.DbPass);
        Assert.Equal(["0.0.0.0:7001"], o.Listen);
        Assert.Equal(7001, o.ConfPort);
        Assert.Equal(20, o.QueryJobs);
        Assert.Equal((1, 1, 1, 1, 1), (o.DeleteJobs, o.ReplicateJobs, o.FsckJobs, o.ReaperJobs, o.MonitorJobs));
        Assert.True(o.JobMaster);
        Assert.False(o.Daemonize);
        Assert.Null(o.PidFile);
        Assert.Equal("", o.User);
        Assert.Equal(0, o.Debug);
        Assert.Equal(100, o.MinFreeSpaceMb);
        Assert.Equal(2, o.DefaultMinDevCount);
        Assert.Equal(2, o.NodeTimeoutSeconds);
        Assert.Equal(2, o.ConnTimeoutSeconds);
        Assert.Equal(20, o.ConnPoolSize);
        Assert.Equal(7501, o.MogstoredStreamPort);
        Assert.False(o.ReplUseGetPort);
        Assert.False(o.RebalanceIgnoreMissing);
        Assert.Equal(0, o.MaxHandles);
        Assert.False(o.NoSchemaCheck);
        Assert.Empty(o.Plugins);
        Assert.Equal("", o.LocalNetwork);
        Assert.Equal(5, o.MaxDiskAge);
        Assert.Null(o.ConfigFile);
        Assert.Equal("", Warnings);
    }

    // ---- file syntax (§1.2) ----

    [Theory]
    [InlineData("db_user = mogile", "mogile")]
    [InlineData("db_user mogile", "mogile")]
    [InlineData("db_user =mogile", "mogile")]
    [InlineData("db_user    =   a b c   ", "a b c")]
    [InlineData("   db_user\t=\tx", "x")]
    [InlineData("db_user = mogile # me", "mogile # me")]
    [InlineData("db_user =", "=")]
    [InlineData("db_user = = x", "= x")]
    [InlineData("db_user = x\r", "x")]
    public void Accepted_line_forms(string line, string value)
    {
        Assert.Equal(value, LoadFile(line + "\n").DbUser);
    }

    [Theory]
    [InlineData("db_user=mogile")]
    [InlineData("db_user= mogile")]
    [InlineData("db_user")]
    [InlineData("db-user = x")]
    [InlineData("= x")]
    public void Rejected_line_forms_are_fatal_with_the_line_number(string line)
    {
        var ex = Assert.Throws<TrackerConfigException>(() => LoadFile("# comment\n\n" + line + "\n"));
        Assert.Equal("Malformed config file (line 3)", ex.Message);
        Assert.Contains(line, ex.Detail);
    }

    [Fact]
    public void Blank_whitespace_and_comment_lines_are_ignored_but_hash_later_is_not_a_comment()
    {
        var o = LoadFile("\n   \n# db_user = a\n  \t# indented comment\ndb_pass = secret#1\n");
        Assert.Equal("mogile", o.DbUser);
        Assert.Equal("secret#1", o.DbPass);
    }

    [Fact]
    public void Last_line_without_newline_and_crlf_files_work()
    {
        var o = LoadFile("db_user = a\r\nconf_port = 7002\r\ndb_pass = p");
        Assert.Equal(("a", 7002, "p"), (o.DbUser, o.ConfPort, o.DbPass));
    }

    [Fact]
    public void Keys_are_case_sensitive_and_unknown_keys_are_ignored_with_a_warning()
    {
        var o = LoadFile("DB_USER = x\nfoo.bar = 1\ndb_user = y\n");
        Assert.Equal("y", o.DbUser);
        Assert.Contains("Ignoring unknown configuration key 'DB_USER'", Warnings);
        Assert.Contains("Ignoring unknown configuration key 'foo.bar'", Warnings);
        Assert.Equal("x", o.FileSettings["DB_USER"]);
    }

    [Fact]
    public void Repeated_key_last_one_wins()
    {
        Assert.Equal("b", LoadFile("db_user = a\ndb_user = b\n").DbUser);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    [InlineData("no", true)]
    [InlineData("off", true)]
    [InlineData("false", true)]
    [InlineData("0.0", true)]
    [InlineData("00", true)]
    public void Booleans_use_perl_truthiness(string value, bool expected)
    {
        var o = LoadFile($"daemonize = {value}\nno_schema_check = {value}\nrepl_use_get_port = {value}\nrebalance_ignore_missing = {value}\njob_master = {value}\n");
        Assert.Equal(expected, o.Daemonize);
        Assert.Equal(expected, o.NoSchemaCheck);
        Assert.Equal(expected, o.ReplUseGetPort);
        Assert.Equal(expected, o.RebalanceIgnoreMissing);
        Assert.Equal(expected, o.JobMaster);
    }

    [Fact]
    public void Debug_flag_echoes_every_accepted_line()
    {
        LoadFile("db_user = a\n# not this\nconf_port 7005\n", "-d");
        Assert.Contains("Setting 'db_user' to 'a'", Warnings);
        Assert.Contains("Setting 'conf_port' to '7005'", Warnings);
        Assert.DoesNotContain("not this", Warnings);
    }

    [Fact]
    public void Without_debug_nothing_is_echoed()
    {
        LoadFile("db_user = a\n");
        Assert.Equal("", Warnings);
    }

    // ---- which file (§1.1) ----

    [Fact]
    public void Missing_config_file_is_fatal_with_the_original_message()
    {
        string missing = _dir.File("nope.conf");
        var ex = Assert.Throws<TrackerConfigException>(() => Load("--config", missing));
        Assert.Equal($"open: {missing}: No such file or directory", ex.Message);
        ex = Assert.Throws<TrackerConfigException>(() => Load("-c", missing));
        Assert.Equal($"open: {missing}: No such file or directory", ex.Message);
    }

    [Fact]
    public void Default_file_is_read_when_readable_and_not_with_skipconfig()
    {
        string path = Conf("db_user = fromdefault\n");
        var o = TrackerConfigLoader.Load([], _warnings, defaultConfigFile: path, environment: _ => null);
        Assert.Equal("fromdefault", o.DbUser);
        Assert.Equal(path, o.ConfigFile);
        o = TrackerConfigLoader.Load(["--skipconfig"], _warnings, defaultConfigFile: path, environment: _ => null);
        Assert.Equal("mogile", o.DbUser);
        o = TrackerConfigLoader.Load(["-s"], _warnings, defaultConfigFile: path, environment: _ => null);
        Assert.Null(o.ConfigFile);
        // Absent default file: silently nothing.
        o = TrackerConfigLoader.Load([], _warnings, defaultConfigFile: _dir.File("absent.conf"), environment: _ => null);
        Assert.Equal("mogile", o.DbUser);
    }

    [Fact]
    public void Skipconfig_wins_over_an_explicit_config_even_if_it_does_not_exist()
    {
        var o = Load("--config=/nonexistent/x.conf", "--skipconfig");
        Assert.Null(o.ConfigFile);
    }

    [Fact]
    public void Command_line_beats_file_beats_default()
    {
        var o = LoadFile("db_user = file\ndb_pass = filepass\nconf_port = 7100\n", "--dbuser=cli", "-p", "7200");
        Assert.Equal("cli", o.DbUser);
        Assert.Equal("filepass", o.DbPass);
        Assert.Equal(7200, o.ConfPort);
    }

    // ---- every key and flag (§1.3) ----

    [Fact]
    public void Every_file_key_is_applied()
    {
        var o = LoadFile("""
            db_dsn = DBI:SQLite:/tmp/m.db
            db_user = u
            db_pass = p
            conf_port = 7010
            listen = 127.0.0.1:7001, 127.0.0.2
            query_jobs = 7
            delete_jobs = 2
            replicate_jobs = 3
            fsck_jobs = 4
            reaper_jobs = 5
            monitor_jobs = 9
            job_master = 0
            daemonize = 1
            pidfile = /run/m.pid
            user = root
            debug = 2
            min_free_space = 200
            default_mindevcount = 3
            node_timeout = 0.5
            conn_timeout = 3
            conn_pool_size = 40
            mogstored_stream_port = 7600
            repl_use_get_port = 1
            rebalance_ignore_missing = 1
            max_handles = 100
            no_schema_check = 1
            plugins = ZoneLocal, Foo
            local_network = 10.0.0.0/8
            max_disk_age = 9
            log_target = syslog
            """);
        Assert.Equal("DBI:SQLite:/tmp/m.db", o.DbDsn);
        Assert.Equal(("u", "p"), (o.DbUser, o.DbPass));
        Assert.Equal(7010, o.ConfPort);
        Assert.Equal(["127.0.0.1:7001", "127.0.0.2:7010"], o.Listen);
        Assert.Equal(7, o.QueryJobs);
        Assert.Equal((2, 3, 4, 5, 9), (o.DeleteJobs, o.ReplicateJobs, o.FsckJobs, o.ReaperJobs, o.MonitorJobs));
        Assert.False(o.JobMaster);
        Assert.True(o.Daemonize);
        Assert.Equal("/run/m.pid", o.PidFile);
        Assert.Equal("root", o.User);
        Assert.Equal(2, o.Debug);
        Assert.Equal(200, o.MinFreeSpaceMb);
        Assert.Equal(3, o.DefaultMinDevCount);
        Assert.Equal(0.5, o.NodeTimeoutSeconds);
        Assert.Equal(3, o.ConnTimeoutSeconds);
        Assert.Equal(40, o.ConnPoolSize);
        Assert.Equal(7600, o.MogstoredStreamPort);
        Assert.True(o.ReplUseGetPort);
        Assert.True(o.RebalanceIgnoreMissing);
        Assert.Equal(100, o.MaxHandles);
        Assert.True(o.NoSchemaCheck);
        Assert.Equal(["ZoneLocal", "Foo"], o.Plugins);
        Assert.Equal("10.0.0.0/8", o.LocalNetwork);
        Assert.Equal(9, o.MaxDiskAge);
        Assert.Equal("syslog", o.LogTarget);
        Assert.Equal("", Warnings);
    }

    [Fact]
    public void Every_flag_is_applied()
    {
        var o = Load("--dsn=DBI:Pg:dbname=m", "--dbuser", "u", "--dbpass=p", "--user=root", "-p", "7020",
            "-l", "127.0.0.1", "--listen=127.0.0.2:7777", "-w", "9", "-D", "--pidfile=/tmp/p", "--min_free_space=5",
            "--default_mindevcount=4", "--node_timeout=3", "--conn_timeout=4", "--conn_pool_size=6", "--max_handles=7",
            "--no_schema_check", "--plugins=A,B", "--plugins", "C", "--repl_use_get_port=1", "--local_network=10/8",
            "--max_disk_age=8", "--nojob_master", "--no_http", "-dd");
        Assert.Equal("DBI:Pg:dbname=m", o.DbDsn);
        Assert.Equal(("u", "p", "root"), (o.DbUser, o.DbPass, o.User));
        Assert.Equal(7020, o.ConfPort);
        Assert.Equal(["127.0.0.1:7020", "127.0.0.2:7777"], o.Listen);
        Assert.Equal(9, o.QueryJobs);
        Assert.True(o.Daemonize);
        Assert.Equal("/tmp/p", o.PidFile);
        Assert.Equal((5, 4, 3.0, 4.0, 6, 7), (o.MinFreeSpaceMb, o.DefaultMinDevCount, o.NodeTimeoutSeconds, o.ConnTimeoutSeconds, o.ConnPoolSize, o.MaxHandles));
        Assert.True(o.NoSchemaCheck);
        Assert.Equal(["A", "B", "C"], o.Plugins);
        Assert.True(o.ReplUseGetPort);
        Assert.Equal("10/8", o.LocalNetwork);
        Assert.Equal(8, o.MaxDiskAge);
        Assert.False(o.JobMaster);
        Assert.True(o.NoHttp);
        Assert.Equal(2, o.Debug);
        Assert.Equal("", Warnings);
    }

    [Fact]
    public void Listen_flags_replace_the_file_list_and_entries_get_conf_port()
    {
        var o = LoadFile("listen = 10.0.0.1:7001,10.0.0.2\nconf_port = 7500\n", "--listen=127.0.0.1");
        Assert.Equal(["127.0.0.1:7500"], o.Listen);
        o = LoadFile("listen = 10.0.0.1:7001 ,  10.0.0.2\nconf_port = 7500\n");
        Assert.Equal(["10.0.0.1:7001", "10.0.0.2:7500"], o.Listen);
    }

    [Fact]
    public void Plugins_from_file_and_flags_add_up()
    {
        Assert.Equal(["F1", "F2", "C1"], LoadFile("plugins = F1,F2\n", "--plugins=C1").Plugins);
    }

    [Fact]
    public void Listener_jobs_in_the_file_beats_query_jobs_and_workers()
    {
        Assert.Equal(3, LoadFile("listener_jobs = 3\nquery_jobs = 10\n", "--workers=12").QueryJobs);
        Assert.Equal(12, LoadFile("query_jobs = 10\n", "--workers=12").QueryJobs);
        Assert.Equal(10, LoadFile("query_jobs = 10\n").QueryJobs);
        // listener_jobs = 0 is false in Perl, so query_jobs applies.
        Assert.Equal(10, LoadFile("listener_jobs = 0\nquery_jobs = 10\n").QueryJobs);
    }

    [Fact]
    public void Mogstored_stream_port_flag_is_a_boolean_quirk()
    {
        Assert.Equal(1, Load("--mogstored_stream_port").MogstoredStreamPort);
        var o = Load("--mogstored_stream_port=7600");
        Assert.Equal(7501, o.MogstoredStreamPort);
        Assert.Contains("Option mogstored_stream_port does not take an argument", Warnings);
        Assert.Equal(7600, LoadFile("mogstored_stream_port = 7600\n").MogstoredStreamPort);
    }

    [Fact]
    public void Dbpass_value_is_optional()
    {
        Assert.Equal("", LoadFile("db_pass = filepass\n", "--dbpass").DbPass);
        Assert.Equal("x", Load("--dbpass", "x").DbPass);
        var o = Load("--dbpass", "-D");
        Assert.Equal("", o.DbPass);
        Assert.True(o.Daemonize);
        Assert.Equal("", Load("--dbpass=").DbPass);
    }

    [Fact]
    public void Job_master_is_negatable_three_ways()
    {
        Assert.False(Load("--nojob_master").JobMaster);
        Assert.False(Load("--no-job_master").JobMaster);
        Assert.True(LoadFile("job_master = 0\n", "--job_master").JobMaster);
    }

    [Fact]
    public void Workerport_is_accepted_with_a_deprecation_warning()
    {
        Load("--workerport=7002");
        Assert.Contains("The command line option --workerport is no longer needed (and has no necessary replacement)", Warnings);
    }

    [Fact]
    public void Debug_comes_from_flags_then_file_then_the_DEBUG_environment_variable()
    {
        Assert.Equal(3, TrackerConfigLoader.Load(["-d", "-dd"], _warnings, null, _ => null).Debug);
        Assert.Equal(2, TrackerConfigLoader.Load([], _warnings, null, v => v == "DEBUG" ? "2" : null).Debug);
        Assert.Equal(1, TrackerConfigLoader.Load(["--debug"], _warnings, null, v => v == "DEBUG" ? "4" : null).Debug);
        Assert.Equal(0, TrackerConfigLoader.Load([], _warnings, null, v => v == "DEBUG" ? "yes" : null).Debug);
    }

    // ---- GNU-style flag parsing ----

    [Fact]
    public void Single_letter_options_bundle_and_are_case_sensitive()
    {
        var o = Load("-dD");
        Assert.Equal(1, o.Debug); // -d is debug here (daemonize for mogstored)
        Assert.True(o.Daemonize);
        o = Load("-dw3D");
        Assert.Equal((1, 3, true), (o.Debug, o.QueryJobs, o.Daemonize));
        o = Load("-sp7300");
        Assert.Equal(7300, o.ConfPort);
        o = Load("-l127.0.0.9");
        Assert.Equal(["127.0.0.9:7001"], o.Listen);
    }

    [Fact]
    public void Long_options_may_be_abbreviated_unambiguously_and_any_case()
    {
        var o = Load("--ds=DBI:SQLite:/x", "--DBUSER=u", "--nod=5", "--pid", "/p", "--no_sc");
        Assert.Equal(("DBI:SQLite:/x", "u", 5.0, "/p", true), (o.DbDsn, o.DbUser, o.NodeTimeoutSeconds, o.PidFile, o.NoSchemaCheck));
    }

    [Fact]
    public void Ambiguous_and_unknown_options_warn_like_getopt_long_and_are_skipped()
    {
        var o = Load("--db=x", "--wor=5", "--conf_port=3", "-x", "--bogus");
        Assert.Equal(20, o.QueryJobs);
        Assert.Equal(7001, o.ConfPort);
        var w = Warnings;
        Assert.Contains("Option db is ambiguous (dbpass, dbuser)", w);
        Assert.Contains("Option wor is ambiguous (workerport, workers)", w);
        Assert.Contains("Unknown option: conf_port", w);
        Assert.Contains("Unknown option: x", w);
        Assert.Contains("Unknown option: bogus", w);
    }

    [Fact]
    public void Bad_flag_values_warn_and_keep_the_default()
    {
        var o = Load("--workers=abc", "-p", "x", "--dsn");
        Assert.Equal(20, o.QueryJobs);
        Assert.Equal(7001, o.ConfPort);
        Assert.Contains("Value \"abc\" invalid for option workers (number expected)", Warnings);
        Assert.Contains("Value \"x\" invalid for option p (number expected)", Warnings);
        Assert.Contains("Option dsn requires an argument", Warnings);
    }

    [Fact]
    public void Mandatory_values_take_the_next_argument_even_if_it_looks_like_an_option()
    {
        Assert.Equal("--listen", Load("--dsn", "--listen").DbDsn);
    }

    [Fact]
    public void Double_dash_ends_options_and_plain_arguments_are_ignored()
    {
        var o = Load("stray", "-D", "--", "-d");
        Assert.True(o.Daemonize);
        Assert.Equal(0, o.Debug);
    }

    // ---- values we refuse (2.73 would silently use 0) ----

    [Theory]
    [InlineData("conf_port = abc", "conf_port")]
    [InlineData("conf_port = 70000", "conf_port")]
    [InlineData("query_jobs = 0", "query_jobs")]
    [InlineData("query_jobs = many", "query_jobs")]
    [InlineData("node_timeout = 0", "node_timeout")]
    [InlineData("node_timeout = soon", "node_timeout")]
    [InlineData("delete_jobs = -1", "delete_jobs")]
    [InlineData("log_target = file", "log_target")]
    public void Bad_file_values_are_refused_naming_the_key_and_line(string line, string key)
    {
        var ex = Assert.Throws<TrackerConfigException>(() => LoadFile("# x\n" + line + "\n"));
        Assert.Contains($"for {key} in ", ex.Message);
        Assert.Contains("(line 2)", ex.Message);
    }

    [Fact]
    public void Numeric_prefix_is_used_like_perl_with_a_warning()
    {
        var o = LoadFile("query_jobs = 10 # ten\nconn_timeout = 1e1\n");
        Assert.Equal(10, o.QueryJobs);
        Assert.Equal(10, o.ConnTimeoutSeconds);
        Assert.Contains("Value '10 # ten' for query_jobs", Warnings);
    }

    [Fact]
    public void Shipped_sample_config_loads()
    {
        var o = LoadFile("""
            daemonize = 1
            pidfile = /var/run/mogilefsd/mogilefsd.pid
            db_dsn = DBI:mysql:mogilefs:host=127.0.0.1
            db_user = username
            db_pass = password
            listen = 127.0.0.1:7001
            conf_port = 7001
            query_jobs = 10
            delete_jobs = 1
            replicate_jobs = 5
            reaper_jobs = 1
            #fsck_jobs = 1
            #min_free_space = 200
            #node_timeout = 2
            #conn_timeout = 2
            #repl_use_get_port = 1
            """);
        Assert.Equal((true, "DBI:mysql:mogilefs:host=127.0.0.1", 10, 5), (o.Daemonize, o.DbDsn, o.QueryJobs, o.ReplicateJobs));
        Assert.Equal(["127.0.0.1:7001"], o.Listen);
        Assert.Equal("", Warnings);
    }

    [Fact]
    public void Test_suite_command_line_loads()
    {
        var o = Load("--user=root", "--skipconfig", "--workers=2", "--dsn=DBI:SQLite:/tmp/t.db", "--dbuser=", "--dbpass=");
        Assert.Equal(("root", 2, "DBI:SQLite:/tmp/t.db"), (o.User, o.QueryJobs, o.DbDsn));
    }

    // ---- limits of issue 17 (ours) ----

    [Fact]
    public void Limits_have_safe_defaults_and_are_read_from_the_file()
    {
        var d = Load();
        Assert.Equal(1024 * 1024, d.MaxReplyBytes);
        Assert.Equal(120, d.SlowReaderTimeoutSeconds);
        Assert.Equal(5000, d.MaxConnsPerIp);
        Assert.Equal(3, d.DbWriteTimeoutSeconds);
        var o = LoadFile("max_reply_bytes = 65536\nslow_reader_timeout = 30\nmax_conns_per_ip = 0\ndb_write_timeout = 0.5\n");
        Assert.Equal(65536, o.MaxReplyBytes);
        Assert.Equal(30, o.SlowReaderTimeoutSeconds);
        Assert.Equal(0, o.MaxConnsPerIp);
        Assert.Equal(0.5, o.DbWriteTimeoutSeconds);
        Assert.DoesNotContain("Ignoring", Warnings);
    }

    [Fact]
    public void Db_reconnect_wait_defaults_to_3_s_and_is_read_from_the_file()
    {
        Assert.Equal(3, LoadFile("").DbReconnectWaitSeconds);
        Assert.Equal(8.5, LoadFile("db_reconnect_wait = 8.5\n").DbReconnectWaitSeconds);
        Assert.DoesNotContain("Ignoring", Warnings);
        var e = Assert.Throws<TrackerConfigException>(() => LoadFile("db_reconnect_wait = 0\n"));
        Assert.Contains("db_reconnect_wait", e.Message);
    }

    [Theory]
    [InlineData("max_reply_bytes = 100")]
    [InlineData("max_conns_per_ip = -1")]
    [InlineData("db_write_timeout = 0")]
    [InlineData("slow_reader_timeout = abc")]
    public void Bad_limit_values_stop_start_up_naming_the_key(string line)
    {
        var e = Assert.Throws<TrackerConfigException>(() => LoadFile(line + "\n"));
        Assert.Contains(line.Split(' ')[0], e.Message);
    }
}
