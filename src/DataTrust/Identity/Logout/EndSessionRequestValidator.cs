using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Identity.Logout;

/// <summary>A verified RP-initiated logout request; the redirect URI is set only when it is registered.</summary>
internal sealed record EndSessionRequest(Client? Client, string? PostLogoutRedirectUri, string? State);

/// <summary>
/// OpenID Connect RP-Initiated Logout 1.0 §2–§3: <c>id_token_hint</c> must be an ID token we issued
/// (expired ones are fine), naming the same client as <c>client_id</c>; <c>post_logout_redirect_uri</c>
/// must exactly match one the client registered, or nobody is redirected anywhere.
/// </summary>
internal sealed class EndSessionRequestValidator(DataTrustDbContext db, AccessTokenValidator tokens)
{
    public async Task<(EndSessionRequest? Request, string? Japanese, string? English)> ValidateAsync(
        HttpContext context, RequestParameters parameters, CancellationToken cancellationToken)
    {
        if (parameters.Repeated is not null)
        {
            return Fail("要求のパラメーターが重複しています。", "A request parameter appears more than once.");
        }

        var clientId = parameters["client_id"];
        if (parameters["id_token_hint"] is { } hint)
        {
            var idToken = await tokens.VerifySignatureAsync(context, hint, "JWT", cancellationToken);
            var audience = idToken?.Audiences.ToList();
            if (audience is not { Count: 1 } || (clientId is not null && clientId != audience[0]))
            {
                return Fail("ログアウト要求のトークン (id_token_hint) が正しくありません。", "The logout request's token (id_token_hint) is not valid.");
            }

            clientId = audience[0];
        }

        var client = clientId is null ? null
            : await db.Set<Client>().AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == clientId && c.Enabled, cancellationToken);
        if (clientId is not null && client is null)
        {
            return Fail("このアプリは登録されていないか、利用が停止されています。", "This application is not registered or has been disabled.");
        }

        var redirect = parameters["post_logout_redirect_uri"];
        if (redirect is not null && (client is null || !client.PostLogoutRedirectUris.Contains(redirect, StringComparer.Ordinal)))
        {
            return Fail("ログアウト後の戻り先がこのアプリに登録されたものと一致しません。", "The address to return to after signing out is not registered for this application.");
        }

        return (new EndSessionRequest(client, redirect, redirect is null ? null : parameters["state"]), null, null);
    }

    public static string RedirectAfterLogout(EndSessionRequest request)
    {
        var uri = request.PostLogoutRedirectUri!;
        if (request.State is null)
        {
            return uri;
        }

        return uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "state=" + Uri.EscapeDataString(request.State);
    }

    private static (EndSessionRequest?, string?, string?) Fail(string japanese, string english) => (null, japanese, english);
}
