using DataTrust.Identity.DPoP;
using DataTrust.Identity.Token;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Identity.ResourceServer;

/// <summary>The outcome of reading an access token at a protected resource; exactly one of token or error is set.</summary>
internal sealed record ResourceAccess(LiveAccessToken? Token, string? Error, string? Description, bool IsDpopError = false)
{
    /// <summary>No credentials at all: RFC 6750 §3.1 wants a challenge without an error code.</summary>
    public bool IsAnonymous => Token is null && Error is null;
}

/// <summary>
/// Reads <c>Authorization: Bearer</c> (RFC 6750 §2.1) or <c>Authorization: DPoP</c> with its proof
/// (RFC 9449 §7) at a protected resource of DataTrust itself: the token must be live (signature,
/// record, grant), meant for the issuer, and presented with the scheme its binding demands.
/// </summary>
internal sealed class ProtectedResourceAuthenticator(AccessTokenValidator accessTokens, DPoPProofValidator dpop, Issuer issuer)
{
    public const string InvalidToken = "The access token is invalid, expired or revoked.";

    public async Task<ResourceAccess> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count != 1)
        {
            return new ResourceAccess(null, null, null);
        }

        var header = authorization[0] ?? "";
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? header[..space] : header;
        var token = space > 0 ? header[(space + 1)..].Trim() : "";
        var isDpop = scheme.Equals("DPoP", StringComparison.OrdinalIgnoreCase);
        if ((!isDpop && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) || token.Length == 0)
        {
            return new ResourceAccess(null, null, null);
        }

        var recheckedInTransaction = context.GetEndpoint()?.Metadata.GetMetadata<TokenLivenessRecheckedInTransaction>() is not null;
        var live = await accessTokens.ValidateAsync(context, token, cancellationToken, recheckedInTransaction);
        if (live is null || live.Row.Audience != issuer.For(context))
        {
            return new ResourceAccess(null, "invalid_token", InvalidToken);
        }

        if (live.Row.DpopJkt is { } jkt)
        {
            if (!isDpop)
            {
                // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is refused.
                return new ResourceAccess(null, "invalid_token", "This access token is DPoP-bound: use the DPoP scheme with a proof.");
            }

            var (proof, proofError) = await dpop.ValidateAsync(context, token, cancellationToken);
            if (proof is null || proof.Jkt != jkt)
            {
                return new ResourceAccess(null, "invalid_dpop_proof", proofError ?? "The DPoP proof is missing or signed with another key.", IsDpopError: true);
            }
        }
        else if (isDpop)
        {
            return new ResourceAccess(null, "invalid_token", "This access token is not DPoP-bound: use the Bearer scheme.");
        }

        return new ResourceAccess(live, null, null);
    }

    /// <summary>RFC 6750 §3 and RFC 9449 §7.1: both schemes are offered; the error goes with the scheme it concerns.</summary>
    public static string[] Challenges(string? error, string? description, bool isDpopError)
    {
        var details = error is null ? "" : $", error=\"{error}\", error_description=\"{description!.Replace("\"", "'", StringComparison.Ordinal)}\"";
        var algs = string.Join(' ', DPoPProofValidator.Algorithms);
        return isDpopError
            ? ["Bearer realm=\"DataTrust\"", $"DPoP realm=\"DataTrust\", algs=\"{algs}\"{details}"]
            : [$"Bearer realm=\"DataTrust\"{details}", $"DPoP realm=\"DataTrust\", algs=\"{algs}\"{details}"];
    }
}
