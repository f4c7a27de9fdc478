using System.Text.Json.Nodes;
using DataTrust.Accounts;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.UserInfo;

/// <summary>
/// <c>GET|POST /connect/userinfo</c> (OIDC Core §5.3): claims about the resident, by the scopes granted.
/// Accepts <c>Authorization: Bearer</c> (RFC 6750) or, for DPoP-bound tokens, <c>Authorization: DPoP</c>
/// with a proof carrying <c>ath</c> (RFC 9449 §7). Errors carry WWW-Authenticate for both schemes.
/// </summary>
internal static class UserInfoEndpoint
{
    public static async Task<IResult> Handle(
        HttpContext context, AccessTokenValidator accessTokens, DPoPProofValidator dpop, Issuer issuer, DataTrustDbContext db, CancellationToken cancellationToken)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count != 1)
        {
            return Challenge(null, null);
        }

        var header = authorization[0] ?? "";
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? header[..space] : header;
        var token = space > 0 ? header[(space + 1)..].Trim() : "";
        var isDpop = scheme.Equals("DPoP", StringComparison.OrdinalIgnoreCase);
        if ((!isDpop && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) || token.Length == 0)
        {
            return Challenge(null, null);
        }

        var live = await accessTokens.ValidateAsync(context, token, cancellationToken);
        if (live is null || live.Row.Audience != issuer.For(context) || live.Row.UserId is null)
        {
            return Challenge("invalid_token", "The access token is invalid, expired or revoked.");
        }

        if (live.Row.DpopJkt is { } jkt)
        {
            if (!isDpop)
            {
                // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is refused.
                return Challenge("invalid_token", "This access token is DPoP-bound: use the DPoP scheme with a proof.");
            }

            var (proof, proofError) = await dpop.ValidateAsync(context, token, cancellationToken);
            if (proof is null || proof.Jkt != jkt)
            {
                return Challenge("invalid_dpop_proof", proofError ?? "The DPoP proof is missing or signed with another key.", dpopError: true);
            }
        }
        else if (isDpop)
        {
            return Challenge("invalid_token", "This access token is not DPoP-bound: use the Bearer scheme.");
        }

        var scopes = live.Row.Scopes;
        if (!scopes.Contains(Scopes.OpenId, StringComparer.Ordinal))
        {
            return Challenge("insufficient_scope", "The access token was not issued for OpenID Connect (scope openid).", status: StatusCodes.Status403Forbidden);
        }

        var user = await db.Set<UserAccount>().AsNoTracking().SingleOrDefaultAsync(u => u.Id == live.Row.UserId, cancellationToken);
        if (user is null)
        {
            return Challenge("invalid_token", "The resident no longer exists.");
        }

        var claims = new JsonObject { ["sub"] = live.Row.Subject };
        if (scopes.Contains(Scopes.Profile, StringComparer.Ordinal))
        {
            claims["name"] = user.DisplayName;
            claims["locale"] = user.PreferredLocale;
        }

        if (scopes.Contains(Scopes.Email, StringComparer.Ordinal))
        {
            claims["email"] = user.Email;
            claims["email_verified"] = user.EmailConfirmed;
        }

        return new NoStoreJsonResult(claims);
    }

    private static ChallengeResult Challenge(string? error, string? description, bool dpopError = false, int status = StatusCodes.Status401Unauthorized) =>
        new ChallengeResult(error, description, dpopError, status);

    /// <summary>RFC 6750 §3 and RFC 9449 §7.1: both schemes are offered; the error goes with the scheme it concerns.</summary>
    private sealed class ChallengeResult(string? error, string? description, bool dpopError, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var details = error is null ? "" : $", error=\"{error}\", error_description=\"{description!.Replace("\"", "'", StringComparison.Ordinal)}\"";
            var algs = string.Join(' ', DPoPProofValidator.Algorithms);
            context.Response.StatusCode = status;
            OAuthError.NoStore(context.Response);
            context.Response.Headers.WWWAuthenticate = dpopError
                ? new[] { "Bearer realm=\"DataTrust\"", $"DPoP realm=\"DataTrust\", algs=\"{algs}\"{details}" }
                : new[] { $"Bearer realm=\"DataTrust\"{details}", $"DPoP realm=\"DataTrust\", algs=\"{algs}\"{details}" };
            return Task.CompletedTask;
        }
    }
}
