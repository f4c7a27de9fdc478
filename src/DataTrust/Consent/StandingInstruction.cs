using DataTrust.Accounts;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// A resident's rule decided in advance (情報信託): an allow rule grants matching requests that reach
/// the inbox (narrowed to what it allows); a never rule refuses any request touching its categories.
/// Never rules win over allow rules.
/// </summary>
internal sealed class StandingInstruction
{
    public Guid Id { get; set; }

    public Guid ResidentId { get; set; }

    public StandingInstructionKind Kind { get; set; }

    /// <summary>Allow rules: the purposes it applies to (empty: none).</summary>
    public List<string> Purposes { get; set; } = [];

    /// <summary>Allow rules: the kinds of recipient client (<c>BusinessRecipient</c>, <c>CityOsService</c>).</summary>
    public List<string> RecipientKinds { get; set; } = [];

    /// <summary>Allow rules: the categories it lets through; never rules: the categories never shared.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>Allow rules: the longest consent it grants (ISO 8601), shortening longer requests.</summary>
    public string? MaxDuration { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum StandingInstructionKind
{
    Allow,
    Never,
}

/// <summary>Something the resident is told about (shown in the portal; also mailed where possible).</summary>
internal sealed class ResidentNotification
{
    public Guid Id { get; set; }

    public Guid ResidentId { get; set; }

    public Guid? ConsentId { get; set; }

    /// <summary>e.g. <c>consent.auto_granted</c>, <c>consent.auto_refused</c>, <c>consent.requested</c>, <c>consent.expired</c>.</summary>
    public string Kind { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ReadAt { get; set; }
}

internal sealed class StandingInstructionConfiguration : IEntityTypeConfiguration<StandingInstruction>
{
    public void Configure(EntityTypeBuilder<StandingInstruction> rule)
    {
        rule.ToTable("standing_instructions");
        rule.HasKey(r => r.Id);
        rule.HasOne<UserAccount>().WithMany().HasForeignKey(r => r.ResidentId).OnDelete(DeleteBehavior.Cascade);
        rule.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        rule.Property(r => r.Purposes).HasSpaceSeparatedConversion();
        rule.Property(r => r.RecipientKinds).HasSpaceSeparatedConversion();
        rule.Property(r => r.Categories).HasSpaceSeparatedConversion();
        rule.Property(r => r.MaxDuration).HasMaxLength(16);
    }
}

internal sealed class ResidentNotificationConfiguration : IEntityTypeConfiguration<ResidentNotification>
{
    public void Configure(EntityTypeBuilder<ResidentNotification> notification)
    {
        notification.ToTable("resident_notifications");
        notification.HasKey(n => n.Id);
        notification.HasOne<UserAccount>().WithMany().HasForeignKey(n => n.ResidentId).OnDelete(DeleteBehavior.Cascade);
        notification.Property(n => n.Kind).HasMaxLength(32);
    }
}
