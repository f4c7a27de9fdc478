using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit;

/// <summary>
/// Perfect-subtree hashes from the database: leaf hashes from the entries, stored nodes at levels
/// 8, 16, 24…, and anything in between folded from at most 128 of those. Proofs for a log of any size
/// cost a few dozen small range reads.
/// </summary>
internal sealed class AuditTreeReader(DataTrustDbContext db) : IMerkleSubtrees
{
    public async ValueTask<byte[]> GetAsync(int level, long position, CancellationToken cancellationToken)
    {
        var storedLevel = level - (level % AuditTreeNode.LevelStride);
        var span = level - storedLevel;
        var first = position << span;
        var count = 1 << span;
        var hashes = storedLevel == 0
            ? await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Seq >= first && e.Seq < first + count)
                .OrderBy(e => e.Seq).Select(e => e.LeafHash).ToListAsync(cancellationToken)
            : await db.Set<AuditTreeNode>().AsNoTracking().Where(n => n.Level == storedLevel && n.Position >= first && n.Position < first + count)
                .OrderBy(n => n.Position).Select(n => n.Hash).ToListAsync(cancellationToken);
        if (hashes.Count != count)
        {
            throw new InvalidDataException($"The stored audit tree lacks hashes at level {storedLevel} from {first}: verify the log.");
        }

        while (hashes.Count > 1)
        {
            var parents = new List<byte[]>(hashes.Count / 2);
            for (var i = 0; i < hashes.Count; i += 2)
            {
                parents.Add(MerkleHash.Children(hashes[i], hashes[i + 1]));
            }

            hashes = parents;
        }

        return hashes[0];
    }
}
