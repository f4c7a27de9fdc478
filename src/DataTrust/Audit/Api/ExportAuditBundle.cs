using System.Security.Claims;
using DataTrust.Audit.Events;
using DataTrust.Audit.Verification;
using DataTrust.Common.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Audit.Api;

/// <summary>
/// <c>POST /api/audit/exports</c>: the whole log as an offline-verifiable bundle (a ZIP, see
/// <see cref="AuditBundle"/>); check it with <c>datatrust audit verify FILE</c>. The export is recorded
/// and covered by the checkpoint the bundle ends with.
/// </summary>
internal static class ExportAuditBundle
{
    public static void Map(RouteGroupBuilder auditors) => auditors.MapPost("/exports", Handle).RequireRateLimiting(RateLimiting.Sensitive);

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Handle(ClaimsPrincipal user, AuditBundleExporter exporter, CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        var (file, fileName) = await CreateAsync(exporter, actor, cancellationToken);
        return TypedResults.File(file, "application/zip", fileName);
    }

    /// <summary>The bundle in a temporary file (deleted when the stream is closed), positioned at its start, and its download name.</summary>
    internal static async Task<(Stream File, string FileName)> CreateAsync(AuditBundleExporter exporter, AuditActor actor, CancellationToken cancellationToken)
    {
        // The bundle is built in a temporary file, then streamed: ZIP writing is synchronous, and a
        // failure half-way must not leave the client with half a bundle and a 200.
        var path = Path.Combine(Path.GetTempPath(), "datatrust-audit-" + Guid.NewGuid().ToString("N") + ".zip");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var summary = await exporter.ExportAsync(file, actor, cancellationToken);
            file.Position = 0;
            return (file, $"datatrust-audit-{summary.Entries}.zip");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}
