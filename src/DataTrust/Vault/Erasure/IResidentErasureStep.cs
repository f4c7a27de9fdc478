using DataTrust.Audit.Events;
using DataTrust.Persistence;

namespace DataTrust.Vault.Erasure;

/// <summary>
/// An extension point of the resident erasure flow (<see cref="ResidentAccountErasure"/>), for capabilities that
/// hold a resident's state outside the vault: the consent ledger withdraws all the resident's consents and
/// queues notices to recipients here. Register with <c>services.AddScoped&lt;IResidentErasureStep, T&gt;()</c>
/// (or singleton); every registered step runs, in registration order.
/// <para>The contract:</para>
/// <list type="bullet">
/// <item>It runs inside the erasure's transaction on <see cref="ResidentErasureContext.Db"/>, before the data keys
/// are destroyed and the account is deleted: use that context, never commit, roll back or open another transaction.</item>
/// <item>Throwing aborts the whole erasure (nothing is erased, the resident sees a failure and can retry), so
/// throw only when erasing must not go ahead.</item>
/// <item>It must be idempotent: a retried erasure runs it again.</item>
/// <item>Each effect it makes appends its own typed audit event through <c>IAuditLog.AppendAsync(context.Db, …)</c>,
/// naming the resident by account id only (the log stores a pseudonym). Notifications to others go through the
/// job queue (<c>JobQueue.EnqueueAsync(context.Db, …)</c>) so that they leave only if the erasure commits.</item>
/// <item>No Data Protection calls (SQLite holds the write lock for the transaction).</item>
/// </list>
/// </summary>
public interface IResidentErasureStep
{
    Task EraseAsync(ResidentErasureContext context, CancellationToken cancellationToken);
}

/// <summary>What an erasure step gets: the transaction's context, the resident (account id), who asked, and when.</summary>
public sealed class ResidentErasureContext
{
    internal ResidentErasureContext(DataTrustDbContext db, Guid residentId, AuditActor actor, DateTimeOffset erasedAt)
    {
        Db = db;
        ResidentId = residentId;
        Actor = actor;
        ErasedAt = erasedAt;
    }

    public DataTrustDbContext Db { get; }

    public Guid ResidentId { get; }

    internal AuditActor Actor { get; }

    public DateTimeOffset ErasedAt { get; }
}
