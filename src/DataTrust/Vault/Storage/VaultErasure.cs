using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Vault.Storage;

/// <summary>
/// The receipt of one crypto-shredding, without the resident's id. It records which key-encryption key
/// version was current at the erasure: copies of the database from before the erasure (backups, replicas,
/// dead tuples, WAL archives) hold the erased data key wrapped under that version or an older one, so the
/// erasure reaches those copies once every version up to it is destroyed (docs/vault-keys.md).
/// </summary>
internal sealed class VaultErasure
{
    public Guid Id { get; set; }

    public DateTimeOffset ErasedAt { get; set; }

    public int KekVersionAtErasure { get; set; }

    public int DataKeysDestroyed { get; set; }

    public int RecordsDeleted { get; set; }
}

internal sealed class VaultErasureConfiguration : IEntityTypeConfiguration<VaultErasure>
{
    public void Configure(EntityTypeBuilder<VaultErasure> erasure)
    {
        erasure.ToTable("vault_erasures");
        erasure.HasKey(e => e.Id);
        erasure.HasIndex(e => e.KekVersionAtErasure);
    }
}
