using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Keys;

/// <summary>
/// Audits vault key operations (<see cref="KeyOperation"/>): KEK versions added, destroyed and rotated to, residents'
/// data keys rotated. A rotation commits batch by batch, so its one entry is written when the run ends, for the
/// run as a whole; key files change outside the database, so their entry follows the change.
/// </summary>
internal sealed class VaultKeyAudit(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit)
{
    public const string KekKind = "vault-kek";
    public const string DataKeyKind = "resident-data-key";

    public static string KekId(int version) => $"kek-v{version}";

    public async Task RecordAsync(KeyOperation operation, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.AppendAsync(db, operation, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
