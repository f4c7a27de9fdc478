using DataTrust.Accounts;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// What a resident allowed a client: scopes now, purpose-bound <c>authorization_details</c> (RFC 9396)
/// later. Every code and token refers to its grant, and the token and introspection paths check the
/// grant's status, so revoking a grant stops all of its tokens at once.
/// </summary>
internal sealed class Grant
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public string ClientId { get; set; } = "";

    public List<string> Scopes { get; set; } = [];

    /// <summary>RFC 9396 authorization details (JSON array) the resident agreed to; null for scope-only grants.</summary>
    public string? AuthorizationDetails { get; set; }

    public GrantStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Why it was revoked, e.g. <c>code_replayed</c>, <c>refresh_token_reused</c>, <c>resident</c>.</summary>
    public string? RevokedReason { get; set; }

    public bool IsActive(DateTimeOffset now) => Status == GrantStatus.Active && ExpiresAt > now;
}

internal enum GrantStatus
{
    Active,
    Revoked,
}

internal sealed class GrantConfiguration : IEntityTypeConfiguration<Grant>
{
    public void Configure(EntityTypeBuilder<Grant> grant)
    {
        grant.ToTable("grants");
        grant.HasKey(g => g.Id);
        grant.HasIndex(g => new { g.UserId, g.ClientId });
        grant.HasOne<UserAccount>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        grant.Property(g => g.ClientId).HasMaxLength(100);
        grant.Property(g => g.Scopes).HasSpaceSeparatedConversion();
        grant.Property(g => g.Status).HasConversion<string>().HasMaxLength(16);
        grant.Property(g => g.RevokedReason).HasMaxLength(64);
    }
}
