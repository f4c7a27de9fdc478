using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Keys;

/// <summary>
/// Token-signing keys (ES256 and RS256) kept in the database with their private parts protected by
/// Data Protection. Every instance reads the same rows; a short in-process cache only saves the
/// decryption, and is far shorter than the publish delay, so no instance signs with a key that
/// relying parties cannot yet know.
/// </summary>
internal sealed class SigningKeyStore(
    IDbContextFactory<DataTrustDbContext> contexts,
    IDataProtectionProvider dataProtection,
    RsaKeySource rsaKeys,
    IOptions<OidcOptions> options,
    IAuditLog audit,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    public const string ES256 = SecurityAlgorithms.EcdsaSha256;
    public const string RS256 = SecurityAlgorithms.RsaSha256;
    public static readonly string[] Algorithms = [ES256, RS256];

    /// <summary>How the audit log names these keys.</summary>
    private const string KeyKind = "token-signing";

    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    private readonly IDataProtector _protector = dataProtection.CreateProtector("DataTrust.Identity.SigningKeys");
    private readonly Lock _lock = new();
    private Snapshot? _snapshot;

    /// <summary>Creates a signing key for each algorithm that has none signing now (first start).</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var keys = await db.Set<SigningKey>().AsNoTracking().ToListAsync(cancellationToken);
        var missing = Algorithms.Where(a => !keys.Any(k => k.Algorithm == a && SignsAt(k, now))).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        // New keys are made before the transaction: protecting them may write the Data Protection key
        // ring on another connection, which SQLite's single writer would otherwise block.
        var created = missing.Select(a => NewKey(a, now, now)).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.AddRange(created);
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, [.. created.Select(k => new KeyOperation(AuditActor.System("startup"), KeyKind, k.KeyId, KeyOperationKind.Created))], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogCreated(created);
        Invalidate();
    }

    /// <summary>
    /// Starts a rotation: a new key per algorithm, published now and signing after
    /// <paramref name="publishDelay"/>; the current key stops signing then and stays published until every
    /// token it signed has expired. Returns the new keys, or nothing when a rotation is already pending.
    /// </summary>
    public async Task<IReadOnlyList<SigningKey>> RotateAsync(TimeSpan publishDelay, AuditActor actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var signsFrom = now + publishDelay;
        var fresh = Algorithms.ToDictionary(a => a, a => NewKey(a, now, signsFrom), StringComparer.Ordinal); // before the transaction, see EnsureAsync
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var keys = await db.Set<SigningKey>().ToListAsync(cancellationToken);
        if (keys.Any(k => k.SignsFrom > now))
        {
            return [];
        }

        var created = new List<SigningKey>();
        var events = new List<AuditEvent>();
        var logger = loggers.Logger();
        foreach (var algorithm in Algorithms)
        {
            foreach (var current in keys.Where(k => k.Algorithm == algorithm && SignsAt(k, now)))
            {
                current.SignsUntil = signsFrom;
                current.PublishedUntil = signsFrom + LongestTokenLifetime;
                IdentityEvents.SigningKeyRetiring(logger, current.KeyId, signsFrom, current.PublishedUntil.Value);
                events.Add(new KeyOperation(actor, KeyKind, current.KeyId, KeyOperationKind.Retired));
            }

            var key = fresh[algorithm];
            db.Add(key);
            created.Add(key);
            events.Add(new KeyOperation(actor, KeyKind, key.KeyId, KeyOperationKind.Created));
        }

        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, events, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogCreated(created);
        Invalidate();
        return created;
    }

    public async Task<IReadOnlyList<SigningKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<SigningKey>().AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>The credentials to sign with now, for one algorithm.</summary>
    public async Task<SigningCredentials> SigningCredentialsAsync(string algorithm, CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var key = snapshot.Keys.Where(k => k.Row.Algorithm == algorithm && SignsAt(k.Row, now)).MaxBy(k => k.Row.SignsFrom)
            ?? throw new InvalidOperationException($"No {algorithm} signing key is active; start-up creates one.");
        return new SigningCredentials(key.Private.Value, algorithm);
    }

    /// <summary>The keys in the JWK Set: every key created and not yet past <see cref="SigningKey.PublishedUntil"/>.</summary>
    public async Task<IReadOnlyList<JsonWebKey>> PublishedAsync(CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return [.. snapshot.Keys.Where(k => k.Row.PublishedUntil is null || k.Row.PublishedUntil > now).Select(k => k.Public)];
    }

    /// <summary>The published keys as their JWK JSON, for the JWK Set document.</summary>
    public async Task<IReadOnlyList<string>> PublishedJsonAsync(CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return [.. snapshot.Keys.Where(k => k.Row.PublishedUntil is null || k.Row.PublishedUntil > now).OrderBy(k => k.Row.CreatedAt).Select(k => k.Row.PublicJwk)];
    }

    private TimeSpan LongestTokenLifetime =>
        new[] { options.Value.AccessTokenLifetime, options.Value.IdTokenLifetime }.Max() + options.Value.ProofClockSkew;

    private static bool SignsAt(SigningKey key, DateTimeOffset now) => key.SignsFrom <= now && (key.SignsUntil is null || key.SignsUntil > now);

    private void Invalidate()
    {
        lock (_lock)
        {
            _snapshot = null;
        }
    }

    private async Task<Snapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_snapshot is { } cached && now - cached.LoadedAt < CacheLifetime && now >= cached.LoadedAt)
            {
                return cached;
            }
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<SigningKey>().AsNoTracking().ToListAsync(cancellationToken);
        var snapshot = new Snapshot(now, [.. rows.Select(row => new LoadedKey(row, new JsonWebKey(row.PublicJwk), new Lazy<SecurityKey>(() => PrivateKey(row))))]);
        lock (_lock)
        {
            _snapshot = snapshot;
        }

        return snapshot;
    }

    private SecurityKey PrivateKey(SigningKey row)
    {
        var pkcs8 = _protector.Unprotect(Convert.FromBase64String(row.ProtectedPrivateKey));
        try
        {
            if (row.Algorithm == ES256)
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                return new ECDsaSecurityKey(ecdsa) { KeyId = row.KeyId };
            }

            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return new RsaSecurityKey(rsa) { KeyId = row.KeyId };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private SigningKey NewKey(string algorithm, DateTimeOffset now, DateTimeOffset signsFrom)
    {
        byte[] pkcs8;
        JsonObject jwk;
        if (algorithm == ES256)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
            jwk = new JsonObject
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
                ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
            };
            pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        }
        else
        {
            using var rsa = rsaKeys.Create();
            var parameters = rsa.ExportParameters(includePrivateParameters: false);
            jwk = new JsonObject
            {
                ["kty"] = "RSA",
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            };
            pkcs8 = rsa.ExportPkcs8PrivateKey();
        }

        // RFC 7638 thumbprint as key id: stable, and the same on every instance.
        var keyId = Base64UrlEncoder.Encode(new JsonWebKey(jwk.ToJsonString()).ComputeJwkThumbprint());
        jwk["kid"] = keyId;
        jwk["use"] = "sig";
        jwk["alg"] = algorithm;
        var key = new SigningKey
        {
            KeyId = keyId,
            Algorithm = algorithm,
            PublicJwk = jwk.ToJsonString(),
            ProtectedPrivateKey = Convert.ToBase64String(_protector.Protect(pkcs8)),
            CreatedAt = now,
            SignsFrom = signsFrom,
        };
        CryptographicOperations.ZeroMemory(pkcs8);
        return key;
    }

    private void LogCreated(IEnumerable<SigningKey> created)
    {
        foreach (var key in created)
        {
            IdentityEvents.SigningKeyCreated(loggers.Logger(), key.KeyId, key.Algorithm, key.SignsFrom);
        }
    }

    private sealed record LoadedKey(SigningKey Row, JsonWebKey Public, Lazy<SecurityKey> Private);

    private sealed record Snapshot(DateTimeOffset LoadedAt, IReadOnlyList<LoadedKey> Keys);
}
