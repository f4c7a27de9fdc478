using System.ComponentModel.DataAnnotations;
using DataTrust.Accounts;
using DataTrust.Accounts.Passkeys;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace DataTrust.Web.Pages.Account;

[EnableRateLimiting("sensitive")]
internal sealed class LoginModel(SignInManager<UserAccount> signIn, PasskeySignIn passkeySignIn, RecordFailedSignIn recordFailure) : PageModel
{
    [BindProperty]
    [Required]
    [EmailAddress]
    [StringLength(256)]
    public string Email { get; set; } = "";

    [BindProperty]
    [Required]
    [StringLength(128)]
    [DataType(DataType.Password)]
    public string Password { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet([FromQuery(Name = "login_hint")] string? loginHint)
    {
        if (!string.IsNullOrWhiteSpace(loginHint) && loginHint.Length <= 256)
        {
            Email = loginHint;
        }
    }

    /// <summary>Options for <c>navigator.credentials.get()</c> (any of the person's passkeys: discoverable credentials).</summary>
    public async Task<IActionResult> OnPostPasskeyOptionsAsync() =>
        Content(await signIn.MakePasskeyRequestOptionsAsync(user: null), "application/json");

    public async Task<IActionResult> OnPostPasskeyAsync([FromForm] string? credentialJson)
    {
        ModelState.Clear();
        if (!string.IsNullOrEmpty(credentialJson))
        {
            var result = await passkeySignIn.SignInAsync(credentialJson);
            if (result.Succeeded)
            {
                return LocalRedirect(PortalLocalization.LocalOrHome(ReturnUrl));
            }

            await recordFailure.HandlePasskeyAsync(result, HttpContext.RequestAborted);
        }

        Error = Text.T(
            "パスキーでログインできませんでした。もう一度ためすか、パスワードでログインしてください。",
            "We could not sign you in with that passkey. Try again, or sign in with your password.");
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            Error = Text.T("メールアドレスとパスワードを入力してください。", "Enter your e-mail address and password.");
            return Page();
        }

        var result = await signIn.PasswordSignInAsync(Email, Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return LocalRedirect(PortalLocalization.LocalOrHome(ReturnUrl));
        }

        if (result.RequiresTwoFactor)
        {
            return RedirectToPage("/Account/LoginTwoFactor", new { ReturnUrl });
        }

        await recordFailure.HandleAsync(Email, result, "password", HttpContext.RequestAborted);

        // One message for every failure (unknown account, wrong password, locked, unconfirmed):
        // the page must not tell a stranger which e-mail addresses have accounts.
        Error = Text.T(
            "ログインできませんでした。メールアドレスとパスワードを確かめてください。5回続けて間違えると、15分間ログインできなくなります。",
            "We could not sign you in. Check your e-mail address and password. After 5 wrong attempts in a row, sign-in is paused for 15 minutes.");
        Password = "";
        return Page();
    }
}
