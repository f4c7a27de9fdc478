using System.Buffers;
using System.Security.Cryptography;

namespace DataTrust.Audit.Integrity;

/// <summary>
/// RFC 9162 §2.1.1 Merkle tree hashing with SHA-256: a leaf is <c>SHA-256(0x00 || entry)</c>, an
/// interior node is <c>SHA-256(0x01 || left || right)</c>, and the empty tree is <c>SHA-256()</c>.
/// The prefixes keep leaf and node hashes apart (second-preimage resistance).
/// </summary>
internal static class MerkleHash
{
    public const int Size = 32;

    private static readonly byte[] Empty = SHA256.HashData([]);

    public static ReadOnlySpan<byte> EmptyRoot => Empty;

    public static byte[] Leaf(ReadOnlySpan<byte> entry)
    {
        var hash = new byte[Size];
        Leaf(entry, hash);
        return hash;
    }

    public static void Leaf(ReadOnlySpan<byte> entry, Span<byte> destination)
    {
        var length = entry.Length + 1;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        buffer[0] = 0x00;
        entry.CopyTo(buffer[1..]);
        SHA256.HashData(buffer, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static byte[] Children(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[Size];
        Children(left, right, hash);
        return hash;
    }

    public static void Children(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        var length = 1 + left.Length + right.Length;
        byte[]? rented = null;
        var buffer = length <= 256 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + left.Length)..]);
        SHA256.HashData(buffer, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
