using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Erasure;

/// <summary>
/// A resident's "erase my account": in one transaction, every <see cref="IResidentErasureStep"/> runs (the consent
/// ledger withdraws consents there), then the vault's links, storage consents and deposit receipts are deleted, the
/// data keys destroyed and the records deleted (<see cref="ResidentErasure"/>), the account deleted (sessions,
/// grants and tokens go with it), and one <see cref="ResidentErased"/> entry appended. The audit log keeps only
/// pseudonyms, so it stays verifiable.
/// </summary>
internal sealed class ResidentAccountErasure(ResidentErasure vault, IEnumerable<IResidentErasureStep> steps, IAuditLog audit, TimeProvider time)
{
    /// <summary>False when there is no such resident account (nothing done).</summary>
    public async Task<bool> EraseAsync(DataTrustDbContext db, Guid residentId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Set<UserAccount>().AnyAsync(u => u.Id == residentId, cancellationToken))
        {
            return false;
        }

        var actor = AuditActor.Resident(residentId);
        var context = new ResidentErasureContext(db, residentId, actor, time.GetUtcNow());
        foreach (var step in steps)
        {
            await step.EraseAsync(context, cancellationToken);
        }

        var links = await db.Set<VaultProviderLink>().Where(l => l.ResidentId == residentId).ExecuteDeleteAsync(cancellationToken); // consents cascade
        await db.Set<VaultDeposit>().Where(d => d.ResidentId == residentId).ExecuteDeleteAsync(cancellationToken);
        var receipt = await vault.EraseResidentKeysAsync(db, residentId, cancellationToken);
        await db.Set<UserAccount>().Where(u => u.Id == residentId).ExecuteDeleteAsync(cancellationToken);
        await audit.AppendAsync(db, new ResidentErased(actor, residentId, receipt.Id, receipt.DataKeysDestroyed, receipt.RecordsDeleted, links), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
