using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Business;

/// <summary>
/// <c>/business/credentials</c>: the application's client credentials. A new client secret is shown once,
/// in the answer that made it; a private_key_jwt client uploads its public keys (JWK Set), checked first.
/// </summary>
internal sealed class CredentialsModel(ClientRegistry clients) : BusinessPage
{
    public ClientView Client { get; private set; } = null!;

    /// <summary>The new secret, only in the response to the rotation.</summary>
    public string? NewSecret { get; private set; }

    public bool JwksSaved { get; private set; }

    [BindProperty]
    public string? Jwks { get; set; }

    public async Task OnGetAsync(bool jwksSaved, CancellationToken cancellationToken)
    {
        JwksSaved = jwksSaved;
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRotateAsync(CancellationToken cancellationToken)
    {
        NewSecret = await clients.RotateSecretAsync(ClientId, AuditActor.Client(ClientId), cancellationToken);
        if (NewSecret is null)
        {
            Errors.Add(new(null, Localization.Text.T("このアプリはクライアントシークレットを使いません。何も変更していません。", "This application does not use a client secret. Nothing was changed.")));
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        // The secret must not be cached anywhere on the way back.
        Response.Headers.CacheControl = "no-store";
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostJwksAsync(CancellationToken cancellationToken)
    {
        if (await clients.ReplaceJwksAsync(ClientId, Jwks, AuditActor.Client(ClientId), cancellationToken) is { } problem)
        {
            Errors.Add(new("jwks", problem));
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(cancellationToken);
            return Page();
        }

        return Redirect("/business/credentials?jwksSaved=true");
    }

    private async Task LoadAsync(CancellationToken cancellationToken) => Client = (await clients.FindAsync(ClientId, cancellationToken))!;
}
