using DataTrust.Accounts.Registration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Account;

internal sealed class ConfirmModel(ConfirmEmail confirm) : PageModel
{
    public bool Confirmed { get; private set; }

    public async Task OnGetAsync([FromQuery] string? user, [FromQuery] string? token)
    {
        Confirmed = await confirm.HandleAsync(user, token);
        if (!Confirmed)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
    }
}
