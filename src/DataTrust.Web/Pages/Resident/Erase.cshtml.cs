using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Vault.Erasure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary>Erasing the account: a statement of the consequences, an explicit confirmation, then crypto-shredding.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class EraseModel(IDbContextFactory<DataTrustDbContext> contexts, ResidentAccountErasure erasure, SignInManager<UserAccount> signIn) : ResidentPage
{
    public bool NotConfirmed { get; private set; }

    public IActionResult OnGet() => Page();

    public async Task<IActionResult> OnPostAsync(bool confirm, CancellationToken cancellationToken)
    {
        if (!confirm)
        {
            NotConfirmed = true;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var resident = ResidentId;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await erasure.EraseAsync(db, resident, cancellationToken);
        }

        await signIn.SignOutAsync();
        return RedirectToPage("/Resident/Erased");
    }
}
