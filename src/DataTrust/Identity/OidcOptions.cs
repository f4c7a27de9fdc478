namespace DataTrust.Identity;

/// <summary>Settings of the OpenID provider, under <c>DataTrust:Identity</c>. Lifetimes follow RFC 9700 and FAPI 2.0 advice: short, except refresh tokens.</summary>
public sealed class OidcOptions
{
    public const string Section = "DataTrust:Identity";

    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan IdTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a remembered consent (a grant) lasts before the resident is asked again.</summary>
    public TimeSpan GrantLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>Time a resident has to sign in and consent after the authorization request.</summary>
    public TimeSpan InteractionLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>RFC 9126 §2.2: the request_uri is short-lived.</summary>
    public TimeSpan PushedRequestLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A new signing key is published this long before it signs, so relying parties that cache the JWK
    /// Set (see <see cref="JwksMaxAge"/>) know it before they meet a token signed with it.
    /// </summary>
    public TimeSpan KeyPublishDelay { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Accepted age of a DPoP proof or client assertion (RFC 9449 §11.1), either side of now.</summary>
    public TimeSpan ProofClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Resource indicators (RFC 8707) a client may ask tokens for, besides the issuer itself.</summary>
    public List<string> Resources { get; set; } = [];
}
