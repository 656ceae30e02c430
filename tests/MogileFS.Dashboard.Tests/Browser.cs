using System.Net;
using Microsoft.Playwright;
using MogileFS.Hosting.Status;
using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Observability;

namespace MogileFS.Dashboard.Tests;

/// <summary>
/// Where the browser is: Debian's chromium (CHROMIUM_PATH overrides). Playwright never downloads a
/// browser here; its driver (node) ships inside the Microsoft.Playwright package.
/// </summary>
public static class Chromium
{
    public static string Path => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static bool Installed => File.Exists(Path);

    public const string Missing = "chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH): the dashboard's browser tests need it";
}

/// <summary>A test that needs chromium: skipped, saying why, when it is not installed.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Chromium.Installed) Skip = Chromium.Missing;
    }
}

/// <summary>
/// A real cluster (tracker + storage nodes on loopback, SQLite file), the tracker's status port with
/// the dashboard on it exactly as mogilefsd serves it (TrackerStatus.Create), and one headless
/// chromium shared by the tests of a class.
/// </summary>
public abstract class DashboardFixture : IAsyncLifetime
{
    public const string AdminUser = "operator";
    public const string AdminPassword = "correct horse battery staple";

    public TestCluster Cluster { get; private set; } = null!;
    public StatusEndpoint Endpoint { get; private set; } = null!;
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public string BaseUrl { get; private set; } = "";

    protected virtual bool EnableActions => true;
    protected virtual ClusterOptions Options => ClusterOptions.ForJobs with { Nodes = new ClusterOptions().Nodes };

    protected abstract Task SeedAsync();

    public async Task InitializeAsync()
    {
        var options = Options;
        var configure = options.ConfigureTracker;
        Cluster = await TestCluster.StartAsync(options with
        {
            ConfigureTracker = o =>
            {
                configure?.Invoke(o);
                if (EnableActions)
                {
                    o.DashboardAdminUser = AdminUser;
                    o.DashboardAdminPassword = AdminPassword;
                }
            },
        });
        await SeedAsync();
        Endpoint = TrackerStatus.Create(Cluster.Tracker.Server, "127.0.0.1:0");
        await Endpoint.StartAsync(CancellationToken.None);
        BaseUrl = $"http://{Endpoint.BoundEndPoint}";
        if (Chromium.Installed)
        {
            Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium.Path,
                Headless = true,
                // We run as root in CI, where chromium's sandbox cannot start.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
        }
    }

    /// <summary>A page in a fresh context; with <paramref name="admin"/> the browser answers the Basic challenge.</summary>
    public async Task<IPage> NewPageAsync(bool admin = false, int width = 1280)
    {
        var ctx = await Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            HttpCredentials = admin ? new HttpCredentials { Username = AdminUser, Password = AdminPassword } : null,
        });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        return page;
    }

    /// <summary>Saves a screenshot into $DASHBOARD_SCREENSHOTS (how docs/dashboard-*.png are made), when set.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DASHBOARD_SCREENSHOTS") is not { Length: > 0 } dir) return;
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = System.IO.Path.Combine(dir, name), FullPage = false });
    }

    public async Task DisposeAsync()
    {
        if (Browser != null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Endpoint != null) await Endpoint.DisposeAsync();
        if (Cluster != null) await Cluster.DisposeAsync();
    }

    public static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });

    public static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password));

    public static HttpStatusCode Status(HttpResponseMessage r) => r.StatusCode;
}
