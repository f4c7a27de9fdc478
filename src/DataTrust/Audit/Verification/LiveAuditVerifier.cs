using System.Security.Cryptography;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DataTrust.Audit.Verification;

/// <summary>
/// Verifies the log in the database: every entry re-encoded and re-hashed against its stored hash
/// and the chain, every checkpoint's signature and root, the head row and the stored tree nodes that
/// proofs are served from. Reads in pages, so the log may be any size.
/// </summary>
internal sealed class LiveAuditVerifier(IDbContextFactory<DataTrustDbContext> contexts, IOptions<AuditOptions> options)
{
    private const int PageSize = 5000;

    public async Task<AuditVerificationReport> VerifyAsync(string? trustedCheckpointJws, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = ReadPublicKeys(await db.Set<AuditSigningKey>().AsNoTracking().ToListAsync(cancellationToken));
        var problems = new List<AuditProblem>();
        var expected = new List<ExpectedRoot>();
        foreach (var checkpoint in await db.Set<AuditCheckpoint>().AsNoTracking().OrderBy(c => c.Id).ToListAsync(cancellationToken))
        {
            var label = $"Checkpoint #{checkpoint.Id}";
            if (OfflineBundleVerifier.CheckSigned(checkpoint.Jws, label, keys, options.Value.Origin, problems) is not { } root)
            {
                continue;
            }

            if (root.TreeSize != checkpoint.TreeSize || !root.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                problems.Add(new AuditProblem(null, $"{label} was altered: its columns differ from what its signature covers."));
            }

            expected.Add(root);
        }

        if (trustedCheckpointJws is not null && OfflineBundleVerifier.CheckSigned(trustedCheckpointJws, "The trusted checkpoint", keys, options.Value.Origin, problems) is { } trusted)
        {
            expected.Add(trusted);
        }

        var verifier = new AuditChainVerifier(expected, collectStoredNodes: true);
        problems.ForEach(p => verifier.Report(p.Index, p.Message));

        long? after = null;
        while (true)
        {
            var query = db.Set<AuditEntry>().AsNoTracking();
            if (after is { } last)
            {
                query = query.Where(e => e.Seq > last);
            }

            var page = await query.OrderBy(e => e.Seq).Take(PageSize).ToListAsync(cancellationToken);
            foreach (var entry in page)
            {
                verifier.Add(entry.Seq, entry.PrevHash, AuditEntryEncoding.Encode(entry), entry.LeafHash);
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1].Seq;
        }

        await CheckHeadAsync(db, verifier, cancellationToken);
        await CheckStoredNodesAsync(db, verifier, cancellationToken);
        return verifier.Complete();
    }

    private static async Task CheckHeadAsync(DataTrustDbContext db, AuditChainVerifier verifier, CancellationToken cancellationToken)
    {
        var head = await db.Set<AuditHead>().AsNoTracking().SingleOrDefaultAsync(h => h.Id == AuditHead.SingletonId, cancellationToken);
        if (head is null)
        {
            verifier.Report(null, "The log's head row is missing.");
            return;
        }

        if (head.Size != verifier.Count)
        {
            verifier.Report(Math.Min(head.Size, verifier.Count), $"The log's head counts {head.Size} entries, but {verifier.Count} are stored.");
        }
        else if (!head.LastHash.AsSpan().SequenceEqual(verifier.Count == 0 ? new byte[MerkleHash.Size] : verifier.LastLeafHash) ||
            !head.Frontier.AsSpan().SequenceEqual(verifier.Range.Pack()))
        {
            verifier.Report(null, "The log's head row (last hash or tree edge) does not match the entries.");
        }
    }

    private static async Task CheckStoredNodesAsync(DataTrustDbContext db, AuditChainVerifier verifier, CancellationToken cancellationToken)
    {
        var expected = verifier.ExpectedStoredNodes;
        var seen = 0;
        await foreach (var node in db.Set<AuditTreeNode>().AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var first = node.Position << node.Level;
            if (!expected.TryGetValue((node.Level, node.Position), out var hash))
            {
                verifier.Report(null, $"A stored tree node (level {node.Level}, position {node.Position}) covers entries the log does not hold.");
                continue;
            }

            seen++;
            if (!hash.AsSpan().SequenceEqual(node.Hash))
            {
                verifier.Report(first, $"The stored tree node over entries {first}…{first + (1L << node.Level) - 1} does not match them; proofs served from it would fail.");
            }
        }

        if (seen != expected.Count)
        {
            verifier.Report(null, $"{expected.Count - seen} stored tree node(s) are missing; proofs that need them cannot be served.");
        }
    }

    private static Dictionary<string, ECDsa> ReadPublicKeys(List<AuditSigningKey> rows) =>
        AuditJwk.ReadSet(AuditSigningKeys.PublicKeySet(rows).ToJsonString());
}
