namespace DataTrust.Audit.Integrity;

/// <summary>Hashes of perfect subtrees, from wherever the tree is kept (database, memory).</summary>
internal interface IMerkleSubtrees
{
    /// <summary>The hash of the perfect subtree covering leaves [position · 2^level, (position + 1) · 2^level).</summary>
    ValueTask<byte[]> GetAsync(int level, long position, CancellationToken cancellationToken);
}

/// <summary>
/// RFC 9162 inclusion proofs (§2.1.3) and consistency proofs (§2.1.4): generation from perfect-subtree
/// hashes, and verification exactly as the RFC's algorithms describe.
/// </summary>
internal static class MerkleProofs
{
    /// <summary>PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf-side hash first.</summary>
    public static async Task<List<byte[]>> InclusionAsync(long index, long size, IMerkleSubtrees tree, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var siblings = new List<byte[]>();
        long low = 0, high = size;
        while (high - low > 1)
        {
            var k = LargestPowerOfTwoBelow(high - low);
            if (index - low < k)
            {
                siblings.Add(await RangeHashAsync(low + k, high, tree, cancellationToken));
                high = low + k;
            }
            else
            {
                siblings.Add(await RangeHashAsync(low, low + k, tree, cancellationToken));
                low += k;
            }
        }

        siblings.Reverse();
        return siblings;
    }

    /// <summary>PROOF(m, D[n]) of RFC 9162 §2.1.4.1; empty when m is 0 or m equals n.</summary>
    public static async Task<List<byte[]>> ConsistencyAsync(long size1, long size2, IMerkleSubtrees tree, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size1, size2);
        var proof = new List<byte[]>();
        if (size1 == 0 || size1 == size2)
        {
            return proof;
        }

        long m = size1, low = 0, high = size2;
        var complete = true; // the "b" flag of SUBPROOF: the subtree so far is the old tree's own root
        while (true)
        {
            var n = high - low;
            if (m == n)
            {
                if (!complete)
                {
                    proof.Add(await RangeHashAsync(low, high, tree, cancellationToken));
                }

                break;
            }

            var k = LargestPowerOfTwoBelow(n);
            if (m <= k)
            {
                proof.Add(await RangeHashAsync(low + k, high, tree, cancellationToken));
                high = low + k;
            }
            else
            {
                proof.Add(await RangeHashAsync(low, low + k, tree, cancellationToken));
                low += k;
                m -= k;
                complete = false;
            }
        }

        proof.Reverse();
        return proof;
    }

    /// <summary>MTH(D[low:high]) for a range that starts on a boundary of its own size, as every range in a proof does.</summary>
    public static async Task<byte[]> RangeHashAsync(long low, long high, IMerkleSubtrees tree, CancellationToken cancellationToken)
    {
        if (high <= low)
        {
            return MerkleHash.EmptyRoot.ToArray();
        }

        var parts = new List<byte[]>();
        var position = low;
        while (position < high)
        {
            var level = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(high - position));
            while (level > 0 && (position & ((1L << level) - 1)) != 0)
            {
                level--;
            }

            parts.Add(await tree.GetAsync(level, position >> level, cancellationToken));
            position += 1L << level;
        }

        var hash = parts[^1];
        for (var i = parts.Count - 2; i >= 0; i--)
        {
            hash = MerkleHash.Children(parts[i], hash);
        }

        return hash;
    }

    /// <summary>RFC 9162 §2.1.3.2. Hashes in the proof must be 32 bytes.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        var computed = RootFromInclusion(index, size, leafHash, proof);
        return computed is not null && root.SequenceEqual(computed);
    }

    /// <summary>The root an inclusion proof leads to, or null when the proof's shape does not fit the tree.</summary>
    public static byte[]? RootFromInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        if (index < 0 || index >= size || leafHash.Length != MerkleHash.Size)
        {
            return null;
        }

        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != MerkleHash.Size)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Children(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.Children(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? r : null;
    }

    /// <summary>RFC 9162 §2.1.4.2, plus the trivial cases: an empty old tree, and equal sizes with equal roots.</summary>
    public static bool VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        if (size1 < 0 || size2 < size1)
        {
            return false;
        }

        if (size1 == size2)
        {
            return proof.Count == 0 && root1.SequenceEqual(root2);
        }

        if (size1 == 0)
        {
            return proof.Count == 0;
        }

        if (proof.Count == 0 || proof.Any(p => p.Length != MerkleHash.Size))
        {
            return false;
        }

        var path = new List<byte[]>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
        {
            path.Add(root1.ToArray());
        }

        path.AddRange(proof);
        var fn = size1 - 1;
        var sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Children(c, fr);
                sr = MerkleHash.Children(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Children(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && root1.SequenceEqual(fr) && root2.SequenceEqual(sr);
    }

    private static long LargestPowerOfTwoBelow(long n) => 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1)));
}

/// <summary>A tree held in memory as its leaf hashes; subtree hashes are computed on request. For tests and small logs.</summary>
internal sealed class InMemoryMerkleTree(IReadOnlyList<byte[]> leafHashes) : IMerkleSubtrees
{
    public ValueTask<byte[]> GetAsync(int level, long position, CancellationToken cancellationToken)
    {
        var start = position << level;
        var count = 1L << level;
        if (start + count > leafHashes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(position), "The subtree reaches past the last leaf.");
        }

        return ValueTask.FromResult(Hash(start, count));
    }

    private byte[] Hash(long start, long count) =>
        count == 1 ? leafHashes[(int)start] : MerkleHash.Children(Hash(start, count / 2), Hash(start + (count / 2), count / 2));
}
