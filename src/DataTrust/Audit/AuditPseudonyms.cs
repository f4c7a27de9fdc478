using System.Security.Cryptography;
using System.Text;
using DataTrust.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataTrust.Audit;

/// <summary>
/// Pseudonyms for people in the audit log: hex HMAC-SHA256 of the account id under the audit
/// pseudonym key. The same person always gets the same pseudonym, so a resident (or an auditor on
/// their behalf) can find their entries, while the log itself holds no account id; erasing the account
/// changes nothing in the log and breaks no hash.
/// </summary>
internal sealed class AuditPseudonyms
{
    private const string DevelopmentKeyFile = "audit-pseudonym.key";
    private readonly Lazy<byte[]> _key;

    public AuditPseudonyms(IOptions<AuditOptions> audit, IOptions<DataTrustOptions> dataTrust, IHostEnvironment environment)
    {
        _key = new Lazy<byte[]>(() => LoadKey(audit.Value.PseudonymKey, dataTrust.Value.DataDirectory, environment.IsDevelopment()));
    }

    internal AuditPseudonyms(byte[] key)
    {
        _key = new Lazy<byte[]>(key);
    }

    /// <summary>Loads the key now, so that a missing or malformed key stops start-up instead of the first audited action.</summary>
    public void EnsureKey() => _ = _key.Value;

    public string Of(Guid accountId) => Of(accountId.ToString("D"));

    public string Of(string personId) => Convert.ToHexStringLower(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(personId)));

    private static byte[] LoadKey(string? configured, string dataDirectory, bool development)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Decode(configured, "Audit:PseudonymKey");
        }

        if (!development)
        {
            throw new StartupException(
                "Audit:PseudonymKey is not set. Set it to base64 of 32 random bytes (openssl rand -base64 32), " +
                "the same on every instance, e.g. Audit__PseudonymKey=….");
        }

        var path = Path.Combine(Path.GetFullPath(dataDirectory), DevelopmentKeyFile);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            var key = RandomNumberGenerator.GetBytes(32);
            file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Decode(File.ReadAllText(path), path);
        }
    }

    private static byte[] Decode(string base64, string source)
    {
        try
        {
            var key = Convert.FromBase64String(base64.Trim());
            if (key.Length >= 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
            // reported below
        }

        throw new StartupException($"{source} must be base64 of at least 32 random bytes.");
    }
}
