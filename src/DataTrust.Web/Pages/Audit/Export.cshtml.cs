using DataTrust.Audit.Api;
using DataTrust.Audit.Verification;
using Microsoft.AspNetCore.Mvc;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/export</c>: downloads the same offline-verifiable bundle as <c>datatrust audit export</c>; the export is recorded and covered by the bundle's closing checkpoint.</summary>
internal sealed class ExportModel(AuditBundleExporter exporter) : AuditPageModel
{
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var (file, fileName) = await ExportAuditBundle.CreateAsync(exporter, Actor, cancellationToken);
        return File(file, "application/zip", fileName);
    }
}
