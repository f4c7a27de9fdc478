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

        try
        {
            return await LoadAsync(number, actor, contexts, log, cancellationToken) is { } detail
                ? TypedResults.Ok(detail)
                : AuditEndpoints.NotFound($"There is no audit entry {number}.");
        }
        catch (InvalidDataException)
        {
            return AuditEndpoints.Damaged();
        }
    }

    /// <summary>
    /// The entry with its proof, recorded as viewed; null when there is no such entry. Throws
    /// <see cref="InvalidDataException"/> when the stored tree cannot produce the proof (damage).
    /// </summary>
    internal static async Task<Detail?> LoadAsync(long number, AuditActor actor, IDbContextFactory<DataTrustDbContext> contexts, IAuditLog log, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Set<AuditEntry>().AsNoTracking().SingleOrDefaultAsync(e => e.Seq == number, cancellationToken) is not { } entry)
        {
            return null;
        }

        Inclusion? inclusion = null;
        if (await CheckpointSealer.LatestAsync(db, cancellationToken) is { } latest && entry.Seq < latest.TreeSize)
        {
            var proof = await MerkleProofs.InclusionAsync(entry.Seq, latest.TreeSize, new AuditTreeReader(db), cancellationToken);
            inclusion = new Inclusion(entry.Seq, latest.TreeSize, Convert.ToHexStringLower(latest.RootHash), proof.Select(Convert.ToHexStringLower).ToList(), latest.Jws);
        }

        await log.RecordAsync(contexts, new AuditEntryViewed(actor, number), cancellationToken);
        return new Detail(AuditEntryView.From(entry), Encoding.UTF8.GetString(AuditEntryEncoding.Encode(entry)), inclusion);
    }

    /// <summary>
    /// Checks a detail's proof as an outside verifier would: the checkpoint's signature under one of
    /// the published keys, its root equal to the one shown, and the entry's leaf hash leading to that
    /// root through the proof.
    /// </summary>
    internal static bool ProofHolds(Detail detail, IReadOnlyDictionary<string, System.Security.Cryptography.ECDsa> keys)
    {
        if (detail.Inclusion is not { } inclusion || CheckpointJws.Read(inclusion.Checkpoint) is not var (checkpoint, keyId)
            || !keys.TryGetValue(keyId, out var key) || !CheckpointJws.VerifySignature(inclusion.Checkpoint, key))
        {
            return false;
        }

        var root = Convert.FromHexString(inclusion.RootHash);
        var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(detail.Encoded));
        return checkpoint.TreeSize == inclusion.TreeSize && checkpoint.RootHash.AsSpan().SequenceEqual(root)
            && leaf.AsSpan().SequenceEqual(Convert.FromHexString(detail.Entry.LeafHash))
            && MerkleProofs.VerifyInclusion(inclusion.LeafIndex, inclusion.TreeSize, leaf, inclusion.Proof.Select(Convert.FromHexString).ToList(), root);
    }
}
