using DataTrust.Identity.Keys;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// The real service (Program.cs, the same <c>AddDataTrust()</c>) on a fresh database of the given
/// provider. Extra settings override appsettings, as environment variables would.
/// </summary>
public class DataTrustFactory(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    private readonly TestDatabase _database = TestDatabase.Create(provider);

    public StorageProvider Provider => provider;

    public TestDatabase Database => _database;

    public string Environment { get; init; } = "Development";

    /// <summary>Every log line the service wrote, for asserting that no personal data is logged.</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>A new context on the service's database, for arranging and asserting state.</summary>
    public DataTrustDbContext NewDbContext() =>
        Services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContext();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataTrust:DataDirectory"] = _database.DataDirectory,
            ["DataTrust:PoliciesDirectory"] = RepositoryPaths.Policies,
            ["Storage:Provider"] = provider.ToString(),
            ["ConnectionStrings:DataTrust"] = _database.ConnectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (!Environment.Equals("Development", StringComparison.Ordinal) && settings?.Keys.Any(k => k.StartsWith("Vault:Key", StringComparison.Ordinal)) != true)
        {
            // Outside Development the service refuses to start without vault keys; a test that does not
            // care about them gets a throwaway one, as an operator's secret store would provide.
            values["Vault:Keys:1"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }

        if (!Environment.Equals("Development", StringComparison.Ordinal))
        {
            values["DataTrust:Issuer"] = "http://localhost"; // outside Development the issuer must be configured
        }

        if (settings?.ContainsKey("Audit:PseudonymKey") != true)
        {
            values["Audit:PseudonymKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>(StringComparer.Ordinal))
        {
            values[key] = value;
        }

        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(values));
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));

        // The same PBKDF2 password hash format with fewer rounds: every host seeds the demo accounts and most
        // tests sign in, and at the production cost those hashes were a large share of the suite's CPU. For the
        // same reason, RS256 keys come from a pool made once (see PremadeRsaKeys).
        builder.ConfigureTestServices(services => services
            .Configure<PasswordHasherOptions>(o => o.IterationCount = 1_000)
            .AddSingleton<RsaKeySource, PremadeRsaKeys>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }
}
