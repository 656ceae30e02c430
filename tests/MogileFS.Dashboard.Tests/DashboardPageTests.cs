using System.Net;
using System.Text;
using Microsoft.Playwright;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Dashboard.Tests;

/// <summary>Two storage nodes (h1: dev1, dev2; h2: dev3, dev4), domain testdom with class "two" and a few stored files.</summary>
public sealed class SmallClusterFixture : DashboardFixture
{
    public long PhotoFid { get; private set; }
    public byte[] PhotoBytes { get; } = Encoding.UTF8.GetBytes("a small cat picture, honestly\n");

    protected override async Task SeedAsync()
    {
        await Cluster.SetupAsync("testdom", ("two", 2, null));
        PhotoFid = await Cluster.StoreFileAsync("testdom", "photos/cat.jpg", PhotoBytes, "two");
        for (int i = 0; i < 5; i++) await Cluster.StoreFileAsync("testdom", $"notes/{i}.txt", Encoding.UTF8.GetBytes($"note {i}"));
        await Cluster.StoreFileAsync("testdom", OddKey, Encoding.UTF8.GetBytes("x"));
    }

    /// <summary>A key with markup, quotes and non-ASCII letters (stored as its UTF-8 bytes).</summary>
    public const string OddKey = "odd/<b id=injected>bold</b> & \"quotes\" ünïcödé";
}

/// <summary>The dashboard in chromium against a real cluster: pages, numbers, lookup, actions.</summary>
public sealed class DashboardPageTests(SmallClusterFixture f) : IClassFixture<SmallClusterFixture>
{
    private TestCluster Cluster => f.Cluster;

    [BrowserFact]
    public async Task Overview_numbers_match_the_protocol_and_the_database()
    {
        // replication of the stored files has settled, so the numbers hold still while we compare
        await TestCluster.WaitUntilAsync(async () => await Cluster.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0
            && await Cluster.CountAsync("SELECT COUNT(*) FROM file WHERE devcount < 2") == 0, TimeSpan.FromSeconds(30), "replication done");
        var page = await f.NewPageAsync();
        var resp = await page.GotoAsync("/dashboard");
        Assert.Equal(200, resp!.Status);
        var devices = await Cluster.QueryOkAsync("get_devices");
        var hosts = await Cluster.QueryOkAsync("get_hosts");
        Assert.Equal(devices["devices"], await page.InnerTextAsync("#devices-total"));
        Assert.Equal(hosts["hosts"], await page.InnerTextAsync("#hosts-total"));
        long files = await Cluster.CountAsync("SELECT COUNT(*) FROM file");
        Assert.Equal(files.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture), await page.InnerTextAsync("#files-total"));
        Assert.Equal(7, files);
        long queued = await Cluster.CountAsync("SELECT COUNT(*) FROM file_to_replicate");
        Assert.Equal(queued.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.InnerTextAsync("#queue-replicate"));

        // the class table shows get_domains' mindevcount and the per-class file count
        var domains = await Cluster.QueryOkAsync("get_domains");
        int n = int.Parse(domains["domain1classes"], System.Globalization.CultureInfo.InvariantCulture);
        var classRow = page.Locator("#classes tr", new() { HasText = "two" });
        string min = Enumerable.Range(1, n).Where(i => domains[$"domain1class{i}name"] == "two").Select(i => domains[$"domain1class{i}mindevcount"]).Single();
        Assert.Equal(min, await classRow.Locator("td").Nth(2).InnerTextAsync());
        Assert.Equal("1", await classRow.Locator("td").Nth(5).InnerTextAsync());
        // every host is listed with its devices
        Assert.Equal(2, await page.Locator("#hosts tbody tr, #hosts tr:has(td)").CountAsync());
        await DashboardFixture.ScreenshotAsync(page, "dashboard-overview-small.png");
    }

    [BrowserFact]
    public async Task Devices_page_lists_every_device_with_its_state()
    {
        var page = await f.NewPageAsync();
        await page.GotoAsync("/dashboard/devices");
        Assert.Equal("4", await page.InnerTextAsync("#devices-shown"));
        var row = page.Locator("#devices tr", new() { HasText = "dev3" });
        Assert.Contains("alive", await row.InnerTextAsync());
        await page.GotoAsync("/dashboard/devices?host=h1");
        Assert.Equal("2", await page.InnerTextAsync("#devices-shown"));
    }

    [BrowserFact]
    public async Task Lookup_finds_a_stored_file_and_every_copy_link_serves_it()
    {
        await WaitForCopiesAsync(f.PhotoFid, 2);
        var page = await f.NewPageAsync();
        await page.GotoAsync("/dashboard/file");
        await page.SelectOptionAsync("#lookup-domain", "testdom");
        await page.FillAsync("#lookup-key", "photos/cat.jpg");
        await page.ClickAsync("#lookup");
        var info = await Cluster.QueryOkAsync("file_info domain=testdom&key=photos%2Fcat.jpg");
        Assert.Equal(info["fid"], await page.InnerTextAsync("#file-fid"));
        Assert.Equal(info["length"], await page.InnerTextAsync("#file-length"));
        Assert.Equal("two", await page.InnerTextAsync("#file-class"));
        var links = page.Locator("#copies a.copy");
        Assert.Equal(2, await links.CountAsync());
        for (int i = 0; i < 2; i++)
        {
            var href = await links.Nth(i).GetAttributeAsync("href");
            var body = await TestCluster.Http.GetByteArrayAsync(href);
            Assert.Equal(f.PhotoBytes, body);
        }
        await DashboardFixture.ScreenshotAsync(page, "dashboard-file.png");

        await page.FillAsync("#lookup-key", "photos/no-such.jpg");
        await page.ClickAsync("#lookup");
        Assert.Contains("No file with that key", await page.InnerTextAsync("#lookup-none"));
    }

    [BrowserFact]
    public async Task Keys_with_markup_and_non_ascii_are_shown_as_text()
    {
        const string key = SmallClusterFixture.OddKey;
        var page = await f.NewPageAsync();
        await page.GotoAsync("/dashboard/file?domain=testdom&key=" + Uri.EscapeDataString(key));
        Assert.Equal(0, await page.Locator("#injected").CountAsync());
        Assert.Equal(key, await page.Locator("#file tr", new() { HasText = "Key" }).Locator("td").Nth(1).InnerTextAsync());
        Assert.Equal(key, await page.InputValueAsync("#lookup-key"));
    }

    [BrowserFact]
    public async Task Marking_a_device_readonly_through_the_confirm_step_changes_its_state()
    {
        var page = await f.NewPageAsync(admin: true);
        await page.GotoAsync("/dashboard/device?id=4");
        await page.ClickAsync("#mark-readonly");
        Assert.Contains("Mark device dev4 on host h2 (now alive) as readonly", await page.InnerTextAsync("#confirm-text"));
        // nothing has happened before the confirm
        Assert.Equal("alive", (await Cluster.QueryOkAsync("get_devices devid=4"))["dev1_status"]);
        await DashboardFixture.ScreenshotAsync(page, "dashboard-confirm.png");
        await page.ClickAsync("#confirm");
        Assert.Contains("Done", await page.InnerTextAsync("#result"));
        Assert.Equal("readonly", (await Cluster.QueryOkAsync("get_devices devid=4"))["dev1_status"]);
        await page.ClickAsync("#back");
        Assert.Equal("readonly", (await page.InnerTextAsync("#device-state")).Trim());

        // and back, the same way
        await page.ClickAsync("#mark-alive");
        await page.ClickAsync("#confirm");
        Assert.Equal("alive", (await Cluster.QueryOkAsync("get_devices devid=4"))["dev1_status"]);
    }

    [BrowserFact]
    public async Task Changing_a_class_mindevcount_and_starting_fsck_take_effect()
    {
        var page = await f.NewPageAsync(admin: true);
        await page.GotoAsync("/dashboard/class?domain=testdom&class=two");
        await page.FillAsync("#new-mindevcount", "3");
        await page.ClickAsync("#change-mindevcount");
        await page.ClickAsync("#confirm");
        Assert.Contains("Done", await page.InnerTextAsync("#result"));
        var domains = await Cluster.QueryOkAsync("get_domains");
        Assert.Contains(domains, kv => kv.Key.EndsWith("name", StringComparison.Ordinal) && kv.Value == "two"
            && domains[kv.Key[..^4] + "mindevcount"] == "3");
        await Cluster.QueryOkAsync("update_class domain=testdom&class=two&mindevcount=2");

        await page.GotoAsync("/dashboard/jobs");
        await page.ClickAsync("#fsck-start");
        await page.ClickAsync("#confirm");
        Assert.Contains("Done", await page.InnerTextAsync("#result"));
        Assert.Equal("1", (await Cluster.QueryOkAsync("fsck_status"))["running"]);
        await page.GotoAsync("/dashboard/jobs");
        Assert.StartsWith("running", await page.InnerTextAsync("#fsck-running"));
        Assert.NotNull(await page.QuerySelectorAsync("svg#backlog polyline"));
        await page.ClickAsync("#fsck-stop");
        await page.ClickAsync("#confirm");
        Assert.Equal("0", (await Cluster.QueryOkAsync("fsck_status"))["running"]);
    }

    [Fact]
    public async Task Actions_need_the_credential_and_a_token_from_the_confirm_page()
    {
        string url = f.BaseUrl + "/dashboard";
        // no credentials: challenged, nothing changes
        var r = await DashboardFixture.Http.GetAsync(url + "/confirm?op=device_state&devid=3&state=down");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("Basic", r.Headers.WwwAuthenticate.ToString());
        // wrong password
        var req = new HttpRequestMessage(HttpMethod.Get, url + "/confirm?op=device_state&devid=3&state=down");
        req.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, "guess"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardFixture.Http.SendAsync(req)).StatusCode);

        // a POST without a token (a forged cross-site form) is refused even with credentials
        var post = new HttpRequestMessage(HttpMethod.Post, url + "/action")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["op"] = "device_state", ["devid"] = "3", ["state"] = "down" }),
        };
        post.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, DashboardFixture.AdminPassword));
        Assert.Equal(HttpStatusCode.Forbidden, (await DashboardFixture.Http.SendAsync(post)).StatusCode);

        // a token issued for one action does not work for another
        var confirm = new HttpRequestMessage(HttpMethod.Get, url + "/confirm?op=device_state&devid=3&state=readonly");
        confirm.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, DashboardFixture.AdminPassword));
        var html = await (await DashboardFixture.Http.SendAsync(confirm)).Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=csrf value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        var swapped = new HttpRequestMessage(HttpMethod.Post, url + "/action")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["op"] = "device_state", ["devid"] = "3", ["state"] = "dead", ["csrf"] = token }),
        };
        swapped.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, DashboardFixture.AdminPassword));
        Assert.Equal(HttpStatusCode.Forbidden, (await DashboardFixture.Http.SendAsync(swapped)).StatusCode);

        // from another origin, even with the right token
        var cross = new HttpRequestMessage(HttpMethod.Post, url + "/action")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["op"] = "device_state", ["devid"] = "3", ["state"] = "readonly", ["csrf"] = token }),
        };
        cross.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, DashboardFixture.AdminPassword));
        cross.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await DashboardFixture.Http.SendAsync(cross)).StatusCode);

        Assert.Equal("alive", (await Cluster.QueryOkAsync("get_devices devid=3"))["dev1_status"]);

        // bad input gets a clear 400, not a crash
        var bad = new HttpRequestMessage(HttpMethod.Get, url + "/confirm?op=device_state&devid=999&state=down");
        bad.Headers.TryAddWithoutValidation("Authorization", DashboardFixture.Basic(DashboardFixture.AdminUser, DashboardFixture.AdminPassword));
        var badResp = await DashboardFixture.Http.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, badResp.StatusCode);
        Assert.Contains("No such device", await badResp.Content.ReadAsStringAsync());
    }

    private async Task WaitForCopiesAsync(long fid, int copies) =>
        await TestCluster.WaitUntilAsync(async () => await Cluster.CountAsync("SELECT COUNT(*) FROM file_on WHERE fid = @f", ("@f", fid)) >= copies,
            TimeSpan.FromSeconds(30), $"fid {fid} on {copies} devices");
}

/// <summary>Without dashboard_admin_password the dashboard is read-only: no action buttons, and the action URLs answer 403.</summary>
public sealed class ReadOnlyDashboardFixture : DashboardFixture
{
    protected override bool EnableActions => false;
    protected override Task SeedAsync() => Cluster.SetupAsync("testdom");
}

public sealed class ReadOnlyDashboardTests(ReadOnlyDashboardFixture f) : IClassFixture<ReadOnlyDashboardFixture>
{
    [Fact]
    public async Task Action_urls_are_refused_when_no_admin_credential_is_configured()
    {
        var basic = DashboardFixture.Basic("admin", "");
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/dashboard/confirm?op=fsck_start"), (HttpMethod.Post, "/dashboard/action") })
        {
            var req = new HttpRequestMessage(method, f.BaseUrl + path);
            req.Headers.TryAddWithoutValidation("Authorization", basic);
            if (method == HttpMethod.Post) req.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["op"] = "fsck_start" });
            var r = await DashboardFixture.Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        Assert.Equal("0", (await f.Cluster.QueryOkAsync("fsck_status"))["running"]);
        var page = await DashboardFixture.Http.GetStringAsync(f.BaseUrl + "/dashboard/device?id=1");
        Assert.DoesNotContain("mark-", page);
        Assert.Contains("Operator actions are off", page);
    }

    [BrowserFact]
    public async Task Pages_load_without_action_buttons()
    {
        var page = await f.NewPageAsync();
        foreach (var path in new[] { "/dashboard", "/dashboard/devices", "/dashboard/jobs", "/dashboard/file" })
        {
            var r = await page.GotoAsync(path);
            Assert.Equal(200, r!.Status);
            Assert.Equal(0, await page.Locator("button.danger, #fsck-start, #mark-down").CountAsync());
        }
    }
}
