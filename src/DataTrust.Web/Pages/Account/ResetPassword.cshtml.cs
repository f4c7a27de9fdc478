using System.ComponentModel.DataAnnotations;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Reset = DataTrust.Accounts.Recovery.ResetPassword;

namespace DataTrust.Web.Pages.Account;

[EnableRateLimiting("sensitive")]
internal sealed class ResetPasswordModel(Reset reset) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "user")]
    public string? UserId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    [Required]
    [StringLength(128)]
    public string Password { get; set; } = "";

    [BindProperty]
    [Required]
    [StringLength(128)]
    public string ConfirmPassword { get; set; } = "";

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public bool Done { get; private set; }

    public async Task<IActionResult> OnPostAsync()
    {
        IReadOnlyList<string>? problems;
        if (!ModelState.IsValid)
        {
            problems = ["PasswordTooShort"];
        }
        else if (!string.Equals(Password, ConfirmPassword, StringComparison.Ordinal))
        {
            problems = ["PasswordMismatch"];
        }
        else
        {
            problems = await reset.HandleAsync(UserId, Token, Password);
        }

        Done = problems is null;
        Errors = (problems ?? []).Select(AccountMessages.Describe).Distinct(StringComparer.Ordinal).ToList();
        Password = ConfirmPassword = "";
        return Page();
    }
}
