using System.ComponentModel.DataAnnotations;
using DataTrust.Accounts;
using DataTrust.Accounts.TwoFactor;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using QRCoder;

namespace DataTrust.Web.Pages.Account;

[Authorize]
[EnableRateLimiting("sensitive")]
internal sealed class TwoFactorModel(AuthenticatorEnrolment enrolment, UserManager<UserAccount> users, SignInManager<UserAccount> signIn) : PageModel
{
    [BindProperty]
    [Required]
    [StringLength(12)]
    public string Code { get; set; } = "";

    public bool Enabled { get; private set; }

    public AuthenticatorEnrolment.Setup? Setup { get; private set; }

    public string? QrCodeDataUri { get; private set; }

    public IReadOnlyList<string> RecoveryCodes { get; private set; } = [];

    public bool WrongCode { get; private set; }

    public async Task OnGetAsync() => await LoadAsync(await CurrentUserAsync());

    public async Task<IActionResult> OnPostEnableAsync()
    {
        var user = await CurrentUserAsync();
        var codes = ModelState.IsValid ? await enrolment.EnableAsync(user, Code) : null;
        if (codes is null)
        {
            WrongCode = true;
            await LoadAsync(user);
            return Page();
        }

        await signIn.RefreshSignInAsync(user);
        RecoveryCodes = codes;
        Enabled = true;
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync()
    {
        var user = await CurrentUserAsync();
        WrongCode = !ModelState.IsValid || !await enrolment.DisableAsync(user, Code);
        await LoadAsync(user);
        return Page();
    }

    private async Task LoadAsync(UserAccount user)
    {
        Code = "";
        Enabled = user.TwoFactorEnabled;
        if (!Enabled)
        {
            Setup = await enrolment.SetupAsync(user);
            using var data = QRCodeGenerator.GenerateQrCode(Setup.OtpAuthUri, QRCodeGenerator.ECCLevel.Q);
            QrCodeDataUri = "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(6));
        }
    }

    private async Task<UserAccount> CurrentUserAsync() =>
        await users.GetUserAsync(User) ?? throw new InvalidOperationException("signed-in user not found");
}
