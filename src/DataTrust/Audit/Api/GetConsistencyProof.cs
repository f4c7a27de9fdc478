using System.Security.Claims;
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
/// <c>GET /api/audit/consistency?from=m&amp;to=n</c>: the RFC 9162 consistency proof that the tree of
/// size n extends the tree of size m. <c>to</c> defaults to the latest checkpoint. The signed
/// checkpoints of both sizes are included when they exist; an auditor checks the proof against the
/// checkpoint of size m they kept themselves. Recorded.
/// </summary>
internal static class GetConsistencyProof
{
    internal sealed record Consistency(long FromSize, long ToSize, string? FromRootHash, string ToRootHash, IReadOnlyList<string> Proof, string? FromCheckpoint, string? ToCheckpoint);

    public static void Map(RouteGroupBuilder auditors) => auditors.MapGet("/consistency", Handle);

    private static async Task<Results<Ok<Consistency>, ProblemHttpResult>> Handle(
        string? from,
        string? to,
        ClaimsPrincipal user,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        if (!AuditEndpoints.TryParseSize(from, out var fromSize))
        {
            return AuditEndpoints.BadRequest("'from' is a tree size: a non-negative integer.");
        }

        long? requestedTo = null;
        if (to is not null)
        {
            if (!AuditEndpoints.TryParseSize(to, out var parsed))
            {
                return AuditEndpoints.BadRequest("'to' is a tree size: a non-negative integer.");
            }

            requestedTo = parsed;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var size = await db.Set<AuditHead>().AsNoTracking().Select(h => h.Size).SingleAsync(cancellationToken);
        AuditCheckpoint? toCheckpoint;
        if (requestedTo is { } toSize)
        {
            toCheckpoint = await CheckpointOfSizeAsync(db, toSize, cancellationToken);
        }
        else
        {
            toCheckpoint = await CheckpointSealer.LatestAsync(db, cancellationToken);
            if (toCheckpoint is null)
            {
                return AuditEndpoints.NotFound("No checkpoint has been sealed yet.");
            }

            toSize = toCheckpoint.TreeSize;
        }

        if (toSize > size)
        {
            return AuditEndpoints.BadRequest($"'to' is {toSize}, but the log has {size} entries.");
        }

        if (fromSize > toSize)
        {
            return AuditEndpoints.BadRequest($"'from' ({fromSize}) is larger than 'to' ({toSize}).");
        }

        var tree = new AuditTreeReader(db);
        List<byte[]> proof;
        byte[]? fromRoot;
        byte[] toRoot;
        try
        {
            proof = await MerkleProofs.ConsistencyAsync(fromSize, toSize, tree, cancellationToken);
            fromRoot = fromSize == 0 ? null : await MerkleProofs.RangeHashAsync(0, fromSize, tree, cancellationToken);
            toRoot = await MerkleProofs.RangeHashAsync(0, toSize, tree, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return AuditEndpoints.Damaged();
        }

        var fromCheckpoint = await CheckpointOfSizeAsync(db, fromSize, cancellationToken);

        await log.RecordAsync(contexts, new AuditConsistencyRequested(actor, fromSize, toSize), cancellationToken);
        return TypedResults.Ok(new Consistency(
            fromSize,
            toSize,
            fromRoot is null ? null : Convert.ToHexStringLower(fromRoot),
            Convert.ToHexStringLower(toRoot),
            proof.Select(Convert.ToHexStringLower).ToList(),
            fromCheckpoint?.Jws,
            toCheckpoint?.Jws));
    }

    private static Task<AuditCheckpoint?> CheckpointOfSizeAsync(DataTrustDbContext db, long size, CancellationToken cancellationToken) =>
        db.Set<AuditCheckpoint>().AsNoTracking().Where(c => c.TreeSize == size).OrderByDescending(c => c.Id).FirstOrDefaultAsync(cancellationToken);
}
