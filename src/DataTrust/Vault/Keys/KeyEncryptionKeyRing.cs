using System.Security.Cryptography;

namespace DataTrust.Vault.Keys;

/// <summary>
/// The versioned key-encryption keys (KEKs) in memory. Key bytes live in pinned arrays, so the GC never
/// leaves stray copies, and they never leave this class: callers get keys derived for one purpose.
/// </summary>
internal sealed class KeyEncryptionKeyRing : IDisposable
{
    public const int KeySize = 32;

    private readonly SortedDictionary<int, byte[]> _keys = [];

    /// <param name="keys">Version and key bytes; the bytes are copied, the caller zeroes its own copy.</param>
    /// <param name="currentVersion">The version that wraps new data keys.</param>
    /// <param name="destroyedVersions">Versions recorded as destroyed in the key file (no key material).</param>
    /// <param name="source">Where the keys came from, for operators.</param>
    public KeyEncryptionKeyRing(IEnumerable<(int Version, byte[] Key)> keys, int currentVersion, IEnumerable<int> destroyedVersions, KeyRingSource source)
    {
        foreach (var (version, key) in keys)
        {
            if (key.Length != KeySize)
            {
                throw new ArgumentException($"Key-encryption key version {version} is {key.Length} bytes; a 256-bit key is {KeySize} bytes.", nameof(keys));
            }

            var pinned = GC.AllocateArray<byte>(KeySize, pinned: true);
            key.CopyTo(pinned, 0);
            _keys.Add(version, pinned);
        }

        if (!_keys.ContainsKey(currentVersion))
        {
            throw new ArgumentException($"The current key-encryption key version {currentVersion} is not in the ring.", nameof(currentVersion));
        }

        CurrentVersion = currentVersion;
        DestroyedVersions = [.. destroyedVersions.Order()];
        Source = source;
    }

    public int CurrentVersion { get; }

    public IReadOnlyCollection<int> Versions => _keys.Keys;

    public IReadOnlyList<int> DestroyedVersions { get; }

    public KeyRingSource Source { get; }

    public bool Contains(int version) => _keys.ContainsKey(version);

    /// <summary>HKDF-SHA256 of one KEK version with the given context; false when that version is not in the ring.</summary>
    public bool TryDeriveKey(int version, ReadOnlySpan<byte> context, Span<byte> destination)
    {
        if (!_keys.TryGetValue(version, out var key))
        {
            return false;
        }

        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, destination, salt: [], info: context);
        return true;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}

/// <summary>Where a key ring was loaded from: a key file (which the CLI may rewrite in Development) or configuration.</summary>
internal sealed record KeyRingSource(KeyRingSourceKind Kind, string? FilePath)
{
    public override string ToString() => Kind switch
    {
        KeyRingSourceKind.DevelopmentFile => $"development key file {FilePath}",
        KeyRingSourceKind.File => $"key file {FilePath}",
        _ => "configuration (Vault:Keys)",
    };
}

internal enum KeyRingSourceKind
{
    File,
    DevelopmentFile,
    Configuration,
}
