using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;

namespace DataTrust.Audit.Verification;

/// <summary>A tree size and root that the entries must reproduce: a signed checkpoint, or one an auditor kept.</summary>
internal sealed record ExpectedRoot(string Label, long TreeSize, byte[] RootHash);

/// <summary>Something wrong with the log; <see cref="Index"/> is the first entry it implicates, when one can be named.</summary>
internal sealed record AuditProblem(long? Index, string Message);

internal sealed record AuditVerificationReport(
    bool Ok,
    long Entries,
    int CheckpointsMatched,
    long? FirstBadIndex,
    string RootHash,
    IReadOnlyList<AuditProblem> Problems);

/// <summary>
/// Checks a stream of entries in order, the same way for the live database and for an exported
/// bundle: sequence numbers run 0, 1, 2… without gaps, each entry chains to the leaf hash of the one
/// before, each re-hashes to its stored leaf hash (when one is stored), and the Merkle root at every
/// expected size equals the signed one.
/// </summary>
internal sealed class AuditChainVerifier
{
    private const int MaxProblems = 100;

    private readonly List<ExpectedRoot> _expected;
    private readonly List<AuditProblem> _problems = [];
    private readonly Dictionary<(int Level, long Position), byte[]>? _nodes;
    private readonly byte[] _lastLeaf = new byte[MerkleHash.Size];
    private int _nextExpected;
    private long _matchedSize;
    private long _sequenceOffset;
    private int _matched;

    public AuditChainVerifier(IEnumerable<ExpectedRoot> expected, bool collectStoredNodes = false)
    {
        _expected = expected.OrderBy(e => e.TreeSize).ToList();
        _nodes = collectStoredNodes ? [] : null;
        CheckRoots();
    }

    public long Count => Range.Size;

    public CompactRange Range { get; } = CompactRange.Empty();

    public ReadOnlySpan<byte> LastLeafHash => _lastLeaf;

    /// <summary>The interior nodes the database should hold (levels 8, 16, …), when asked for.</summary>
    public IReadOnlyDictionary<(int Level, long Position), byte[]> ExpectedStoredNodes => _nodes ?? [];

    /// <param name="seq">The entry's sequence number as stored or encoded.</param>
    /// <param name="prevHash">The hash the entry chains to.</param>
    /// <param name="entryBytes">The entry's bytes (see <see cref="AuditEntryEncoding"/>).</param>
    /// <param name="storedLeafHash">The leaf hash stored beside the entry, or empty when there is none (bundles).</param>
    public void Add(long seq, ReadOnlySpan<byte> prevHash, ReadOnlySpan<byte> entryBytes, ReadOnlySpan<byte> storedLeafHash = default)
    {
        var index = Count;
        var leaf = MerkleHash.Leaf(entryBytes);
        var offset = seq - index;
        var offsetChanged = offset != _sequenceOffset;
        _sequenceOffset = offset;
        if (offsetChanged && offset != 0)
        {
            // A deleted entry shows as a jump ahead, an inserted or moved one as a number seen before:
            // either way the damage starts at the smaller of the two positions.
            Report(Math.Min(seq, index), seq > index
                ? $"Entry {index} is missing: the entry at position {index} has sequence number {seq}."
                : $"Sequence number {seq} appears again at position {index}: entries were inserted or reordered.");
        }

        if (!storedLeafHash.IsEmpty && !storedLeafHash.SequenceEqual(leaf))
        {
            Report(index, $"Entry {index} was altered: its content no longer matches its stored hash.");
        }

        // Where the numbering jumps, the chain breaks too: the same damage, already reported.
        if (!offsetChanged && !prevHash.SequenceEqual(_lastLeaf))
        {
            Report(index == 0 ? 0 : index - 1, index == 0
                ? "The first entry does not start the chain (its previous hash is not zero)."
                : $"Entry {index - 1} does not hash to the value entry {index} chains to: entry {index - 1} was altered.");
        }

        leaf.CopyTo(_lastLeaf, 0);
        Range.Append(leaf, _nodes is null ? null : (level, position, hash) =>
        {
            if (level % AuditTreeNode.LevelStride == 0)
            {
                _nodes[(level, position)] = hash;
            }
        });
        CheckRoots();
    }

    public void Report(long? index, string message)
    {
        if (_problems.Count < MaxProblems)
        {
            _problems.Add(new AuditProblem(index, message));
        }
    }

    public AuditVerificationReport Complete()
    {
        for (; _nextExpected < _expected.Count; _nextExpected++)
        {
            var expected = _expected[_nextExpected];
            Report(Count, $"{expected.Label} covers {expected.TreeSize} entries, but the log has only {Count}: entries from {Count} on were removed.");
        }

        var firstBad = _problems.Where(p => p.Index is not null).Select(p => p.Index).Min();
        return new AuditVerificationReport(_problems.Count == 0, Count, _matched, firstBad, Convert.ToHexStringLower(Range.Root()), _problems.ToList());
    }

    private void CheckRoots()
    {
        for (; _nextExpected < _expected.Count && _expected[_nextExpected].TreeSize <= Count; _nextExpected++)
        {
            var expected = _expected[_nextExpected];
            if (expected.TreeSize < Count)
            {
                continue; // cannot happen: roots are checked as the count passes each size
            }

            if (Range.Root().AsSpan().SequenceEqual(expected.RootHash))
            {
                _matched++;
                _matchedSize = expected.TreeSize;
            }
            else
            {
                Report(_matchedSize, $"{expected.Label} (size {expected.TreeSize}) does not match the entries: " +
                    $"the log was rewritten at or after entry {_matchedSize}, where it last matched a checkpoint.");
            }
        }
    }
}
