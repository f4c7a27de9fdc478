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
    private long? _pendingBreak;
    private readonly HashSet<AuditProblem> _bounds = new(ReferenceEqualityComparer.Instance);

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
    public void Add(long seq, ReadOnlySpan<byte> prevHash, ReadOnlySpan<byte> entryBytes, ReadOnlySpan<byte> storedLeafHash = default) =>
        AddHashed(seq, prevHash, MerkleHash.Leaf(entryBytes), storedLeafHash);

    /// <summary>As <see cref="Add"/>, with the entry's leaf hash already computed (in parallel, by the caller).</summary>
    public void AddHashed(long seq, ReadOnlySpan<byte> prevHash, byte[] leaf, ReadOnlySpan<byte> storedLeafHash = default)
    {
        var index = Count;
        var offset = seq - index;
        var offsetChanged = offset != _sequenceOffset;
        _sequenceOffset = offset;
        if (offsetChanged)
        {
            ResolvePendingBreak(nextLinkBroken: false);
            if (offset != 0)
            {
                Report(index, seq > index
                    ? $"Entry {index} is missing: the entry at position {index} has sequence number {seq}."
                    : $"Sequence number {seq} appears again at position {index}: entries were inserted or reordered.");
            }
        }

        if (!storedLeafHash.IsEmpty && !storedLeafHash.SequenceEqual(leaf))
        {
            Report(index, $"Entry {index} was altered: its content no longer matches its stored hash.");
        }

        // Where the numbering jumps, the chain breaks too: the same damage, reported once above.
        if (!offsetChanged)
        {
            var broken = !prevHash.SequenceEqual(_lastLeaf);
            if (_pendingBreak is not null)
            {
                ResolvePendingBreak(broken);
            }
            else if (broken)
            {
                _pendingBreak = index;
            }
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

    public void Report(long? index, string message) => Report(index, message, isBound: false);

    public AuditVerificationReport Complete()
    {
        ResolvePendingBreak(nextLinkBroken: false);
        for (; _nextExpected < _expected.Count; _nextExpected++)
        {
            var expected = _expected[_nextExpected];
            Report(Count, $"{expected.Label} covers {expected.TreeSize} entries, but the log has only {Count}: entries from {Count} on were removed.");
        }

        // Exact findings explain a checkpoint mismatch; its lower bound only counts when nothing exact was found.
        var exact = _problems.Where(p => p.Index is not null && !_bounds.Contains(p)).Select(p => p.Index).ToList();
        var firstBad = exact.Count > 0 ? exact.Min() : _problems.Where(p => p.Index is not null).Select(p => p.Index).Min();
        return new AuditVerificationReport(_problems.Count == 0, Count, _matched, firstBad, Convert.ToHexStringLower(Range.Root()), _problems.ToList());
    }

    /// <summary>
    /// A broken link between entries p−1 and p is ambiguous on its own: p−1 was altered, or p was
    /// replaced. The next link decides: if p does not chain onward either, p is the odd one out.
    /// </summary>
    private void ResolvePendingBreak(bool nextLinkBroken)
    {
        if (_pendingBreak is not { } position)
        {
            return;
        }

        _pendingBreak = null;
        if (position == 0)
        {
            Report(0, "The first entry does not start the chain (its previous hash is not zero).");
        }
        else if (nextLinkBroken)
        {
            Report(position, $"Entry {position} was replaced: it chains neither to entry {position - 1} nor on to entry {position + 1}.");
        }
        else
        {
            Report(position - 1, $"Entry {position - 1} was altered: it no longer hashes to the value entry {position} chains to.");
        }
    }

    private void Report(long? index, string message, bool isBound)
    {
        if (_problems.Count < MaxProblems)
        {
            var problem = new AuditProblem(index, message);
            _problems.Add(problem);
            if (isBound)
            {
                _bounds.Add(problem);
            }
        }
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
                    $"the log was rewritten at or after entry {_matchedSize}, where it last matched a checkpoint.", isBound: true);
            }
        }
    }
}
