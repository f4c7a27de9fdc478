using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// A one-time value already seen (a client assertion's or DPoP proof's <c>jti</c>), kept until the
/// value could no longer be accepted anyway. The primary key makes the check atomic across instances.
/// </summary>
internal sealed class ReplayEntry
{
    /// <summary><c>kind:SHA-256(scope|jti)</c>, base64url.</summary>
    public string Key { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class ReplayEntryConfiguration : IEntityTypeConfiguration<ReplayEntry>
{
    public void Configure(EntityTypeBuilder<ReplayEntry> entry)
    {
        entry.ToTable("replay_cache");
        entry.HasKey(e => e.Key);
        entry.Property(e => e.Key).HasMaxLength(80);
        entry.HasIndex(e => e.ExpiresAt);
    }
}
