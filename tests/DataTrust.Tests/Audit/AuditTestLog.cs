using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Audit.Verification;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Audit;

/// <summary>Arranging and inspecting the audit log of a test host.</summary>
internal static class AuditTestLog
{
    public static T Service<T>(this DataTrustFactory factory)
        where T : notnull => factory.Services.GetRequiredService<T>();

    /// <summary>
    /// Starts the service and empties its audit log, which start-up itself writes to (signing keys
    /// created), so that a test of the log's mechanics can count from sequence 0.
    /// </summary>
    public static async Task StartWithEmptyAuditLogAsync(this DataTrustFactory factory)
    {
        factory.Services.ShouldNotBeNull();
        await using var db = factory.NewDbContext();
        await db.Set<AuditTreeNode>().ExecuteDeleteAsync();
        await db.Set<AuditCheckpoint>().ExecuteDeleteAsync();
        await db.Set<AuditEntry>().ExecuteDeleteAsync();
        var head = await db.Set<AuditHead>().SingleAsync();
        (head.Size, head.LastHash, head.Frontier) = (0, new byte[32], []);
        await db.SaveChangesAsync();
    }

    /// <summary>Appends events the way a capability does: one transaction, append, save, commit.</summary>
    public static async Task AppendAsync(this DataTrustFactory factory, params AuditEvent[] events)
    {
        await using var db = factory.NewDbContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await factory.Service<IAuditLog>().AppendAsync(db, events);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    /// <summary>Appends <paramref name="count"/> distinct events in transactions of <paramref name="batch"/>.</summary>
    public static async Task AppendManyAsync(this DataTrustFactory factory, int count, int batch = 1, int start = 0)
    {
        for (var i = 0; i < count; i += batch)
        {
            await factory.AppendAsync(Enumerable.Range(start + i, Math.Min(batch, count - i)).Select(Sample).ToArray());
        }
    }

    public static AuditEvent Sample(int n) =>
        new RecipientReviewed(AuditActor.System("test"), $"recipient-{n % 3}", $"purpose-{n}", n % 2 == 0 ? "approved" : "rejected");

    public static async Task<List<AuditEntry>> EntriesAsync(this DataTrustFactory factory)
    {
        await using var db = factory.NewDbContext();
        return await db.Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Seq).ToListAsync();
    }

    public static Task<AuditVerificationReport> VerifyLiveAsync(this DataTrustFactory factory, string? trustedCheckpoint = null) =>
        factory.Service<LiveAuditVerifier>().VerifyAsync(trustedCheckpoint, CancellationToken.None);

    public static Task<AuditCheckpoint> SealAsync(this DataTrustFactory factory) =>
        factory.Service<CheckpointSealer>().SealForScheduleAsync(CancellationToken.None);

    /// <summary>Exports a bundle to a temporary file and verifies it offline.</summary>
    public static async Task<BundleVerificationReport> ExportAndVerifyOfflineAsync(this DataTrustFactory factory, string? trustedCheckpoint = null)
    {
        var path = Path.Combine(factory.Database.DataDirectory, $"bundle-{Guid.NewGuid():N}.zip");
        await using (var file = File.Create(path))
        {
            await factory.Service<AuditBundleExporter>().ExportAsync(file, AuditActor.System("test"), CancellationToken.None);
        }

        return OfflineBundleVerifier.Verify(path, trustedCheckpoint);
    }

    /// <summary>Runs SQL as someone with direct database access would, outside the service.</summary>
    public static async Task ExecuteAsync(this DataTrustFactory factory, string sql)
    {
        await using var db = factory.NewDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
