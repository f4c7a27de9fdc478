using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// What a recipient asks residents for: a purpose from the policy, the categories and fields it needs
/// (within the purpose's minimisation rule), for how long, how often, which period of data, and what
/// the resident gets in return. Only a published (approved) request can be consented to.
/// </summary>
internal sealed class DataRequest
{
    public Guid Id { get; set; }

    public string ClientId { get; set; } = "";

    public string PurposeId { get; set; } = "";

    /// <summary>JSON array of <see cref="RequestedCategory"/>.</summary>
    public string Categories { get; set; } = "[]";

    /// <summary>ISO 8601 duration of a consent given to it, e.g. <c>P6M</c>.</summary>
    public string Duration { get; set; } = "";

    public AccessMode AccessMode { get; set; }

    /// <summary>Periodic access: at most this many releases per <see cref="FrequencyPeriod"/>.</summary>
    public int? MaxReleasesPerPeriod { get; set; }

    /// <summary>Periodic access: ISO 8601 duration of the counting period, e.g. <c>P1M</c>.</summary>
    public string? FrequencyPeriod { get; set; }

    /// <summary>The data asked for was recorded on or after this instant (inclusive); open when null.</summary>
    public DateTimeOffset? DataFrom { get; set; }

    /// <summary>The data asked for was recorded before this instant (exclusive); open when null.</summary>
    public DateTimeOffset? DataTo { get; set; }

    public string BenefitJa { get; set; } = "";

    public string BenefitEn { get; set; } = "";

    public string ExplanationJa { get; set; } = "";

    public string ExplanationEn { get; set; } = "";

    public DataRequestState State { get; set; }

    /// <summary>Whether any requested category is special-care personal information (要配慮個人情報).</summary>
    public bool SpecialCare { get; set; }

    /// <summary>The policy version the request was last checked against.</summary>
    public string PolicyVersion { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum AccessMode
{
    OneTime,
    Periodic,
}

internal enum DataRequestState
{
    Draft,
    Submitted,
    Approved,
    Rejected,
    Withdrawn,
}

/// <summary>One requested category and the fields of it.</summary>
public sealed record RequestedCategory(string Category, IReadOnlyList<string> Fields);

/// <summary>One decision of the ethics board on a data request; rows are only ever added.</summary>
internal sealed class DataRequestReview
{
    public long Id { get; set; }

    public Guid DataRequestId { get; set; }

    /// <summary><c>approved</c> or <c>rejected</c>.</summary>
    public string Decision { get; set; } = "";

    public bool SensitiveDataApproved { get; set; }

    /// <summary>JSON array of the reasons the reviewer gave.</summary>
    public string Reasons { get; set; } = "[]";

    public Guid ReviewerId { get; set; }

    public DateTimeOffset ReviewedAt { get; set; }
}

internal sealed class DataRequestConfiguration : IEntityTypeConfiguration<DataRequest>
{
    public void Configure(EntityTypeBuilder<DataRequest> request)
    {
        request.ToTable("data_requests");
        request.HasKey(r => r.Id);
        request.Property(r => r.ClientId).HasMaxLength(100);
        request.HasOne<Recipient>().WithMany().HasForeignKey(r => r.ClientId).OnDelete(DeleteBehavior.Cascade);
        request.HasIndex(r => r.State);
        request.Property(r => r.PurposeId).HasMaxLength(64);
        request.Property(r => r.Duration).HasMaxLength(16);
        request.Property(r => r.AccessMode).HasConversion<string>().HasMaxLength(16);
        request.Property(r => r.FrequencyPeriod).HasMaxLength(16);
        request.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        request.Property(r => r.PolicyVersion).HasMaxLength(80);
    }
}

internal sealed class DataRequestReviewConfiguration : IEntityTypeConfiguration<DataRequestReview>
{
    public void Configure(EntityTypeBuilder<DataRequestReview> review)
    {
        review.ToTable("data_request_reviews");
        review.HasKey(r => r.Id);
        review.HasOne<DataRequest>().WithMany().HasForeignKey(r => r.DataRequestId).OnDelete(DeleteBehavior.Cascade);
        review.Property(r => r.Decision).HasMaxLength(16);
    }
}
