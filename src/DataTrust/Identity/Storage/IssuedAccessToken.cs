using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// The record of a JWT access token (RFC 9068), by its <c>jti</c>: lets introspection, revocation and
/// grant revocation reach a self-contained token. The token itself is never stored.
/// </summary>
internal sealed class IssuedAccessToken
{
    public string Jti { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Null for client_credentials tokens, which act for the client itself.</summary>
    public Guid? GrantId { get; set; }

    public Guid? UserId { get; set; }

    /// <summary>The <c>sub</c> claim: the pairwise subject, or the client id.</summary>
    public string Subject { get; set; } = "";

    public string Audience { get; set; } = "";

    public List<string> Scopes { get; set; } = [];

    public string? DpopJkt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class IssuedAccessTokenConfiguration : IEntityTypeConfiguration<IssuedAccessToken>
{
    public void Configure(EntityTypeBuilder<IssuedAccessToken> token)
    {
        token.ToTable("access_tokens");
        token.HasKey(t => t.Jti);
        token.Property(t => t.Jti).HasMaxLength(64);
        token.Property(t => t.ClientId).HasMaxLength(100);
        token.HasOne<Grant>().WithMany().HasForeignKey(t => t.GrantId).OnDelete(DeleteBehavior.Cascade);
        token.Property(t => t.Subject).HasMaxLength(100);
        token.Property(t => t.Scopes).HasSpaceSeparatedConversion();
        token.Property(t => t.DpopJkt).HasMaxLength(64);
        token.HasIndex(t => t.ExpiresAt);
    }
}
