using DataTrust.Identity;
using DataTrust.Identity.Logout;
using DataTrust.Identity.Protocol;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Connect;

/// <summary>
/// <c>GET|POST /connect/endsession</c> (OpenID Connect RP-Initiated Logout 1.0). The relying party's
/// request (GET or a cross-site form POST, hence no anti-forgery on it) only shows a confirmation; the
/// resident's "Sign out" is a separate, anti-forgery-checked post.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class EndSessionModel : PageModel
{
    private readonly IAntiforgery _antiforgery;
    private readonly ILogger<EndSessionModel> _logger;

    public EndSessionModel(IAntiforgery antiforgery, ILogger<EndSessionModel> logger)
    {
        _antiforgery = antiforgery;
        _logger = logger;
    }

    // Resolved per request: the core's services are internal, so they cannot appear in a public constructor.
    private EndSessionRequestValidator Validator => HttpContext.RequestServices.GetRequiredService<EndSessionRequestValidator>();

    private SignInManager<Accounts.UserAccount> Sessions => HttpContext.RequestServices.GetRequiredService<SignInManager<Accounts.UserAccount>>();

    public string? Error { get; private set; }

    public bool SignedOut { get; private set; }

    public string? ClientName { get; private set; }

    public IReadOnlyDictionary<string, string> Carried { get; private set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => AskAsync(RequestParameters.From(Request.Query), cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) =>
        await AskAsync(RequestParameters.From(await Request.ReadFormAsync(cancellationToken)), cancellationToken);

    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken cancellationToken)
    {
        if (!await _antiforgery.IsRequestValidAsync(HttpContext))
        {
            return Fail(Text.T("フォームの有効期限が切れました。もう一度お試しください。", "The form has expired. Please try again."));
        }

        var form = await Request.ReadFormAsync(cancellationToken);
        var parameters = RequestParameters.From(form.Where(p => p.Key != "__RequestVerificationToken"));
        var (request, japanese, english) = await Validator.ValidateAsync(HttpContext, parameters, cancellationToken);
        if (request is null)
        {
            return Fail(Text.T(japanese!, english!));
        }

        await Sessions.SignOutAsync();
        IdentityEvents.SessionEnded(_logger, request.Client?.ClientId);
        return Finish(request);
    }

    private async Task<IActionResult> AskAsync(RequestParameters parameters, CancellationToken cancellationToken)
    {
        var (request, japanese, english) = await Validator.ValidateAsync(HttpContext, parameters, cancellationToken);
        if (request is null)
        {
            return Fail(Text.T(japanese!, english!));
        }

        if (!Sessions.IsSignedIn(User))
        {
            return Finish(request);
        }

        ClientName = request.Client?.DisplayName;
        Carried = parameters.Values
            .Where(p => p.Key is "id_token_hint" or "client_id" or "post_logout_redirect_uri" or "state")
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return Page();
    }

    private IActionResult Finish(EndSessionRequest request)
    {
        if (request.PostLogoutRedirectUri is not null)
        {
            return new ResultAction(Identity.Authorize.AuthorizationResponses.SeeOtherExternal(EndSessionRequestValidator.RedirectAfterLogout(request)));
        }

        SignedOut = true;
        return Page();
    }

    private PageResult Fail(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
