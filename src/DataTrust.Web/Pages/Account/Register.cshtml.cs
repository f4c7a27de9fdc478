using System.ComponentModel.DataAnnotations;
using DataTrust.Accounts.Registration;
using DataTrust.Common.Web;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace DataTrust.Web.Pages.Account;

[EnableRateLimiting("sensitive")]
internal sealed class RegisterModel(RegisterResident register, PublicOrigin origin) : PageModel
{
    [BindProperty]
    [Required]
    [EmailAddress]
    [StringLength(256)]
    public string Email { get; set; } = "";

    [BindProperty]
    [Required]
    [StringLength(100)]
    public string DisplayName { get; set; } = "";

    [BindProperty]
    [Required]
    [StringLength(128)]
    public string Password { get; set; } = "";

    [BindProperty]
    [Required]
    [StringLength(128)]
    public string ConfirmPassword { get; set; } = "";

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!ModelState.IsValid)
        {
            problems.Add(ModelState[nameof(Email)]?.Errors.Count > 0 ? "InvalidEmail" : "Required");
        }
        else if (!string.Equals(Password, ConfirmPassword, StringComparison.Ordinal))
        {
            problems.Add("PasswordMismatch");
        }
        else
        {
            var locale = Text.IsEnglish ? "en" : "ja";
            var errors = await register.HandleAsync(new(Email.Trim(), DisplayName.Trim(), Password, locale), origin.For(Request), cancellationToken);
            if (errors is null)
            {
                return RedirectToPage("/Account/CheckMail");
            }

            problems.AddRange(errors);
        }

        Errors = problems.Select(AccountMessages.Describe).Distinct(StringComparer.Ordinal).ToList();
        Password = ConfirmPassword = "";
        return Page();
    }
}
