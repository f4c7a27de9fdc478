using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Tests.Consent;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Tests.Brokering;

/// <summary>The audit log, except that it throws on <c>data.released</c> while <see cref="FailReleases"/> is set: the failing-audit seam.</summary>
internal sealed class SwitchableAuditLog(IAuditLog inner, BrokerHost host) : IAuditLog
{
    public Task AppendAsync(DataTrustDbContext db, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        AppendAsync(db, [auditEvent], cancellationToken);

    public Task AppendAsync(DataTrustDbContext db, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default) =>
        host.FailReleases && auditEvents.Any(e => e is DataReleased)
            ? throw new InvalidOperationException("audit store unavailable (test seam)")
            : inner.AppendAsync(db, auditEvents, cancellationToken);
}

/// <summary>The service for brokering tests: hand-moved clock, the audit seam, and optional shared database (a second instance).</summary>
public sealed class BrokerHost(StorageProvider provider, IReadOnlyDictionary<string, string?>? settings = null) : OidcFactory(provider, Settings(settings))
{
    public const string Secret = "recipient-secret-0123456789-abcdefghij";

    private volatile bool _failReleases;

    public bool FailReleases { get => _failReleases; set => _failReleases = value; }

    /// <summary>The private half of every recipient's registered encryption key (for decrypting JWE releases).</summary>
    public static ECDiffieHellman EncryptionKey { get; } = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    private static Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? extra)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataTrust:Roles"] = "web",
            ["RateLimiting:Sensitive:Burst"] = "10000",
            ["RateLimiting:Sensitive:PermitsPerMinute"] = "60000",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }

    /// <summary>Settings for a second instance on this one's database, keys and secrets.</summary>
    public Dictionary<string, string?> SharedSettings() => new(StringComparer.Ordinal)
    {
        ["ConnectionStrings:DataTrust"] = Database.ConnectionString,
        ["DataTrust:DataDirectory"] = Database.DataDirectory,
        ["Audit:PseudonymKey"] = Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Audit:PseudonymKey"],
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            var existing = services.Last(d => d.ServiceType == typeof(IAuditLog));
            services.AddSingleton<IAuditLog>(sp => new SwitchableAuditLog((IAuditLog)ActivatorUtilities.CreateInstance(sp, existing.ImplementationType!), this));
        });
    }

    public static string PublicJwks()
    {
        var q = EncryptionKey.ExportParameters(false).Q;
        return $$"""{"keys":[{"kty":"EC","crv":"P-256","use":"enc","kid":"enc-1","x":"{{Base64UrlEncoder.Encode(q.X)}}","y":"{{Base64UrlEncoder.Encode(q.Y)}}"}]}""";
    }

    public static string PrivateJwk()
    {
        var p = EncryptionKey.ExportParameters(true);
        return $$"""{"kty":"EC","crv":"P-256","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}","d":"{{Base64UrlEncoder.Encode(p.D)}}"}""";
    }

    /// <summary>A client registered as an approved recipient with the brokering scopes and an encryption key.</summary>
    public Task RecipientAsync(HttpClient operatorClient, string clientId, ClientKind kind = ClientKind.BusinessRecipient) =>
        ConsentHost.RegisterRecipientAsync(this, operatorClient, new Client
        {
            ClientId = clientId,
            DisplayName = clientId,
            Kind = kind,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash(Secret),
            RedirectUris = [Oidc.RedirectUri],
            GrantTypes = ["client_credentials"],
            Scopes = ["datatrust.requests", "datatrust.consents", "datatrust.broker", "datatrust.statistics"],
            Jwks = PublicJwks(),
        });

    public Task<HttpClient> TokenClientAsync(string clientId) => ConsentHost.ClientCredentialsClientAsync(this, clientId, Secret);

    public async Task<Guid> ResidentIdAsync(string email)
    {
        await using var db = NewDbContext();
        return await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
    }

    internal async Task<List<AuditEntry>> AuditAsync(string action)
    {
        await using var db = NewDbContext();
        return await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Seq).ToListAsync();
    }

    /// <summary>Stores a record for a resident straight through the vault (providers' ingestion is tested elsewhere).</summary>
    public async Task PutRecordAsync(Guid residentId, string category, string json)
    {
        await using var scope = Services.CreateAsyncScope();
        await using var db = NewDbContext();
        await scope.ServiceProvider.GetRequiredService<VaultStore>().PutAsync(db, residentId, category, 1, json);
    }
}
