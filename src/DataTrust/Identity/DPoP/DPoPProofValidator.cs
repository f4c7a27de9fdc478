using System.Text.Json;
using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.DPoP;

/// <summary>A verified DPoP proof: the JWK SHA-256 thumbprint (RFC 7638) of the key that signed it.</summary>
internal sealed record DPoPProof(string Jkt);

/// <summary>Checks a DPoP proof exactly as RFC 9449 §4.3 lists, with a database replay cache for <c>jti</c>.</summary>
internal sealed class DPoPProofValidator(Issuer issuer, ReplayCache replays, TimeProvider clock, IOptions<OidcOptions> options, ILoggerFactory loggers)
{
    public const string HeaderName = "DPoP";
    public static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256];

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>
    /// No proof: (null, null). A valid proof: (proof, null). Anything else: (null, reason).
    /// <paramref name="accessToken"/> is given at resource endpoints, where the proof must carry its hash (<c>ath</c>).
    /// </summary>
    public async Task<(DPoPProof? Proof, string? Error)> ValidateAsync(HttpContext context, string? accessToken, CancellationToken cancellationToken)
    {
        var headers = context.Request.Headers[HeaderName];
        if (headers.Count == 0)
        {
            return (null, null);
        }

        if (headers.Count > 1 || string.IsNullOrEmpty(headers[0]))
        {
            return (null, "Send exactly one DPoP header.");
        }

        var proof = headers[0]!;
        JsonWebToken token;
        JsonWebKey jwk;
        try
        {
            token = new JsonWebToken(proof);
            var header = JsonDocument.Parse(Base64UrlEncoder.Decode(proof.Split('.')[0])).RootElement;
            if (!header.TryGetProperty("jwk", out var jwkElement) || jwkElement.ValueKind != JsonValueKind.Object)
            {
                return (null, "The proof has no jwk header.");
            }

            if (PrivateMembers.Any(member => jwkElement.TryGetProperty(member, out _)))
            {
                return (null, "The jwk header must hold a public key only.");
            }

            jwk = new JsonWebKey(jwkElement.GetRawText());
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException or SecurityTokenException)
        {
            return (null, "The proof is not a well-formed JWT.");
        }

        if (token.Typ != "dpop+jwt" || !Algorithms.Contains(token.Alg, StringComparer.Ordinal))
        {
            return (null, "The proof must have typ dpop+jwt and an ES256, RS256 or PS256 signature.");
        }

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            return (null, "The proof's signature does not verify with its jwk.");
        }

        if (string.IsNullOrEmpty(token.Id)
            || !token.TryGetPayloadValue<string>("htm", out var htm)
            || !token.TryGetPayloadValue<string>("htu", out var htu)
            || !token.TryGetPayloadValue<long>("iat", out var iat))
        {
            return (null, "The proof must carry jti, htm, htu and iat.");
        }

        if (htm != context.Request.Method || !SameUri(htu, issuer.Endpoint(context, context.Request.Path)))
        {
            return (null, "htm and htu must name this request's method and URI.");
        }

        var now = clock.GetUtcNow();
        var skew = options.Value.ProofClockSkew;
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(iat);
        if (issuedAt < now - skew || issuedAt > now + skew)
        {
            return (null, "The proof's iat is too far from the server's time.");
        }

        if (accessToken is not null
            && (!token.TryGetPayloadValue<string>("ath", out var ath) || !TokenHash.FixedTimeEquals(ath, TokenHash.Of(accessToken))))
        {
            return (null, "The proof's ath does not match the access token.");
        }

        var jkt = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        if (!await replays.TryRememberAsync("dpop", jkt, token.Id, issuedAt + skew + skew, cancellationToken))
        {
            IdentityEvents.ProofReplayed(loggers.Logger(), "DPoP proof", null);
            return (null, "The proof's jti was already used.");
        }

        return (new DPoPProof(jkt), null);
    }

    /// <summary>RFC 9449 §4.3 (9): the URI without query and fragment, compared after syntax-based normalisation.</summary>
    private static bool SameUri(string presented, string expected) =>
        Uri.TryCreate(presented, UriKind.Absolute, out var a)
        && Uri.TryCreate(expected, UriKind.Absolute, out var b)
        && Uri.Compare(a, b, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped, StringComparison.Ordinal) == 0;
}
