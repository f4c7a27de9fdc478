using DataTrust.Accounts;
using DataTrust.Identity.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// The head row of one consent (table <c>consents</c>): who, to whom, for which request, which version
/// is current, its state and the release counters. It is the one mutable row of a consent and the
/// concurrency anchor: every change and every release decision locks it first (<c>SELECT … FOR
/// UPDATE</c> on PostgreSQL), so a revoke and a release on different instances are serialised, and no
/// release can commit under a state that a committed revoke has already ended (promise 2). The
/// history itself is immutable: <see cref="ConsentVersion"/> and <see cref="ConsentEvent"/> rows.
/// </summary>
internal sealed class ConsentHead
{
    public Guid Id { get; set; }

    public Guid ResidentId { get; set; }

    /// <summary>The recipient's <c>client_id</c>.</summary>
    public string ClientId { get; set; } = "";

    public Guid DataRequestId { get; set; }

    public int Version { get; set; }

    public ConsentState State { get; set; }

    /// <summary>When the current consent ends (copied from the current version for the expiry job).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>The OAuth grant this consent was given through, if any: revoked with the consent.</summary>
    public Guid? GrantId { get; set; }

    public int ReleaseCount { get; set; }

    public DateTimeOffset? PeriodStartedAt { get; set; }

    public int ReleasesInPeriod { get; set; }

    public DateTimeOffset? LastReleaseAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>States of a consent, after ISO/IEC TS 27560 and the W3C DPV consent status concepts.</summary>
internal enum ConsentState
{
    Requested,
    Given,
    Refused,
    Paused,
    Withdrawn,
    Expired,
}

/// <summary>The terms and state of a consent at one version; never changed after it is written.</summary>
internal sealed class ConsentVersion
{
    public Guid ConsentId { get; set; }

    public int Version { get; set; }

    public ConsentState State { get; set; }

    public string PurposeId { get; set; } = "";

    /// <summary>JSON array of <see cref="RequestedCategory"/>: what this consent covers.</summary>
    public string Categories { get; set; } = "[]";

    public string Duration { get; set; } = "";

    public DateTimeOffset? StartsAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? DataFrom { get; set; }

    public DateTimeOffset? DataTo { get; set; }

    public AccessMode AccessMode { get; set; }

    public int? MaxReleasesPerPeriod { get; set; }

    public string? FrequencyPeriod { get; set; }

    public string PolicyVersion { get; set; } = "";

    public Guid? ReceiptId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One thing that happened to a consent, in order; rows are only ever added.</summary>
internal sealed class ConsentEvent
{
    public long Id { get; set; }

    public Guid ConsentId { get; set; }

    /// <summary>The version this event produced or concerned.</summary>
    public int Version { get; set; }

    /// <summary><c>requested</c>, <c>granted</c>, <c>refused</c>, <c>paused</c>, <c>resumed</c>, <c>withdrawn</c>, <c>expired</c>, <c>deletion_confirmed</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary><c>resident</c>, <c>client</c>, <c>operator</c> or <c>system</c>.</summary>
    public string ActorType { get; set; } = "";

    /// <summary>Who decided when it was not the actor directly, e.g. <c>rule 0190…</c> for a standing instruction.</summary>
    public string? DecidedBy { get; set; }

    public DateTimeOffset OccurredAt { get; set; }
}

/// <summary>A signed consent receipt (compact JWS) as issued for one version of a consent.</summary>
internal sealed class ConsentReceipt
{
    public Guid Id { get; set; }

    public Guid ConsentId { get; set; }

    public int Version { get; set; }

    public string Jws { get; set; } = "";

    public DateTimeOffset IssuedAt { get; set; }
}

internal static class ConsentStorage
{
    public const int FillFactor = 80;

    /// <summary>The states in which a consent is live (asked, given or paused), as an index filter both providers read.</summary>
    public const string LiveFilter = "state IN ('Requested', 'Given', 'Paused')";
}

internal sealed class ConsentHeadConfiguration : IEntityTypeConfiguration<ConsentHead>
{
    public void Configure(EntityTypeBuilder<ConsentHead> consent)
    {
        consent.ToTable("consents");
        consent.HasKey(c => c.Id);

        // Every release rewrites its consent's counters: the free space lets PostgreSQL update the row in place (HOT), without touching its indexes.
        consent.HasStorageParameter("fillfactor", ConsentStorage.FillFactor);
        consent.HasOne<UserAccount>().WithMany().HasForeignKey(c => c.ResidentId).OnDelete(DeleteBehavior.Cascade);
        consent.Property(c => c.ClientId).HasMaxLength(100);
        consent.HasIndex(c => c.ClientId);
        consent.HasOne<DataRequest>().WithMany().HasForeignKey(c => c.DataRequestId).OnDelete(DeleteBehavior.Restrict);
        consent.Property(c => c.State).HasConversion<string>().HasMaxLength(16);
        consent.HasIndex(c => new { c.State, c.ExpiresAt });

        // One live consent per resident and request, however many grants or inbox requests race (the ledger's checks read before they write).
        consent.HasIndex(c => new { c.ResidentId, c.DataRequestId }).IsUnique().HasFilter(ConsentStorage.LiveFilter);
        consent.HasOne<Grant>().WithMany().HasForeignKey(c => c.GrantId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class ConsentVersionConfiguration : IEntityTypeConfiguration<ConsentVersion>
{
    public void Configure(EntityTypeBuilder<ConsentVersion> version)
    {
        version.ToTable("consent_versions");
        version.HasKey(v => new { v.ConsentId, v.Version });
        version.HasOne<ConsentHead>().WithMany().HasForeignKey(v => v.ConsentId).OnDelete(DeleteBehavior.Cascade);
        version.Property(v => v.State).HasConversion<string>().HasMaxLength(16);
        version.Property(v => v.PurposeId).HasMaxLength(64);
        version.Property(v => v.Duration).HasMaxLength(16);
        version.Property(v => v.AccessMode).HasConversion<string>().HasMaxLength(16);
        version.Property(v => v.FrequencyPeriod).HasMaxLength(16);
        version.Property(v => v.PolicyVersion).HasMaxLength(80);
    }
}

internal sealed class ConsentEventConfiguration : IEntityTypeConfiguration<ConsentEvent>
{
    public void Configure(EntityTypeBuilder<ConsentEvent> consentEvent)
    {
        consentEvent.ToTable("consent_events");
        consentEvent.HasKey(e => e.Id);
        consentEvent.HasOne<ConsentHead>().WithMany().HasForeignKey(e => e.ConsentId).OnDelete(DeleteBehavior.Cascade);
        consentEvent.Property(e => e.Kind).HasMaxLength(32);
        consentEvent.Property(e => e.ActorType).HasMaxLength(16);
        consentEvent.Property(e => e.DecidedBy).HasMaxLength(100);
    }
}

internal sealed class ConsentReceiptConfiguration : IEntityTypeConfiguration<ConsentReceipt>
{
    public void Configure(EntityTypeBuilder<ConsentReceipt> receipt)
    {
        receipt.ToTable("consent_receipts");
        receipt.HasKey(r => r.Id);
        receipt.HasOne<ConsentHead>().WithMany().HasForeignKey(r => r.ConsentId).OnDelete(DeleteBehavior.Cascade);
    }
}
