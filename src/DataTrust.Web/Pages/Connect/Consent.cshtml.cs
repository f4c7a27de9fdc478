using DataTrust.Consent;
using DataTrust.Identity.Authorize;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Web.Navigation;
using Microsoft.EntityFrameworkCore;
using DataTrust.Identity.Protocol;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Connect;

/// <summary>
/// The consent page of the authorization flow: the resident sees which application asks for what, in
/// plain words, and allows or denies. Anti-forgery protected; works without JavaScript.
/// </summary>
public sealed class ConsentModel : PageModel
{
    // Resolved per request: the core's services are internal, so they cannot appear in a public constructor.
    private AuthorizationInteraction Interaction => HttpContext.RequestServices.GetRequiredService<AuthorizationInteraction>();

    private SignInManager<Accounts.UserAccount> Sessions => HttpContext.RequestServices.GetRequiredService<SignInManager<Accounts.UserAccount>>();

    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    public string ClientName { get; private set; } = "";

    public IReadOnlyList<string> ScopeDescriptions { get; private set; } = [];

    /// <summary>For a purpose-bound request (RFC 9396 authorization details): its terms, which the resident may narrow.</summary>
    internal Resident.ConsentTerms? Terms { get; private set; }

    internal List<FieldError> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var found = await Interaction.FindAsync(Id, cancellationToken);
        if (found is not var (_, request, client))
        {
            return new ResultAction(await Interaction.ContinueAsync(HttpContext, Id, cancellationToken));
        }

        if (!Sessions.IsSignedIn(User))
        {
            return new ResultAction(AuthorizationResponses.SeeOtherLocal(AuthorizationInteraction.ContinuePath(Id!)));
        }

        await ShowAsync(request, client, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? decision, string[]? categories, string? duration, CancellationToken cancellationToken)
    {
        var userId = AuthorizationInteraction.UserId(User);
        if (Id is null || userId is null)
        {
            return new ResultAction(await Interaction.ContinueAsync(HttpContext, Id, cancellationToken));
        }

        if (decision != "allow")
        {
            return new ResultAction(await Interaction.DenyAsync(HttpContext, Id, userId.Value, cancellationToken));
        }

        var found = await Interaction.FindAsync(Id, cancellationToken);
        var narrowing = found?.Request.AuthorizationDetails is null ? null : new ConsentNarrowing(categories ?? [], duration);
        try
        {
            return new ResultAction(await Interaction.AllowAsync(HttpContext, Id, userId.Value, narrowing, cancellationToken));
        }
        catch (ConsentException e)
        {
            Errors.Add(new FieldError(e.Code == "narrowing_empty" ? "categories" : null, Resident.ResidentPage.Explain(e)));
            Response.StatusCode = e.Status;
            if (found is var (_, request, client))
            {
                await ShowAsync(request, client, cancellationToken);
            }

            return Page();
        }
    }

    private async Task ShowAsync(AuthorizationParameters request, Client client, CancellationToken cancellationToken)
    {
        ClientName = client.DisplayName;
        ScopeDescriptions = [.. request.Scopes.Select(Describe)];
        if (request.AuthorizationDetails is not { } details || ConsentAuthorizationDetail.Parse(details).Detail is not { } detail)
        {
            return;
        }

        var services = HttpContext.RequestServices;
        var view = await services.GetRequiredService<DataRequests>().GetAsync(detail.DataRequest, cancellationToken);
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync(cancellationToken);
        var words = await Resident.ConsentText.LoadAsync(db, services.GetRequiredService<DataUsePolicy>(), cancellationToken);
        var categories = detail.Categories is { } asked ? [.. view.Categories.Where(c => asked.Contains(c.Category, StringComparer.Ordinal))] : view.Categories;
        Terms = new Resident.ConsentTerms(words, view.ClientId, view.PurposeId, categories, detail.Duration ?? view.Duration, view.AccessMode,
            view.MaxReleasesPerPeriod, view.FrequencyPeriod, view.Benefit, view.Explanation, Narrowable: true);
    }

    private static string Describe(string scope) => scope switch
    {
        Scopes.OpenId => Text.T("あなたが DataTrust の利用者であることの確認（このアプリ専用の識別子を使います）",
            "Confirmation that you use DataTrust (with an identifier used only for this application)"),
        Scopes.Profile => Text.T("あなたの表示名と使用する言語", "Your display name and preferred language"),
        Scopes.Email => Text.T("あなたのメールアドレス（確認済みかどうかを含む）", "Your e-mail address (and whether it is confirmed)"),
        Scopes.OfflineAccess => Text.T("あなたがログインしていない間も、この許可を使い続けること（いつでも取り消せます）",
            "Continued use of this permission while you are signed out (you can withdraw it at any time)"),
        _ => Text.T($"API の利用: {scope}", $"Use of the API: {scope}"),
    };
}
