using DataTrust.Audit;
using DataTrust.Audit.Api;
using DataTrust.Audit.Integrity;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/entries/{seq}</c>: one entry, its exact bytes and its inclusion proof, checked here on the server. Recorded as viewed, like the API.</summary>
internal sealed class EntryModel(IDbContextFactory<DataTrustDbContext> contexts, IAuditLog log, AuditSigningKeys keys) : AuditPageModel
{
    public GetAuditEntry.Detail Detail { get; private set; } = null!;

    /// <summary>Null when no checkpoint covers the entry yet.</summary>
    public bool? ProofHolds { get; private set; }

    public bool Damaged { get; private set; }

    public async Task<IActionResult> OnGetAsync(long seq, CancellationToken cancellationToken)
    {
        try
        {
            if (await GetAuditEntry.LoadAsync(seq, Actor, contexts, log, cancellationToken) is not { } detail)
            {
                return NotFound();
            }

            Detail = detail;
        }
        catch (InvalidDataException)
        {
            Damaged = true;
            Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Page();
        }

        if (Detail.Inclusion is not null)
        {
            var published = AuditJwk.ReadSet((await keys.PublicKeySetAsync(cancellationToken)).ToJsonString());
            ProofHolds = GetAuditEntry.ProofHolds(Detail, published);
        }

        return Page();
    }
}
