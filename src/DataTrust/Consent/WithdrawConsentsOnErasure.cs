using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Vault.Erasure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Consent;

/// <summary>
/// When a resident erases their account, every live consent ends with it: each is locked (so no release
/// under it can commit afterwards), its recipient is told by signed webhook that it must delete what it
/// received, and the withdrawal is audited. The consent rows themselves go with the account in the same
/// transaction, so no new version is written and no receipt issued: there is no resident left to hold one.
/// </summary>
internal sealed class WithdrawConsentsOnErasure(IAuditLog audit, ConsentWebhooks webhooks) : IResidentErasureStep
{
    public async Task EraseAsync(ResidentErasureContext context, CancellationToken cancellationToken)
    {
        var db = context.Db;
        var live = await db.Set<ConsentHead>().AsNoTracking()
            .Where(c => c.ResidentId == context.ResidentId
                && (c.State == ConsentState.Requested || c.State == ConsentState.Given || c.State == ConsentState.Paused))
            .Select(c => c.Id)
            .ToListAsync(cancellationToken);

        // All locks before the first audit append: a release batch holding one of these waits for nothing this transaction holds.
        var heads = await ConsentLedger.LockAllAsync(db, live, cancellationToken);
        foreach (var head in heads.Values.Where(h => h.State is ConsentState.Requested or ConsentState.Given or ConsentState.Paused))
        {
            var consentId = head.Id;
            var purpose = await db.Set<ConsentVersion>().AsNoTracking()
                .Where(v => v.ConsentId == consentId && v.Version == head.Version).Select(v => v.PurposeId).SingleAsync(cancellationToken);
            var wasRequested = head.State == ConsentState.Requested;
            await webhooks.EnqueueAsync(db, head.ClientId, head.Id, wasRequested ? "consent.refused" : "consent.revoked", new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["state"] = ConsentLedger.StateName(wasRequested ? ConsentState.Refused : ConsentState.Withdrawn),
                ["reason"] = "resident_erased",
                ["dataRequestId"] = head.DataRequestId.ToString("D"),
                ["mustDelete"] = !wasRequested,
            }, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await audit.AppendAsync(db, new ConsentChanged(
                context.Actor, head.ResidentId, head.Id, head.ClientId, purpose, wasRequested ? ConsentChange.Refused : ConsentChange.Revoked,
                DecidedBy: "erasure"), cancellationToken);
        }
    }
}
