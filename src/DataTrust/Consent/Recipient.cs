using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// A business client or City OS service registered as a data recipient. Its status decides, at every
/// release, whether it may receive anything at all; the review history is in <see cref="RecipientReview"/>.
/// </summary>
internal sealed class Recipient
{
    /// <summary>The OAuth client's <c>client_id</c>.</summary>
    public string ClientId { get; set; } = "";

    public string OrganisationName { get; set; } = "";

    public RecipientStatus Status { get; set; }

    /// <summary>Whether the last approval also covered the criteria for special-care data (要配慮個人情報).</summary>
    public bool SpecialCareApproved { get; set; }

    /// <summary>Where consent events are posted (https, or http on a loopback host).</summary>
    public string? WebhookUrl { get; set; }

    public DateTimeOffset RegisteredAt { get; set; }

    public DateTimeOffset StatusChangedAt { get; set; }
}

internal enum RecipientStatus
{
    Pending,
    Approved,
    Rejected,
    Suspended,
}

/// <summary>One decision of the data ethics board on a recipient; rows are only ever added.</summary>
internal sealed class RecipientReview
{
    public long Id { get; set; }

    public string ClientId { get; set; } = "";

    /// <summary><c>approved</c>, <c>rejected</c>, <c>suspended</c> or <c>reinstated</c>.</summary>
    public string Decision { get; set; } = "";

    /// <summary>JSON object: criterion id → met (true/false), as checked by the reviewer.</summary>
    public string Criteria { get; set; } = "{}";

    /// <summary>JSON array of the reasons the reviewer gave.</summary>
    public string Reasons { get; set; } = "[]";

    public Guid ReviewerId { get; set; }

    public string PolicyVersion { get; set; } = "";

    public DateTimeOffset ReviewedAt { get; set; }
}

internal sealed class RecipientConfiguration : IEntityTypeConfiguration<Recipient>
{
    public void Configure(EntityTypeBuilder<Recipient> recipient)
    {
        recipient.ToTable("recipients");
        recipient.HasKey(r => r.ClientId);
        recipient.Property(r => r.ClientId).HasMaxLength(100);
        recipient.Property(r => r.OrganisationName).HasMaxLength(200);
        recipient.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        recipient.Property(r => r.WebhookUrl).HasMaxLength(500);
    }
}

internal sealed class RecipientReviewConfiguration : IEntityTypeConfiguration<RecipientReview>
{
    public void Configure(EntityTypeBuilder<RecipientReview> review)
    {
        review.ToTable("recipient_reviews");
        review.HasKey(r => r.Id);
        review.Property(r => r.Id).ValueGeneratedOnAdd();
        review.Property(r => r.ClientId).HasMaxLength(100);
        review.HasOne<Recipient>().WithMany().HasForeignKey(r => r.ClientId).OnDelete(DeleteBehavior.Cascade);
        review.Property(r => r.Decision).HasMaxLength(16);
        review.Property(r => r.PolicyVersion).HasMaxLength(80);
    }
}
