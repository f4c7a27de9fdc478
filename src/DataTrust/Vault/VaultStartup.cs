using DataTrust.Vault.Keys;
using Microsoft.Extensions.Logging;

namespace DataTrust.Vault;

/// <summary>
/// Loads the key ring before the service takes traffic (a missing ring in Production stops the start with a
/// <see cref="Common.StartupException"/>) and reports data keys that no KEK in the ring can unwrap, which is
/// expected only after restoring a database copy older than a destroyed KEK version.
/// </summary>
internal sealed class VaultStartup(KeyRingProvider keyRing, VaultKeyStatus status, ILogger<VaultStartup> logger)
{
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var ring = keyRing.Ring;
        var dataKeysByKek = await status.DataKeysByKekVersionAsync(cancellationToken);
        logger.LogInformation("Vault key ring loaded from {Source}: KEK versions {Versions}, current {Current}.",
            ring.Source.ToString(), string.Join(",", ring.Versions), ring.CurrentVersion);
        var missing = dataKeysByKek.Keys.Where(v => !ring.Contains(v)).Order().ToList();
        if (missing.Count > 0)
        {
            logger.LogWarning(
                "{Count} data key(s) are wrapped under KEK version(s) {Versions} that are not in the key ring: their records cannot be decrypted.",
                missing.Sum(v => dataKeysByKek[v]), string.Join(",", missing));
        }
    }
}
