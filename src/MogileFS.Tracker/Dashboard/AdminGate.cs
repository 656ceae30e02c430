using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MogileFS.Tracker.Dashboard;

/// <summary>
/// Who may run the dashboard's operator actions, and proof that a POST came from our own confirm page.
/// * Actions exist only when <c>dashboard_admin_password</c> is set; then the confirm page and the POST
///   require HTTP Basic credentials (<c>dashboard_admin_user</c>, default <c>admin</c>), compared in
///   constant time.
/// * Each confirm page carries a token: issue time + HMAC-SHA256 over the user, the exact action and
///   that time, keyed by a random per-process secret. A POST is accepted only with a token for the
///   same action that is at most <see cref="TokenLifetime"/> old, and (when the browser sends one)
///   an Origin naming this host. A cross-site form cannot read a token, so it cannot forge one.
/// </summary>
internal sealed class AdminGate
{
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly byte[]? _userHash, _passwordHash;
    private readonly TimeProvider _clock;

    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(10);

    public AdminGate(string? user, string? password, TimeProvider clock)
    {
        _clock = clock;
        if (!string.IsNullOrEmpty(password))
        {
            _userHash = SHA256.HashData(Encoding.UTF8.GetBytes(string.IsNullOrEmpty(user) ? "admin" : user));
            _passwordHash = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        }
    }

    /// <summary>Operator actions are configured (a password is set).</summary>
    public bool Enabled => _passwordHash != null;

    /// <summary>The user name of valid Basic credentials, else null.</summary>
    public string? Authenticate(string? authorization)
    {
        if (_passwordHash is null || _userHash is null || authorization is null) return null;
        const string basic = "Basic ";
        if (!authorization.StartsWith(basic, StringComparison.OrdinalIgnoreCase)) return null;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[basic.Length..].Trim()));
        }
        catch (FormatException) { return null; }
        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return null;
        var user = decoded[..colon];
        bool userOk = CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(user)), _userHash);
        bool passOk = CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(decoded[(colon + 1)..])), _passwordHash);
        return userOk & passOk ? user : null;
    }

    public string IssueToken(string user, string action)
    {
        long now = _clock.GetUtcNow().ToUnixTimeSeconds();
        return now.ToString(CultureInfo.InvariantCulture) + "." + Mac(user, action, now);
    }

    public bool CheckToken(string user, string action, string? token)
    {
        if (string.IsNullOrEmpty(token)) return false;
        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long issued)) return false;
        long age = _clock.GetUtcNow().ToUnixTimeSeconds() - issued;
        if (age < -60 || age > (long)TokenLifetime.TotalSeconds) return false;
        var want = Encoding.ASCII.GetBytes(Mac(user, action, issued));
        var got = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        return want.Length == got.Length && CryptographicOperations.FixedTimeEquals(want, got);
    }

    /// <summary>True when the request's Origin (or Referer) is absent or names the Host it was sent to.</summary>
    public static bool SameOrigin(string? origin, string? host)
    {
        if (string.IsNullOrEmpty(origin)) return true; // old browsers and curl send none; the token still holds
        if (string.IsNullOrEmpty(host) || !Uri.TryCreate(origin, UriKind.Absolute, out var o)) return false;
        return string.Equals(o.Authority, host, StringComparison.OrdinalIgnoreCase);
    }

    private string Mac(string user, string action, long issued)
    {
        var data = Encoding.UTF8.GetBytes(user + "\n" + action + "\n" + issued.ToString(CultureInfo.InvariantCulture));
        return Convert.ToBase64String(HMACSHA256.HashData(_secret, data)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
