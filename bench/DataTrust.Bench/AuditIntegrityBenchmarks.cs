using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using DataTrust.Audit;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;

namespace DataTrust.Bench;

/// <summary>The per-entry costs of the audit log: encoding, canonical JSON, leaf and node hashing, tree edge, proofs.</summary>
[MemoryDiagnoser]
public class AuditIntegrityBenchmarks
{
    private AuditEntry _entry = null!;
    private byte[] _encoded = [];
    private byte[] _left = [];
    private byte[] _right = [];
    private List<byte[]> _proof = [];
    private byte[] _root = [];
    private byte[] _leaf = [];
    private const long TreeSize = 1_000_000;
    private const long Index = 123_456;

    [GlobalSetup]
    public async Task Setup()
    {
        _entry = SyntheticLog.Entry(42, new byte[32]);
        _encoded = AuditEntryEncoding.Encode(_entry);
        _left = SHA256.HashData("left"u8);
        _right = SHA256.HashData("right"u8);
        // Proof verification costs the same for any leaves: random ones keep the set-up short.
        var tree = SyntheticLog.LevelledTree(Enumerable.Range(0, (int)TreeSize).Select(_ => RandomNumberGenerator.GetBytes(32)).ToList());
        _leaf = await tree.GetAsync(0, Index, CancellationToken.None);
        _proof = await MerkleProofs.InclusionAsync(Index, TreeSize, tree, CancellationToken.None);
        _root = await MerkleProofs.RangeHashAsync(0, TreeSize, tree, CancellationToken.None);
    }

    [Benchmark(Description = "encode entry (canonical JSON bytes)")]
    public byte[] EncodeEntry() => AuditEntryEncoding.Encode(_entry);

    [Benchmark(Description = "canonicalise details (RFC 8785)")]
    public byte[] CanonicaliseDetails() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(
        "{\"purpose\":\"dpv:ServiceProvision\",\"categories\":[\"mobility\",\"energy\"],\"fields\":[\"trips\",\"kwh\"],\"count\":3}"));

    [Benchmark(Description = "leaf hash of one entry")]
    public byte[] LeafHash() => MerkleHash.Leaf(_encoded);

    [Benchmark(Description = "node hash")]
    public byte[] NodeHash() => MerkleHash.Children(_left, _right);

    [Benchmark(Description = "append 1,024 leaves to a compact range", OperationsPerInvoke = 1024)]
    public byte[] CompactRangeAppend()
    {
        var range = CompactRange.Empty();
        for (var i = 0; i < 1024; i++)
        {
            range.Append(_left);
        }

        return range.Root();
    }

    [Benchmark(Description = "verify an inclusion proof in a 1M-entry tree")]
    public bool VerifyInclusion() => MerkleProofs.VerifyInclusion(Index, TreeSize, _leaf, _proof, _root);

    [Benchmark(Description = "verify one entry in the chain verifier")]
    public void ChainVerifierEntry()
    {
        var verifier = new DataTrust.Audit.Verification.AuditChainVerifier([]);
        verifier.Add(0, new byte[32], _encoded);
    }
}

/// <summary>Synthetic, realistic entries for benchmarks: the shape of a data release, with pseudonyms and ids only.</summary>
internal static class SyntheticLog
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    public static AuditEntry Entry(long seq, byte[] previous)
    {
        var entry = new AuditEntry
        {
            Seq = seq,
            RecordedAt = Start.AddTicks(seq * 10_000),
            ActorType = "client",
            ActorId = $"recipient-{seq % 50}",
            Action = "data.released",
            Subject = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(seq % 10_000))),
            Recipient = $"recipient-{seq % 50}",
            Consent = new Guid((int)seq, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10).ToString("D"),
            Objects = $"[{{\"id\":\"{new Guid((int)seq, 9, 9, 0, 0, 0, 0, 0, 0, 0, 1):D}\",\"type\":\"release\"}}]",
            Details = "{\"categories\":[\"mobility\"],\"fields\":[\"trips\",\"distance\"],\"purpose\":\"dpv:ServiceProvision\"}",
            PrevHash = previous,
        };
        entry.LeafHash = MerkleHash.Leaf(AuditEntryEncoding.Encode(entry));
        return entry;
    }

    /// <summary>Every level of the tree in memory, so that proofs cost lookups only.</summary>
    public static IMerkleSubtrees LevelledTree(List<byte[]> leaves) => new Levels(leaves);

    private sealed class Levels : IMerkleSubtrees
    {
        private readonly List<List<byte[]>> _levels = [];

        public Levels(List<byte[]> leaves)
        {
            _levels.Add(leaves);
            while (_levels[^1].Count > 1)
            {
                var below = _levels[^1];
                var level = new List<byte[]>(below.Count / 2);
                for (var i = 0; i + 1 < below.Count; i += 2)
                {
                    level.Add(MerkleHash.Children(below[i], below[i + 1]));
                }

                _levels.Add(level);
            }
        }

        public ValueTask<byte[]> GetAsync(int level, long position, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_levels[level][(int)position]);
    }
}
