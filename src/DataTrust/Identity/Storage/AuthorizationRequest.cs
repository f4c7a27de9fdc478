using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Identity.Storage;

/// <summary>
/// A validated authorization request kept on the server: either pushed (RFC 9126, addressed by its
/// <c>request_uri</c>) or an interaction in progress (sign-in and consent), addressed by a random id
/// in the browser's URL. Keeping it here means no step trusts parameters the browser carries back.
/// </summary>
internal sealed class AuthorizationRequest
{
    /// <summary>256 random bits, base64url.</summary>
    public string Id { get; set; } = "";

    public AuthorizationRequestKind Kind { get; set; }

    public string ClientId { get; set; } = "";

    /// <summary>The request parameters as a JSON object of strings.</summary>
    public string Parameters { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ConsumedAt { get; set; }

    /// <summary>Set when the resident allowed the request on the consent page.</summary>
    public DateTimeOffset? ConsentedAt { get; set; }
}

internal enum AuthorizationRequestKind
{
    Pushed,
    Interaction,
}

internal sealed class AuthorizationRequestConfiguration : IEntityTypeConfiguration<AuthorizationRequest>
{
    public void Configure(EntityTypeBuilder<AuthorizationRequest> request)
    {
        request.ToTable("authorization_requests");
        request.HasKey(r => r.Id);
        request.Property(r => r.Id).HasMaxLength(64);
        request.Property(r => r.Kind).HasConversion<string>().HasMaxLength(16);
        request.Property(r => r.ClientId).HasMaxLength(100);
        request.HasIndex(r => r.ExpiresAt);
    }
}
