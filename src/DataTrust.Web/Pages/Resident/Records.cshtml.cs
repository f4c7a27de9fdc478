using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault.Records;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Resident;

/// <summary>The resident's stored records (no values on this page), and the download of everything.</summary>
[Authorize(Policy = AccessPolicies.Resident)]
internal sealed class RecordsModel(IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, DataUsePolicy policy) : ResidentPage
{
    public IReadOnlyList<RecordSummary> Records { get; private set; } = [];

    [TempData]
    public string? Done { get; set; }

    public string CategoryName(string id) => policy.FindCategory(id) is { } category ? Local(category.Name) : id;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Records = await ResidentRecords.ListAsync(db, ResidentId, cancellationToken);
    }

    /// <summary>GET ?handler=export: everything as a JSON download (data portability); audited.</summary>
    public async Task<IActionResult> OnGetExportAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Response.Headers.CacheControl = "no-store";
        return File(await records.ExportAsync(db, ResidentId, cancellationToken), "application/json", ResidentRecordsEndpoints.ExportFileName);
    }
}
