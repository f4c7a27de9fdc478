using System.Security.Cryptography;
using System.Xml.Linq;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust.Vault.Keys;

/// <summary>
/// Adding and destroying key-encryption key versions. This process rewrites the key file itself only in
/// Development; in Production the key file or environment belongs to the operator's secret store, and the
/// CLI prints what to change there. Destruction is refused while any data key is still wrapped under the
/// version, because that would shred residents who were never erased.
/// </summary>
internal sealed class KeyEncryptionKeyAdministration(
    KeyRingProvider keyRing,
    IDbContextFactory<DataTrustDbContext> contexts,
    IHostEnvironment environment,
    TimeProvider time,
    VaultKeyAudit keyAudit,
    ILogger<KeyEncryptionKeyAdministration> logger)
{
    /// <summary>Adds a new KEK version (Development only) and records <c>key.created</c>.</summary>
    public async Task<int> AddVersionAsync(CancellationToken cancellationToken)
    {
        var version = AddVersion();
        await keyAudit.RecordAsync(new KeyOperation(AuditActor.System("cli"), VaultKeyAudit.KekKind, VaultKeyAudit.KekId(version), KeyOperationKind.Created), cancellationToken);
        return version;
    }

    /// <summary>Only in Development, and only when the keys come from a file.</summary>
    public bool CanWriteKeyFile =>
        environment.IsDevelopment() && keyRing.Ring.Source.Kind is KeyRingSourceKind.File or KeyRingSourceKind.DevelopmentFile;

    /// <summary>Adds a new KEK version to the key file and makes it current; returns the version. Development only.</summary>
    public int AddVersion()
    {
        var path = WritableKeyFile();
        using var file = KeyRingFile.Read(path);
        var version = file.NextVersion;
        file.Keys.Add(KeyRingFileKey.Generate(version, time));
        file.Current = version;
        file.Write(path);
        keyRing.Reload();
        logger.LogInformation("Key-encryption key version {KekVersion} was added to {KeyFile} and is now current.", version, path);
        return version;
    }

    /// <summary>Null when <paramref name="version"/> may be destroyed now; otherwise why not, in one sentence.</summary>
    public async Task<string?> WhyNotDestroyAsync(int version, CancellationToken cancellationToken)
    {
        var ring = keyRing.Ring;
        if (!ring.Contains(version))
        {
            return ring.DestroyedVersions.Contains(version)
                ? $"Key-encryption key version {version} is already destroyed."
                : $"Key-encryption key version {version} is not in the key ring ({ring.Source}).";
        }

        if (version == ring.CurrentVersion)
        {
            return $"Key-encryption key version {version} is the current one: add a newer version (datatrust keys add-kek), make it current, and run datatrust keys rotate-kek first.";
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var wrapped = await db.Set<VaultDataKey>().CountAsync(k => k.KekVersion == version, cancellationToken);
        if (wrapped > 0)
        {
            return $"{wrapped} data key(s) are still wrapped under key-encryption key version {version}: run datatrust keys rotate-kek first.";
        }

        var protectionKeys = (await db.Set<DataProtectionKey>().AsNoTracking().Select(k => k.Xml).ToListAsync(cancellationToken))
            .Count(xml => DataProtectionKeyCipher.Versions(XElement.Parse(xml)).Contains(version));
        return protectionKeys == 0
            ? null
            : $"{protectionKeys} Data Protection key(s) (sign-in cookies, signing keys) are still encrypted under key-encryption key version {version}: run datatrust keys rotate-kek first.";
    }

    /// <summary>Removes a KEK version from the key file, leaving a record that it was destroyed. Development only.</summary>
    public async Task DestroyVersionAsync(int version, CancellationToken cancellationToken)
    {
        var path = WritableKeyFile();
        if (await WhyNotDestroyAsync(version, cancellationToken) is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        using var file = KeyRingFile.Read(path);
        var key = file.Keys.Single(k => k.Version == version);
        file.Keys.Remove(key);
        CryptographicOperations.ZeroMemory(key.Key);
        file.Destroyed.Add(new KeyRingFileDestroyed(version, time.GetUtcNow()));
        file.Write(path);
        keyRing.Reload();
        logger.LogInformation("Key-encryption key version {KekVersion} was destroyed in {KeyFile}.", version, path);
        await keyAudit.RecordAsync(new KeyOperation(AuditActor.System("cli"), VaultKeyAudit.KekKind, VaultKeyAudit.KekId(version), KeyOperationKind.Destroyed), cancellationToken);
    }

    private string WritableKeyFile() =>
        CanWriteKeyFile
            ? keyRing.Ring.Source.FilePath!
            : throw new InvalidOperationException($"The key ring comes from {keyRing.Ring.Source} in {environment.EnvironmentName}: change it in the secret store, not from here.");
}
