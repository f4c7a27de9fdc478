using DataTrust.Identity.Authorize;
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

        ClientName = client.DisplayName;
        ScopeDescriptions = [.. request.Scopes.Select(Describe)];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? decision, CancellationToken cancellationToken)
    {
        var userId = AuthorizationInteraction.UserId(User);
        if (Id is null || userId is null)
        {
            return new ResultAction(await Interaction.ContinueAsync(HttpContext, Id, cancellationToken));
        }

        return new ResultAction(decision == "allow"
            ? await Interaction.AllowAsync(HttpContext, Id, userId.Value, cancellationToken)
            : await Interaction.DenyAsync(HttpContext, Id, userId.Value, cancellationToken));
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
