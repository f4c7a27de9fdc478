using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Vault.Storage;

/// <summary>
/// One encrypted record of a resident. Only the routing metadata (resident, category, schema version,
/// key version, time) is in clear; the payload is AES-256-GCM ciphertext (see <see cref="Crypto.RecordCipher"/>).
/// </summary>
internal sealed class VaultRecord
{
    public Guid Id { get; set; }

    public Guid ResidentId { get; set; }

    public string CategoryId { get; set; } = "";

    public int SchemaVersion { get; set; }

    public int DataKeyVersion { get; set; }

    public byte[] Nonce { get; set; } = [];

    public byte[] Ciphertext { get; set; } = [];

    public byte[] Tag { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The data provider (client_id) that deposited it; null for records stored by the service itself.</summary>
    public string? ProviderId { get; set; }

    /// <summary>When the resident last corrected it.</summary>
    public DateTimeOffset? CorrectedAt { get; set; }
}

internal sealed class VaultRecordConfiguration : IEntityTypeConfiguration<VaultRecord>
{
    public const int MaxCategoryIdLength = 100;

    public void Configure(EntityTypeBuilder<VaultRecord> record)
    {
        record.ToTable("vault_records");
        record.HasKey(r => r.Id);
        record.Property(r => r.CategoryId).HasMaxLength(MaxCategoryIdLength);
        record.Property(r => r.ProviderId).HasMaxLength(200);
        record.HasIndex(r => new { r.ResidentId, r.CategoryId });
        record.HasIndex(r => new { r.CategoryId, r.CreatedAt }); // retention deletes by category and age

        // A data key cannot be deleted while a record still needs it: retiring a key and erasing a resident
        // delete records first, and the database refuses anything else.
        record.HasOne<VaultDataKey>().WithMany()
            .HasForeignKey(r => new { r.ResidentId, r.DataKeyVersion })
            .HasPrincipalKey(k => new { k.ResidentId, k.Version })
            .OnDelete(DeleteBehavior.Restrict);
    }
}
