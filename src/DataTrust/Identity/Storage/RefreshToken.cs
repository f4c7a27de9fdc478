using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// An opaque refresh token, stored by its SHA-256 hash. Public clients' tokens rotate: a used one is
/// marked <see cref="RotatedAt"/>, and presenting it again revokes the grant (RFC 9700 §4.14.2).
/// </summary>
internal sealed class RefreshToken
{
    public Guid Id { get; set; }

    public string TokenHash { get; set; } = "";

    public Guid GrantId { get; set; }

    public string ClientId { get; set; } = "";

    public Guid UserId { get; set; }

    public List<string> Scopes { get; set; } = [];

    public string Audience { get; set; } = "";

    /// <summary>RFC 9449 §5: public clients' refresh tokens are bound to the DPoP key.</summary>
    public string? DpopJkt { get; set; }

    public DateTimeOffset AuthTime { get; set; }

    public string SessionId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RotatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> token)
    {
        token.ToTable("refresh_tokens");
        token.HasKey(t => t.Id);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.Property(t => t.TokenHash).HasMaxLength(64);
        token.Property(t => t.ClientId).HasMaxLength(100);
        token.HasOne<Grant>().WithMany().HasForeignKey(t => t.GrantId).OnDelete(DeleteBehavior.Cascade);
        token.Property(t => t.Scopes).HasSpaceSeparatedConversion();
        token.Property(t => t.DpopJkt).HasMaxLength(64);
        token.Property(t => t.SessionId).HasMaxLength(64);
    }
}
