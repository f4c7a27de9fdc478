namespace DataTrust.Audit.Integrity;

/// <summary>
/// The right edge of a Merkle tree of <see cref="Size"/> leaves: one perfect-subtree root for each set
/// bit of the size, highest first. Appending a leaf and computing the root both take O(log n), so the
/// log's head can keep its tree current without re-reading any entry.
/// </summary>
internal sealed class CompactRange
{
    private readonly List<byte[]> _roots;

    private CompactRange(long size, List<byte[]> roots)
    {
        Size = size;
        _roots = roots;
    }

    public long Size { get; private set; }

    public static CompactRange Empty() => new(0, []);

    /// <summary>Restores a range saved with <see cref="Pack"/>.</summary>
    public static CompactRange Unpack(long size, ReadOnlySpan<byte> packed)
    {
        var count = System.Numerics.BitOperations.PopCount((ulong)size);
        if (size < 0 || packed.Length != count * MerkleHash.Size)
        {
            throw new InvalidDataException($"A compact range of {size} leaves needs {count} hashes, not {packed.Length} bytes.");
        }

        var roots = new List<byte[]>(count + 1);
        for (var i = 0; i < count; i++)
        {
            roots.Add(packed.Slice(i * MerkleHash.Size, MerkleHash.Size).ToArray());
        }

        return new CompactRange(size, roots);
    }

    public byte[] Pack()
    {
        var packed = new byte[_roots.Count * MerkleHash.Size];
        for (var i = 0; i < _roots.Count; i++)
        {
            _roots[i].CopyTo(packed, i * MerkleHash.Size);
        }

        return packed;
    }

    /// <summary>
    /// Appends a leaf hash. <paramref name="completed"/> hears of every interior node the append
    /// completes, as (level, position, hash), where the node covers leaves
    /// [position · 2^level, (position + 1) · 2^level).
    /// </summary>
    public void Append(ReadOnlySpan<byte> leafHash, Action<int, long, byte[]>? completed = null)
    {
        var node = leafHash.ToArray();
        var level = 0;
        var position = Size;
        while (((Size >> level) & 1) == 1)
        {
            var left = _roots[^1];
            _roots.RemoveAt(_roots.Count - 1);
            node = MerkleHash.Children(left, node);
            level++;
            position >>= 1;
            completed?.Invoke(level, position, node);
        }

        _roots.Add(node);
        Size++;
    }

    /// <summary>The RFC 9162 Merkle Tree Hash of all leaves appended so far.</summary>
    public byte[] Root()
    {
        if (_roots.Count == 0)
        {
            return MerkleHash.EmptyRoot.ToArray();
        }

        var root = _roots[^1];
        for (var i = _roots.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Children(_roots[i], root);
        }

        return root;
    }
}
