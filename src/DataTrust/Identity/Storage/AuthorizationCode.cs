using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>An authorization code, stored by its SHA-256 hash; single use (RFC 6749 §4.1.2).</summary>
internal sealed class AuthorizationCode
{
    public string CodeHash { get; set; } = "";

    public string ClientId { get; set; } = "";

    public Guid GrantId { get; set; }

    public Guid UserId { get; set; }

    public string RedirectUri { get; set; } = "";

    public List<string> Scopes { get; set; } = [];

    public string? Nonce { get; set; }

    public string CodeChallenge { get; set; } = "";

    public string Audience { get; set; } = "";

    /// <summary>RFC 9449 §10: the DPoP key the client announced with <c>dpop_jkt</c>.</summary>
    public string? DpopJkt { get; set; }

    public DateTimeOffset AuthTime { get; set; }

    public string SessionId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RedeemedAt { get; set; }
}

internal sealed class AuthorizationCodeConfiguration : IEntityTypeConfiguration<AuthorizationCode>
{
    public void Configure(EntityTypeBuilder<AuthorizationCode> code)
    {
        code.ToTable("authorization_codes");
        code.HasKey(c => c.CodeHash);
        code.Property(c => c.CodeHash).HasMaxLength(64);
        code.Property(c => c.ClientId).HasMaxLength(100);
        code.HasOne<Grant>().WithMany().HasForeignKey(c => c.GrantId).OnDelete(DeleteBehavior.Cascade);
        code.Property(c => c.Scopes).HasSpaceSeparatedConversion();
        code.Property(c => c.CodeChallenge).HasMaxLength(64);
        code.Property(c => c.DpopJkt).HasMaxLength(64);
        code.Property(c => c.SessionId).HasMaxLength(64);
        code.Property(c => c.Nonce).HasMaxLength(512);
    }
}
