using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit;

/// <summary>
/// The ES256 keys that sign checkpoints; separate from every token key. One key is active; rotation
/// retires it and creates the next, and every public key, retired or not, stays published so old
/// checkpoints keep verifying. Private keys are stored encrypted with Data Protection.
/// </summary>
internal sealed class AuditSigningKeys(
    IDbContextFactory<DataTrustDbContext> contexts,
    IAuditLog log,
    IDataProtectionProvider protection,
    TimeProvider clock)
{
    public const string ProtectionPurpose = "DataTrust.Audit.SigningKey";

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectionPurpose);
    private readonly ConcurrentDictionary<string, ECDsa> _privateKeys = new(StringComparer.Ordinal);

    /// <summary>The key checkpoints are signed with now; the first is created (and audited) on first use.</summary>
    public async Task<(string KeyId, ECDsa Key)> GetActiveAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var active = await ActiveKeyAsync(db, cancellationToken);
        if (active is null)
        {
            await CreateAsync(AuditActor.System("audit"), rotate: false, cancellationToken);
            active = await ActiveKeyAsync(db, cancellationToken) ?? throw new InvalidOperationException("The audit signing key was not created.");
        }

        return (active.KeyId, PrivateKey(active));
    }

    /// <summary>Retires the active key and makes a new one; returns the new key id.</summary>
    public Task<string> RotateAsync(AuditActor actor, CancellationToken cancellationToken) => CreateAsync(actor, rotate: true, cancellationToken);

    /// <summary>Every public key, as a JWK Set (RFC 7517 §5).</summary>
    public async Task<JsonObject> PublicKeySetAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return PublicKeySet(await db.Set<AuditSigningKey>().AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken));
    }

    public static JsonObject PublicKeySet(IEnumerable<AuditSigningKey> keys) =>
        new() { ["keys"] = new JsonArray(keys.Select(k => JsonNode.Parse(k.PublicJwk)).ToArray()) };

    internal static Task<AuditSigningKey?> ActiveKeyAsync(DataTrustDbContext db, CancellationToken cancellationToken) =>
        db.Set<AuditSigningKey>().AsNoTracking().Where(k => k.RetiredAt == null)
            .OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(cancellationToken);

    private async Task<string> CreateAsync(AuditActor actor, bool rotate, CancellationToken cancellationToken)
    {
        // Data Protection may touch its own key ring (its own connection): do it before our
        // transaction, which on SQLite holds the only write lock.
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = AuditJwk.Thumbprint(key);
        var row = new AuditSigningKey
        {
            KeyId = keyId,
            CreatedAt = clock.GetUtcNow(),
            PublicJwk = AuditJwk.ToJwk(key, keyId).ToJsonString(),
            ProtectedPrivateKey = Convert.ToBase64String(_protector.Protect(key.ExportPkcs8PrivateKey())),
        };

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await AuditLog.LockHeadAsync(db, cancellationToken);
        var active = await db.Set<AuditSigningKey>().Where(k => k.RetiredAt == null).ToListAsync(cancellationToken);
        if (!rotate && active.Count > 0)
        {
            return active[0].KeyId; // another instance created it first
        }

        foreach (var old in active)
        {
            old.RetiredAt = row.CreatedAt;
        }

        db.Add(row);
        await log.AppendAsync(db, rotate
            ? new AuditSigningKeyRotated(actor, keyId, active.Select(k => k.KeyId).ToList())
            : new AuditSigningKeyCreated(actor, keyId), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _privateKeys[keyId] = key;
        return keyId;
    }

    private ECDsa PrivateKey(AuditSigningKey row) => _privateKeys.GetOrAdd(row.KeyId, keyId =>
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(_protector.Unprotect(Convert.FromBase64String(row.ProtectedPrivateKey)), out _);
        if (AuditJwk.Thumbprint(key) != keyId)
        {
            throw new CryptographicException($"The stored audit signing key {row.KeyId} does not match its id.");
        }

        return key;
    });
}
