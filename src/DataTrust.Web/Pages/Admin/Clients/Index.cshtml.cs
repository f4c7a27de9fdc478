using DataTrust.Identity.Clients;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Admin.Clients;

/// <summary>
/// <c>/admin/clients</c>: the client registry through <see cref="ClientRegistry"/>: list, register (the secret
/// is shown once, in the answer), disable. Registration is kept to the common cases; the admin API takes every option.
/// </summary>
internal sealed class IndexModel(ClientRegistry clients) : OperatorPage
{
    public static IReadOnlyList<string> Kinds { get; } = ["BusinessRecipient", "CityOsService", "DataProvider", "ResidentApp"];

    public IReadOnlyList<ClientView> Clients { get; private set; } = [];

    public RegisteredClient? Registered { get; private set; }

    public string? Disabled { get; private set; }

    [BindProperty]
    public string? NewClientId { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public string? Kind { get; set; }

    [BindProperty]
    public string? RedirectUri { get; set; }

    public async Task OnGetAsync(string? disabled, CancellationToken cancellationToken)
    {
        Disabled = disabled;
        Clients = await clients.ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRegisterAsync(CancellationToken cancellationToken)
    {
        var confidentialWithCode = !string.IsNullOrWhiteSpace(RedirectUri);
        var registration = new ClientRegistration(
            NewClientId, DisplayName?.Trim() ?? "", Kind ?? "", "client_secret_basic",
            confidentialWithCode ? [RedirectUri!.Trim()] : null, null,
            confidentialWithCode ? ["authorization_code", "refresh_token", "client_credentials"] : ["client_credentials"],
            null, null, false, null, null);
        var (registered, errors) = await clients.RegisterAsync(registration, Actor, cancellationToken);
        if (registered is null)
        {
            foreach (var (field, messages) in errors!)
            {
                var id = field switch { "clientId" => "newClientId", "displayName" => "displayName", "kind" => "kind", "redirectUris" => "redirectUri", _ => null };
                Errors.AddRange(messages.Select(m => new Navigation.FieldError(id, m)));
            }

            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            Registered = registered;
            Response.Headers.CacheControl = "no-store";
        }

        Clients = await clients.ListAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(string? clientId, CancellationToken cancellationToken)
    {
        if (await clients.DisableAsync(clientId ?? "", Actor, cancellationToken))
        {
            return Redirect("/admin/clients?disabled=" + Uri.EscapeDataString(clientId!));
        }

        Refused(StatusCodes.Status404NotFound, Localization.Text.T("そのクライアントはありません。何も変更していません。", "There is no such client. Nothing was changed."));
        Clients = await clients.ListAsync(cancellationToken);
        return Page();
    }
}
