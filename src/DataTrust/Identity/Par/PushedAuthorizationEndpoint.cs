using System.Text.Json.Nodes;
using DataTrust.Identity.Authorize;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Par;

/// <summary>
/// <c>POST /connect/par</c> (RFC 9126 §2): the client pushes its authorization request over an
/// authenticated back channel and gets a one-time <c>request_uri</c> to send the browser with. A DPoP
/// proof sent here binds the future code to its key (RFC 9449 §10.1).
/// </summary>
internal static class PushedAuthorizationEndpoint
{
    public static async Task<IResult> Handle(
        HttpContext context,
        ClientAuthenticator authenticator,
        AuthorizationRequestValidator validator,
        DPoPProofValidator dpop,
        DataTrustDbContext db,
        Issuer issuer,
        IOptions<OidcOptions> options,
        TimeProvider clock,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (parameters, formError) = await RequestParameters.ReadFormAsync(context.Request, cancellationToken);
        if (parameters is null)
        {
            return formError!.ToResult();
        }

        var (client, authError) = await authenticator.AuthenticateAsync(context, parameters, cancellationToken);
        if (client is null)
        {
            return authError!.ToResult();
        }

        if (parameters.Has("request_uri"))
        {
            return OAuthError.InvalidRequest("request_uri is not allowed in a pushed request (RFC 9126 §2.1).").ToResult();
        }

        if (!AuthorizationRequestValidator.IsRegisteredRedirect(client, parameters["redirect_uri"]))
        {
            return OAuthError.InvalidRequest("redirect_uri is missing or not registered for this client.").ToResult();
        }

        var (proof, proofError) = await dpop.ValidateAsync(context, accessToken: null, cancellationToken);
        if (proofError is not null)
        {
            return OAuthError.InvalidDpopProof(proofError).ToResult();
        }

        var (request, error, description) = validator.Validate(client, parameters, issuer.For(context));
        if (request is null)
        {
            IdentityEvents.AuthorizationRefused(loggers.Logger(), client.ClientId, error!);
            return new OAuthError(error!, description!).ToResult();
        }

        if (parameters["authorization_details"] is { } details)
        {
            var (_, problem) = await ConsentAuthorizationDetail.ValidateAsync(db, client.ClientId, details, cancellationToken);
            if (problem is not null)
            {
                IdentityEvents.AuthorizationRefused(loggers.Logger(), client.ClientId, ConsentAuthorizationDetail.Error);
                return new OAuthError(ConsentAuthorizationDetail.Error, problem).ToResult();
            }

            request = request with { AuthorizationDetails = details };
        }

        if (proof is not null)
        {
            if (request.DpopJkt is not null && request.DpopJkt != proof.Jkt)
            {
                return OAuthError.InvalidDpopProof("dpop_jkt differs from the key of the DPoP proof.").ToResult();
            }

            request = request with { DpopJkt = proof.Jkt };
        }

        var now = clock.GetUtcNow();
        var id = TokenHash.NewValue();
        var lifetime = options.Value.PushedRequestLifetime;
        db.Add(new AuthorizationRequest
        {
            Id = id,
            Kind = AuthorizationRequestKind.Pushed,
            ClientId = client.ClientId,
            Parameters = request.ToJson(),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new NoStoreJsonResult(
            new JsonObject { ["request_uri"] = Endpoints.RequestUriPrefix + id, ["expires_in"] = (int)lifetime.TotalSeconds },
            StatusCodes.Status201Created);
    }
}
