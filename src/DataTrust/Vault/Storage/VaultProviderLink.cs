using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Vault.Storage;

/// <summary>
/// A resident's link to a data provider. <see cref="LinkId"/> is pairwise and random: the provider uses it to
/// address this resident when depositing, and it says nothing about the resident or their links to other
/// providers. Unlinking keeps the row (with <see cref="UnlinkedAt"/>) so the consent history stays whole;
/// linking again makes a new link with a new id. Erasure deletes the rows.
/// </summary>
internal sealed class VaultProviderLink
{
    public const int LinkIdLength = 43; // 32 random bytes, base64url

    public Guid Id { get; set; }

    public string LinkId { get; set; } = "";

    public Guid ResidentId { get; set; }

    /// <summary>The provider's client_id.</summary>
    public string ProviderId { get; set; } = "";

    public DateTimeOffset LinkedAt { get; set; }

    public DateTimeOffset? UnlinkedAt { get; set; }
}

/// <summary>
/// One storage-consent decision for one category of a link: immutable, append-only. The state for a category
/// is its row with the highest <see cref="Version"/>; a unique key on (link, category, version) makes two
/// concurrent decisions on one category conflict instead of interleaving.
/// </summary>
internal sealed class VaultStorageConsent
{
    public Guid Id { get; set; }

    public Guid LinkId { get; set; }

    public string CategoryId { get; set; } = "";

    public int Version { get; set; }

    public bool Given { get; set; }

    public DateTimeOffset DecidedAt { get; set; }
}

internal sealed class VaultProviderLinkConfiguration : IEntityTypeConfiguration<VaultProviderLink>
{
    public void Configure(EntityTypeBuilder<VaultProviderLink> link)
    {
        link.ToTable("vault_provider_links");
        link.HasKey(l => l.Id);
        link.Property(l => l.LinkId).HasMaxLength(VaultProviderLink.LinkIdLength);
        link.Property(l => l.ProviderId).HasMaxLength(200);
        link.HasIndex(l => l.LinkId).IsUnique();
        link.HasIndex(l => new { l.ResidentId, l.ProviderId });
    }
}

internal sealed class VaultStorageConsentConfiguration : IEntityTypeConfiguration<VaultStorageConsent>
{
    public void Configure(EntityTypeBuilder<VaultStorageConsent> consent)
    {
        consent.ToTable("vault_storage_consents");
        consent.HasKey(c => c.Id);
        consent.Property(c => c.CategoryId).HasMaxLength(VaultRecordConfiguration.MaxCategoryIdLength);
        consent.HasIndex(c => new { c.LinkId, c.CategoryId, c.Version }).IsUnique();
        consent.HasOne<VaultProviderLink>().WithMany().HasForeignKey(c => c.LinkId).OnDelete(DeleteBehavior.Cascade);
    }
}
