using System.Security.Cryptography;

namespace MogileFS.Cli.mogcluster;

/// <summary>
/// The local cluster's S3 gateway (moggateway, docs/s3.md): its config file in DATA/conf with an
/// access key made on first start and kept, so clients configured once keep working across
/// restarts, a short-URL prefix <c>/files/</c> on domain <c>default</c> (GET, PUT, DELETE), and the
/// storage nodes' docroots (<c>local_storage</c>: they run on the same host).
/// </summary>
internal static class GatewayLocal
{
    public sealed record Info(string Listen, string AccessKey, string SecretKey, string Status);

    /// <summary>The gateway's status port (/metrics, /healthz, /readyz) beside the tracker's 7080 and the nodes' 7580.</summary>
    private const int StatusPort = 7090;

    /// <summary>Writes (or reuses the key of) DATA/conf/moggateway.conf and returns what the banner prints.</summary>
    public static Info WriteConfig(string confDir, string listen, string tracker, string dsn, string dbUser, string dbPass,
        IEnumerable<string> localStorage, out string file)
    {
        file = Path.Combine(confDir, "moggateway.conf");
        string? id = null, secret = null;
        if (File.Exists(file))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var t = line.Trim();
                if (!t.StartsWith("access_key", StringComparison.Ordinal)) continue;
                var v = t[(t.IndexOf('=') + 1)..].Trim();
                int colon = v.IndexOf(':');
                if (colon > 0) (id, secret) = (v[..colon], v[(colon + 1)..]);
            }
        }
        id ??= "MOG" + Convert.ToHexString(RandomNumberGenerator.GetBytes(9));
        secret ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', 'A').Replace('/', 'B');
        string status = $"{listen[..listen.LastIndexOf(':')]}:{StatusPort}";
        File.WriteAllText(file,
            "# written by the local cluster command (the access key is kept across restarts)\n" +
            $"listen = {listen}\ntrackers = {tracker}\ndb_dsn = {dsn}\n" +
            (dbUser.Length > 0 ? $"db_user = {dbUser}\ndb_pass = {dbPass}\n" : "") +
            $"access_key = {id}:{secret}\n" +
            $"status_listen = {status}\n" +
            "short_url = /files/ domain=default methods=get,put,delete\n" +
            "# the storage nodes run on this host: read their files from disk (sendfile)\n" +
            string.Concat(localStorage.Select(l => $"local_storage = {l}\n")));
        return new Info(listen, id, secret, status);
    }

    public static string Banner(Info g, string bin)
    {
        string url = "http://" + g.Listen;
        return $"""

              s3        {url}   (moggateway: bucket = domain, e.g. s3://default)
              status    http://{g.Status}/metrics  (also /healthz, /readyz)
              access    key {g.AccessKey}
                        secret {g.SecretKey}

            S3 clients:
              AWS_ACCESS_KEY_ID={g.AccessKey} AWS_SECRET_ACCESS_KEY={g.SecretKey} \
                aws --endpoint-url {url} s3 cp README.md s3://default/readme.md
              s3cmd --access_key={g.AccessKey} --secret_key={g.SecretKey} \
                --host={g.Listen} --host-bucket={g.Listen} --no-ssl ls s3://default
              curl {url}/files/readme.md          (short URL of the key readme.md in domain default)
            """;
    }
}
