using System.Security.Claims;
using System.Text;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Api;

/// <summary>
/// <c>GET /api/audit/entries/{seq}</c>: one entry, the exact bytes it was hashed as, and its RFC 9162
/// inclusion proof against the latest checkpoint (null while no checkpoint covers it yet). Recorded.
/// </summary>
internal static class GetAuditEntry
{
    internal sealed record Inclusion(long LeafIndex, long TreeSize, string RootHash, IReadOnlyList<string> Proof, string Checkpoint);

    internal sealed record Detail(AuditEntryView Entry, string Encoded, Inclusion? Inclusion);

    public static void Map(RouteGroupBuilder auditors) => auditors.MapGet("/entries/{seq}", Handle);

    private static async Task<Results<Ok<Detail>, ProblemHttpResult>> Handle(
        string seq,
        ClaimsPrincipal user,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        if (!AuditEndpoints.TryParseSize(seq, out var number))
        {
            return AuditEndpoints.BadRequest("An entry is named by its sequence number, a non-negative integer.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Set<AuditEntry>().AsNoTracking().SingleOrDefaultAsync(e => e.Seq == number, cancellationToken) is not { } entry)
        {
            return AuditEndpoints.NotFound($"There is no audit entry {number}.");
        }

        Inclusion? inclusion = null;
        if (await CheckpointSealer.LatestAsync(db, cancellationToken) is { } latest && entry.Seq < latest.TreeSize)
        {
            List<byte[]> proof;
            try
            {
                proof = await MerkleProofs.InclusionAsync(entry.Seq, latest.TreeSize, new AuditTreeReader(db), cancellationToken);
            }
            catch (InvalidDataException)
            {
                return AuditEndpoints.Damaged();
            }

            inclusion = new Inclusion(entry.Seq, latest.TreeSize, Convert.ToHexStringLower(latest.RootHash), proof.Select(Convert.ToHexStringLower).ToList(), latest.Jws);
        }

        await log.RecordAsync(contexts, new AuditEntryViewed(actor, number), cancellationToken);
        return TypedResults.Ok(new Detail(AuditEntryView.From(entry), Encoding.UTF8.GetString(AuditEntryEncoding.Encode(entry)), inclusion));
    }
}
