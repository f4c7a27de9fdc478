using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Vault.Storage;

/// <summary>
/// One version of a resident's data key, stored only wrapped by a key-encryption key. The highest version
/// is current; older versions remain while records still reference them (until re-encryption retires them).
/// </summary>
internal sealed class VaultDataKey
{
    public Guid ResidentId { get; set; }

    public int Version { get; set; }

    /// <summary>Which key-encryption key version wraps it (bound into the wrap's context).</summary>
    public int KekVersion { get; set; }

    /// <summary>See <see cref="Crypto.DataKeyWrap"/>: nonce ‖ ciphertext ‖ tag.</summary>
    public byte[] WrappedKey { get; set; } = [];

    /// <summary>Record encryptions reserved under this key: each one consumed a random nonce.</summary>
    public long Encryptions { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class VaultDataKeyConfiguration : IEntityTypeConfiguration<VaultDataKey>
{
    public void Configure(EntityTypeBuilder<VaultDataKey> key)
    {
        key.ToTable("vault_data_keys");
        key.HasKey(k => new { k.ResidentId, k.Version });
        key.HasIndex(k => k.KekVersion); // KEK rotation and destruction look up data keys by KEK version
    }
}
