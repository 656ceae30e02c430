using System.Security.Cryptography;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;
using MySqlConnector;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Migration;

/// <summary>
/// A database filled by the Perl tracker 2.73 on MySQL (tests/TestData/mysql/, recorded with the
/// original) served by ours without loss (issue 11, "Done when"; docs/migrating.md).
/// </summary>
[Collection("MariaDB")]
public sealed class PerlDumpTests(ITestOutputHelper output)
{
    [MariaDbFact]
    public async Task Our_mogdbsetup_on_the_perl_database_is_a_no_op()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        var before = await DescribeAsync(site);

        var (code, text) = await ManagedProcess.RunAsync("mogdbsetup",
        [
            "--type=MySQL", "--dbhost=" + site.Server.Host, "--dbport=" + site.Server.Port, "--dbname=" + site.Database,
            "--dbuser=" + MariaDbServer.User, "--dbpass=" + MariaDbServer.Password, "--yes", "--verbose",
        ]);
        Assert.True(code == 0, text);
        Assert.Contains("Schema already up-to-date at version 17.", text);
        Assert.DoesNotContain("Running SQL", text);

        var after = await DescribeAsync(site);
        Assert.Equal(before, after);
        Assert.Equal("17", await site.ScalarAsync("SELECT value FROM server_settings WHERE field = 'schema_version'"));
    }

    /// <summary>SHOW CREATE TABLE and CHECKSUM TABLE of every table.</summary>
    private static async Task<List<string>> DescribeAsync(RecordedPerlSite site)
    {
        var list = new List<string>();
        await using var c = site.Connect();
        await c.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new MySqlCommand("SHOW TABLES", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        Assert.Equal(17, tables.Count);
        foreach (var t in tables.Order(StringComparer.Ordinal))
        {
            await using (var cmd = new MySqlCommand($"SHOW CREATE TABLE `{t}`", c))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) list.Add(r.GetString(1));
            await using (var cmd = new MySqlCommand($"CHECKSUM TABLE `{t}`", c))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) list.Add($"{t}: {r.GetValue(1)}");
        }
        return list;
    }

    [MariaDbFact]
    public async Task Our_tracker_answers_every_recorded_request_as_the_perl_tracker_did()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        await site.StartTrackerAsync(jobs: false);
        await site.WaitForMonitorAsync();
        var exchanges = PerlAnswers.Load(RecordedPerlSite.AnswersFile);
        Assert.Equal(125, exchanges.Count);

        var problems = await PerlAnswers.CompareAsync(site.TrackerEndPoint, site.HttpPort, exchanges);
        foreach (var p in problems) output.WriteLine(p);
        Assert.True(problems.Count == 0, $"{problems.Count} of {exchanges.Count} replies differ from 2.73's:\n" + string.Join("\n", problems.Take(10)));
        output.WriteLine($"{exchanges.Count} recorded requests answered as by 2.73");

        // The bytes: every copy of every key is served by our storage nodes, with the file's length;
        // the replicas of a file are identical, and a recorded checksum matches - except the copy
        // of fid 28 on dev1 whose byte was changed on purpose when recording (fsck logged it).
        int checkedPaths = 0;
        using var http = new HttpClient();
        foreach (var x in exchanges.Where(x => x.Command == "file_info" && x.Reply.StartsWith("OK", StringComparison.Ordinal)).DistinctBy(x => x.Request))
        {
            var info = TrackerClient.ParseOk(x.Reply);
            var paths = await site.QueryOkAsync(x.Request.Replace("file_info ", "get_paths ", StringComparison.Ordinal) + "&noverify=1&pathcount=10");
            var bodies = new List<(string Url, byte[] Body)>();
            for (int i = 1; i <= int.Parse(paths["paths"], System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                string url = paths["path" + i];
                var response = await http.GetAsync(url);
                if (info["fid"] == "4")
                {
                    // single/f100: its only copy was removed from disk when recording (fsck: MISS, GONE).
                    Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
                    continue;
                }
                Assert.True(response.IsSuccessStatusCode, $"{url}: {response.StatusCode}");
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Equal(long.Parse(info["length"], System.Globalization.CultureInfo.InvariantCulture), body.Length);
                bodies.Add((url, body));
                checkedPaths++;
            }
            var debug = await site.QueryOkAsync("file_debug fid=" + info["fid"]);
            string? sum = debug.GetValueOrDefault("checksum");
            foreach (var (url, body) in bodies)
            {
                bool corrupted = info["fid"] == "28" && url.Contains("/dev1/", StringComparison.Ordinal);
                if (sum is { } s && s.StartsWith("MD5:", StringComparison.Ordinal))
                    Assert.Equal(!corrupted, s[4..].Equals(Convert.ToHexStringLower(MD5.HashData(body)), StringComparison.OrdinalIgnoreCase));
                if (!corrupted) Assert.Equal(bodies.First(b => !(info["fid"] == "28" && b.Url.Contains("/dev1/", StringComparison.Ordinal))).Body, body);
            }
        }
        output.WriteLine($"{checkedPaths} replicas fetched through our storage nodes");
        Assert.Equal(await site.CountAsync("SELECT COUNT(*) FROM file_on JOIN file USING (fid)"), checkedPaths);
    }

    [MariaDbFact]
    public async Task Uploads_deletes_and_replication_go_on_from_where_the_perl_tracker_left()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        // The recorded queues: fids 32 and 33 waiting for replication, fid 34 deleted but its copy
        // still on disk, 31 fids queued for fsck, an abandoned upload (tempfile) from 2.73's start-up check.
        Assert.Equal(3, await site.CountAsync("SELECT COUNT(*) FROM file_to_replicate"));
        Assert.Equal(1, await site.CountAsync("SELECT COUNT(*) FROM file_to_delete2 WHERE fid = 34"));
        Assert.Contains(site.FidFiles(), f => f.EndsWith("0000000034.fid", StringComparison.Ordinal));

        // Those rows carry the dead Perl tracker's claims (nexttry = claim + 1000 s, December 2026);
        // on a machine whose clock is behind the recording they would not be due yet.
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = LEAST(nexttry, UNIX_TIMESTAMP()); " +
                             "UPDATE file_to_delete2 SET nexttry = LEAST(nexttry, UNIX_TIMESTAMP()); UPDATE file_to_queue SET nexttry = LEAST(nexttry, UNIX_TIMESTAMP())");
        await site.StartTrackerAsync(jobs: true);

        // 2.73's queue rows are worked by ours: the pending copy is made, the pending delete done.
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () =>
            (await site.QueryOkAsync("file_info domain=photos&key=pending/replicate-me"))["devcount"] == "2"), "fid 32 was not replicated\n" + site.Logs.Dump(20));
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () =>
            await site.CountAsync("SELECT COUNT(*) FROM file_to_delete2 WHERE fid = 34") == 0
            && !site.FidFiles().Any(f => f.EndsWith("0000000034.fid", StringComparison.Ordinal))), "fid 34 was not deleted\n" + site.Logs.Dump(20));
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await site.CountAsync("SELECT COUNT(*) FROM file_to_queue") == 0, 60),
            "the recorded fsck queue was not worked\n" + site.Logs.Dump(20));

        // A new upload: the next fid after 2.73's AUTO_INCREMENT (35; fid 34 is not reused), replicated.
        byte[] content = RandomNumberGenerator.GetBytes(5000);
        Assert.Equal(35, await StoreAsync(site, "photos", "double", "new/after-migration", content));
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () =>
            (await site.QueryOkAsync("file_info domain=photos&key=new/after-migration"))["devcount"] == "2"), "the new file was not replicated");
        var paths = await site.QueryOkAsync("get_paths domain=photos&key=new/after-migration");
        using (var http = new HttpClient())
            foreach (var p in new[] { paths["path1"], paths["path2"] })
                Assert.Equal(content, await http.GetByteArrayAsync(p));

        // A non-ASCII key through ours is stored as 2.73 stores it (latin1 in the table: F1, FA) and
        // listed beside the one 2.73 wrote, both with their UTF-8 bytes on the wire.
        Assert.Equal(36, await StoreAsync(site, "photos", "single", "utf8/\u00f1and\u00fa", [1, 2, 3]));
        Assert.Equal("757466382FF1616E64FA", await site.ScalarAsync("SELECT HEX(dkey) FROM file WHERE fid = 36"));
        Assert.Equal("757466382F68E96C6C6F2077F6726C64", await site.ScalarAsync("SELECT HEX(dkey) FROM file WHERE fid = 22"));
        Assert.Equal("OK key_1=utf8/h%C3%A9llo+w%C3%B6rld&key_2=utf8/%C3%B1and%C3%BA&key_count=2&next_after=utf8/%C3%B1and%C3%BA",
            SortedPairs(await site.QueryAsync("list_keys domain=photos&prefix=utf8/")));

        // Rename and delete of files 2.73 stored; the delete removes the bytes from our nodes.
        await site.QueryOkAsync("rename domain=docs&from_key=readme.txt&to_key=readme-renamed.txt");
        var old = await site.QueryOkAsync("get_paths domain=docs&key=readme-renamed.txt");
        string oldFile = site.FileFor(old["path1"]);
        Assert.True(File.Exists(oldFile));
        await site.QueryOkAsync("delete domain=docs&key=readme-renamed.txt");
        Assert.StartsWith("ERR unknown_key", await site.QueryAsync("get_paths domain=docs&key=readme-renamed.txt"));
        Assert.True(await RecordedPerlSite.EventuallyAsync(() => Task.FromResult(!File.Exists(oldFile))), "the deleted file stayed on disk");

        // The settings 2.73 wrote are still in force and changeable.
        var settings = await site.QueryOkAsync("server_settings");
        Assert.Contains(settings, kv => kv.Value == "internal_queue_limit");
        await site.QueryOkAsync("set_server_setting key=memcache_ttl&value=60");
        Assert.Equal("60", await site.ScalarAsync("SELECT value FROM server_settings WHERE field = 'memcache_ttl'"));
    }

    private static string SortedPairs(string reply) =>
        reply.StartsWith("OK ", StringComparison.Ordinal) ? "OK " + string.Join("&", reply[3..].Split('&').Order(StringComparer.Ordinal)) : reply;

    /// <summary>Uploads a file through the protocol as MogileFS::Client does; returns its fid.</summary>
    private static async Task<long> StoreAsync(RecordedPerlSite site, string domain, string @class, string key, byte[] content)
    {
        string k = TranscriptText.EncodeValue(key);
        var open = await site.QueryOkAsync($"create_open domain={domain}&class={@class}&key={k}&fid=0&multi_dest=1");
        using (var http = new HttpClient())
            (await http.PutAsync(open["path_1"], new ByteArrayContent(content))).EnsureSuccessStatusCode();
        await site.QueryOkAsync($"create_close domain={domain}&class={@class}&key={k}&fid={open["fid"]}&devid={open["devid_1"]}" +
                                $"&size={content.Length}&path={TranscriptText.EncodeValue(open["path_1"])}");
        return long.Parse(open["fid"], System.Globalization.CultureInfo.InvariantCulture);
    }
}
