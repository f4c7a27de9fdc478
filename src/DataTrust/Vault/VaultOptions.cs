namespace DataTrust.Vault;

/// <summary>Settings under the <c>Vault</c> configuration section.</summary>
internal sealed class VaultOptions
{
    public const string Section = "Vault";

    /// <summary>
    /// The NIST SP 800-38D limit for AES-GCM with random 96-bit nonces is 2^32 encryptions per key;
    /// half of it leaves a wide margin for encryptions whose transaction rolled back after the counter.
    /// </summary>
    public const long DefaultMaxEncryptionsPerDataKey = 1L << 31;

    /// <summary>Path of the key-encryption key file (JSON, see docs/vault-keys.md). Relative paths are from the working directory.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Key-encryption keys from configuration or the environment: <c>Vault__Keys__1=base64…</c>.</summary>
    public Dictionary<string, string?> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Which of <see cref="Keys"/> wraps new data keys; the highest version when unset.</summary>
    public int? CurrentKey { get; set; }

    /// <summary>Record encryptions one data key may perform before the resident gets a new data key version.</summary>
    public long MaxEncryptionsPerDataKey { get; set; } = DefaultMaxEncryptionsPerDataKey;

    /// <summary>Rows per transaction when rotation rewraps data keys or re-encrypts records.</summary>
    public int RotationBatchSize { get; set; } = 500;
}
