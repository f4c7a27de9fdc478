using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Receipts;

/// <summary><c>/receipts/verify</c>: anyone pastes a consent receipt and learns whether DataTrust signed it, and the consent's state now.</summary>
[AllowAnonymous]
internal sealed class VerifyModel(IDbContextFactory<DataTrustDbContext> contexts, ConsentReceipts receipts) : PageModel
{
    [BindProperty]
    public string? Receipt { get; set; }

    public ReceiptVerification? Result { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Result = await receipts.VerifyAsync(db, Receipt?.Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Trim(), cancellationToken);
        if (!Result.Valid)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return Page();
    }
}
