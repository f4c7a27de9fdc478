using System.Security.Claims;
using DataTrust.Accounts.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Account;

[Authorize]
internal sealed class SecurityModel(EndSessions sessions, UserManager<DataTrust.Accounts.UserAccount> users) : PageModel
{
    public IReadOnlyList<UserSession> Sessions { get; private set; } = [];

    public Guid CurrentSession { get; private set; }

    public bool TwoFactorEnabled { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        CurrentSession = Guid.TryParse(User.FindFirstValue(SessionTracking.SessionClaim), out var id) ? id : Guid.Empty;
        Sessions = await sessions.ListAsync(UserId, cancellationToken);
        TwoFactorEnabled = (await users.GetUserAsync(User))?.TwoFactorEnabled == true;
    }

    public async Task<IActionResult> OnPostEndAsync(Guid session, CancellationToken cancellationToken)
    {
        await sessions.EndAsync(User, session, cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEndAllAsync(CancellationToken cancellationToken)
    {
        await sessions.EndAllAsync(User, cancellationToken);
        return LocalRedirect("/account/login");
    }

    private Guid UserId => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);
}
