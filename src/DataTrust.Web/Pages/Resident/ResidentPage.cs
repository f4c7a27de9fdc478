using System.Security.Claims;
using DataTrust.Policies;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages.Resident;

/// <summary>What the resident's vault pages share: who is signed in, and policy text in the page's language.</summary>
internal abstract class ResidentPage : PageModel
{
    protected Guid ResidentId => Guid.Parse(User.FindFirstValue(ClaimTypes.NameIdentifier)!);

    public static string Local(PolicyText text) => Localization.Text.T(text.Ja, text.En);
}
