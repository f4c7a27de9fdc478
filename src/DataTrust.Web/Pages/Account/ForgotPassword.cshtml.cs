using System.ComponentModel.DataAnnotations;
using DataTrust.Accounts.Recovery;
using DataTrust.Common.Web;
using DataTrust.Web.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace DataTrust.Web.Pages.Account;

[EnableRateLimiting("sensitive")]
internal sealed class ForgotPasswordModel(RequestPasswordReset reset, PublicOrigin origin) : PageModel
{
    [BindProperty]
    [Required]
    [EmailAddress]
    [StringLength(256)]
    public string Email { get; set; } = "";

    public bool Invalid { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            Invalid = true;
            return Page();
        }

        await reset.HandleAsync(Email.Trim(), origin.For(Request), Text.IsEnglish ? "en" : "ja", cancellationToken);
        return RedirectToPage("/Account/CheckMail");
    }
}
