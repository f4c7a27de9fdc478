using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// <c>GET|POST /connect/authorize</c> (RFC 6749 §3.1, OIDC Core §3.1.2): verifies client and redirect
/// URI (errors shown on a page), takes parameters from a pushed request (RFC 9126 §4) when given one,
/// validates the rest (errors redirected), keeps the request on the server, and continues with sign-in,
/// consent and the code.
/// </summary>
internal static class AuthorizeEndpoint
{
    public static async Task<IResult> Handle(
        HttpContext context,
        DataTrustDbContext db,
        AuthorizationRequestValidator validator,
        AuthorizationInteraction interaction,
        Issuer issuer,
        IOptions<OidcOptions> options,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var isPost = HttpMethods.IsPost(context.Request.Method);
        if (isPost && !context.Request.HasFormContentType)
        {
            return AuthorizationResponses.Page(StatusCodes.Status400BadRequest,
                "要求の形式が正しくありません。", "The request is not a form post.");
        }

        var parameters = RequestParameters.From(isPost ? await context.Request.ReadFormAsync(cancellationToken) : context.Request.Query);
        var clientId = parameters["client_id"];
        var client = clientId is null ? null
            : await db.Set<Client>().AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == clientId && c.Enabled, cancellationToken);
        if (client is null)
        {
            return AuthorizationResponses.Page(StatusCodes.Status400BadRequest,
                "このアプリ (client_id) は DataTrust に登録されていないか、利用が停止されています。アプリの提供者にお問い合わせください。",
                "This application (client_id) is not registered with DataTrust or has been disabled. Contact the application's provider.");
        }

        var iss = issuer.For(context);
        var now = clock.GetUtcNow();
        AuthorizationParameters? request;
        if (parameters["request_uri"] is { } requestUri)
        {
            request = await RedeemPushedAsync(db, client, requestUri, now, cancellationToken);
            if (request is null)
            {
                return AuthorizationResponses.Page(StatusCodes.Status400BadRequest,
                    "このログイン要求は期限切れか、すでに使われています。アプリに戻って、もう一度お試しください。",
                    "This sign-in request has expired or was already used. Return to the application and try again.");
            }
        }
        else
        {
            if (!AuthorizationRequestValidator.IsRegisteredRedirect(client, parameters["redirect_uri"]))
            {
                return AuthorizationResponses.Page(StatusCodes.Status400BadRequest,
                    "戻り先のアドレス (redirect_uri) がこのアプリに登録されたものと一致しません。安全のため、処理を中止しました。",
                    "The return address (redirect_uri) does not match one registered for this application. For your safety, the request was stopped.");
            }

            var (validated, error, description) = validator.Validate(client, parameters, iss);
            if (validated is null)
            {
                IdentityEvents.AuthorizationRefused(loggers.Logger(), client.ClientId, error!);
                return AuthorizationResponses.Error(parameters["redirect_uri"]!, parameters["state"], iss, error!, description!);
            }

            if (client.HighAssurance)
            {
                // FAPI 2.0 Security Profile §5.3.1.2: high-assurance clients push their requests.
                return AuthorizationResponses.Error(validated, iss, "invalid_request", "This client must use pushed authorization requests (PAR).");
            }

            if (parameters["authorization_details"] is { } details)
            {
                var (_, problem) = await ConsentAuthorizationDetail.ValidateAsync(db, client.ClientId, details, cancellationToken);
                if (problem is not null)
                {
                    IdentityEvents.AuthorizationRefused(loggers.Logger(), client.ClientId, ConsentAuthorizationDetail.Error);
                    return AuthorizationResponses.Error(validated, iss, ConsentAuthorizationDetail.Error, problem);
                }

                validated = validated with { AuthorizationDetails = details };
            }

            request = validated;
        }

        var id = TokenHash.NewValue();
        db.Add(new AuthorizationRequest
        {
            Id = id,
            Kind = AuthorizationRequestKind.Interaction,
            ClientId = client.ClientId,
            Parameters = request.ToJson(),
            CreatedAt = now,
            ExpiresAt = now + options.Value.InteractionLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);

        // A cross-site POST carries no SameSite=Lax session cookie; the GET after a 303 does.
        return isPost
            ? AuthorizationResponses.SeeOtherLocal(AuthorizationInteraction.ContinuePath(id))
            : await interaction.ContinueAsync(context, id, cancellationToken);
    }

    private static async Task<AuthorizationParameters?> RedeemPushedAsync(
        DataTrustDbContext db, Client client, string requestUri, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!requestUri.StartsWith(Endpoints.RequestUriPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var id = requestUri[Endpoints.RequestUriPrefix.Length..];
        var pushed = await db.Set<AuthorizationRequest>().AsNoTracking()
            .SingleOrDefaultAsync(r => r.Id == id && r.Kind == AuthorizationRequestKind.Pushed, cancellationToken);
        if (pushed is null || pushed.ClientId != client.ClientId || pushed.ExpiresAt <= now)
        {
            return null;
        }

        // RFC 9126 §4: one use per request_uri.
        var won = await db.Set<AuthorizationRequest>().Where(r => r.Id == id && r.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ConsumedAt, now), cancellationToken);
        return won == 1 ? AuthorizationParameters.FromJson(pushed.Parameters) : null;
    }
}
