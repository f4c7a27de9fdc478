using System.Globalization;
using System.Security.Cryptography;
using DataTrust.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Vault.Keys;

/// <summary>
/// Loads the key-encryption keys once per process, from the first of: the key file named by
/// <c>Vault:KeyFile</c>; <c>Vault:Keys:{version}</c> (environment <c>Vault__Keys__1=base64…</c>); in
/// Development only, a generated <c>&lt;DataDirectory&gt;/keys/vault-keys.json</c>. Keys are never stored
/// in the database they protect. Outside Development a missing key ring is a <see cref="StartupException"/>.
/// </summary>
internal sealed class KeyRingProvider(
    IOptions<VaultOptions> vaultOptions,
    IOptions<DataTrustOptions> dataTrustOptions,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<KeyRingProvider> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private KeyEncryptionKeyRing? _ring;

    /// <summary>The loaded ring; loads it on first use.</summary>
    public KeyEncryptionKeyRing Ring
    {
        get
        {
            lock (_gate)
            {
                return _ring ??= Load();
            }
        }
    }

    /// <summary>The Development key file's path: <c>&lt;DataDirectory&gt;/keys/vault-keys.json</c>.</summary>
    public string DevelopmentKeyFile => Path.Combine(Path.GetFullPath(dataTrustOptions.Value.DataDirectory), "keys", "vault-keys.json");

    /// <summary>
    /// Reads the keys again (after <c>datatrust keys add-kek</c> or <c>destroy-kek</c> changed the file).
    /// The previous ring is left to the GC rather than zeroed, because operations still running may hold it.
    /// </summary>
    public KeyEncryptionKeyRing Reload()
    {
        lock (_gate)
        {
            _ring = Load();
            return _ring;
        }
    }

    /// <summary>Zeroes the keys when the host stops.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _ring?.Dispose();
            _ring = null;
        }
    }

    private KeyEncryptionKeyRing Load()
    {
        var options = vaultOptions.Value;
        var configuredKeys = options.Keys.Where(k => !string.IsNullOrWhiteSpace(k.Value)).ToList();
        var keyFile = string.IsNullOrWhiteSpace(options.KeyFile) ? null : Path.GetFullPath(options.KeyFile);

        if (keyFile is not null && configuredKeys.Count > 0)
        {
            throw new StartupException("Both Vault:KeyFile and Vault:Keys are set: configure the vault's key-encryption keys in one place only.");
        }

        if (keyFile is not null)
        {
            if (!File.Exists(keyFile))
            {
                throw new StartupException($"Vault:KeyFile names {keyFile}, which does not exist.");
            }

            RefuseKeyFileReadableByOthers(keyFile);
            return FromFile(keyFile, new KeyRingSource(KeyRingSourceKind.File, keyFile));
        }

        if (configuredKeys.Count > 0)
        {
            return FromConfiguration(configuredKeys, options.CurrentKey);
        }

        if (!environment.IsDevelopment())
        {
            throw new StartupException(
                "The vault's key-encryption keys are not configured: set Vault:KeyFile to the key file's path " +
                "(or Vault__Keys__1 to a base64-encoded 256-bit key); see docs/vault-keys.md.");
        }

        return DevelopmentRing();
    }

    private KeyEncryptionKeyRing DevelopmentRing()
    {
        var path = DevelopmentKeyFile;
        if (!File.Exists(path))
        {
            using var generated = KeyRingFile.New(time);
            try
            {
                generated.Write(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"The development vault key file {path} cannot be written: {ex.Message}", ex);
            }
        }

        logger.LogWarning(
            "The vault is using DEVELOPMENT key-encryption keys from {KeyFile}, generated on this machine: do not use them in production. " +
            "Production reads Vault:KeyFile or Vault__Keys__N.", path);
        return FromFile(path, new KeyRingSource(KeyRingSourceKind.DevelopmentFile, path));
    }

    private static KeyEncryptionKeyRing FromFile(string path, KeyRingSource source)
    {
        try
        {
            using var file = KeyRingFile.Read(path);
            return file.ToRing(source);
        }
        catch (InvalidDataException ex)
        {
            throw new StartupException($"The vault key file {path} cannot be used: {ex.Message}.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"The vault key file {path} cannot be read: {ex.Message}", ex);
        }
    }

    private static KeyEncryptionKeyRing FromConfiguration(List<KeyValuePair<string, string?>> configured, int? current)
    {
        var keys = new List<(int Version, byte[] Key)>();
        try
        {
            foreach (var (name, value) in configured)
            {
                if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version <= 0)
                {
                    throw new StartupException($"Vault:Keys:{name} is not a key version: name keys by positive whole numbers, e.g. Vault__Keys__1.");
                }

                var key = new byte[KeyEncryptionKeyRing.KeySize];
                if (!Convert.TryFromBase64String(value!.Trim(), key, out var written) || written != KeyEncryptionKeyRing.KeySize)
                {
                    CryptographicOperations.ZeroMemory(key);
                    throw new StartupException($"Vault:Keys:{name} is not a base64-encoded 256-bit (32-byte) key.");
                }

                keys.Add((version, key));
            }

            var currentVersion = current ?? keys.Max(k => k.Version);
            if (keys.All(k => k.Version != currentVersion))
            {
                throw new StartupException($"Vault:CurrentKey is {currentVersion}, but Vault:Keys:{currentVersion} is not set.");
            }

            return new KeyEncryptionKeyRing(keys, currentVersion, [], new KeyRingSource(KeyRingSourceKind.Configuration, null));
        }
        finally
        {
            keys.ForEach(k => CryptographicOperations.ZeroMemory(k.Key));
        }
    }

    private static void RefuseKeyFileReadableByOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode others = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((File.GetUnixFileMode(path) & others) != UnixFileMode.None)
        {
            throw new StartupException(
                $"The vault key file {path} is accessible to other users: restrict it to the service's user " +
                "(chmod 600, or defaultMode 0400 for a Kubernetes secret volume).");
        }
    }
}
