using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// A token-signing key. Its life: published (in the JWK Set) from creation, signing from
/// <see cref="SignsFrom"/> until <see cref="SignsUntil"/>, published until <see cref="PublishedUntil"/>,
/// which lies past the expiry of every token it signed.
/// </summary>
internal sealed class SigningKey
{
    public string KeyId { get; set; } = "";

    /// <summary><c>ES256</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; set; } = "";

    /// <summary>The public JWK (JSON), as published.</summary>
    public string PublicJwk { get; set; } = "";

    /// <summary>PKCS#8 private key, protected by Data Protection (purpose <c>DataTrust.Identity.SigningKeys</c>).</summary>
    public string ProtectedPrivateKey { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset SignsFrom { get; set; }

    public DateTimeOffset? SignsUntil { get; set; }

    public DateTimeOffset? PublishedUntil { get; set; }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> key)
    {
        key.ToTable("signing_keys");
        key.HasKey(k => k.KeyId);
        key.Property(k => k.KeyId).HasMaxLength(64);
        key.Property(k => k.Algorithm).HasMaxLength(8);
    }
}
