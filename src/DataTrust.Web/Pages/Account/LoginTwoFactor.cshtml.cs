using System.ComponentModel.DataAnnotations;
using DataTrust.Accounts;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace DataTrust.Web.Pages.Account;

/// <summary>The second step of signing in: a code from the authenticator app, or a recovery code.</summary>
[EnableRateLimiting("sensitive")]
internal sealed class LoginTwoFactorModel(SignInManager<UserAccount> signIn, RecordFailedSignIn recordFailure) : PageModel
{
    [BindProperty]
    [Required]
    [StringLength(32)]
    public string Code { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? LocalRedirect("/account/login") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        if (await signIn.GetTwoFactorAuthenticationUserAsync() is not { } person)
        {
            return LocalRedirect("/account/login");
        }

        var code = Code.Replace(" ", "", StringComparison.Ordinal);
        var result = !ModelState.IsValid ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : code.Length <= 7 ? await signIn.TwoFactorAuthenticatorSignInAsync(code, isPersistent: false, rememberClient: false)
            : await signIn.TwoFactorRecoveryCodeSignInAsync(code);
        if (result.Succeeded)
        {
            return LocalRedirect(PortalLocalization.LocalOrHome(ReturnUrl));
        }

        await recordFailure.HandleAsync(person.Email ?? "", result, "second_factor", HttpContext.RequestAborted);
        Error = Text.T("コードが違います。5回続けて間違えると、15分間ログインできなくなります。", "That code is not right. After 5 wrong attempts in a row, sign-in is paused for 15 minutes.");
        Code = "";
        return Page();
    }
}
