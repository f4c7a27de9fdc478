using System.Buffers.Text;
using System.Security.Claims;
using DataTrust.Accounts.Passkeys;
using DataTrust.Accounts.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Account;

[Authorize]
internal sealed class SecurityModel(EndSessions sessions, PasskeyEnrolment passkeys, UserManager<DataTrust.Accounts.UserAccount> users) : PageModel
{
    public IReadOnlyList<UserPasskeyInfo> Passkeys { get; private set; } = [];

    /// <summary>added, removed or failed: the outcome of the last passkey change, shown once.</summary>
    [FromQuery(Name = "passkey")]
    public string? PasskeyOutcome { get; set; }

    public IReadOnlyList<UserSession> Sessions { get; private set; } = [];

    public Guid CurrentSession { get; private set; }

    public bool TwoFactorEnabled { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        CurrentSession = Guid.TryParse(User.FindFirstValue(SessionTracking.SessionClaim), out var id) ? id : Guid.Empty;
        Sessions = await sessions.ListAsync(UserId, cancellationToken);
        var user = await users.GetUserAsync(User);
        TwoFactorEnabled = user?.TwoFactorEnabled == true;
        Passkeys = user is null ? [] : await passkeys.ListAsync(user);
    }

    public async Task<IActionResult> OnPostPasskeyOptionsAsync()
    {
        var user = await users.GetUserAsync(User);
        return user is null ? Unauthorized() : Content(await passkeys.CreationOptionsAsync(user), "application/json");
    }

    public async Task<IActionResult> OnPostAddPasskeyAsync([FromForm] string? credentialJson, [FromForm] string? passkeyName)
    {
        var user = await users.GetUserAsync(User);
        var added = user is not null && !string.IsNullOrEmpty(credentialJson) && await passkeys.AddAsync(user, credentialJson, passkeyName ?? "");
        return RedirectToPage(new { passkey = added ? "added" : "failed" });
    }

    public async Task<IActionResult> OnPostRemovePasskeyAsync([FromForm] string? id)
    {
        var user = await users.GetUserAsync(User);
        byte[]? credentialId = null;
        try
        {
            credentialId = id is { Length: > 0 and <= 1024 } ? Base64Url.DecodeFromChars(id) : null;
        }
        catch (FormatException)
        {
            credentialId = null;
        }

        var removed = user is not null && credentialId is not null && await passkeys.RemoveAsync(user, credentialId);
        return RedirectToPage(new { passkey = removed ? "removed" : "failed" });
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
