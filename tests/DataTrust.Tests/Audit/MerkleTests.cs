using System.Text;
using DataTrust.Audit.Integrity;

namespace DataTrust.Tests.Audit;

/// <summary>
/// RFC 9162 / RFC 6962 Merkle hashing, proof generation and proof verification against the test
/// vectors of the reference implementation (transparency-dev/merkle: rfc6962_test.go, proof/verify_test.go),
/// plus cross-checks of the compact range and proofs against a naive tree for many sizes.
/// </summary>
public sealed class MerkleTests
{
    private static readonly byte[][] Leaves =
    [
        [],
        H("00"),
        H("10"),
        H("2021"),
        H("3031"),
        H("40414243"),
        H("5051525354555657"),
        H("606162636465666768696a6b6c6d6e6f"),
    ];

    // roots[k - 1] is the root of the tree of the first k leaves
    private static readonly string[] Roots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    // (leaf index, tree size, proof)
    public static TheoryData<long, long, string[]> InclusionVectors => new()
    {
        { 0, 1, [] },
        {
            0, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            5, 8,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        {
            1, 5,
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
    };

    // (size1, size2, proof)
    public static TheoryData<long, long, string[]> ConsistencyVectors => new()
    {
        { 1, 1, [] },
        {
            1, 8,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        },
        {
            6, 8,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
        {
            2, 5,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        },
        {
            6, 7,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        },
    };

    private static readonly byte[] SomeHash = H("abacaba000000000000000000000000000000000000000000060061e00123456");
    private static readonly byte[] EmptyTreeHash = H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    [Fact]
    public void Hashing_matches_the_RFC_6962_hasher_vectors()
    {
        Convert.ToHexStringLower(MerkleHash.EmptyRoot).ShouldBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        Convert.ToHexStringLower(MerkleHash.Leaf([])).ShouldBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
        Convert.ToHexStringLower(MerkleHash.Leaf("L123456"u8)).ShouldBe("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
        Convert.ToHexStringLower(MerkleHash.Children("N123"u8, "N456"u8)).ShouldBe("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
        MerkleHash.Children(MerkleHash.Leaf("Hello"u8), MerkleHash.Leaf("World"u8))
            .ShouldNotBe(MerkleHash.Leaf([.. MerkleHash.Leaf("Hello"u8), .. MerkleHash.Leaf("World"u8)]));
    }

    [Fact]
    public void Roots_of_the_first_k_leaves_match_the_vectors()
    {
        var range = CompactRange.Empty();
        Convert.ToHexStringLower(range.Root()).ShouldBe(Convert.ToHexStringLower(EmptyTreeHash));
        for (var k = 1; k <= Leaves.Length; k++)
        {
            range.Append(MerkleHash.Leaf(Leaves[k - 1]));
            Convert.ToHexStringLower(range.Root()).ShouldBe(Roots[k - 1], $"root of {k} leaves");
            var restored = CompactRange.Unpack(range.Size, range.Pack());
            Convert.ToHexStringLower(restored.Root()).ShouldBe(Roots[k - 1]);
        }
    }

    [Theory]
    [MemberData(nameof(InclusionVectors))]
    public async Task Inclusion_proofs_are_generated_and_verified_as_the_vectors(long index, long size, string[] expected)
    {
        var tree = Tree(Leaves.Length);
        var leafHash = MerkleHash.Leaf(Leaves[index]);
        var root = H(Roots[size - 1]);

        var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);

        proof.Select(Convert.ToHexStringLower).ShouldBe(expected);
        MerkleProofs.VerifyInclusion(index, size, leafHash, proof, root).ShouldBeTrue();
        foreach (var (description, probe) in CorruptInclusion(index, size, proof, root, leafHash))
        {
            MerkleProofs.VerifyInclusion(probe.Index, probe.Size, probe.Leaf, probe.Proof, probe.Root).ShouldBeFalse(description);
        }
    }

    [Theory]
    [MemberData(nameof(ConsistencyVectors))]
    public async Task Consistency_proofs_are_generated_and_verified_as_the_vectors(long size1, long size2, string[] expected)
    {
        var tree = Tree(Leaves.Length);
        var root1 = H(Roots[size1 - 1]);
        var root2 = H(Roots[size2 - 1]);

        var proof = await MerkleProofs.ConsistencyAsync(size1, size2, tree, CancellationToken.None);

        proof.Select(Convert.ToHexStringLower).ShouldBe(expected);
        MerkleProofs.VerifyConsistency(size1, size2, proof, root1, root2).ShouldBeTrue();
        if (proof.Count == 0)
        {
            return;
        }

        foreach (var (description, probe) in CorruptConsistency(size1, size2, root1, root2, proof))
        {
            MerkleProofs.VerifyConsistency(probe.Size1, probe.Size2, probe.Proof, probe.Root1, probe.Root2).ShouldBeFalse(description);
        }
    }

    [Fact]
    public void Inclusion_verification_refuses_impossible_trees()
    {
        foreach (var (index, size) in new (long, long)[] { (0, 0), (1, 0), (2, 1) })
        {
            MerkleProofs.VerifyInclusion(index, size, SomeHash, [], []).ShouldBeFalse();
            MerkleProofs.VerifyInclusion(index, size, [], [], EmptyTreeHash).ShouldBeFalse();
            MerkleProofs.VerifyInclusion(index, size, SomeHash, [], EmptyTreeHash).ShouldBeFalse();
        }

        var single = MerkleHash.Leaf("data"u8);
        MerkleProofs.VerifyInclusion(0, 1, single, [], single).ShouldBeTrue();
        MerkleProofs.VerifyInclusion(0, 1, [], [], single).ShouldBeFalse();
        MerkleProofs.VerifyInclusion(0, 1, single, [], []).ShouldBeFalse();
    }

    [Fact]
    public void Consistency_verification_edge_cases_follow_the_reference_table()
    {
        var root1 = Encoding.ASCII.GetBytes("don't care 1");
        var root2 = Encoding.ASCII.GetBytes("don't care 2");
        MerkleProofs.VerifyConsistency(0, 0, [], root1, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(1, 1, [], root1, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(0, 0, [], root1, root1).ShouldBeTrue();
        MerkleProofs.VerifyConsistency(0, 1, [], root1, root2).ShouldBeTrue();
        MerkleProofs.VerifyConsistency(1, 1, [], root2, root2).ShouldBeTrue();
        MerkleProofs.VerifyConsistency(1, 0, [], root1, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(2, 1, [], root1, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(1, 2, [], root1, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(0, 0, [], EmptyTreeHash, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(1, 1, [], EmptyTreeHash, root2).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(0, 0, [EmptyTreeHash], EmptyTreeHash, EmptyTreeHash).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(0, 1, [EmptyTreeHash], EmptyTreeHash, EmptyTreeHash).ShouldBeFalse();
        MerkleProofs.VerifyConsistency(1, 1, [EmptyTreeHash], EmptyTreeHash, EmptyTreeHash).ShouldBeFalse();
    }

    [Fact]
    public async Task Compact_range_and_proofs_agree_with_a_naive_tree_for_every_size_up_to_70()
    {
        var leaves = Enumerable.Range(0, 70).Select(i => MerkleHash.Leaf(BitConverter.GetBytes(i))).ToList();
        var tree = new InMemoryMerkleTree(leaves);
        var range = CompactRange.Empty();
        var completed = new List<(int Level, long Position, byte[] Hash)>();
        for (var size = 1; size <= leaves.Count; size++)
        {
            range.Append(leaves[size - 1], (level, position, hash) => completed.Add((level, position, hash)));
            var root = NaiveRoot(leaves.Take(size).ToList());
            range.Root().ShouldBe(root, $"size {size}");
            for (var index = 0; index < size; index++)
            {
                var proof = await MerkleProofs.InclusionAsync(index, size, tree, CancellationToken.None);
                MerkleProofs.VerifyInclusion(index, size, leaves[index], proof, root).ShouldBeTrue($"inclusion {index} in {size}");
            }

            for (var old = 0; old <= size; old++)
            {
                var proof = await MerkleProofs.ConsistencyAsync(old, size, tree, CancellationToken.None);
                MerkleProofs.VerifyConsistency(old, size, proof, NaiveRoot(leaves.Take(old).ToList()), root).ShouldBeTrue($"consistency {old}→{size}");
            }
        }

        foreach (var (level, position, hash) in completed)
        {
            hash.ShouldBe(await tree.GetAsync(level, position, CancellationToken.None), $"node ({level}, {position})");
        }
    }

    private static InMemoryMerkleTree Tree(int count) => new(Leaves.Take(count).Select(l => MerkleHash.Leaf(l)).ToList());

    /// <summary>MTH straight from RFC 9162 §2.1.1.</summary>
    private static byte[] NaiveRoot(List<byte[]> leafHashes)
    {
        if (leafHashes.Count == 0)
        {
            return MerkleHash.EmptyRoot.ToArray();
        }

        if (leafHashes.Count == 1)
        {
            return leafHashes[0];
        }

        var k = 1;
        while (k * 2 < leafHashes.Count)
        {
            k *= 2;
        }

        return MerkleHash.Children(NaiveRoot(leafHashes.Take(k).ToList()), NaiveRoot(leafHashes.Skip(k).ToList()));
    }

    private static IEnumerable<(string, (long Index, long Size, byte[] Leaf, List<byte[]> Proof, byte[] Root))> CorruptInclusion(
        long index, long size, List<byte[]> proof, byte[] root, byte[] leaf)
    {
        yield return ("index - 1", (index - 1, size, leaf, proof, root));
        yield return ("index + 1", (index + 1, size, leaf, proof, root));
        yield return ("index ^ 2", (index ^ 2, size, leaf, proof, root));
        yield return ("size * 2", (index, size * 2, leaf, proof, root));
        yield return ("size / 2", (index, size / 2, leaf, proof, root));
        yield return ("wrong leaf", (index, size, Encoding.ASCII.GetBytes("WrongLeaf"), proof, root));
        yield return ("empty root", (index, size, leaf, proof, EmptyTreeHash));
        yield return ("random root", (index, size, leaf, proof, SomeHash));
        yield return ("trailing garbage", (index, size, leaf, [.. proof, []], root));
        yield return ("trailing root", (index, size, leaf, [.. proof, root], root));
        yield return ("preceding garbage", (index, size, leaf, [[], .. proof], root));
        yield return ("preceding root", (index, size, leaf, [root, .. proof], root));
        for (var i = 0; i < proof.Count; i++)
        {
            var wrong = proof.Select(p => (byte[])p.Clone()).ToList();
            wrong[i][0] ^= 8;
            yield return ($"modified proof[{i}] bit 3", (index, size, leaf, wrong, root));
        }

        if (proof.Count > 0)
        {
            yield return ("removed component", (index, size, leaf, proof[..^1], root));
        }

        if (proof.Count > 1)
        {
            yield return ("inserted component", (index, size, leaf, [proof[0], SomeHash, .. proof[1..]], root));
        }
    }

    private static IEnumerable<(string, (long Size1, long Size2, byte[] Root1, byte[] Root2, List<byte[]> Proof))> CorruptConsistency(
        long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof)
    {
        yield return ("size1 - 1", (size1 - 1, size2, root1, root2, proof));
        yield return ("size1 + 1", (size1 + 1, size2, root1, root2, proof));
        yield return ("size1 ^ 2", (size1 ^ 2, size2, root1, root2, proof));
        yield return ("size2 * 2", (size1, size2 * 2, root1, root2, proof));
        yield return ("size2 / 2", (size1, size2 / 2, root1, root2, proof));
        yield return ("wrong root1", (size1, size2, Encoding.ASCII.GetBytes("WrongRoot"), root2, proof));
        yield return ("wrong root2", (size1, size2, root1, Encoding.ASCII.GetBytes("WrongRoot"), proof));
        yield return ("swapped roots", (size1, size2, root2, root1, proof));
        yield return ("empty proof", (size1, size2, root1, root2, []));
        yield return ("trailing garbage", (size1, size2, root1, root2, [.. proof, []]));
        yield return ("trailing root1", (size1, size2, root1, root2, [.. proof, root1]));
        yield return ("trailing root2", (size1, size2, root1, root2, [.. proof, root2]));
        yield return ("preceding garbage", (size1, size2, root1, root2, [[], .. proof]));
        yield return ("preceding root1", (size1, size2, root1, root2, [root1, .. proof]));
        yield return ("preceding root2", (size1, size2, root1, root2, [root2, .. proof]));
        yield return ("preceding proof[0]", (size1, size2, root1, root2, [proof[0], .. proof]));
        yield return ("truncated proof", (size1, size2, root1, root2, proof[..^1]));
        for (var i = 0; i < proof.Count; i++)
        {
            var wrong = proof.Select(p => (byte[])p.Clone()).ToList();
            wrong[i][0] ^= 16;
            yield return ($"modified proof[{i}] bit 4", (size1, size2, root1, root2, wrong));
        }
    }

    private static byte[] H(string hex) => Convert.FromHexString(hex);
}
